"""Prometheus metrics of the answer watcher, kept by the process that runs the planner.

Every answer the planner gives is verified; these counters add up what the
watcher found, so a chatbot back end that serves ``/metrics`` (with
``prometheus_client``) shows the grounded-figure rate and how many answers
needed a repair turn or stayed unverified:

- ``groundwork_answer_figures_total{verdict}``: figures judged, by verdict
  (``grounded``, ``derived``, ``stale``, ``ungrounded``); the grounded-figure
  rate is ``grounded / sum``;
- ``groundwork_answers_total{outcome}``: answers, by outcome (``verified``,
  ``repaired``: verified after the repair turn, ``unverified``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from prometheus_client import REGISTRY, CollectorRegistry, Counter

Verdict = Literal["grounded", "derived", "stale", "ungrounded"]
VERDICTS: tuple[Verdict, ...] = ("grounded", "derived", "stale", "ungrounded")
Outcome = Literal["verified", "repaired", "unverified"]


class AnswerMetrics:
    """The watcher's counters in one registry.

    Args:
        registry: Where the counters are registered (the default registry).
    """

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.figures = Counter("groundwork_answer_figures", "Figures in planner answers, by "
                               "the watcher's verdict.", ["verdict"], registry=registry)
        self.answers = Counter("groundwork_answers", "Planner answers, by outcome: verified, "
                               "repaired (verified after one repair turn) or unverified.",
                               ["outcome"], registry=registry)
        for verdict in VERDICTS:
            self.figures.labels(verdict)
        for outcome in ("verified", "repaired", "unverified"):
            self.answers.labels(outcome)

    def observe(self, counts: Mapping[Verdict, int], *, verified: bool, repaired: bool) -> Outcome:
        """Count one answer: its figures per verdict and its outcome (returned)."""
        for verdict in VERDICTS:
            if counts.get(verdict):
                self.figures.labels(verdict).inc(counts[verdict])
        outcome: Outcome = "unverified" if not verified else "repaired" if repaired else "verified"
        self.answers.labels(outcome).inc()
        return outcome


_DEFAULT: AnswerMetrics | None = None


def answer_metrics() -> AnswerMetrics:
    """The process's counters in the default registry (made on first use)."""
    global _DEFAULT  # noqa: PLW0603 - one set of counters per process and registry
    if _DEFAULT is None:
        _DEFAULT = AnswerMetrics()
    return _DEFAULT
