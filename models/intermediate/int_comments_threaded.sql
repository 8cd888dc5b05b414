-- Each kept comment's thread root, found by walking parent_comment_id (the comment directly replied to) upwards
-- within the comment's own note. The walk stops short, and thread_issue says why, when a parent:
--   parent_not_crawled       was never crawled: the root is the topmost ancestor that was;
--   parent_under_other_note  sits under another note: the root is the last ancestor under this note;
--   parent_cycle             closes a cycle (a corrupt crawl): each comment on the cycle is its own root, and a
--                            reply leading into the cycle has the first cycle comment it reaches as its root.
with recursive

comments as (

    select
        comment_id,
        note_id,
        parent_comment_id
    from {{ ref('int_comments_kept') }}

),

walk as (

    select
        comment_id,
        note_id,
        comment_id as ancestor_id,
        parent_comment_id as ancestor_parent_id,
        0 as reply_depth,
        [comment_id] as path
    from comments

    union all

    select
        walk.comment_id,
        walk.note_id,
        parents.comment_id as ancestor_id,
        parents.parent_comment_id as ancestor_parent_id,
        walk.reply_depth + 1 as reply_depth,
        list_append(walk.path, parents.comment_id) as path
    from walk
    inner join comments as parents
        on
            walk.ancestor_parent_id = parents.comment_id
            and walk.note_id = parents.note_id
    where not list_contains(walk.path, parents.comment_id)

),

topmost as (

    select
        comment_id,
        arg_max(ancestor_id, reply_depth) as topmost_ancestor_id,
        arg_max_null(ancestor_parent_id, reply_depth) as topmost_parent_id,
        arg_max(path, reply_depth) as path,
        max(reply_depth) as walked_depth
    from walk
    group by comment_id

),

classified as (

    select
        topmost.comment_id,
        topmost.topmost_ancestor_id,
        topmost.topmost_parent_id,
        topmost.walked_depth,
        list_position(topmost.path, topmost.topmost_parent_id) as cycle_entry_position,
        case
            when topmost.topmost_parent_id is null then null
            when list_contains(topmost.path, topmost.topmost_parent_id) then 'parent_cycle'
            when parents.comment_id is not null then 'parent_under_other_note'
            else 'parent_not_crawled'
        end as thread_issue
    from topmost
    left join comments as parents on topmost.topmost_parent_id = parents.comment_id

),

final as (

    select
        comment_id,
        case
            when thread_issue = 'parent_cycle' then topmost_parent_id
            else topmost_ancestor_id
        end as thread_root_comment_id,
        case
            when thread_issue = 'parent_cycle' then cycle_entry_position - 1
            else walked_depth
        end as reply_depth,
        coalesce(thread_issue = 'parent_not_crawled', false) as is_thread_root_missing,
        thread_issue
    from classified

)

select * from final
