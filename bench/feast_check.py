"""Request bodies for Feast and Groundwork, and the check that both serve the same values.

Feast answers ``POST /get-online-features`` with one column per feature
(``results[i].values[j]`` is feature ``metadata.feature_names[i]`` of entity
``j``); Groundwork's ``user_profile`` endpoint answers one entity's outputs.
Values are compared after one normalisation: timestamps become epoch seconds
(Feast serves a ``UnixTimestamp`` as an integer, Groundwork as ISO 8601), Feast's
null timestamp (NaT, served as the smallest 64-bit integer) becomes ``None``,
and floats compare to a relative 1e-9.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pyarrow.compute as pc
import pyarrow.parquet as pq

from groundwork.features.definitions import user_profile

VIEW = user_profile.name
ENTITY = "user_id"
FEATURES = tuple(feature.name for feature in user_profile.features)
FEATURE_REFERENCES = [f"{VIEW}:{name}" for name in FEATURES]
INVOKE_PATH = f"/v1/endpoints/{VIEW}/invoke"
INVOKE_MANY_PATH = f"/v1/endpoints/{VIEW}/invoke-many"
ONLINE_FEATURES_PATH = "/get-online-features"
CHECK_BATCH = 100
FEAST_NULL_TIMESTAMP = -(2**63)
"""What Feast's feature server answers for a null ``UnixTimestamp`` (pandas NaT)."""
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")

Row = dict[str, Any]


class Mismatch(Exception):
    """Feast and Groundwork disagree; the message names the first differences."""


def users(feature_tables: Path) -> list[int]:
    """Every user id of the ``user_profile`` feature table, ascending."""
    table = pq.read_table(feature_tables / VIEW, columns=[ENTITY])
    return sorted(pc.unique(table.column(ENTITY)).to_pylist())


def online_features_body(ids: Sequence[int]) -> bytes:
    """Feast's request: the view's features for ``ids``."""
    return orjson.dumps({"features": FEATURE_REFERENCES, "entities": {ENTITY: list(ids)}})


def invoke_body(user: int) -> bytes:
    """Groundwork's ``user_profile`` request."""
    return orjson.dumps({ENTITY: user})


def invoke_many_body(ids: Sequence[int]) -> bytes:
    """Groundwork's ``user_profile/invoke-many`` request."""
    return orjson.dumps({"inputs": [{ENTITY: user} for user in ids]})


@dataclass(frozen=True, slots=True)
class Bodies:
    """Pre-built request bodies of one entity count, drawn at random.

    Attributes:
        online_features: Feast-shaped bodies.
        invoke: One-entity invoke bodies (empty unless one entity per request).
        invoke_many: invoke-many bodies.
    """

    online_features: list[bytes]
    invoke: list[bytes]
    invoke_many: list[bytes]


def bodies(chooser: random.Random, known: Sequence[int], entities: int, count: int) -> Bodies:
    """``count`` bodies of each kind, with ``entities`` random users each."""
    draws = [chooser.sample(known, entities) for _ in range(count)]
    return Bodies(online_features=[online_features_body(ids) for ids in draws],
                  invoke=[invoke_body(ids[0]) for ids in draws] if entities == 1 else [],
                  invoke_many=[invoke_many_body(ids) for ids in draws])


def normalised(value: Any) -> Any:
    """A value in comparable form: ISO 8601 moments as epoch seconds, NaT as ``None``."""
    if value == FEAST_NULL_TIMESTAMP and isinstance(value, int):
        return None
    if isinstance(value, str) and _ISO_MOMENT.match(value):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return value


def same(left: Any, right: Any) -> bool:
    """Whether two served values are equal after :func:`normalised`."""
    left, right = normalised(left), normalised(right)
    if isinstance(left, float | int) and isinstance(right, float | int):
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(same, left, right))
    return bool(left == right)


def columns_to_rows(answer: dict[str, Any], count: int) -> list[Row]:
    """Feast's column-per-feature answer as one ``{feature: value}`` row per entity."""
    names = answer["metadata"]["feature_names"]
    rows: list[Row] = [{} for _ in range(count)]
    for name, column in zip(names, answer["results"], strict=True):
        for row, value in zip(rows, column["values"], strict=True):
            row[name] = value
    return rows


def online_features(client: httpx.Client, url: str, ids: Sequence[int],
                    headers: dict[str, str]) -> list[Row]:
    """Rows from a Feast-shaped ``/get-online-features``, in batches of :data:`CHECK_BATCH`."""
    rows: list[Row] = []
    for start in range(0, len(ids), CHECK_BATCH):
        batch = ids[start:start + CHECK_BATCH]
        response = client.post(url + ONLINE_FEATURES_PATH, content=online_features_body(batch),
                               headers=headers)
        response.raise_for_status()
        rows += columns_to_rows(response.json(), len(batch))
    return rows


def invoked(client: httpx.Client, url: str, ids: Sequence[int],
            headers: dict[str, str]) -> list[Row]:
    """Rows from Groundwork's ``user_profile`` endpoint, one call per user."""
    rows = []
    for user in ids:
        response = client.post(url + INVOKE_PATH, content=invoke_body(user), headers=headers)
        response.raise_for_status()
        rows.append(response.json()["outputs"])
    return rows


def invoked_many(client: httpx.Client, url: str, ids: Sequence[int],
                 headers: dict[str, str]) -> list[Row] | None:
    """Rows from ``invoke-many`` when its answer lists ``results[i].outputs``; else ``None``."""
    rows: list[Row] = []
    for start in range(0, len(ids), CHECK_BATCH):
        batch = ids[start:start + CHECK_BATCH]
        response = client.post(url + INVOKE_MANY_PATH, content=invoke_many_body(batch),
                               headers=headers)
        response.raise_for_status()
        results = response.json().get("results")
        if not isinstance(results, list) or not all(
                isinstance(result, dict) and "outputs" in result for result in results):
            return None
        rows += [result["outputs"] for result in results]
    return rows


def compare(expected: list[Row], actual: list[Row], ids: Sequence[int], label: str) -> None:
    """Raise :class:`Mismatch` naming up to five differing values.

    Raises:
        Mismatch: when a feature value differs or an answer lacks a row.
    """
    if len(actual) != len(expected):
        raise Mismatch(f"{label}: {len(actual)} rows for {len(expected)} users")
    differences = [
        f"user {user} {name}: feast {want!r} vs {label} {row.get(name)!r}"
        for user, wanted, row in zip(ids, expected, actual, strict=True)
        for name, want in wanted.items()
        if name in FEATURES and not same(want, row.get(name))
    ]
    if differences:
        shown = "; ".join(differences[:5])
        raise Mismatch(f"{len(differences)} values differ between Feast and {label}: {shown}")


def probe(client: httpx.Client, url: str, path: str, body: bytes,
          headers: dict[str, str]) -> bool:
    """Whether ``POST path`` exists on the server: ``False`` on 404, ``True`` on 200.

    Raises:
        Mismatch: on any other status (the route exists but refuses the request).
    """
    response = client.post(url + path, content=body, headers=headers)
    if response.status_code == 404:
        return False
    if response.status_code != 200:
        raise Mismatch(f"{path} answered {response.status_code}: {response.text[:200]}")
    return True
