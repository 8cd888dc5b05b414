-- The study's headline findings, each computed twice: over every classified comment (label_scope 'all') and
-- over the confidently labeled ones only ('confident': emotion and stance confidence both at least the
-- confident_label_threshold var). A finding names a subject (a theme or a stance) that should lead every other
-- candidate on a metric; finding_holds says whether it strictly leads the runner-up.
with

comments as (

    select * from {{ ref('fct_comments') }}
    where classification_status = 'ok'

),

stances as (

    select
        stance,
        stance_position
    from {{ ref('codebook_stances') }}

),

emotion_count as (

    select count(*) as emotion_count from {{ ref('codebook_emotions') }}

),

findings as (

    select
        finding_definitions.finding_key,
        finding_definitions.finding,
        finding_definitions.subject,
        finding_definitions.metric
    from (
        values
        ('culture_pride_praise', 'Pride and praise dominate cultural threads', 'culture', 'pride_praise_share'),
        (
            'politics_contempt_anger',
            'Politics draws the most contempt and anger',
            'politics',
            'contempt_anger_share'
        ),
        ('politics_most_polarized', 'Politics is the most polarized theme', 'politics', 'stance_polarization'),
        (
            'appearance_most_balanced',
            'Appearance posts draw the most balanced emotions',
            'appearance',
            'emotion_entropy_normalized'
        ),
        ('pro_foreign_most_negative', 'Pro-foreign commenters are the most negative', 'pro_foreign', 'negative_share')
    ) as finding_definitions (finding_key, finding, subject, metric)

),

scopes as (

    select 'all' as label_scope
    union all
    select 'confident' as label_scope

),

scoped as (

    select
        scopes.label_scope,
        comments.theme,
        comments.emotion,
        comments.emotion_valence,
        comments.stance,
        stances.stance_position
    from comments
    inner join stances on comments.stance = stances.stance
    inner join scopes
        on
            scopes.label_scope = 'all'
            or (
                comments.emotion_confidence >= {{ var('confident_label_threshold') }}
                and comments.stance_confidence >= {{ var('confident_label_threshold') }}
            )

),

per_theme as (

    select
        label_scope,
        theme,
        count(*) as comment_count,
        avg(case when emotion in ('pride', 'praise') then 1.0 else 0.0 end) as pride_praise_share,
        avg(case when emotion in ('contempt', 'anger') then 1.0 else 0.0 end) as contempt_anger_share,
        {{ stance_polarization('stance_position') }} as stance_polarization
    from scoped
    where theme is not null
    group by label_scope, theme

),

theme_emotion_shares as (

    select
        label_scope,
        theme,
        emotion,
        count(*) / sum(count(*)) over (partition by label_scope, theme) as emotion_share
    from scoped
    where theme is not null
    group by label_scope, theme, emotion

),

theme_entropy as (

    select
        theme_emotion_shares.label_scope,
        theme_emotion_shares.theme,
        {{ normalized_entropy(
            'theme_emotion_shares.emotion_share',
            'any_value(emotion_count.emotion_count)',
            'theme_emotion_shares.emotion'
        ) }}
            as emotion_entropy_normalized
    from theme_emotion_shares
    cross join emotion_count
    group by theme_emotion_shares.label_scope, theme_emotion_shares.theme

),

per_stance as (

    select
        label_scope,
        stance,
        count(*) as comment_count,
        avg(case when emotion_valence = 'negative' then 1.0 else 0.0 end) as negative_share
    from scoped
    group by label_scope, stance

),

-- One row per (scope, metric, candidate): the themes for the theme metrics, the stances for negative_share.
candidates as (

    select
        label_scope,
        'pride_praise_share' as metric,
        theme as candidate,
        comment_count,
        pride_praise_share as metric_value
    from per_theme
    union all
    select
        label_scope,
        'contempt_anger_share' as metric,
        theme as candidate,
        comment_count,
        contempt_anger_share as metric_value
    from per_theme
    union all
    select
        label_scope,
        'stance_polarization' as metric,
        theme as candidate,
        comment_count,
        stance_polarization as metric_value
    from per_theme
    union all
    select
        per_theme.label_scope,
        'emotion_entropy_normalized' as metric,
        per_theme.theme as candidate,
        per_theme.comment_count,
        theme_entropy.emotion_entropy_normalized as metric_value
    from per_theme
    inner join theme_entropy
        on per_theme.label_scope = theme_entropy.label_scope and per_theme.theme = theme_entropy.theme
    union all
    select
        label_scope,
        'negative_share' as metric,
        stance as candidate,
        comment_count,
        negative_share as metric_value
    from per_stance

),

compared as (

    select
        findings.finding_key,
        findings.subject,
        candidates.*
    from findings
    inner join candidates on findings.metric = candidates.metric

),

subjects as (

    select
        label_scope,
        finding_key,
        metric_value as subject_value,
        comment_count as subject_comment_count
    from compared
    where candidate = subject

),

-- The highest other candidate; ties go to the first in alphabetical order.
runners_up as (

    select
        label_scope,
        finding_key,
        candidate as runner_up_subject,
        metric_value as runner_up_value
    from compared
    where candidate != subject and metric_value is not null
    qualify row_number() over (partition by label_scope, finding_key order by metric_value desc, candidate asc) = 1

),

compared_counts as (

    select
        label_scope,
        finding_key,
        sum(comment_count)::bigint as comment_count
    from compared
    group by label_scope, finding_key

),

final as (

    select
        findings.finding_key || ':' || scopes.label_scope as headline_finding_key,
        findings.finding_key,
        findings.finding,
        scopes.label_scope,
        findings.subject,
        findings.metric,
        subjects.subject_value,
        runners_up.runner_up_subject,
        runners_up.runner_up_value,
        case
            when subjects.subject_value is null then false
            when runners_up.runner_up_value is null then true
            else subjects.subject_value > runners_up.runner_up_value
        end as finding_holds,
        coalesce(subjects.subject_comment_count, 0) as subject_comment_count,
        coalesce(compared_counts.comment_count, 0) as comment_count,
        {{ var('confident_label_threshold') }}::double as confident_label_threshold
    from findings
    cross join scopes
    left join subjects on findings.finding_key = subjects.finding_key and scopes.label_scope = subjects.label_scope
    left join runners_up
        on findings.finding_key = runners_up.finding_key and scopes.label_scope = runners_up.label_scope
    left join compared_counts
        on findings.finding_key = compared_counts.finding_key and scopes.label_scope = compared_counts.label_scope

)

select * from final
