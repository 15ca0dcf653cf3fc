"""One estimate, as the engine reported it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple


@dataclass(frozen=True)
class Result:
    """One ``rewardbits estimate`` (or merge): the JSON the command printed, typed.

    Attributes:
        channel: ``single``, ``group``, ``token``, ``sft``, ``gradient`` or ``learner``.
        estimate: the information estimate, in bits.
        ci: the confidence interval ``(low, high)`` at ``level``.
        stderr: the estimate's standard error.
        exact: the exact value where one is known, else None.
        z: ``(estimate - exact) / stderr`` where an exact value is known, else None.
        params: every option of the run, defaults filled in (``vocab``, ``group``, ...).
        warnings: what the engine warned about (few samples, a weak generator, ...).
        json: the whole object, for the fields not listed here (``bounds``, ``components``,
            ``curve``, ``throughput``, ...).
    """

    channel: str
    estimator: str
    estimate: float
    ci: Tuple[float, float]
    level: float
    stderr: float
    exact: Optional[float]
    z: Optional[float]
    samples: int
    rollouts: int
    params: Dict[str, Any]
    warnings: List[str]
    seed: int
    seconds: float
    json: Dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Result":
        ci = data.get("ci") or {}
        return cls(
            channel=data["channel"], estimator=data.get("estimator", ""), estimate=float(data["estimate"]),
            ci=(float(ci.get("low", float("nan"))), float(ci.get("high", float("nan")))),
            level=float(ci.get("level", float("nan"))), stderr=float(data.get("stderr", float("nan"))),
            exact=data.get("exact"), z=data.get("z"), samples=int(data.get("samples", 0)),
            rollouts=int(data.get("rollouts", 0)), params=dict(data.get("params", {})),
            warnings=list(data.get("warnings", [])), seed=int(data.get("seed", 0)),
            seconds=float(data.get("seconds", 0.0)), json=dict(data),
        )

    @property
    def halfwidth(self) -> float:
        """Half the interval's width, in bits."""
        return (self.ci[1] - self.ci[0]) / 2

    def __str__(self) -> str:
        exact = "" if self.exact is None else f", exact {self.exact:.6g}"
        return (f"{self.channel}: {self.estimate:.6g} bits [{self.ci[0]:.6g}, {self.ci[1]:.6g}] "
                f"at {self.level:g}{exact} ({self.samples} samples)")


def row(value: Any, data: Mapping[str, Any], parameter: str) -> Dict[str, Any]:
    """A sweep row: the swept value, the estimate's columns, then one column per parameter."""
    ci = data.get("ci") or {}
    columns: Dict[str, Any] = {
        parameter: value, "estimate": data.get("estimate"), "ci_low": ci.get("low"), "ci_high": ci.get("high"),
        "stderr": data.get("stderr"), "exact": data.get("exact"), "z": data.get("z"),
        "samples": data.get("samples"), "rollouts": data.get("rollouts"),
    }
    for name, bound in (data.get("bounds") or {}).items():
        columns[f"bound_{name}"] = bound
    for name, value_ in (data.get("params") or {}).items():
        if name != parameter:
            columns[name] = value_
    columns["warnings"] = "; ".join(data.get("warnings") or [])
    return columns
