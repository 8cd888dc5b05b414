"""No text of the external labeled corpora (../shared/external) may enter this repository.

They are for measuring only (`make validate`): not in seeds, fixtures, commits or a shipped model. This test
reads every record of every corpus file there and asks git for any tracked file holding one of them.
"""

import shutil
import subprocess

import pytest

from rednote_affect.labeled_corpora import external_texts

MIN_LENGTH = 25  # shorter texts ("Thank you so much!") can be written independently


def test_external_texts_are_read_from_every_corpus_file(repo) -> None:
    external = repo.parent / "shared" / "external"
    if not external.is_dir():
        pytest.skip(f"{external} is absent: no external corpora to check against")
    texts = external_texts(external)
    assert len(texts) > 1000, "the external corpora should yield their records' texts"


def test_no_tracked_file_contains_external_text(repo, tmp_path) -> None:
    external = repo.parent / "shared" / "external"
    if not external.is_dir():
        pytest.skip(f"{external} is absent: no external corpora to check against")
    if shutil.which("git") is None or not (repo / ".git").exists():
        pytest.skip("not a git checkout")
    patterns = tmp_path / "patterns.txt"
    texts = sorted({text for text in external_texts(external) if len(text) >= MIN_LENGTH})
    patterns.write_text("\n".join(texts) + "\n", encoding="utf-8")
    found = subprocess.run(
        ["git", "grep", "-l", "-F", "-f", str(patterns), "--", "."], cwd=repo, capture_output=True, text=True
    )
    assert found.returncode in (0, 1), found.stderr
    assert found.stdout == "", f"tracked files contain external corpus text: {found.stdout.split()[:5]}"


def test_the_check_finds_a_planted_line(repo, tmp_path) -> None:
    """The same grep, on a scratch repository holding one external line, finds it (the test can fail)."""
    external = repo.parent / "shared" / "external"
    if not external.is_dir():
        pytest.skip(f"{external} is absent: no external corpora to check against")
    texts = sorted(text for text in external_texts(external) if len(text) >= MIN_LENGTH)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=scratch, check=True)
    planted = texts[len(texts) // 2]
    (scratch / "seed.csv").write_text(f"comment_id,content\nc1,{planted}\n", encoding="utf-8")
    subprocess.run(["git", "add", "seed.csv"], cwd=scratch, check=True)
    patterns = tmp_path / "patterns.txt"
    patterns.write_text("\n".join(texts) + "\n", encoding="utf-8")
    found = subprocess.run(
        ["git", "grep", "-l", "-F", "-f", str(patterns), "--", "."],
        cwd=scratch,
        capture_output=True,
        text=True,
    )
    assert found.stdout.split() == ["seed.csv"]
