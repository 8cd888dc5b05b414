-- With the heads classifier, every comment and post text it reads is embedded (and stored) by the embedding
-- stage; the classifier never has to embed texts on the side.
{{ config(enabled=var('classifier_backend') == 'heads') }}

with

inputs as (

    select * from {{ ref('int_comments_to_classify') }}

),

embeddings as (

    select * from {{ ref('int_text_embeddings') }}

),

texts as (

    select {{ text_hash('content') }} as text_hash
    from inputs
    union
    select {{ text_hash('post_text') }} as text_hash
    from inputs
    where post_text is not null

),

final as (

    select texts.text_hash
    from texts
    anti join embeddings on texts.text_hash = embeddings.text_hash

)

select * from final
