"""Two kinds of failure: bad input (one line, the batch goes on) and everything else (a bug, with traceback)."""

from __future__ import annotations

from pathlib import Path


class JuesuanError(Exception):
    """Base class for errors raised on purpose by juesuan."""


class ConfigError(JuesuanError):
    """Options or a config file are wrong (unknown stage kind, bad YAML, missing model file)."""


class InputError(JuesuanError):
    """This file (or page) cannot be processed; the batch logs one line and goes on."""

    def __init__(self, path: Path | str, problem: str, page: int | None = None) -> None:
        self.path = str(path)
        self.problem = problem
        self.page = page
        where = self.path if page is None else f"{self.path}, page {page + 1}"  # people count from 1
        super().__init__(f"{where}: {problem}")

    def __reduce__(self):  # picklable across process pools with its three arguments
        return (type(self), (self.path, self.problem, self.page))
