"""Rich progress displays for long CLI steps."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


@contextmanager
def sync_progress(console: Console) -> Iterator[Callable[[str, int], None]]:
    """Yield ``advance(view, rows)`` that drives one progress line per view."""
    tasks: dict[str, TaskID] = {}
    with Progress(TextColumn("sync {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("rows"), TimeElapsedColumn(), console=console,
                  transient=False) as progress:

        def advance(view: str, rows: int) -> None:
            if view not in tasks:
                tasks[view] = progress.add_task(view, total=None)
            progress.advance(tasks[view], rows)

        yield advance
