-- int_comments_labeled, published; the enforced contract in _marts__models.yml lists its columns.
with

comments as (

    select * from {{ ref('int_comments_labeled') }}

)

select * from comments  -- noqa: AM04
