"""The audit spool: append-only local files of audit events, one JSON line per event.

A serving process appends each event to its current spool file with one
``os.write`` on a descriptor opened with ``O_APPEND``: once the call returns,
the line is in the page cache, so killing the process (even with SIGKILL) does
not lose it. A separate process ships the files to the catalog
(:mod:`groundwork.catalog.shipper`).

Files are named ``<pid>-<start ns>-<sequence>.log`` and rotate by size. The
writer holds an exclusive ``flock`` on the file it appends to; a file nobody
holds is *sealed* (rotated away from, or its writer is gone), so its shipper
may delete it once everything in it is shipped. A new file is created under a
``.tmp`` name, locked, then renamed, so a shipper never sees an unlocked file
that is about to be written.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SUFFIX = ".log"
"""Suffix of a spool file ready to be shipped."""

MAX_LINE_BYTES = 16_384
"""Longest line a writer appends; a bounded event takes well under 10 KB even fully escaped."""

DEFAULT_FILE_BYTES = 64 * 1024 * 1024
"""Size from which a writer rotates to a new file."""


class LineTooLong(ValueError):
    """A line longer than :data:`MAX_LINE_BYTES` was offered to the spool."""


class SpoolWriter:
    """Appends lines to this process's current spool file, rotating by size.

    Thread-safe: appends are serialised by a lock (uncontended on the event loop).

    Args:
        directory: The spool directory (created when missing).
        max_file_bytes: Size from which the next append rotates to a new file.
    """

    def __init__(self, directory: Path, *, max_file_bytes: int = DEFAULT_FILE_BYTES) -> None:
        if max_file_bytes < MAX_LINE_BYTES:
            raise ValueError(f"max_file_bytes must be at least {MAX_LINE_BYTES}")
        self.directory = directory
        self._max_file_bytes = max_file_bytes
        self._prefix = f"{os.getpid()}-{time.time_ns()}"
        self._sequence = 0
        """Sequence number of the next file: each file gets a new one, never reused."""
        self._descriptor: int | None = None
        self._current: Path | None = None
        self._size = 0
        self._lock = threading.Lock()

    @property
    def current(self) -> Path | None:
        """The file appended to now; ``None`` before the first append or after :meth:`close`."""
        return self._current

    def append(self, line: bytes) -> None:
        """Append ``line`` (one event, ending with a newline) with one write.

        On a short or failed write (a full disk) the file is cut back to its
        last whole line, so no torn line stays in it.

        Raises:
            LineTooLong: when ``line`` exceeds :data:`MAX_LINE_BYTES`.
            OSError: when the line could not be written; nothing of it stays.
        """
        if len(line) > MAX_LINE_BYTES:
            raise LineTooLong(f"a spool line takes at most {MAX_LINE_BYTES} bytes")
        with self._lock:
            descriptor = self._descriptor
            if descriptor is None or self._size >= self._max_file_bytes:
                descriptor = self._rotate()
            try:
                written = os.write(descriptor, line)
            except OSError:
                self._cut_back(descriptor)
                raise
            if written != len(line):
                self._cut_back(descriptor)
                raise OSError(f"short write to the audit spool ({written} of {len(line)} bytes)")
            self._size += written

    def close(self) -> None:
        """Close the current file (which seals it); the next append opens a new one."""
        with self._lock:
            if self._descriptor is not None:
                os.close(self._descriptor)
                self._descriptor = self._current = None

    def _rotate(self) -> int:
        """Open, lock and publish the next file, then seal the previous one."""
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / f"{self._prefix}-{self._sequence:06d}{SUFFIX}"
        draft = final.with_suffix(".tmp")
        self._sequence += 1
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND
                             | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(draft, final)
        except OSError:
            os.close(descriptor)
            raise
        previous, self._descriptor, self._current, self._size = (
            self._descriptor, descriptor, final, 0)
        if previous is not None:
            os.close(previous)
        return descriptor

    def _cut_back(self, descriptor: int) -> None:
        """Remove a partly written line; when even that fails, move to a new file next time."""
        try:
            os.ftruncate(descriptor, self._size)
        except OSError:
            os.close(descriptor)
            self._descriptor = self._current = None


def spool_files(directory: Path) -> list[Path]:
    """The spool files in ``directory``, oldest writer and sequence first."""
    if not directory.is_dir():
        return []
    return sorted(directory.glob(f"*{SUFFIX}"), key=_order)


@contextmanager
def opened(path: Path) -> Iterator[tuple[int, bool] | None]:
    """``path`` open for reading with whether it is sealed; ``None`` when it is gone.

    While the context is open and the file is sealed, this process holds its
    lock, so deleting it races with nobody.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        yield None
        return
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            sealed = True
        except BlockingIOError:
            sealed = False
        yield descriptor, sealed
    finally:
        os.close(descriptor)


def remove_abandoned_drafts(directory: Path) -> None:
    """Delete ``.tmp`` files whose writer died between creating and publishing them."""
    if not directory.is_dir():
        return
    for draft in directory.glob("*.tmp"):
        with opened(draft) as handle:
            if handle is not None and handle[1]:
                draft.unlink(missing_ok=True)


def _order(path: Path) -> tuple[int, int, int, str]:
    """Sort key of a spool file name: start time, pid, sequence."""
    parts = path.stem.split("-")
    try:
        pid, start, sequence = (int(part) for part in parts)
    except ValueError:
        return (0, 0, 0, path.name)
    return (start, pid, sequence, path.name)
