from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def fixture_crawl() -> Path:
    return REPO / "tests" / "fixtures" / "crawl_mixed"
