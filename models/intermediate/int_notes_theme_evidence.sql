-- What the theme step reads for each post: the post itself and its first 30 comments, for the crawl's posts and
-- for the gold train posts (whose labeled themes become the theme prototypes). The first comments, not the
-- most liked: a re-crawl with new comments then leaves the evidence, and so the fitted topics, unchanged. Also each
-- codebook theme's English and Chinese description (as written in the seed), so that they are embedded once, in
-- the embedding stage, like any other text.
with

crawl_posts as (

    select
        'crawl' as evidence_source,
        'post' as evidence_kind,
        note_id,
        note_id as record_id,
        post_text as text,
        post_text_hash as text_hash
    from {{ ref('int_notes_kept') }}

),

crawl_comments as (

    select
        'crawl' as evidence_source,
        'comment' as evidence_kind,
        note_id,
        comment_id as record_id,
        content as text,
        content_hash as text_hash
    from {{ ref('int_comments_kept') }}
    qualify row_number() over (partition by note_id order by commented_at asc, comment_id asc) <= 30

),

gold_posts as (

    select
        'gold' as evidence_source,
        'post' as evidence_kind,
        theme as gold_theme,
        note_id,
        note_id as record_id,
        post_text as text,
        post_text_hash as text_hash
    from {{ ref('stg_gold__post_labels') }}
    where split = 'train'

),

gold_comments as (

    select
        'gold' as evidence_source,
        'comment' as evidence_kind,
        comments.note_id,
        comments.comment_id as record_id,
        comments.content as text,
        comments.content_hash as text_hash
    from {{ ref('stg_gold__comment_labels') }} as comments
    inner join gold_posts on comments.note_id = gold_posts.note_id
    qualify row_number() over (partition by comments.note_id order by comments.comment_id) <= 30

),

descriptions as (

    select
        theme,
        'description_en' as evidence_kind,
        description_en as text
    from {{ ref('codebook_themes') }}
    union all
    select
        theme,
        'description_zh' as evidence_kind,
        description_zh as text
    from {{ ref('codebook_themes') }}

),

codebook as (

    select
        'codebook' as evidence_source,
        evidence_kind,
        theme as gold_theme,
        theme as record_id,
        text,
        {{ text_hash('text') }} as text_hash
    from descriptions

),

-- By name: each part has the columns it knows, the others are NULL (gold_theme on crawl rows, say).
unioned as (

    select * from crawl_posts
    union all by name
    select * from crawl_comments
    union all by name
    select * from gold_posts
    union all by name
    select * from gold_comments
    union all by name
    select * from codebook

),

final as (

    select
        evidence_source || ':' || evidence_kind || ':' || record_id as evidence_key,
        evidence_source,
        evidence_kind,
        note_id,
        record_id,
        text,
        text_hash,
        gold_theme
    from unioned

)

select * from final
