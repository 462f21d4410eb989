"""An in-process fake of Groundwork's tool REST contract, for agent unit tests.

It serves ``GET /v1/tools`` and ``POST /v1/endpoints/{name}/invoke`` with fixed
travel data, checks the bearer token, validates inputs against the published
schemas (422 naming the field) and can pretend its store is down (503). The
real server is exercised by the end-to-end tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

TOKEN = "agent-42-token"
KNOWN_USER, UNKNOWN_USER = 42, 7
CITY, EMPTY_CITY = "Lisbon", "Nowhere"

_INTEGER = {"type": "integer"}
_STRING = {"type": "string"}
_NULLABLE_NUMBER = {"anyOf": [{"type": "number"}, {"type": "null"}]}
_NULLABLE_INTEGER = {"anyOf": [{"type": "integer"}, {"type": "null"}]}

INPUT_SCHEMAS: dict[str, dict[str, Any]] = {
    "user_profile": {
        "type": "object",
        "properties": {"user_id": {**_INTEGER, "description": "The traveller."}},
        "required": ["user_id"],
    },
    "hotel_offers": {
        "type": "object",
        "properties": {
            "user_id": {**_INTEGER, "description": "The traveller."},
            "city": {**_STRING, "description": "Destination city."},
            "check_in": {**_STRING, "format": "date", "description": "Arrival date."},
            "nights": {**_INTEGER, "minimum": 1, "description": "Number of nights."},
        },
        "required": ["user_id", "city", "check_in", "nights"],
    },
    "hotel_search": {
        "type": "object",
        "properties": {
            "city": {**_STRING, "description": "Destination city."},
            "check_in": {**_STRING, "format": "date", "description": "Arrival date."},
            "nights": {**_INTEGER, "minimum": 1, "description": "Number of nights."},
            "user_id": {**_NULLABLE_INTEGER, "description": "The traveller."},
            "max_price_per_night": {**_NULLABLE_NUMBER, "description": "Highest price."},
            "min_stars": {**_NULLABLE_INTEGER, "description": "Fewest stars."},
            "amenities": {"anyOf": [{"type": "array", "items": _STRING}, {"type": "null"}],
                          "description": "Amenities every hotel must have."},
            "sort": {"enum": ["price", "rating", "fit"], "description": "Order."},
            "limit": {**_INTEGER, "description": "Most hotels returned."},
        },
        "required": ["city", "check_in", "nights"],
    },
}
DESCRIPTIONS = {
    "user_profile": "The traveller's budget, preferred stars and amenities.",
    "hotel_offers": "Hotels of a city that can host the whole stay, ranked for the traveller.",
    "hotel_search": "Hotels of a city that can host the whole stay, filtered and sorted.",
}
OUTPUT_SCHEMAS: dict[str, dict[str, Any]] = {
    "user_profile": {"type": "object", "properties": {
        "budget_per_night": _NULLABLE_NUMBER, "preferred_stars": {}, "home_city": {},
        "preferred_amenities": {}, "trips_last_year": {}, "avg_rating_given": {},
        "last_booking_at": {},
    }},
    "hotel_offers": {"type": "object", "properties": {
        "check_out": {}, "budget_per_night": {}, "budget_total": {}, "ranked_offers": {},
    }},
    "hotel_search": {"type": "object", "properties": dict.fromkeys(
        ["city_name", "check_out", "price_window", "hotels", "matching", "within_budget",
         "budget_per_night", "budget_total", "excluded", "hotels_in_city"], {})},
}

PROFILE_42 = {
    "budget_per_night": 170.8, "preferred_stars": 4, "home_city": "Berlin",
    "preferred_amenities": ["spa", "pool"], "trips_last_year": 5, "avg_rating_given": 4.1,
    "last_booking_at": "2026-10-02T09:15:00Z",
}
OFFERS_LISBON = [
    {"hotel_id": 101, "name": "Casa do Rio", "stars": 4, "rating": 4.6, "total_price": 498.3,
     "price_per_night": 166.1, "rooms_left": 3, "within_budget": True,
     "amenities": ["spa", "wifi"]},
    {"hotel_id": 205, "name": "Alfama Palace", "stars": 5, "rating": 4.8,
     "total_price": 620.25, "price_per_night": 206.75, "rooms_left": 1,
     "within_budget": False, "amenities": ["pool", "spa"]},
]
HOTELS_LISBON = [
    {"hotel_id": 101, "name": "Casa do Rio", "stars": 4, "rating": 4.6,
     "amenities": ["spa", "wifi"], "nightly_prices": [164.0, 166.1, 168.2], "total_price": 498.3,
     "price_per_night": 166.1, "rooms_left": 3, "within_budget": True, "fit_score": 4.9,
     "prices_as_of": "2026-11-21T19:25:00Z", "details_as_of": "2026-11-21T20:00:00Z"},
    {"hotel_id": 205, "name": "Alfama Palace", "stars": 5, "rating": 4.8,
     "amenities": ["pool", "spa"], "nightly_prices": [200.0, 206.75, 213.5],
     "total_price": 620.25, "price_per_night": 206.75, "rooms_left": 1, "within_budget": False,
     "fit_score": 4.6, "prices_as_of": "2026-11-21T19:25:00Z",
     "details_as_of": "2026-11-21T20:00:00Z"},
]
"""``hotel_search``'s hotels of Lisbon for user 42 (each figure as the endpoint gives it)."""
NO_EXCLUSION = dict.fromkeys(["no_rooms", "no_price", "over_max_price", "below_min_stars",
                              "missing_amenities", "data_missing", "data_expired"], 0)
PROFILE_FRESH = {"view": "user_profile", "key": KNOWN_USER, "status": "PRESENT",
                 "event_ts": "2026-11-21T21:00:00Z", "age_seconds": 2100.0}
PRICES_FRESH = [
    {"view": "hotel_prices", "key": hotel_id, "status": "PRESENT",
     "event_ts": "2026-11-21T19:25:00Z", "age_seconds": age}
    for hotel_id, age in ((101, 7230.5), (205, 6900.0))
]
SEARCH_FRESHNESS = [
    {"view": "city_top_hotels", "key": CITY, "status": "PRESENT",
     "event_ts": "2026-11-20T21:35:00Z", "age_seconds": 86_400.0},
    {"view": "hotel_stats", "key": None, "keys": 3, "status": "PRESENT",
     "event_ts": "2026-11-21T20:00:00Z", "age_seconds": 1800.0,
     "counts": {"PRESENT": 3, "MISSING": 0, "EXPIRED": 0}},
    {"view": "hotel_prices", "key": None, "keys": 3, "status": "PRESENT",
     "event_ts": "2026-11-21T19:25:00Z", "age_seconds": 7230.5,
     "counts": {"PRESENT": 3, "MISSING": 0, "EXPIRED": 0}},
]
"""``hotel_search``'s freshness: one summary entry per multi-key hotel view."""


def create_fake_platform(
    *, store_down: bool = False, granted: Sequence[str] = tuple(INPUT_SCHEMAS)
) -> FastAPI:
    """Build the fake platform app.

    Args:
        store_down: Answer every invocation with 503 ``store_unavailable``.
        granted: Endpoints the token may execute (the ones ``/v1/tools`` lists).
    """
    app = FastAPI()

    @app.get("/v1/tools")
    async def list_tools(request: Request) -> JSONResponse:
        return _unauthenticated(request) or JSONResponse({"tools": [
            _tool(name) for name in granted
        ]})

    @app.post("/v1/endpoints/{name}/invoke")
    async def invoke(name: str, request: Request) -> JSONResponse:
        if refusal := _unauthenticated(request):
            return refusal
        if name in INPUT_SCHEMAS and name not in granted:
            return _error(403, "access_denied", f"No EXECUTE grant on {name}.", endpoint=name)
        if name not in INPUT_SCHEMAS:
            return _error(404, "endpoint_not_found", f"No endpoint named {name}.", endpoint=name)
        inputs = await request.json()
        if problem := _invalid_field(INPUT_SCHEMAS[name], inputs):
            return _error(422, "invalid_input", f"Input {problem} is missing or invalid.",
                          field=problem)
        if store_down:
            return _error(503, "store_unavailable", "The online store did not answer.")
        if name == "hotel_search" and (refusal := _search_refusal(inputs)):
            return refusal
        outputs, freshness = _answer(name, inputs)
        return JSONResponse({"endpoint": name, "outputs": outputs, "freshness": freshness,
                             "errors": {}, "trace_id": "trace-0001"})

    return app


def _tool(name: str) -> dict[str, Any]:
    return {"name": name, "description": DESCRIPTIONS[name], "input_schema": INPUT_SCHEMAS[name],
            "output_schema": OUTPUT_SCHEMAS[name], "invoke_path": f"/v1/endpoints/{name}/invoke"}


def _error(status: int, code: str, message: str, **details: Any) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status)


def _unauthenticated(request: Request) -> JSONResponse | None:
    if request.headers.get("authorization") == f"Bearer {TOKEN}":
        return None
    return _error(401, "not_authenticated", "Missing or unknown bearer token.")


def _invalid_field(schema: dict[str, Any], inputs: Any) -> str | None:
    if not isinstance(inputs, dict):
        return "body"
    for field in schema["required"]:
        value, rules = inputs.get(field), schema["properties"][field]
        kind, minimum = rules["type"], rules.get("minimum", 0)
        valid_integer = isinstance(value, int) and not isinstance(value, bool) and value >= minimum
        if (kind == "integer" and not valid_integer) or (kind == "string" and not value):
            return field
    if "check_in" in inputs:
        try:
            dt.date.fromisoformat(inputs["check_in"])
        except (TypeError, ValueError):
            return "check_in"
    return None


def _answer(name: str, inputs: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    user_id = inputs["user_id"]
    known = user_id == KNOWN_USER
    profile_freshness = PROFILE_FRESH if known else {
        "view": "user_profile", "key": user_id, "status": "MISSING",
        "event_ts": None, "age_seconds": None,
    }
    profile = PROFILE_42 if known else dict.fromkeys(PROFILE_42)
    if name == "user_profile":
        return profile, [profile_freshness]
    if name == "hotel_search":
        return _search(inputs, known), [profile_freshness, *SEARCH_FRESHNESS]
    check_out = dt.date.fromisoformat(inputs["check_in"]) + dt.timedelta(days=inputs["nights"])
    offers = _offers(inputs["city"], known)
    outputs = {
        "check_out": check_out.isoformat(),
        "budget_per_night": profile["budget_per_night"],
        "budget_total": 512.4 if known else None,
        "ranked_offers": offers,
    }
    return outputs, [profile_freshness, *(PRICES_FRESH if offers else [])]


def _search_refusal(inputs: dict[str, Any]) -> JSONResponse | None:
    if inputs["city"] not in (CITY, EMPTY_CITY):
        return _error(404, "unknown_city", f"No city named {inputs['city']!r} is known.",
                      city=inputs["city"], suggestions=["Lisbon", "Lyon"])
    if inputs["nights"] > 30:
        return _error(422, "stay_too_long", "The stay is too long.", field="nights",
                      nights=inputs["nights"], limit=30)
    return None


def _search(inputs: dict[str, Any], known_user: bool) -> dict[str, Any]:
    check_out = dt.date.fromisoformat(inputs["check_in"]) + dt.timedelta(days=inputs["nights"])
    found = inputs["city"] == CITY
    hotels = [hotel if known_user else {**hotel, "within_budget": None}
              for hotel in (HOTELS_LISBON if found else [])]
    return {
        "city_name": inputs["city"], "check_out": check_out.isoformat(),
        "price_window": {"first_night": "2026-11-20", "last_night": "2027-02-17"},
        "hotels": hotels, "matching": len(hotels),
        "within_budget": (1 if found else 0) if known_user else None,
        "budget_per_night": 170.8 if known_user else None,
        "budget_total": 512.4 if known_user else None,
        "excluded": {**NO_EXCLUSION, "no_rooms": 1 if found else 3}, "hotels_in_city": 3,
    }


def _offers(city: str, known_user: bool) -> list[dict[str, Any]]:
    if city != CITY:
        return []
    return [offer if known_user else {**offer, "within_budget": True} for offer in OFFERS_LISBON]
