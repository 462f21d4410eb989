"""End to end: Spark feature tables → store → real server process → real agent loop.

The chat model is scripted (it emits the tool calls a model would), but the
LangChain agent loop, the tools built from ``/v1/tools``, the REST calls, the
server, the catalog and the store are all real. Expected figures are computed
here independently, from the Spark feature tables with pandas.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from groundwork.agents.travel_planner import TravelQuestion, plan_trip
from groundwork.client import AsyncClient
from groundwork.demo import answer_document
from groundwork.features.registry import load_view_specs
from groundwork.sync.base import ReadRequest, RecordStatus
from groundwork.sync.lookup import lookup_many
from groundwork.sync.sqlite import SQLiteStore
from tests.e2e.conftest import LiveServer
from tests.support.travel_data import TravelData
from tests.unit.agents.scripted_model import travel_script

pytestmark = [pytest.mark.e2e, pytest.mark.spark]
NIGHTS = 3
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def latest(travel_data: TravelData, view: str, entity: str) -> pd.DataFrame:
    """The newest row per entity of a feature table, read with pandas."""
    table = pd.read_parquet(travel_data.feature_tables_dir / view)
    newest = table.sort_values("event_ts").groupby(entity).tail(1)
    return newest.set_index(entity)


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def expected_figures(travel_data: TravelData, user_id: int, city: str,
                     check_in: dt.date) -> set[float]:
    """Every figure a grounded answer may state, computed from the feature tables."""
    profile = latest(travel_data, "user_profile", "user_id").loc[user_id]
    budget = Decimal(repr(float(profile.budget_per_night)))
    figures = {float(user_id), float(NIGHTS), float(budget), float(budget * NIGHTS),
               float(profile.preferred_stars)}
    hotel_ids = latest(travel_data, "city_top_hotels", "city").loc[city].city_hotel_ids
    stats = latest(travel_data, "hotel_stats", "hotel_id")
    prices = latest(travel_data, "hotel_prices", "hotel_id")
    # a stalled price list (older than the view's TTL of a day) serves as expired
    stale_before = pd.Timestamp(travel_data.as_of - dt.timedelta(days=1))
    available = fitting = expired = 0
    for hotel_id in hotel_ids:
        hotel, price = stats.loc[hotel_id], prices.loc[hotel_id]
        if price.event_ts < stale_before:
            expired += 1
            continue
        start = (check_in - pd.Timestamp(price.prices_from).date()).days
        stay = price.nightly_prices[start:start + NIGHTS]
        nightly = [Decimal(repr(float(value))) for value in stay]
        rooms = min(price.rooms_available[start:start + NIGHTS])
        if rooms <= 0:
            continue
        total = sum(nightly, Decimal(0))
        available += 1
        fitting += total <= budget * NIGHTS
        figures |= {float(hotel.hotel_stars), float(hotel.hotel_rating), float(total),
                    float(cents(total / NIGHTS)), float(rooms), *map(float, nightly)}
    # the counts: hotels in the city, matching (every one with rooms), within budget,
    # those left out for want of rooms and those left out as expired
    figures |= {float(len(hotel_ids)), float(available), float(fitting),
                float(len(hotel_ids) - available - expired), float(expired)}
    return figures


def figures_in(answer: str) -> list[float]:
    return [float(text) for text in _NUMBER.findall(_DATE.sub(" ", answer))]


def question_for(travel_data: TravelData) -> tuple[str, dt.date]:
    check_in = travel_data.as_of.date() + dt.timedelta(days=10)
    return f"Plan {NIGHTS} nights in Lisbon from {check_in.isoformat()} for user 42", check_in


async def test_agent_answer_holds_only_figures_the_features_hold(
    live_server: LiveServer, travel_data: TravelData
) -> None:
    question, check_in = question_for(travel_data)
    model = travel_script(TravelQuestion.parse(question))
    async with AsyncClient(live_server.url, live_server.token) as client:
        result = await plan_trip(question, client=client, chat_model=model)

    assert [call.name for call in result.tool_calls] == ["user_profile", "hotel_search"]
    assert result.tool_calls[1].arguments == {
        "user_id": 42, "city": "Lisbon", "check_in": check_in.isoformat(), "nights": NIGHTS,
        "sort": "fit"}
    offers = result.tool_calls[1].result["outputs"]["hotels"]
    assert offers, "Lisbon has bookable hotels in the sample data"
    assert offers[0]["name"] in result.answer

    allowed = expected_figures(travel_data, 42, "Lisbon", check_in)
    stated = figures_in(result.answer)
    assert stated, result.answer
    ungrounded = [figure for figure in stated
                  if not any(abs(figure - known) < 1e-6 for known in allowed)]
    assert ungrounded == [], f"figures not held by the features: {ungrounded}\n{result.answer}"
    assert f"{offers[0]['total_price']:.2f}" in result.answer


async def test_deterministic_plan_gives_the_same_answer(
    live_server: LiveServer, travel_data: TravelData
) -> None:
    question, _ = question_for(travel_data)
    async with AsyncClient(live_server.url, live_server.token) as client:
        scripted = await plan_trip(question, client=client,
                                   chat_model=travel_script(TravelQuestion.parse(question)))
        planned = await plan_trip(question, client=client, chat_model=None)
    assert planned.answer == scripted.answer
    assert [call.arguments for call in planned.tool_calls] == [
        call.arguments for call in scripted.tool_calls]


def _normalise(value: Any) -> Any:
    if value is pd.NaT:
        return None
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, float) and value != value:  # NaN from pandas means null
        return None
    return value


async def test_spark_output_store_and_api_agree(live_server: LiveServer,
                                                 travel_data: TravelData) -> None:
    rng = random.Random(7)
    cases = [("user_profile", "user_id", "user_profile"), ("hotel_stats", "hotel_id",
                                                            "hotel_details")]
    store = SQLiteStore(Path(live_server.settings.online_db_path))
    views = load_view_specs(travel_data.feature_tables_dir)
    headers = {"Authorization": f"Bearer {live_server.token}"}
    try:
        async with httpx.AsyncClient(base_url=live_server.url, headers=headers) as http:
            for view_name, entity, endpoint in cases:
                table = latest(travel_data, view_name, entity)
                keys = rng.sample(sorted(table.index.tolist()), 25)
                view = views[view_name]
                (stored,) = await lookup_many(store, [ReadRequest(view, keys,
                                                                  view.feature_names)])
                for key, record in zip(keys, stored, strict=True):
                    spark_row = {name: _normalise(table.loc[key][name])
                                 for name in view.feature_names}
                    assert record.status is RecordStatus.PRESENT
                    store_row = {name: _normalise(value) for name, value in record.values.items()}
                    assert store_row == spark_row, (view_name, key)
                    response = await http.post(f"/v1/endpoints/{endpoint}/invoke",
                                               json={entity: key})
                    assert response.status_code == 200, response.text
                    assert response.json()["outputs"] == spark_row, (endpoint, key)
    finally:
        await store.close()


async def test_a_figures_provenance_leads_to_the_sync_run_that_wrote_its_record(
    live_server: LiveServer, travel_data: TravelData
) -> None:
    question, _ = question_for(travel_data)
    async with AsyncClient(live_server.url, live_server.token) as client:
        result = await plan_trip(question, client=client)
    assert result.verified, result.verification.summary()

    document = answer_document(live_server.settings, question, result)
    assert document["answer_id"] == result.verification.answer_id
    traces = {call["trace_id"] for call in document["tool_calls"]}
    # the tool listing is call 1, then the two tool calls
    assert traces == {f"{document['answer_id']}.2", f"{document['answer_id']}.3"}
    priced = [(figure, source) for figure in document["verification"]["figures"]
              for source in figure["sources"] if source["view"] == "hotel_prices"]
    assert priced, document["answer"]
    figure, source = priced[0]
    assert source["trace_id"] in traces and source["tool"] == "hotel_search"
    run = source["sync_run"]
    assert run is not None and run["view"] == "hotel_prices" and run["rows_written"] > 0
    assert run["watermark"] >= source["event_ts"].replace("Z", "+00:00")
