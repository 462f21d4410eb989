"""Wait for a file to be written, on the kernel's word (Linux inotify), not by polling.

For a test that watches another process's progress through a file it writes:
each :meth:`FileChanges.wait` returns as soon as the file has been written
since the last one, and the timeout is only a failure guard.
"""

from __future__ import annotations

import ctypes
import os
import select
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Any

_IN_MODIFY = 0x00000002
_IN_CLOEXEC = os.O_CLOEXEC


class FileChanges:
    """An inotify watch of writes to one existing file.

    Args:
        path: The file to watch.

    Raises:
        OSError: when the kernel refuses the watch.
    """

    def __init__(self, path: Path) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        descriptor = libc.inotify_init1(_IN_CLOEXEC)
        if descriptor < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        self._descriptor: int = descriptor
        if libc.inotify_add_watch(descriptor, os.fsencode(path), _IN_MODIFY) < 0:
            error = ctypes.get_errno()
            os.close(descriptor)
            raise OSError(error, f"cannot watch {path}")

    def wait(self, timeout: float, writer: subprocess.Popen[Any] | None = None) -> bool:
        """Block until the file is written, or ``writer`` ends; False when neither did.

        Args:
            timeout: Seconds to wait at most (a failure guard).
            writer: The process expected to write, whose end also ends the wait.
        """
        watched = [self._descriptor]
        exited = None if writer is None else os.pidfd_open(writer.pid)
        try:
            if exited is not None:
                watched.append(exited)
            ready, _, _ = select.select(watched, [], [], max(timeout, 0.0))
        finally:
            if exited is not None:
                os.close(exited)
        if self._descriptor in ready:
            os.read(self._descriptor, 64 * 1024)  # the events so far: one wake-up covers them
        return bool(ready)

    def close(self) -> None:
        """Remove the watch."""
        os.close(self._descriptor)

    def __enter__(self) -> FileChanges:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
