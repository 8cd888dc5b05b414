{#-
  Bounds of the 95% Wilson score interval for a proportion of `successes` out of `total`:
  (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), z = 1.959964. NULL when total is 0.
-#}
{% macro wilson_bound(successes, total, side) -%}
    {%- set z = 1.959963984540054 -%}
    {%- set sign = '-' if side == 'lower' else '+' -%}
    case
        when {{ total }} > 0 then
            (
                ({{ successes }}) / ({{ total }})::double + {{ z * z }} / (2.0 * ({{ total }}))
                {{ sign }} {{ z }} * sqrt(
                    ({{ successes }}) / ({{ total }})::double * (1 - ({{ successes }}) / ({{ total }})::double) / ({{ total }})
                    + {{ z * z }} / (4.0 * ({{ total }}) * ({{ total }}))
                )
            ) / (1 + {{ z * z }} / ({{ total }}))
    end
{%- endmacro %}
