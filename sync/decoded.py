"""Stored records decoded once per stored value: a record read again is not parsed again.

Serving reads the same records over and over; parsing a stored value (its JSON
payload, its timestamps, each feature's type) costs more than fetching it from a
cache. :class:`DecodedRecords` keeps each stored value's decoded record, keyed by
the stored bytes themselves, which carry the record's ``event_ts`` and
``synced_at``: a rewritten record is a new entry and never mistaken for the old
one, and an entry nobody reads any more ages out (oldest first, at most ``bound``
per view). What it hands out is the caller's own: a fresh dict of the requested
features, with list values copied, so no caller can change what the next one reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from groundwork.features.spec import ValueType, ViewSpec
from groundwork.sync.base import ReadRequest, StoredRecord

Decode = Callable[[ViewSpec, bytes, Sequence[str]], StoredRecord]
"""Decodes one stored value of a view, keeping the named features."""

_LISTS = frozenset({ValueType.INT_LIST, ValueType.FLOAT_LIST, ValueType.STRING_LIST})


class DecodedRecords:
    """Decoded records by stored value, per view.

    Args:
        decode: The store's decoding of one stored value.
        bound: Decoded records kept per view (0: decode every read).
    """

    __slots__ = ("_decode", "_bound", "_by_view")

    def __init__(self, decode: Decode, bound: int) -> None:
        self._decode = decode
        self._bound = bound
        self._by_view: dict[str, _ViewMemo] = {}

    def records(self, request: ReadRequest, values: Sequence[bytes | None]
                ) -> list[StoredRecord | None]:
        """The records of ``values`` in order (``None`` stays ``None``), requested features only.

        Raises:
            DefinitionError: when the view has no feature of a requested name.
        """
        view, features = request.view, request.features
        if not self._bound:
            decode = self._decode
            return [None if value is None else decode(view, value, features) for value in values]
        memo = self._by_view.get(view.name)
        if memo is None or memo.view is not view:
            memo = self._by_view[view.name] = _ViewMemo(view)
        lists = memo.lists_among(features)
        known, decode, bound = memo.records, self._decode, self._bound
        records: list[StoredRecord | None] = []
        for value in values:
            if value is None:
                records.append(None)
                continue
            record = known.get(value)
            if record is None:
                if len(known) >= bound:
                    del known[next(iter(known))]
                record = known[value] = decode(view, value, memo.every)
            found = record.values
            selected = {name: found[name] for name in features}
            for name in lists:
                if selected[name] is not None:
                    selected[name] = list(selected[name])
            records.append(StoredRecord(selected, record.event_ts, record.synced_at,
                                        record.expires_at))
        return records


class _ViewMemo:
    """One view's decoded records and what it needs to hand them out."""

    __slots__ = ("view", "every", "lists", "records")

    def __init__(self, view: ViewSpec) -> None:
        self.view = view
        self.every = view.feature_names
        self.lists = frozenset(f.name for f in view.features if f.dtype in _LISTS)
        self.records: dict[bytes, StoredRecord] = {}

    def lists_among(self, features: Sequence[str]) -> list[str]:
        """The list-valued ones of ``features``; raises for a feature the view lacks."""
        lists = []
        for name in features:
            if name in self.lists:
                lists.append(name)
            elif name not in self.every:
                self.view.feature(name)  # raises the DefinitionError naming the feature
        return lists
