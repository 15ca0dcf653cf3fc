"""Tests run against the real binary: $REWARDBITS_BIN, else the repository's release build."""
import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[2]
BUILT = ROOT / ".build" / "release" / "rewardbits"


@pytest.fixture(autouse=True, scope="session")
def _binary():
    if not os.environ.get("REWARDBITS_BIN"):
        if not BUILT.is_file():
            pytest.exit(f"no rewardbits binary: run `swift build -c release` in {ROOT} or set REWARDBITS_BIN", 2)
        os.environ["REWARDBITS_BIN"] = str(BUILT)
    yield
