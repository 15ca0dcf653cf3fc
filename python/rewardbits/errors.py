"""The one exception the package raises."""
from __future__ import annotations

from typing import Optional


class RewardBitsError(Exception):
    """A failed ``rewardbits`` command, or no binary to run.

    ``str(error)`` is the command's one line on stderr (e.g.
    ``rewardbits: error: --vocab must be at least 2 (got 1)``); ``exit_code`` is its exit
    status (64 bad input, 65 corrupted or foreign data, 73 cannot write, 130 interrupted),
    or None when the command could not be started.
    """

    def __init__(self, message: str, exit_code: Optional[int] = None, stderr: str = "") -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.stderr = stderr
