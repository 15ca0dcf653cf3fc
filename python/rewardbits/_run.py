"""Running the binary: options from keyword arguments, progress, errors."""
from __future__ import annotations

import json
import subprocess
import threading
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ._binary import find_binary
from .errors import RewardBitsError


def option_words(options: Mapping[str, Any]) -> List[str]:
    """``vocab=1024, target_halfwidth=1e-5, histogram=True`` -> ``--vocab 1024 ...``.

    Underscores become hyphens; True gives a bare flag, False and None leave the option
    out; a list or tuple becomes a comma-separated list (what ``sweep`` varies).
    """
    words: List[str] = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            words.append(flag)
        elif isinstance(value, (list, tuple)):
            words += [flag, ",".join(_text(v) for v in value)]
        else:
            words += [flag, _text(value)]
    return words


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(value)


def _progress_bar(enabled: Optional[bool]):
    """A tqdm bar factory, or None (tqdm missing or progress off)."""
    if enabled is False:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if enabled:
            raise RewardBitsError("progress=True needs tqdm (pip install tqdm)")
        return None
    return tqdm


def run(arguments: Sequence[str], *, binary: Optional[str] = None, progress: Optional[bool] = None,
        description: str = "") -> str:
    """Runs ``rewardbits ARGUMENTS`` and returns its stdout.

    With progress (tqdm installed and ``progress`` not False) the command is asked for
    ``--progress=json`` and its progress objects drive a tqdm bar; every other stderr line
    is kept for the error message.

    Raises:
        RewardBitsError: on a non-zero exit, with the command's last stderr line.
    """
    executable = find_binary(binary)
    bar_type = _progress_bar(progress)
    command = [executable, *arguments]
    if bar_type is not None and arguments and arguments[0] in ("estimate", "sweep"):
        command.append("--progress=json")
    else:
        bar_type = None
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except OSError as error:
        raise RewardBitsError(f"cannot run {executable}: {error}") from error
    other_lines: List[str] = []
    state: Dict[str, Any] = {"bar": None, "total": None}

    def read_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith('{"progress"'):
                if bar_type is None:
                    continue
                try:
                    _advance(state, bar_type, json.loads(line)["progress"], description)
                except Exception:  # a progress bar must never stop stderr from being read
                    continue
            else:
                other_lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    assert process.stdout is not None
    try:
        stdout = process.stdout.read()
        process.wait()
    finally:
        # Ctrl-C in a notebook: stop the engine rather than leave it on every core.
        if process.poll() is None:
            process.kill()
            process.wait()
    reader.join()
    if state["bar"] is not None:
        state["bar"].close()
    if process.returncode != 0:
        lines = [line for line in other_lines if line.strip()]
        message = lines[-1] if lines else f"rewardbits exited with status {process.returncode}"
        raise RewardBitsError(message, exit_code=process.returncode, stderr="\n".join(other_lines))
    # What the command says beside its output (warnings, a merge's advice on
    # the blocks still to run) becomes Python warnings.
    for line in other_lines:
        if line.startswith("rewardbits:"):
            import warnings

            warnings.warn(line, stacklevel=3)
    return stdout


def _advance(state: Dict[str, Any], bar_type: Any, report: Mapping[str, Any], description: str) -> None:
    total = report.get("total")
    if state["bar"] is None or state["total"] != total:
        if state["bar"] is not None:
            state["bar"].close()
        state["bar"] = bar_type(total=total, unit="samples", unit_scale=True, desc=description or None, leave=False)
        state["total"] = total
    bar = state["bar"]
    bar.update(max(0, int(report.get("samples", 0)) - bar.n))
    halfwidth = report.get("halfwidth")
    if halfwidth is not None:
        target = report.get("target")
        bar.set_postfix_str(f"CI +-{halfwidth:.3g}" + (f" (target {target:.3g})" if target else ""), refresh=False)


def run_json(arguments: Sequence[str], **keywords: Any) -> Any:
    """Runs the command with ``--json`` and parses its output."""
    stdout = run([*arguments, "--json"], **keywords)
    try:
        return json.loads(stdout)
    except ValueError as error:
        raise RewardBitsError(f"rewardbits printed no JSON: {stdout[:200]!r}") from error
