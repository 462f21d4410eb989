"""Hotel descriptions and labelled queries of the sample data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from groundwork.features.sample_data import DEFAULT_SEED, generate, hotels
from groundwork.features.sample_descriptions import hotel_descriptions
from groundwork.features.sample_phrases import AREA_VIEW, COASTAL_CITIES
from groundwork.features.sample_queries import LabelledQuery, labelled_queries


@pytest.fixture(scope="module")
def hotel_table() -> pa.Table:
    return hotels(seed=DEFAULT_SEED)


@pytest.fixture(scope="module")
def descriptions(hotel_table: pa.Table) -> pa.Table:
    return hotel_descriptions(hotel_table, DEFAULT_SEED)


@pytest.fixture(scope="module")
def queries(descriptions: pa.Table, hotel_table: pa.Table) -> list[LabelledQuery]:
    return labelled_queries(descriptions, hotel_table, DEFAULT_SEED)


@pytest.fixture(scope="module")
def raw(descriptions: pa.Table, hotel_table: pa.Table) -> dict[int, dict[str, Any]]:
    """Each hotel's raw attributes, by id."""
    amenities = dict(zip(hotel_table["hotel_id"].to_pylist(),
                         hotel_table["amenities"].to_pylist(), strict=True))
    rows = {row["hotel_id"]: row for row in descriptions.to_pylist()}
    for hotel_id, row in rows.items():
        row["amenities"] = amenities[hotel_id]
    return rows


def oracle_suits(row: dict[str, Any]) -> set[str]:
    """Who a hotel suits, recomputed here from its raw attributes."""
    out = set()
    if row["style"] == "family" or "family_rooms" in row["amenities"]:
        out.add("families")
    if row["style"] != "simple" and row["style"] != "family" and row["noise"] != "lively":
        out.add("couples")
    if row["area"] == "business_district" or (
        row["style"] in {"design", "grand"} and "gym" in row["amenities"]
    ):
        out.add("business")
    if row["noise"] == "lively" and row["style"] != "family":
        out.add("nightlife")
    return out


def oracle_matches(query: LabelledQuery, row: dict[str, Any]) -> bool:
    """Whether a hotel grants a query's wish, recomputed here from its raw attributes."""
    wish = query.wish
    wanted = {"area": wish.area, "style": wish.style, "noise": wish.noise, "view": wish.view}
    return (
        row["city"] == query.city
        and all(not value or row[key] == value for key, value in wanted.items())
        and set(wish.amenities) <= set(row["amenities"])
        and (not wish.suits or wish.suits in oracle_suits(row))
    )


def test_the_same_seed_gives_the_same_descriptions_and_queries(
    descriptions: pa.Table, hotel_table: pa.Table, queries: list[LabelledQuery]
) -> None:
    assert hotel_descriptions(hotel_table, DEFAULT_SEED).equals(descriptions)
    assert labelled_queries(descriptions, hotel_table, DEFAULT_SEED) == queries
    other = hotel_descriptions(hotel_table, 7)
    assert other["description"].to_pylist() != descriptions["description"].to_pylist()


def test_generate_writes_the_descriptions_of_its_hotels(tmp_path: Path) -> None:
    as_of = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    generate(tmp_path, as_of=as_of, scale=0.01)
    written = pq.read_table(tmp_path / "hotels.parquet")
    assert written.equals(hotels(scale=0.01))
    assert pq.read_table(tmp_path / "hotel_descriptions.parquet").equals(
        hotel_descriptions(written, DEFAULT_SEED)
    )


def test_attributes_are_consistent(raw: dict[int, dict[str, Any]]) -> None:
    for row in raw.values():
        assert row["area"] != "beach" or row["city"] in COASTAL_CITIES
        assert row["view"] in {AREA_VIEW[row["area"]], "garden", "none"}
        assert set(row["suits"]) == oracle_suits(row)


def test_every_query_has_a_true_match_in_its_city(queries: list[LabelledQuery]) -> None:
    assert 40 <= len(queries) <= 80
    assert len({query.text for query in queries}) >= 20
    assert all(query.relevant for query in queries)


def test_truth_follows_the_attributes(
    queries: list[LabelledQuery], raw: dict[int, dict[str, Any]]
) -> None:
    for query in queries:
        expected = tuple(sorted(i for i, row in raw.items() if oracle_matches(query, row)))
        assert query.relevant == expected, query.text


def test_descriptions_are_varied(descriptions: pa.Table, hotel_table: pa.Table) -> None:
    texts = descriptions["description"].to_pylist()
    nameless = [text.replace(name, "") for text, name in
                zip(texts, hotel_table["name"].to_pylist(), strict=True)]
    assert len(set(nameless)) / len(texts) > 0.99
    openings = {text.split(".")[0] for text in nameless}
    assert len(openings) / len(texts) > 0.3


def test_keywords_alone_do_not_decide(raw: dict[int, dict[str, Any]]) -> None:
    quiet = [row for row in raw.values() if row["noise"] == "quiet"]
    said_quiet = [row for row in raw.values() if "quiet" in row["description"].lower()]
    assert sum("quiet" in row["description"].lower() for row in quiet) < 0.5 * len(quiet)
    assert any(row["noise"] != "quiet" for row in said_quiet)
    boutique = [row for row in raw.values() if row["style"] == "boutique"]
    assert sum("boutique" in row["description"] for row in boutique) < 0.5 * len(boutique)
