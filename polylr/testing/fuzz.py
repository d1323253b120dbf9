"""Theorem fuzzing: probe a claim over drawn inputs (data sets, setups, ...) and report the worst
case, shrunk by hypothesis to a minimal counterexample.

``fuzz_claim(claim, data=strategy)`` calls ``claim(x)`` on up to ``max_examples`` draws ``x``.
The claim either raises :class:`AssertionError` (the claim is false on ``x``: hypothesis then
shrinks ``x`` to a minimal failing input, e.g. the smallest data set on which the theorem's
conclusion fails) or returns a number, a *badness* score (e.g. the measured rate constant, or the
distance of a fitted exponent from the predicted one) that hypothesis's targeted search
(``hypothesis.target``) pushes up; or None. Any other exception is recorded as an error, shrunk
the same way.

The run is deterministic: hypothesis's random choices come from ``seed`` and no example database is
read or written. Each call of ``claim`` may be expensive (a width sweep): keep ``max_examples``
small and let the claim use a width-free sampler where one exists (widths to 2^20 at the cost of
width 64); with the dense engine keep widths at most about 1024.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable

from ..core.errors import PolylrError, check_int

__all__ = ["FuzzReport", "fuzz_claim"]

@dataclass(frozen=True)
class FuzzReport:
    """What :func:`fuzz_claim` found.

    ``status``: ``"holds"`` (no draw failed), ``"fails"`` (an AssertionError; ``example`` is the
    shrunk minimal failing input and ``message`` its message) or ``"error"`` (another exception).
    ``examples``: calls of the claim (shrinking included); ``worst_score`` / ``worst_example``: the
    largest score returned and its input (None when the claim returned no scores).
    """

    status: str
    examples: int
    seconds: float
    example: Any = None
    message: str = ""
    worst_score: float | None = None
    worst_example: Any = None
    seed: int = 0

    def assert_holds(self) -> None:
        """Raise AssertionError with the minimal counterexample unless the claim held on every draw."""
        if self.status != "holds":
            raise AssertionError(
                f"fuzz_claim: the claim {'failed' if self.status == 'fails' else 'raised an error'} "
                f"(after {self.examples} calls, seed {self.seed}); minimal example:\n{self.example!r}\n{self.message}"
            )

    def markdown(self) -> str:
        lines = [f"- status: **{self.status}** after {self.examples} calls of the claim ({self.seconds:.1f} s, seed {self.seed})"]
        if self.status != "holds":
            lines += [f"- minimal example (shrunk): `{self.example!r}`", f"- message: {self.message.splitlines()[0] if self.message else ''}"]
        if self.worst_score is not None:
            lines.append(f"- worst score {self.worst_score:.6g} at `{self.worst_example!r}`")
        return "\n".join(lines)


def fuzz_claim(
    claim: Callable[[Any], float | None],
    data: Any,
    *,
    max_examples: int = 20,
    seed: int = 0,
    shrink: bool = True,
) -> FuzzReport:
    """Run ``claim`` on draws from the strategy ``data`` (see the module docstring); return a
    :class:`FuzzReport`. ``shrink=False`` skips shrinking (faster; the example is the first failure found)."""
    try:
        from hypothesis import HealthCheck, Phase, given, settings, target
        from hypothesis import seed as hypothesis_seed
        from hypothesis.strategies import SearchStrategy
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("polylr.testing.fuzz_claim needs hypothesis: pip install 'polylr[test]'") from e
    if not callable(claim):
        raise PolylrError(f"claim must be callable (x -> None, a badness score, or AssertionError), got {claim!r}")
    if not isinstance(data, SearchStrategy):
        raise PolylrError(f"data must be a hypothesis strategy (e.g. polylr.testing.datasets()), got {type(data).__name__}")
    max_examples = check_int("max_examples", max_examples, lo=1, hi=100_000)
    seed = check_int("seed", seed, lo=0)
    state: dict[str, Any] = {"calls": 0, "worst": None, "worst_score": -math.inf, "example": None, "error": None}
    phases = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target] + ([Phase.shrink] if shrink else [])

    @hypothesis_seed(seed)
    @settings(
        max_examples=max_examples, deadline=None, database=None, phases=phases, report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck), print_blob=False,
    )
    @given(data)
    def run(x: Any) -> None:
        state["calls"] += 1
        try:
            score = claim(x)
        except Exception as e:  # recorded, then re-raised so that hypothesis shrinks x
            state["example"], state["error"] = x, e
            raise
        if score is not None:
            score = float(score)
            if not math.isfinite(score):
                raise AssertionError(f"the claim's badness score is {score}")
            target(score, label="badness")
            if score > state["worst_score"]:
                state["worst_score"], state["worst"] = score, x

    t0 = time.perf_counter()
    status, message = "holds", ""
    try:
        run()
    except Exception as e:  # noqa: BLE001 - the report says which
        err = state["error"] if state["error"] is not None else e
        status = "fails" if isinstance(err, AssertionError) else "error"
        message = str(err) if status == "fails" else f"{type(err).__name__}: {err}"
    worst = None if state["worst"] is None else state["worst_score"]
    return FuzzReport(
        status=status, examples=state["calls"], seconds=time.perf_counter() - t0,
        example=state["example"] if status != "holds" else None, message=message,
        worst_score=worst, worst_example=state["worst"], seed=seed,
    )
