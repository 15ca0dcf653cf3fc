"""Finding the ``rewardbits`` binary (the engine every number comes from)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Optional

from .errors import RewardBitsError

BUILD_HINT = (
    "build it with `scripts/rewardbits --version` (or `swift build -c release`) in the RewardBits "
    "checkout, then put .build/release on PATH or set REWARDBITS_BIN"
)


def find_binary(binary: Optional[str] = None) -> str:
    """The path of the ``rewardbits`` executable.

    Looked up, in order: ``binary`` (an explicit path), ``$REWARDBITS_BIN``, ``PATH``, then
    ``.build/release/rewardbits`` in the current folder or any folder above it. The package
    installs no console script named ``rewardbits``, so ``PATH`` finds the engine itself.

    Raises:
        RewardBitsError: when none is found (the message says how to build it).
    """
    for label, candidate in (("binary=", binary), ("REWARDBITS_BIN", os.environ.get("REWARDBITS_BIN"))):
        if candidate:
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
            raise RewardBitsError(f"{label} {candidate} is not an executable file; {BUILD_HINT}")
    on_path = shutil.which("rewardbits")
    if on_path:
        return on_path
    folder = Path.cwd().resolve()
    for parent in (folder, *folder.parents):
        candidate = parent / ".build" / "release" / "rewardbits"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise RewardBitsError(f"cannot find the rewardbits binary; {BUILD_HINT}")
