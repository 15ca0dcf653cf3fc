"""RewardBits from Python: how many bits of information RL feedback carries.

Every number comes from the ``rewardbits`` binary (the Swift engine); this package runs it,
shows progress, and returns Python objects. See ``estimate``, ``exact``, ``sweep``,
``reproduce``, ``shard`` and ``merge``, and ``rewardbits.plot`` for figures.

Models: J. Hernandez, "Simple Information-Theoretic Bounds for RL vs. SFT in Verifiable
Tasks" (2025).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

from ._binary import find_binary
from ._run import option_words, run, run_json
from .errors import RewardBitsError
from .result import Result, row

__all__ = ["estimate", "exact", "sweep", "reproduce", "shard", "merge", "missing_shards", "Result",
           "RewardBitsError", "find_binary", "CHANNELS"]
__version__ = "0.1.0"

CHANNELS = ("single", "group", "token", "sft", "gradient", "learner")


def _check_channel(channel: str) -> None:
    if channel not in CHANNELS:
        raise RewardBitsError(f"unknown channel '{channel}': choose one of {', '.join(CHANNELS)}", exit_code=64)


def estimate(channel: str, *, binary: Optional[str] = None, progress: Optional[bool] = None,
             **options: Any) -> Result:
    """Estimates a channel's information by Monte Carlo, with a confidence interval.

    Args:
        channel: ``single``, ``group``, ``token``, ``sft``, ``gradient`` or ``learner``.
        binary: the ``rewardbits`` executable (default: found, see ``find_binary``).
        progress: a tqdm bar while it runs (default: when tqdm is installed).
        **options: the command's options, ``_`` for ``-``: ``vocab=1024, group=32,
            prompts=10**6, prior="zipf:1.1", target_halfwidth=1e-5, seed=7``.

    Example:
        >>> r = rewardbits.estimate("group", vocab=1024, group=32, prompts=10**6)
        >>> r.estimate, r.ci, r.exact
    """
    _check_channel(channel)
    data = run_json(["estimate", channel, *option_words(options)], binary=binary, progress=progress,
                    description=channel)
    return Result.from_json(data)


def exact(channel: str, *, binary: Optional[str] = None, **options: Any) -> Optional[float]:
    """The channel's exact information in bits (None where no exact value is known).

    Takes the model's options of ``estimate`` (no sample count).
    """
    _check_channel(channel)
    data = run_json(["exact", channel, *option_words(options)], binary=binary, progress=False)
    return data.get("exact")


def sweep(channel: str, *, binary: Optional[str] = None, progress: Optional[bool] = None,
          **options: Any) -> "pandas.DataFrame":  # noqa: F821
    """One estimate per value of the one option given as a list.

    Returns a DataFrame with a row per value: the swept parameter, ``estimate``, ``ci_low``,
    ``ci_high``, ``stderr``, ``exact``, ``z``, ``samples``, ``rollouts``, the bounds
    (``bound_...``), one column per other parameter and ``warnings``.

    Example:
        >>> rewardbits.sweep("group", vocab=1024, group=[1, 2, 4], prompts=10**5)
    """
    import pandas

    _check_channel(channel)
    listed = [name for name, value in options.items() if isinstance(value, (list, tuple))]
    if len(listed) != 1:
        raise RewardBitsError("sweep needs exactly one option given as a list, e.g. group=[1, 2, 4, 8]"
                              + (f" (got lists for {', '.join(listed)})" if listed else ""), exit_code=64)
    parameter = listed[0]
    data = run_json(["sweep", channel, *option_words(options)], binary=binary, progress=progress,
                    description=f"{channel} {parameter}")
    values = list(options[parameter])
    rows = [row(value, result, parameter) for value, result in zip(values, data["rows"])]
    return pandas.DataFrame(rows)


def reproduce(out: Union[str, Path] = "figures", *, quick: bool = False, binary: Optional[str] = None,
              **options: Any) -> List[Path]:
    """Regenerates the figures (and their CSVs) into ``out``; returns the files written."""
    out = Path(out)
    run(["reproduce", "--out", str(out), *(["--quick"] if quick else []), *option_words(options)],
        binary=binary, progress=False)
    return sorted(path for path in out.iterdir() if path.is_file())


def shard(channel: str, index: int, count: int, partial: Union[str, Path], *, binary: Optional[str] = None,
          **options: Any) -> Dict[str, Any]:
    """Runs shard ``index`` of ``count`` of an estimate and writes its blocks to ``partial``.

    Every shard must get the same options; ``merge`` folds the parts. Returns what the
    shard reported (its blocks, samples, seconds).
    """
    _check_channel(channel)
    words = ["estimate", channel, *option_words(options), "--shard", f"{index}/{count}", "--partial", str(partial),
             "--quiet"]
    return run_json(words, binary=binary, progress=False)


def merge(parts: Sequence[Union[str, Path]], *, binary: Optional[str] = None, **options: Any) -> Result:
    """Folds shards' parts into the result one process would have printed.

    ``options`` are merge's: ``confidence``, ``interval``, ``target_halfwidth``.
    """
    data = run_json(["merge", *option_words(options), *map(str, parts)], binary=binary, progress=False)
    return Result.from_json(data)


def missing_shards(parts: Sequence[Union[str, Path]], *, binary: Optional[str] = None) -> List[str]:
    """The shards still to run among the splits the parts come from, as ``"I/N"`` strings
    (``rewardbits merge --report-missing``)."""
    stdout = run(["merge", "--report-missing", *map(str, parts)], binary=binary, progress=False)
    return [line for line in stdout.splitlines() if line.strip()]
