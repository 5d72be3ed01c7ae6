"""Pages under a deadline: a page that hangs a model, or takes longer than ``page_timeout_s``, fails alone.

The deadline is a ``SIGALRM`` timer in the process that runs the page (a pool worker, a Ray worker, or the CLI
itself), so it only works in a main thread; elsewhere pages run without one. The alarm raises :class:`PageTimeout`
when Python code runs again: a stage stuck in Python (or in C that returns, or in ``time.sleep``) is cut off on time;
a C call that never returns cannot be interrupted this way. ``PageTimeout`` derives from ``BaseException`` so a stage's
``except Exception`` does not swallow it.
"""

from __future__ import annotations

import contextlib
import resource
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from juesuan.inference.pipeline import PageOutput, Pipeline


class PageTimeout(BaseException):
    """The deadline of one page (or of a batch of pages) passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"timed out after {seconds:g} s (page_timeout_s)")

    def __reduce__(self):  # type: ignore[no-untyped-def]  # crosses process pools
        return (type(self), (self.seconds,))


@dataclass(frozen=True, slots=True)
class PageFailure:
    """A page left out of its document; ``message`` is one line naming the file and the page (counted from 1)."""

    index: int
    message: str


def page_failure(path: Path | str, index: int, problem: str) -> PageFailure:
    return PageFailure(index, f"{path}, page {index + 1}: {problem}")


@contextlib.contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Raise :class:`PageTimeout` in this (main) thread after ``seconds``; no-op for None/0 or off the main thread."""
    if not seconds or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def on_alarm(signum: int, frame: object) -> None:
        raise PageTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_pages(
    pipeline: Pipeline,
    path: Path,
    indices: Sequence[int],
    on_page: Callable[[int], None] | None = None,
) -> tuple[list[PageOutput], list[PageFailure]]:
    """``pipeline.process_pages`` with ``page_timeout_s`` per page.

    A batch of n pages gets n deadlines' worth of time; when it runs out, its pages are redone one at a time so the
    pages that work are kept and only the slow one fails.
    """
    timeout = pipeline.options.page_timeout_s
    outputs: list[PageOutput] = []
    failures: list[PageFailure] = []
    size = pipeline.options.page_batch
    for start in range(0, len(indices), size):
        chunk = list(indices[start : start + size])
        try:
            with deadline(timeout * len(chunk)):
                outputs.extend(pipeline.process_pages(path, chunk, on_page=on_page))
            continue
        except PageTimeout as exc:
            if len(chunk) == 1:
                failures.append(page_failure(path, chunk[0], str(exc)))
                if on_page is not None:
                    on_page(1)
                continue
        for index in chunk:
            try:
                with deadline(timeout):
                    outputs.extend(pipeline.process_pages(path, [index], on_page=on_page))
            except PageTimeout as exc:
                failures.append(page_failure(path, index, str(exc)))
                if on_page is not None:
                    on_page(1)
    return outputs, failures


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (``ru_maxrss``: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1 << 20 if sys.platform == "darwin" else 1 << 10), 1)


def one_cv_thread() -> int:
    """Run OpenCV single-threaded in this process; returns the previous thread count (to restore it).

    The engine's parallelism is its processes: OpenCV's own thread pool on top of them only adds CPU (its threads
    spin and split full-page filters into slivers): the grid's line detection took 27% more CPU seconds a page at 2
    OpenCV threads than at 1 on this 2-core machine, for the same output."""
    import cv2

    previous = int(cv2.getNumThreads())
    cv2.setNumThreads(1)
    return previous
