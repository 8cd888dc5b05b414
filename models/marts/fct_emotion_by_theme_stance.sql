with

cells as (

    select * from {{ ref('int_emotion_cells_counted') }}

),

totals as (

    select
        *,
        sum(comment_count) over (partition by theme, stance, identity) as stance_identity_total,
        sum(comment_count) over (partition by theme, identity, emotion) as theme_emotion_count,
        sum(comment_count) over (partition by theme, identity) as theme_identity_total
    from cells

),

final as (

    select
        theme || ':' || stance || ':' || identity || ':' || emotion as emotion_cell_key,
        theme,
        stance,
        identity,
        emotion,
        emotion_valence,
        comment_count,
        stance_identity_total,
        {{ safe_divide('comment_count', 'stance_identity_total') }} as share_within_stance,
        {{ wilson_bound('comment_count', 'stance_identity_total', 'lower') }} as share_within_stance_lower,
        {{ wilson_bound('comment_count', 'stance_identity_total', 'upper') }} as share_within_stance_upper,
        theme_emotion_count,
        theme_identity_total,
        {{ safe_divide('theme_emotion_count', 'theme_identity_total') }} as share_within_theme,
        {{ wilson_bound('theme_emotion_count', 'theme_identity_total', 'lower') }} as share_within_theme_lower,
        {{ wilson_bound('theme_emotion_count', 'theme_identity_total', 'upper') }} as share_within_theme_upper
    from totals

)

select * from final
