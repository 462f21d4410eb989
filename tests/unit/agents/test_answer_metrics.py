"""The watcher's counters add up figures by verdict and answers by outcome."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from groundwork.agents.answer_metrics import AnswerMetrics


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, labels)
    assert value is not None, name
    return value


def test_figures_and_outcomes_are_counted() -> None:
    registry = CollectorRegistry()
    metrics = AnswerMetrics(registry)

    assert metrics.observe({"grounded": 12, "derived": 1}, verified=True,
                           repaired=False) == "verified"
    assert metrics.observe({"grounded": 3, "ungrounded": 2}, verified=False,
                           repaired=False) == "unverified"
    assert metrics.observe({"grounded": 5}, verified=True, repaired=True) == "repaired"

    assert sample(registry, "groundwork_answer_figures_total", verdict="grounded") == 20
    assert sample(registry, "groundwork_answer_figures_total", verdict="ungrounded") == 2
    assert sample(registry, "groundwork_answer_figures_total", verdict="stale") == 0
    for outcome in ("verified", "repaired", "unverified"):
        assert sample(registry, "groundwork_answers_total", outcome=outcome) == 1
    exposition = generate_latest(registry).decode()
    assert 'groundwork_answer_figures_total{verdict="derived"} 1.0' in exposition
