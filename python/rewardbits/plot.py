"""Matplotlib figures with their error bars."""
from __future__ import annotations

from typing import Any, Optional


def errorbar(df: "pandas.DataFrame", x: str, y: str = "estimate", *, ax: Any = None, label: Optional[str] = None,  # noqa: F821
             exact: bool = True, logx: Optional[bool] = None, z_panel: bool = False, **style: Any) -> Any:
    """Plots ``y`` against ``x`` with the confidence interval as error bars.

    Args:
        df: a DataFrame from ``rewardbits.sweep`` (columns ``ci_low``, ``ci_high``, ``exact``).
        x: the swept column.
        ax: the axes to draw on (default: a new figure).
        exact: also draw the exact values as a line where the frame has them.
        logx: a log2 x axis (default: when x spans more than a factor 16).
        z_panel: add a lower panel of z = (estimate - exact) / stderr, where the error bars
            that are too small to see at plot scale become visible.
        **style: passed to ``Axes.errorbar``.

    Returns:
        The axes (the upper one with ``z_panel``).
    """
    import matplotlib.pyplot as plt

    if ax is None:
        if z_panel:
            _, (ax, zax) = plt.subplots(2, 1, sharex=True, height_ratios=[3, 1], figsize=(6, 5))
        else:
            _, ax = plt.subplots(figsize=(6, 4))
            zax = None
    else:
        zax = None
    xs = df[x].astype(float)
    lower = df[y] - df["ci_low"]
    upper = df["ci_high"] - df[y]
    handles = [ax.errorbar(xs, df[y], yerr=[lower, upper], fmt=style.pop("fmt", "o"), capsize=style.pop("capsize", 3),
                           label=label or f"{y} ({int(round(100 * _level(df)))}% CI)", **style)]
    has_exact = exact and "exact" in df and df["exact"].notna().any()
    if has_exact:
        handles += ax.plot(xs, df["exact"], "-", color="0.4", linewidth=1, label="exact")
    if logx is None:
        logx = xs.min() > 0 and xs.max() / xs.min() > 16
    if logx:
        ax.set_xscale("log", base=2)
    ax.set_ylabel("bits")
    ax.legend(handles=handles)
    if zax is not None:
        if has_exact and "z" in df:
            zax.axhspan(-2, 2, color="0.9")
            zax.plot(xs, df["z"], "o")
            zax.axhline(0, color="0.4", linewidth=1)
            zax.set_ylabel("z")
        zax.set_xlabel(x)
    else:
        ax.set_xlabel(x)
    return ax


def _level(df: Any) -> float:
    return 0.95 if "level" not in df else float(df["level"].iloc[0])
