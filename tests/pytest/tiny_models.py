"""Tiny random BERT checkpoints for the tests (nothing is downloaded): a WordPiece vocabulary and a config."""

from pathlib import Path

# BERT's WordPiece special tokens, first in every tiny vocabulary.
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def save_tiny_bert(
    directory: Path,
    vocabulary: list[str],
    model_class,
    sizes: tuple[int, int, int, int],
    adjust=None,
    **options,
) -> None:
    """Save a randomly initialized `model_class` (a transformers BERT class) and its WordPiece tokenizer.

    sizes: (hidden size, layers, intermediate size, positions), with two attention heads; `options` go to the
    config; adjust(model), when given, changes the weights before they are saved."""
    import transformers

    directory.mkdir(parents=True, exist_ok=True)
    vocabulary_file = directory / "vocab.txt"
    vocabulary_file.write_text("\n".join(vocabulary) + "\n", encoding="utf-8")
    hidden_size, layers, intermediate_size, positions = sizes
    config = transformers.BertConfig(
        vocab_size=len(vocabulary),
        hidden_size=hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=intermediate_size,
        max_position_embeddings=positions,
        **options,
    )
    model = model_class(config)
    if adjust is not None:
        adjust(model)
    model.save_pretrained(directory)
    transformers.BertTokenizer(str(vocabulary_file)).save_pretrained(directory)
