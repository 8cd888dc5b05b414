"""Inferred identity (opt-in, var infer_identity): held-out-author evaluation rows and labels for the comments whose
identity is still unknown (rednote_affect/identity.py). With the var off it is empty and reads nothing."""

import numpy as np
import pyarrow.compute as pc

from rednote_affect.identity import empty_output, infer_identities
from rednote_affect.inference import current_embeddings, embedding_matrix, is_enabled


def model(dbt, session):
    dbt.config(materialized="table")
    config = dbt.config.get("inference_settings")
    if not is_enabled(config["infer_identity"]):
        return empty_output()
    backend, model_name = config["embedding_backend"], config["embedding_model"] or None
    comments = dbt.ref("int_comments_kept")
    embeddings = current_embeddings(dbt.ref("int_text_embeddings"), backend, model_name)
    joined = (
        comments.join(
            embeddings.select("text_hash as embedded_hash, embedding"),
            "content_hash = embedded_hash",
            how="left",
        )
        .select("comment_id, author_key, content, identity, identity_source, embedding")
        .order("comment_id")
    )
    table = joined.to_arrow_table()
    frame = table.drop_columns(["embedding"]).to_pandas()
    # A comment whose text has no stored vector (another classifier backend) gets zeros.
    present = pc.is_valid(table["embedding"]).to_numpy(zero_copy_only=False)
    vectors = None
    if present.any():
        stored = embedding_matrix(table.filter(pc.is_valid(table["embedding"])))
        vectors = np.zeros((table.num_rows, stored.shape[1]), dtype=np.float32)
        vectors[present] = stored
    return infer_identities(frame, vectors, embedding_model=f"{backend}:{model_name or ''}")
