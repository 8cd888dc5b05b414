-- Classified comments counted per (theme, stance, identity, emotion) over the full codebook grid, zero cells
-- included; each comment counts under its own identity and under "all".
with

comments as (

    select * from {{ ref('int_comments_labeled') }}
    where {{ counts_in_theme_statistics() }}

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

final as (

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

)

select * from final
