"""Many connections opening one new SQLite file at once all end in WAL mode."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from groundwork.sqlite_wal import enter_wal


def _open_together(path: Path, openers: int) -> list[str]:
    errors: list[str] = []
    start = threading.Barrier(openers)

    def open_one() -> None:
        connection = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            start.wait()
            enter_wal(connection, patience_seconds=30)
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("CREATE TABLE IF NOT EXISTS t (x)")
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=open_one) for _ in range(openers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_openers_of_a_new_file_all_get_wal(tmp_path: Path) -> None:
    # Without the retry, about one round in a hundred fails with "database is locked".
    for round_number in range(300):
        path = tmp_path / f"round-{round_number}.db"
        assert _open_together(path, openers=6) == []
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
