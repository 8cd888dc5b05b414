-- Each kept comment's thread root, found by walking parent_comment_id (the comment directly replied to) upwards.
-- A reply whose parent was never crawled keeps the topmost ancestor that was, and is flagged.
with recursive

comments as (

    select
        comment_id,
        parent_comment_id
    from {{ ref('int_comments_kept') }}

),

walk as (

    select
        comment_id,
        comment_id as ancestor_id,
        parent_comment_id as ancestor_parent_id,
        0 as reply_depth
    from comments

    union all

    select
        walk.comment_id,
        parents.comment_id as ancestor_id,
        parents.parent_comment_id as ancestor_parent_id,
        walk.reply_depth + 1 as reply_depth
    from walk
    inner join comments as parents on walk.ancestor_parent_id = parents.comment_id
    -- The bound stops a corrupt crawl with a parent cycle from walking forever.
    where walk.reply_depth < 64

),

topmost as (

    select
        comment_id,
        arg_max(ancestor_id, reply_depth) as thread_root_comment_id,
        arg_max_null(ancestor_parent_id, reply_depth) as root_parent_comment_id,
        max(reply_depth) as reply_depth
    from walk
    group by comment_id

),

final as (

    select
        comment_id,
        thread_root_comment_id,
        reply_depth,
        root_parent_comment_id is not null as is_thread_root_missing
    from topmost

)

select * from final
