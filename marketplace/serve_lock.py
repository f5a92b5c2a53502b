"""The lock a running server holds on its instance folder, so that a second server or `reset` cannot pull the
database and the chain state from under it."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

LOCK_FILE = "serve.lock"


class InstanceInUse(RuntimeError):
    """Another process holds the instance folder."""


class ServeLock:
    """An exclusive flock on `<instance>/serve.lock`; the file records the holder's pid. The kernel drops the
    lock when the holder exits, however it exits."""

    def __init__(self, instance_dir: Path) -> None:
        self.path = Path(instance_dir) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self, purpose: str) -> None:
        """Take the lock or raise InstanceInUse naming the pid that holds it; `purpose` completes the sentence
        'cannot ... while a server runs'."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise InstanceInUse(
                f"a Tradewind server (pid {holder}) is running on {self.path.parent}: stop it before you {purpose}"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        """Give the lock back (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)
