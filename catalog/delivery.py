"""Deliver a batch of records to a writer that may refuse some of them, or all for a while.

Two failures are told apart by the error the writer raises:

- :class:`~groundwork.errors.Unavailable`: the destination cannot take anything
  now (connection refused, database locked). Nothing is lost: the records not
  written yet are handed back, in order, to be retried later.
- any other error: something in the batch cannot be stored. The batch is
  bisected until the failing record is alone; the good records around it are
  written, and the failing one is written in a reduced form, or dropped (and
  counted) when even that fails.

Pure orchestration, free of SQL and of the audit event type: the writer, the
reducer and the records are the caller's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from groundwork.errors import Unavailable

logger = logging.getLogger(__name__)

Record = TypeVar("Record")

ERROR_TEXT_LIMIT = 500
"""Most characters of a writer's error message that reach the log."""


@dataclass(slots=True)
class Delivery(Generic[Record]):
    """What became of one batch.

    Attributes:
        written: Records written whole.
        reduced: Records that could not be written whole and were written reduced.
        dropped: Records that could not be written even reduced.
        unwritten: Records not attempted or not written because the writer
            became unavailable, oldest first; retry them later.
        error: The last error the writer raised, if any.
    """

    written: int = 0
    reduced: int = 0
    dropped: int = 0
    unwritten: list[Record] = field(default_factory=list)
    error: Exception | None = None

    @property
    def unavailable(self) -> bool:
        """Whether the writer was unavailable (so :attr:`unwritten` waits for a retry)."""
        return isinstance(self.error, Unavailable)


def deliver(
    write: Callable[[Sequence[Record]], None],
    records: Sequence[Record],
    reduce: Callable[[Record, Exception], Record],
) -> Delivery[Record]:
    """Write ``records`` with ``write``, isolating the ones it refuses.

    A refused part is split in halves, so one bad record among ``n`` costs about
    ``2 log2 n`` extra writes and never holds back the others.

    Args:
        write: Writes a sequence of records in one transaction; raises
            :class:`~groundwork.errors.Unavailable` when it cannot write anything now.
        records: The records, oldest first.
        reduce: The safe form of a record that ``write`` refused with the given error.
    """
    delivery: Delivery[Record] = Delivery()
    parts: list[Sequence[Record]] = [records] if records else []  # a stack: next part last
    while parts:
        part = parts.pop()
        try:
            write(part)
        except Unavailable as error:
            return _interrupted(delivery, error, part, parts)
        except Exception as error:  # noqa: BLE001 - any refusal isolates the record at fault
            delivery.error = error
            if len(part) > 1:
                middle = len(part) // 2
                parts.extend((part[middle:], part[:middle]))
                continue
            outcome = _write_reduced(write, part[0], error, reduce)
            if isinstance(outcome, Unavailable):
                return _interrupted(delivery, outcome, part, parts)
            if outcome is None:
                delivery.reduced += 1
            else:
                delivery.error, delivery.dropped = outcome, delivery.dropped + 1
        else:
            delivery.written += len(part)
    return delivery


def _write_reduced(
    write: Callable[[Sequence[Record]], None],
    record: Record,
    error: Exception,
    reduce: Callable[[Record, Exception], Record],
) -> Exception | None:
    """Write the reduced form of a refused record; the error that stopped it, if any."""
    logger.warning("a record could not be written (%s: %.*s); writing it reduced",
                   type(error).__name__, ERROR_TEXT_LIMIT, error)
    try:
        write([reduce(record, error)])
    except Exception as reduced_error:  # noqa: BLE001 - reported to the caller
        if not isinstance(reduced_error, Unavailable):
            logger.error("a record could not be written even reduced (%s: %.*s); dropped",
                         type(reduced_error).__name__, ERROR_TEXT_LIMIT, reduced_error)
        return reduced_error
    return None


def _interrupted(
    delivery: Delivery[Record],
    error: Unavailable,
    part: Sequence[Record],
    parts: list[Sequence[Record]],
) -> Delivery[Record]:
    """The delivery so far, with every record not written yet handed back in order."""
    delivery.error = error
    delivery.unwritten = [*part, *(record for rest in reversed(parts) for record in rest)]
    return delivery
