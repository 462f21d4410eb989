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
def sync_progress(console: Console) -> Iterator[Callable[[str, int, int], None]]:
    """Yield ``update(view, partitions_done, partitions)`` driving one bar per view."""
    tasks: dict[str, TaskID] = {}
    columns = (TextColumn("sync {task.description:<16}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("partitions"), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:

        def update(view: str, done: int, total: int) -> None:
            if view not in tasks:
                tasks[view] = progress.add_task(view, total=total)
            progress.update(tasks[view], completed=done, total=total)

        yield update
