"""Relevance of hotel search on the labelled queries: hit@5 and MRR per ranker.

The hotels' generated descriptions and the labelled queries come from the sample data
(:mod:`groundwork.features.sample_descriptions`, :mod:`groundwork.features.sample_queries`).
Each query is answered among the hotels of its city only, as the search filters by
city: a ranker scores every description, the city's hotels are ranked by score, and

- hit@5 is the share of queries with a truly matching hotel in the first five;
- MRR is the mean of 1 / rank of the first truly matching hotel.

A ranker is anything with ``fit(documents)`` and ``scores(query)``; the keyword
baseline (BM25, ``bm25s``) and a seeded random order are here, a semantic ranker plugs
in beside them.

Run: ``python -m bench.relevance`` (``--scale`` and ``--seed`` as for the sample data).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from groundwork.features.sample_data import DEFAULT_SEED, hotels
from groundwork.features.sample_descriptions import hotel_descriptions
from groundwork.features.sample_queries import LabelledQuery, labelled_queries

HIT_DEPTH = 5


class Ranker(Protocol):
    """Scores documents against a query; higher is more relevant."""

    name: str

    def fit(self, documents: Sequence[str]) -> None:
        """Index the documents once."""

    def scores(self, query: str) -> np.ndarray:
        """One score per indexed document, in their order."""


class Bm25:
    """Okapi BM25 over lower-cased words, English stop words removed (``bm25s``)."""

    name = "bm25"

    def __init__(self) -> None:
        import bm25s

        self._bm25s = bm25s
        self._index = bm25s.BM25()

    def fit(self, documents: Sequence[str]) -> None:
        """Tokenise and index the documents."""
        tokens = self._bm25s.tokenize(list(documents), return_ids=False, show_progress=False)
        self._index.index(tokens, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for the query's words."""
        tokens = self._bm25s.tokenize([query], return_ids=False, show_progress=False)[0]
        vocabulary = self._index.vocab_dict
        return np.asarray(self._index.get_scores([t for t in tokens if t in vocabulary]))


class RandomOrder:
    """A seeded random score: the floor any ranker must clear."""

    name = "random"

    def __init__(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)
        self._count = 0

    def fit(self, documents: Sequence[str]) -> None:
        """Remember how many documents there are."""
        self._count = len(documents)

    def scores(self, query: str) -> np.ndarray:
        """Random scores."""
        return self._rng.random(self._count)


def first_relevant_rank(scores: np.ndarray, ids: np.ndarray, relevant: set[int]) -> int:
    """1-based rank of the first relevant id when ordered by score (ties by id), else 0."""
    order = np.lexsort((ids, -scores))
    for rank, position in enumerate(order.tolist(), start=1):
        if int(ids[position]) in relevant:
            return rank
    return 0


def evaluate(ranker: Ranker, hotel_ids: np.ndarray, cities: np.ndarray,
             documents: Sequence[str], queries: Sequence[LabelledQuery]) -> dict[str, float]:
    """hit@5, MRR and the mean time per query of one ranker."""
    ranker.fit(documents)
    ranks = []
    started = time.perf_counter()
    for query in queries:
        in_city = cities == query.city
        scores = ranker.scores(query.text)[in_city]
        ranks.append(first_relevant_rank(scores, hotel_ids[in_city], set(query.relevant)))
    elapsed = time.perf_counter() - started
    found = np.array(ranks)
    return {
        f"hit@{HIT_DEPTH}": float(np.mean((found > 0) & (found <= HIT_DEPTH))),
        "mrr": float(np.mean(np.where(found > 0, 1.0 / np.maximum(found, 1), 0.0))),
        "ms_per_query": 1_000 * elapsed / len(queries),
    }


def main(rankers: Sequence[Ranker] | None = None) -> None:
    """Build the descriptions and queries, evaluate each ranker, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    arguments = parser.parse_args()
    hotel_table = hotels(scale=arguments.scale, seed=arguments.seed)
    descriptions = hotel_descriptions(hotel_table, arguments.seed)
    queries = labelled_queries(descriptions, hotel_table, arguments.seed)
    hotel_ids = descriptions["hotel_id"].to_numpy()
    cities = np.asarray(descriptions["city"].to_pylist())
    documents = descriptions["description"].to_pylist()
    relevant = np.mean([len(query.relevant) for query in queries])
    city_size = np.mean([int((cities == query.city).sum()) for query in queries])
    print(f"{len(documents):,} hotel descriptions, {len(queries)} labelled queries; "
          f"per query {relevant:.1f} relevant hotels among {city_size:.0f} of its city")
    print(f"{'ranker':<10} {'hit@' + str(HIT_DEPTH):>7} {'MRR':>7} {'ms/query':>9}")
    for ranker in rankers or (RandomOrder(arguments.seed), Bm25()):
        figures = evaluate(ranker, hotel_ids, cities, documents, queries)
        print(f"{ranker.name:<10} {figures[f'hit@{HIT_DEPTH}']:>7.3f} {figures['mrr']:>7.3f} "
              f"{figures['ms_per_query']:>9.2f}")


if __name__ == "__main__":
    main()
