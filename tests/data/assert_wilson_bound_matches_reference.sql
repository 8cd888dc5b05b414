-- The wilson_bound macro against reference values (statsmodels' proportion_confint, method="wilson"): k
-- successes of n, 95%.
with

reference as (

    select
        cases.successes,
        cases.total,
        cases.expected_lower,
        cases.expected_upper
    from (
        values
        (8, 10, 0.49016247153664183, 0.9433178485456247),
        (0, 5, 0.0, 0.43448246478317476),
        (5, 5, 0.5655175352168251, 1.0),
        (1, 3, 0.06149194472039621, 0.7923403991979522)
    ) as cases (successes, total, expected_lower, expected_upper)

),

computed as (

    select
        *,
        {{ wilson_bound('successes', 'total', 'lower') }} as lower_bound,
        {{ wilson_bound('successes', 'total', 'upper') }} as upper_bound
    from reference

)

select
    successes,
    total,
    lower_bound,
    upper_bound
from computed
where abs(lower_bound - expected_lower) > 1e-9 or abs(upper_bound - expected_upper) > 1e-9
