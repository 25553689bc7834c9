from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tiny_model import build_tiny_model  # noqa: E402


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A model folder with a window of 16 tokens, so ordinary sentences need several windows."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))
