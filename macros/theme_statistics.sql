{#- The polarization statistics of fct_theme_polarization, shared with fct_headline_findings. -#}

{#- Which comments the theme statistics count (int_emotion_cells_counted, fct_theme_polarization): classified
    ones under a post with a theme. -#}
{% macro counts_in_theme_statistics() -%}
    classification_status = 'ok' and theme is not null
{%- endmacro %}

{#- Stance polarization: population variance of stance position (pro_china +1, neutral 0, pro_foreign −1).
    An aggregate over the comments; it takes its rows sorted, so that the floating-point result does not depend on
    the order rows arrive in. -#}
{% macro stance_polarization(stance_position) -%}
    var_pop({{ stance_position }} order by {{ stance_position }})
{%- endmacro %}

{#- Normalized Shannon entropy, −Σ p·ln p / ln k: an aggregate over one row per category present (share p > 0),
    out of `category_count` (k) categories. 1 when all are equally common, 0 when one is all. Summed in
    `order_by` (the category), so that the floating-point result does not depend on the order rows arrive in. -#}
{% macro normalized_entropy(share, category_count, order_by) -%}
    -sum({{ share }} * ln({{ share }}) order by {{ order_by }}) / ln({{ category_count }})
{%- endmacro %}
