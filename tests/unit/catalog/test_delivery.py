"""Delivering a batch: refused records are isolated by bisection, an outage hands the rest back."""

from __future__ import annotations

from collections.abc import Sequence

from groundwork.catalog.delivery import deliver
from groundwork.errors import Unavailable


class Table:
    """An in-memory destination that refuses some values whole, some even reduced.

    Writes are all-or-nothing, like a transaction; ``down_after`` makes it
    unavailable once that many writes were attempted.
    """

    def __init__(self, refused: set[int] = frozenset(), unreducible: set[int] = frozenset(),
                 down_after: int | None = None) -> None:
        self.rows: list[int] = []
        self.writes = 0
        self.refused, self.unreducible, self.down_after = refused, unreducible, down_after

    def write(self, records: Sequence[int]) -> None:
        self.writes += 1
        if self.down_after is not None and self.writes > self.down_after:
            raise Unavailable("down")
        if any(record in self.refused or -record in self.unreducible for record in records):
            raise ValueError("refused")
        self.rows.extend(records)


def reduce(record: int, error: Exception) -> int:
    assert isinstance(error, ValueError)
    return -record


def test_a_batch_the_writer_takes_is_written_in_one_write() -> None:
    table = Table()

    delivery = deliver(table.write, list(range(100)), reduce)

    assert (delivery.written, delivery.reduced, delivery.dropped) == (100, 0, 0)
    assert delivery.error is None
    assert table.rows == list(range(100)) and table.writes == 1


def test_one_refused_record_is_reduced_and_every_other_one_written_in_order() -> None:
    table = Table(refused={37})

    delivery = deliver(table.write, list(range(100)), reduce)

    assert table.rows == [*range(37), -37, *range(38, 100)]
    assert (delivery.written, delivery.reduced, delivery.dropped) == (99, 1, 0)
    assert isinstance(delivery.error, ValueError) and not delivery.unavailable
    assert table.writes <= 2 * 7 + 2  # bisection: about 2 log2(100) writes, not 100


def test_a_record_refused_even_reduced_is_dropped_and_counted() -> None:
    table = Table(refused={1, 5, 10}, unreducible={5})

    delivery = deliver(table.write, list(range(1, 11)), reduce)

    assert table.rows == [-1, 2, 3, 4, 6, 7, 8, 9, -10]
    assert (delivery.written, delivery.reduced, delivery.dropped) == (7, 2, 1)


def test_an_outage_hands_back_every_unwritten_record_in_order() -> None:
    table = Table(refused={2}, down_after=2)  # whole batch and first half refused; then down

    delivery = deliver(table.write, list(range(8)), reduce)

    assert delivery.unavailable
    assert table.rows == []
    assert delivery.unwritten == list(range(8))
    assert (delivery.written, delivery.reduced, delivery.dropped) == (0, 0, 0)


def test_an_outage_after_some_writes_keeps_what_was_written() -> None:
    table = Table(refused={6}, down_after=3)  # all refused, [0:4] written, [4:8] refused; down

    delivery = deliver(table.write, list(range(8)), reduce)

    assert table.rows == [0, 1, 2, 3]
    assert delivery.unwritten == [4, 5, 6, 7] and delivery.written == 4


def test_an_outage_while_writing_the_reduced_form_keeps_the_record() -> None:
    table = Table(refused={1}, down_after=1)

    delivery = deliver(table.write, [1], reduce)

    assert delivery.unwritten == [1] and delivery.unavailable and delivery.dropped == 0


def test_nothing_to_deliver_writes_nothing() -> None:
    table = Table()

    assert deliver(table.write, [], reduce).written == 0
    assert table.writes == 0
