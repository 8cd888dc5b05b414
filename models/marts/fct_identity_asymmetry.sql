with

cells as (

    select * from {{ ref('fct_emotion_by_theme_stance') }}
    where identity in ('chinese', 'foreign')

),

per_emotion as (

    select
        theme,
        emotion,
        sum(comment_count) filter (where identity = 'chinese') as chinese_count,
        sum(comment_count) filter (where identity = 'foreign') as foreign_count
    from cells
    group by theme, emotion

),

shares as (

    select
        *,
        {{ safe_divide('chinese_count', 'sum(chinese_count) over (partition by theme)') }} as chinese_share,
        {{ safe_divide('foreign_count', 'sum(foreign_count) over (partition by theme)') }} as foreign_share
    from per_emotion

),

-- Jensen-Shannon divergence (base 2, between 0 and 1) of the two emotion distributions of a theme:
-- JSD = 1/2 KL(P || M) + 1/2 KL(Q || M), M = (P + Q) / 2, with 0 log 0 = 0.
divergence_terms as (

    select
        *,
        (chinese_share + foreign_share) / 2 as mixture_share
    from shares

),

divergence as (

    -- NULL when either group has no comments in the theme: there is no distribution to compare. The sums run in
    -- emotion order, so that the floating-point result does not depend on the order rows arrive in.
    select
        theme,
        case
            when sum(chinese_count) > 0 and sum(foreign_count) > 0
                then
                    0.5 * sum(
                        case when chinese_share > 0 then chinese_share * log2(chinese_share / mixture_share) else 0 end
                        order by emotion
                    )
                    + 0.5 * sum(
                        case when foreign_share > 0 then foreign_share * log2(foreign_share / mixture_share) else 0 end
                        order by emotion
                    )
        end as js_divergence
    from divergence_terms
    group by theme

),

final as (

    select
        shares.theme || ':' || shares.emotion as theme_emotion_key,
        shares.theme,
        shares.emotion,
        shares.chinese_count,
        shares.chinese_share,
        shares.foreign_count,
        shares.foreign_share,
        shares.chinese_share - shares.foreign_share as share_difference,
        divergence.js_divergence
    from shares
    inner join divergence on shares.theme = divergence.theme

)

select * from final
