{#- A comment's selected label as the marts show it, read through left joins of int_comment_labels_selected
    (`labels`) and codebook_emotions (`emotions`): 'unclassified' where no label was selected. -#}
{% macro selected_label_columns(labels, emotions) -%}
    coalesce({{ labels }}.emotion, 'unclassified') as emotion,
        coalesce({{ emotions }}.valence, 'unclassified') as emotion_valence,
        coalesce({{ labels }}.stance, 'unclassified') as stance,
        {{ labels }}.emotion_confidence,
        {{ labels }}.stance_confidence,
        {{ labels }}.classifier_backend,
        {{ labels }}.classifier_model,
        {{ labels }}.classifier_version
{%- endmacro %}
