"""Process CPU time spent inside model calls, so that the CPU budget (everything that is not a model) is measurable.

Every ONNX ``session.run``, torch forward and classifier ``predict`` runs inside ``with MODEL_CLOCK:``. A stage's
process-CPU delta minus the clock's delta over the same stage is that stage's non-model CPU: what a GPU box's CPU
cores must still pay per page (issue 14). Process time, not thread time: onnxruntime and torch may use pool threads.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(slots=True)
class ModelClock:
    """Accumulated process-CPU and wall seconds inside model calls of this process (re-entrant: outer call counts)."""

    cpu_s: float = 0.0
    wall_s: float = 0.0
    calls: int = 0
    _depth: int = 0
    _cpu0: float = 0.0
    _wall0: float = 0.0

    def __enter__(self) -> ModelClock:
        if self._depth == 0:
            self._cpu0 = time.process_time()
            self._wall0 = time.perf_counter()
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.cpu_s += time.process_time() - self._cpu0
            self.wall_s += time.perf_counter() - self._wall0
            self.calls += 1


MODEL_CLOCK = ModelClock()


@dataclass(slots=True)
class StageTimer:
    """Wall, process-CPU and model-CPU seconds of one block, for the per-stage ``timings`` of document.json."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    model_cpu_s: float = 0.0
    _t: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __enter__(self) -> StageTimer:
        self._t = (time.perf_counter(), time.process_time(), MODEL_CLOCK.cpu_s)
        return self

    def __exit__(self, *exc: object) -> None:
        w0, c0, m0 = self._t
        self.wall_s = time.perf_counter() - w0
        self.cpu_s = time.process_time() - c0
        self.model_cpu_s = MODEL_CLOCK.cpu_s - m0

    def add_to(self, timings: dict[str, float], name: str) -> None:
        """Add this block to ``timings`` under ``name`` (wall), ``cpu.<name>`` and ``model_cpu.<name>``."""
        for key, value in ((name, self.wall_s), (CPU + name, self.cpu_s), (MODEL_CPU + name, self.model_cpu_s)):
            timings[key] = timings.get(key, 0.0) + value


CPU = "cpu."  # key prefixes in a page's timings dict; Pipeline.finish splits them into their own meta sections
MODEL_CPU = "model_cpu."


def split_timings(timings: dict[str, float]) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """(wall, process CPU, model CPU) seconds per stage from one flat timings dict."""
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    model: dict[str, float] = {}
    for key, value in timings.items():
        if key.startswith(CPU):
            cpu[key[len(CPU) :]] = value
        elif key.startswith(MODEL_CPU):
            model[key[len(MODEL_CPU) :]] = value
        else:
            wall[key] = value
    return wall, cpu, model
