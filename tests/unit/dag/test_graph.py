"""Building an endpoint DAG: every definition error fails at build time, naming the culprit."""

from __future__ import annotations

import pytest

from groundwork.dag.errors import (
    CycleDetected,
    DuplicateNode,
    MissingTypeHint,
    TypeMismatch,
    UnboundParameter,
    UnknownReference,
)
from groundwork.dag.graph import NodeKind, build_graph
from groundwork.dag.plan import plan
from groundwork.dag.spec import EndpointSpec, Input, Lookup
from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec
from tests.unit.dag.views import VIEWS


def doubled(budget: float | None) -> float:
    """Twice the budget."""
    return 2 * (budget or 0.0)


USER_LOOKUP = (Lookup("users", "user_id"),)
USER_INPUT = (Input("user_id", int),)


def spec(*functions, outputs=("doubled",), lookups=USER_LOOKUP, inputs=USER_INPUT) -> EndpointSpec:
    return EndpointSpec("test", "a test", inputs, lookups, functions, outputs)


def test_builds_nodes_with_types_and_rounds() -> None:
    graph = build_graph(spec(doubled), VIEWS)
    assert graph.nodes["user_id"].kind is NodeKind.INPUT
    assert graph.nodes["budget"].type == float | None
    assert graph.nodes["doubled"].dependencies == ("budget",)
    assert graph.nodes["doubled"].round == 1
    assert "nickname" not in graph.nodes  # pruned: no output needs it


def test_list_keyed_lookup_yields_aligned_lists_one_round_later() -> None:
    def friend_names(nickname: list[str | None]) -> list[str]:
        return [name or "?" for name in nickname]

    people = ViewSpec("people", "person_id", ValueType.INT,
                      (FeatureSpec("nickname", ValueType.STRING),), None)
    endpoint = EndpointSpec(
        "friends", "d", (Input("user_id", int),),
        (Lookup("users", "user_id", ("friends",)), Lookup("people", "friends")),
        (friend_names,), ("friend_names",),
    )
    graph = build_graph(endpoint, {**VIEWS, "people": people})
    assert graph.nodes["friends"].type == list[int] | None
    assert graph.nodes["nickname"].type == list[str | None]
    assert graph.nodes["people"].multi and graph.nodes["people"].round == 2
    steps = plan(graph).rounds
    assert [[node.name for node in step.lookups] for step in steps] == [["users"], ["people"], []]
    assert [node.name for node in steps[2].functions] == ["friend_names"]


def test_missing_type_hint_names_function_and_parameter() -> None:
    def untyped(budget) -> float:  # type: ignore[no-untyped-def]
        return 1.0

    with pytest.raises(MissingTypeHint) as error:
        build_graph(spec(untyped, outputs=("untyped",)), VIEWS)
    assert error.value.details == {"function": "untyped", "parameter": "budget"}


def test_missing_return_hint_fails() -> None:
    def no_return(budget: float | None):  # type: ignore[no-untyped-def]
        return 1.0

    with pytest.raises(MissingTypeHint, match="return"):
        build_graph(spec(no_return, outputs=("no_return",)), VIEWS)


def test_unbound_parameter_names_it() -> None:
    def needs_stars(stars: int) -> int:
        return stars

    with pytest.raises(UnboundParameter) as error:
        build_graph(spec(needs_stars, outputs=("needs_stars",)), VIEWS)
    assert error.value.details["parameter"] == "stars"
    assert error.value.details["function"] == "needs_stars"


def test_parameter_with_default_may_stay_unbound() -> None:
    def scaled(budget: float | None, factor: float = 3.0) -> float:
        return (budget or 0.0) * factor

    graph = build_graph(spec(scaled, outputs=("scaled",)), VIEWS)
    assert graph.nodes["scaled"].dependencies == ("budget",)


def test_mistyped_parameter_fails() -> None:
    def shout(budget: str) -> str:
        return budget.upper()

    with pytest.raises(TypeMismatch) as error:
        build_graph(spec(shout, outputs=("shout",)), VIEWS)
    assert error.value.details["parameter"] == "budget"
    assert "str" in error.value.details["expected"]


def test_optional_feature_into_non_optional_parameter_fails() -> None:
    def strict(budget: float) -> float:
        return budget

    with pytest.raises(TypeMismatch):
        build_graph(spec(strict, outputs=("strict",)), VIEWS)


def test_duplicate_names_fail() -> None:
    def budget(user_id: int) -> float:
        return 1.0

    with pytest.raises(DuplicateNode) as error:
        build_graph(spec(budget, outputs=("budget",)), VIEWS)
    assert error.value.details["node"] == "budget"


def test_cycle_fails_and_names_the_path() -> None:
    def first(second: int) -> int:
        return second

    def second(first: int) -> int:
        return first

    with pytest.raises(CycleDetected) as error:
        build_graph(spec(first, second, outputs=("first",), lookups=()), VIEWS)
    assert set(error.value.details["cycle"]) == {"first", "second"}


def test_wrong_key_type_fails() -> None:
    with pytest.raises(TypeMismatch):
        build_graph(spec(doubled, inputs=(Input("user_id", str),)), VIEWS)


def test_unknown_view_feature_and_output_fail() -> None:
    with pytest.raises(UnknownReference):
        build_graph(spec(doubled, lookups=(Lookup("nope", "user_id"),)), VIEWS)
    with pytest.raises(UnknownReference):
        build_graph(spec(doubled, outputs=("nothing",)), VIEWS)
    with pytest.raises(UnknownReference):
        build_graph(spec(doubled, lookups=(Lookup("users", "city"),)), VIEWS)


def tripled(budget: float | None, doubled: float, bonus: float = 1.0) -> float:
    """Three times the budget, from the doubled one."""
    return (budget or 0.0) + doubled + bonus


def test_upstream_names_each_nodes_bound_inputs_in_order() -> None:
    graph = build_graph(spec(doubled, tripled, outputs=("tripled",)), VIEWS)

    assert graph.upstream == {
        "user_id": (), "users": ("user_id",), "budget": ("users",), "doubled": ("budget",),
        "tripled": ("budget", "doubled"),
    }
    assert list(graph.upstream) == list(graph.order)
