"""Slow or hang one pipeline stage, for tests that time out, signal or kill a batch while it runs.

``JUESUAN_TEST_SLOW="ocr=0.4"`` sleeps 0.4 s per page before each OCR call; ``"ocr=0.4,hang=ocr@1"`` also makes
page index 1 (0-based) hang in OCR for an hour; ``"native=ocr@1"`` hangs it with SIGALRM blocked, as a native call
that never returns would (the page-timeout alarm cannot cut it off). Set in the environment, it reaches spawned
pool workers too: they import this module again through ``slow_extract.py``. Only the ``Pipeline.stage`` lookup is
wrapped; the stages are real.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from juesuan.inference.pipeline import Pipeline

_ORIGINAL = Pipeline.stage


class _Slowed:
    def __init__(self, stage: Any, delay: float, hang: set[int], native: set[int]) -> None:
        self.stage, self.delay, self.hang, self.native = stage, delay, hang, native

    def __call__(self, batch: Any) -> Any:
        items = list(batch)
        for item in items:
            if item.page.ref.index in self.native:
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            if item.page.ref.index in self.hang | self.native:
                time.sleep(3600)
        time.sleep(self.delay * len(items))
        return self.stage(items)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stage, name)


def slow_stage(spec: str) -> None:
    """Install ``spec`` (see the module docstring) on :meth:`Pipeline.stage`; '' puts the original back."""
    delays: dict[str, float] = {}
    hangs: dict[str, set[int]] = {}
    natives: dict[str, set[int]] = {}
    for part in filter(None, spec.split(",")):
        key, value = part.split("=")
        if key in ("hang", "native"):
            name, index = value.split("@")
            (hangs if key == "hang" else natives).setdefault(name, set()).add(int(index))
        else:
            delays[key] = float(value)

    def stage(self: Pipeline, name: str) -> Any:
        real = _ORIGINAL(self, name)
        if name in delays or name in hangs or name in natives:
            return _Slowed(real, delays.get(name, 0.0), hangs.get(name, set()), natives.get(name, set()))
        return real

    Pipeline.stage = stage if spec else _ORIGINAL  # type: ignore[method-assign]


if os.environ.get("JUESUAN_TEST_SLOW"):
    slow_stage(os.environ["JUESUAN_TEST_SLOW"])
