with

comments as (

    select * from {{ ref('fct_comments') }}
    where {{ counts_in_theme_statistics() }}

),

themes as (

    select theme from {{ ref('codebook_themes') }}

),

stances as (

    select
        stance,
        stance_position
    from {{ ref('codebook_stances') }}

),

emotions as (

    select
        emotion,
        valence_score
    from {{ ref('codebook_emotions') }}

),

emotion_count as (

    select count(*) as emotion_count from emotions

),

scored as (

    select
        comments.theme,
        comments.stance,
        comments.emotion,
        comments.emotion_valence,
        stances.stance_position,
        emotions.valence_score
    from comments
    inner join stances on comments.stance = stances.stance
    inner join emotions on comments.emotion = emotions.emotion

),

per_theme as (

    select
        theme,
        count(*) as comment_count,
        avg(case when stance = 'pro_china' then 1 else 0 end) as pro_china_share,
        avg(case when stance = 'neutral' then 1 else 0 end) as neutral_share,
        avg(case when stance = 'pro_foreign' then 1 else 0 end) as pro_foreign_share,
        avg(stance_position) as mean_stance_position,
        -- Floating-point aggregates take their rows sorted, so that the result does not depend on row order.
        {{ stance_polarization('stance_position') }} as stance_polarization,
        avg(valence_score) as mean_valence,
        var_pop(valence_score order by valence_score) as affective_polarization,
        avg(case when emotion_valence = 'positive' then 1 else 0 end) as positive_share,
        avg(case when emotion_valence = 'negative' then 1 else 0 end) as negative_share,
        avg(case when emotion_valence = 'neutral' then 1 else 0 end) as neutral_valence_share
    from scored
    group by theme

),

emotion_shares as (

    select
        theme,
        emotion,
        count(*) / sum(count(*)) over (partition by theme) as emotion_share
    from scored
    group by theme, emotion

),

entropy as (

    select
        emotion_shares.theme,
        {{ normalized_entropy(
            'emotion_shares.emotion_share', 'any_value(emotion_count.emotion_count)', 'emotion_shares.emotion'
        ) }}
            as emotion_entropy_normalized
    from emotion_shares
    cross join emotion_count
    group by emotion_shares.theme

),

final as (

    select
        themes.theme,
        coalesce(per_theme.comment_count, 0) as comment_count,
        per_theme.pro_china_share,
        per_theme.neutral_share,
        per_theme.pro_foreign_share,
        per_theme.mean_stance_position,
        per_theme.stance_polarization,
        per_theme.mean_valence,
        per_theme.affective_polarization,
        per_theme.positive_share,
        per_theme.negative_share,
        per_theme.neutral_valence_share,
        entropy.emotion_entropy_normalized,
        case
            when per_theme.stance_polarization is not null
                then rank() over (order by per_theme.stance_polarization desc nulls last)
        end as polarization_rank
    from themes
    left join per_theme on themes.theme = per_theme.theme
    left join entropy on themes.theme = entropy.theme

)

select * from final
