with

tested as (

    select * from {{ ref('int_emotion_stance_association_tested') }}

),

final as (

    select
        theme || ':' || emotion || ':' || stance as association_cell_key,
        theme,
        emotion,
        stance,
        observed_count,
        expected_count,
        adjusted_residual,
        theme_comment_count,
        chi_square,
        degrees_of_freedom,
        p_value,
        cramers_v,
        low_expected_share,
        is_low_expected
    from tested

)

select * from final
