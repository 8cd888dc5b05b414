with

comments as (

    select * from {{ ref('fct_comments') }}
    where classification_status = 'ok' and theme is not null

),

themes as (

    select theme from {{ ref('codebook_themes') }}

),

stances as (

    select stance from {{ ref('codebook_stances') }}

),

emotions as (

    select
        emotion,
        valence
    from {{ ref('codebook_emotions') }}

),

identities as (

    select identity from {{ ref('codebook_identities') }}
    union all
    select 'all' as identity

),

-- Each comment counts once under its own identity and once under "all".
comments_by_identity as (

    select
        theme,
        stance,
        emotion,
        identity
    from comments
    union all
    select
        theme,
        stance,
        emotion,
        'all' as identity
    from comments

),

counted as (

    select
        theme,
        stance,
        identity,
        emotion,
        count(*) as comment_count
    from comments_by_identity
    group by all

),

grid as (

    select
        themes.theme,
        stances.stance,
        identities.identity,
        emotions.emotion,
        emotions.valence as emotion_valence
    from themes
    cross join stances
    cross join identities
    cross join emotions

),

cells as (

    select
        grid.*,
        coalesce(counted.comment_count, 0) as comment_count
    from grid
    left join counted
        on
            grid.theme = counted.theme
            and grid.stance = counted.stance
            and grid.identity = counted.identity
            and grid.emotion = counted.emotion

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
