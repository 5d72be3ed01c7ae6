"""One claim per document, so two ``juesuan extract`` runs on the same output folder never do the same document.

A claim is the file ``OUTDIR/.<name>.claim``, created with ``O_CREAT | O_EXCL`` (atomic on local and NFS v3+
file systems) and holding the holder's pid, host, start time and a random token. A claim is stale when its holder
is gone: on this host, when its pid no longer runs; from another host, when the file was not touched (the holder
touches it as pages come back) for ``stale_after_s``. Taking over a stale claim (read, judge, unlink, create) runs
under an ``flock`` of ``OUTDIR/.juesuan.lock``, so two processes cannot both take the same stale claim.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

HOST = socket.gethostname()


@dataclass(frozen=True, slots=True)
class Holder:
    pid: int
    host: str
    started: float
    token: str

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started))
        return f"pid {self.pid} on {self.host} since {when}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class Claims:
    """The claims this process holds in one output folder; release them all with :meth:`release_all`."""

    def __init__(self, outdir: Path, stale_after_s: float = 3600.0) -> None:
        self.outdir = Path(outdir)
        self.stale_after_s = stale_after_s
        self.me = Holder(os.getpid(), HOST, time.time(), secrets.token_hex(8))
        self.held: dict[str, Path] = {}

    def path(self, name: str) -> Path:
        return self.outdir / f".{name}.claim"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.outdir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.outdir / ".juesuan.lock", os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing drops the flock

    def holder(self, name: str) -> Holder | None:
        """Who holds ``name`` now (None: nobody, or a file too damaged to read, which counts as stale)."""
        try:
            data = json.loads(self.path(name).read_text(encoding="utf-8"))
            return Holder(int(data["pid"]), str(data["host"]), float(data["started"]), str(data["token"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def is_stale(self, name: str, holder: Holder | None) -> bool:
        if holder is None:
            return True
        if holder.host == HOST:
            return not _pid_alive(holder.pid)
        try:
            age = time.time() - self.path(name).stat().st_mtime
        except OSError:
            return True
        return age > self.stale_after_s

    def acquire(self, name: str) -> Holder | None:
        """Claim ``name``; returns None on success, else the live holder (this process included, if it holds it)."""
        if name in self.held:
            return None
        target = self.path(name)
        payload = json.dumps(
            {"pid": self.me.pid, "host": self.me.host, "started": self.me.started, "token": self.me.token}
        )
        with self._locked():
            for _ in range(2):
                try:
                    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                except FileExistsError:
                    holder = self.holder(name)
                    if not self.is_stale(name, holder):
                        assert holder is not None
                        return holder
                    log.info("%s: claim of %s expired, taken over", name, holder.describe() if holder else "?")
                    target.unlink(missing_ok=True)
                    continue
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(payload)
                self.held[name] = target
                return None
        raise RuntimeError(f"{target}: could not create the claim file")  # pragma: no cover - unlink raced

    def clear_stale(self, name: str) -> None:
        """Remove ``name``'s claim if its holder is gone (a finished document whose run died before releasing)."""
        if not self.path(name).exists():
            return
        with self._locked():
            if self.path(name).exists() and self.is_stale(name, self.holder(name)):
                self.path(name).unlink(missing_ok=True)

    def touch(self, name: str) -> None:
        """Show other hosts the holder is alive (their staleness test is the file's age)."""
        if name in self.held:
            with contextlib.suppress(OSError):
                os.utime(self.held[name])

    def release(self, name: str) -> None:
        path = self.held.pop(name, None)
        if path is None:
            return
        with self._locked():
            holder = self.holder(name)
            if holder is not None and holder.token == self.me.token:
                path.unlink(missing_ok=True)

    def release_all(self) -> None:
        for name in list(self.held):
            self.release(name)
