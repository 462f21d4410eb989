"""Choose the vector index: usearch, faiss-cpu and hnswlib on the same synthetic vectors.

The vectors are 384-dimensional float32, normalised, cosine (inner product), drawn from
a Gaussian mixture with a low-rank spread inside each cluster (sentence embeddings have
a low intrinsic dimension; isotropic 384-d noise would make every neighbour a tie).
Each vector carries a city label; two cities select about 1 % and 10 % of the vectors,
independently of the clusters, as a city does not decide what a hotel is like.

For each library, in a forked child process so its memory is measured alone:

- build time (all cores; wall and process CPU) and resident memory growth (RSS delta)
  of the index;
- recall@10 against exact numpy search over the sample of queries, query latency
  p50/p99 in-process and the median CPU time of a query (one query at a time, one
  thread, each query timestamped; on a shared machine CPU is the figure to compare), for a
  sweep of the search breadth (``ef``); the table keeps the narrowest setting reaching
  ``--target`` recall;
- filtered search by city with the library's own mechanism: faiss ``IDSelectorBitmap``,
  hnswlib's ``filter`` callable, and, as usearch's Python binding exposes no predicate,
  an oversampled search filtered afterwards. An exact numpy search over the city's
  vectors only is printed beside them.

Run: ``python -m bench.vector_index --vectors 100000`` (add ``--vectors 1000000``).
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import math
import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import psutil

DIMENSIONS = 384
K = 10
CLUSTERS = 200
LATENT = 48
CITIES = {"small": 0.01, "large": 0.10}  # city label -> share of the vectors
M = 16  # graph degree, the same for the three libraries
EF_CONSTRUCTION = 128
EF_SWEEP = (16, 32, 64, 128, 256, 512, 1024)
FILTER_EF_SWEEP = (64, 128, 256, 512, 1024, 2048)

Search = Callable[[np.ndarray, int], np.ndarray]  # (query, ef) -> ids of the top K
FilteredSearch = Callable[[np.ndarray, int, str], np.ndarray]  # (query, ef, city) -> ids


@dataclass(frozen=True)
class Data:
    """The vectors, the queries, their city labels and the exact answers."""

    vectors: np.ndarray
    queries: np.ndarray
    city: dict[str, np.ndarray]  # city -> boolean mask over the vectors
    truth: np.ndarray  # (queries, K) exact neighbours
    city_truth: dict[str, np.ndarray]  # city -> (queries, K) exact neighbours in the city
    ef_construction: int = EF_CONSTRUCTION


def mixture(rng: np.random.Generator, count: int, centres: np.ndarray,
            basis: np.ndarray) -> np.ndarray:
    """Normalised points of the mixture, generated in chunks to bound the temporary memory."""
    out = np.empty((count, DIMENSIONS), dtype=np.float32)
    for start in range(0, count, 100_000):
        stop = min(count, start + 100_000)
        labels = rng.integers(0, CLUSTERS, stop - start)
        spread = rng.standard_normal((stop - start, LATENT), dtype=np.float32) @ basis
        noise = rng.standard_normal((stop - start, DIMENSIONS), dtype=np.float32) * 0.05
        chunk = centres[labels] + 0.6 * spread + noise
        out[start:stop] = chunk / np.linalg.norm(chunk, axis=1, keepdims=True)
    return out


def exact_top(vectors: np.ndarray, queries: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """Exact top-K ids by inner product, optionally among the masked vectors only."""
    ids = np.arange(len(vectors)) if mask is None else np.flatnonzero(mask)
    best_scores = np.full((len(queries), K), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(queries), K), dtype=np.int64)
    for start in range(0, len(ids), 200_000):
        chunk = ids[start:start + 200_000]
        scores = queries @ vectors[chunk].T
        scores = np.concatenate([best_scores, scores], axis=1)
        candidates = np.concatenate([best_ids, np.broadcast_to(chunk, (len(queries), len(chunk)))],
                                    axis=1)
        top = np.argpartition(-scores, K, axis=1)[:, :K]
        best_scores = np.take_along_axis(scores, top, axis=1)
        best_ids = np.take_along_axis(candidates, top, axis=1)
    return best_ids


def generate(count: int, queries: int, seed: int, ef_construction: int) -> Data:
    """The data set and its exact answers, deterministic from the seed."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CLUSTERS, DIMENSIONS), dtype=np.float32) / math.sqrt(DIMENSIONS)
    basis = rng.standard_normal((LATENT, DIMENSIONS), dtype=np.float32) / math.sqrt(DIMENSIONS)
    vectors = mixture(rng, count, centres, basis)
    query_vectors = mixture(rng, queries, centres, basis)
    draw = rng.random(count)
    city = {"small": draw < CITIES["small"],
            "large": (draw >= CITIES["small"]) & (draw < CITIES["small"] + CITIES["large"])}
    return Data(vectors, query_vectors, city, exact_top(vectors, query_vectors, None),
                {name: exact_top(vectors, query_vectors, mask) for name, mask in city.items()},
                ef_construction)


# ---------------------------------------------------------------- the three libraries

def build_usearch(data: Data) -> tuple[Search, FilteredSearch]:
    """usearch HNSW; filtering oversamples by the city's share and keeps the city's ids."""
    from usearch.index import Index

    index = Index(ndim=DIMENSIONS, metric="ip", dtype="f32", connectivity=M,
                  expansion_add=data.ef_construction)
    index.add(np.arange(len(data.vectors)), data.vectors, threads=os.cpu_count() or 1)

    def search(query: np.ndarray, ef: int) -> np.ndarray:
        index.expansion_search = ef  # type: ignore[misc]  # the stub misses the setter
        return np.asarray(index.search(query, K, threads=1).keys)

    def filtered(query: np.ndarray, ef: int, city: str) -> np.ndarray:
        mask = data.city[city]
        count = min(len(data.vectors), math.ceil(2 * K / CITIES[city]))
        index.expansion_search = max(ef, count)  # type: ignore[misc]
        keys = np.asarray(index.search(query, count, threads=1).keys)
        return keys[mask[keys]][:K]

    return search, filtered


def build_faiss(data: Data) -> tuple[Search, FilteredSearch]:
    """faiss IndexHNSWFlat; filtering passes an IDSelectorBitmap in the search parameters."""
    import faiss

    faiss.omp_set_num_threads(os.cpu_count() or 1)
    index = faiss.IndexHNSWFlat(DIMENSIONS, M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = data.ef_construction
    index.add(data.vectors)
    faiss.omp_set_num_threads(1)
    bitmaps = {name: np.packbits(mask, bitorder="little") for name, mask in data.city.items()}
    selectors = {name: faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bitmaps[name]))
                 for name, mask in data.city.items()}

    def search(query: np.ndarray, ef: int) -> np.ndarray:
        params = faiss.SearchParametersHNSW(efSearch=ef)  # type: ignore[attr-defined]
        return index.search(query[None, :], K, params=params)[1][0]

    def filtered(query: np.ndarray, ef: int, city: str) -> np.ndarray:
        params = faiss.SearchParametersHNSW(  # type: ignore[attr-defined]
            efSearch=ef, sel=selectors[city])
        ids = index.search(query[None, :], K, params=params)[1][0]
        return ids[ids >= 0]

    search.keep = bitmaps  # type: ignore[attr-defined]  # the selectors point into them
    return search, filtered


def build_hnswlib(data: Data) -> tuple[Search, FilteredSearch]:
    """hnswlib; filtering calls a Python predicate on each candidate id."""
    import hnswlib

    index = hnswlib.Index(space="ip", dim=DIMENSIONS)
    index.init_index(max_elements=len(data.vectors), M=M, ef_construction=data.ef_construction,
                     random_seed=7)
    index.add_items(data.vectors, np.arange(len(data.vectors)), num_threads=os.cpu_count() or 1)
    index.set_num_threads(1)
    predicates = {name: (lambda label, mask=mask: bool(mask[label]))
                  for name, mask in data.city.items()}

    def search(query: np.ndarray, ef: int) -> np.ndarray:
        index.set_ef(ef)
        return index.knn_query(query, k=K)[0][0]

    def filtered(query: np.ndarray, ef: int, city: str) -> np.ndarray:
        index.set_ef(ef)
        return index.knn_query(query, k=K, filter=predicates[city])[0][0]

    return search, filtered


LIBRARIES: dict[str, Callable[[Data], tuple[Search, FilteredSearch]]] = {
    "usearch": build_usearch, "faiss-cpu": build_faiss, "hnswlib": build_hnswlib,
}


# ---------------------------------------------------------------- measuring

def recall(found: list[np.ndarray], truth: np.ndarray) -> float:
    """Mean share of the exact top-K found."""
    return float(np.mean([len(np.intersect1d(ids, row)) / K for ids, row in zip(found, truth,
                                                                               strict=True)]))


def timed(run: Callable[[np.ndarray], np.ndarray],
          queries: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """The answers, and each query's latency and CPU time of this thread, in microseconds."""
    found, latencies, cpu = [], np.empty(len(queries)), np.empty(len(queries))
    for position, query in enumerate(queries):
        started, started_cpu = time.perf_counter_ns(), time.thread_time_ns()
        found.append(run(query))
        latencies[position] = (time.perf_counter_ns() - started) / 1_000
        cpu[position] = (time.thread_time_ns() - started_cpu) / 1_000
    return found, latencies, cpu


def figures(ef: int, score: float, latencies: np.ndarray, cpu: np.ndarray) -> dict[str, float]:
    """One setting's recall, latency percentiles and median CPU time per query."""
    return {"ef": ef, "recall": score, "p50_us": float(np.percentile(latencies, 50)),
            "p99_us": float(np.percentile(latencies, 99)), "cpu_us": float(np.median(cpu))}


def _at_ef(run: Search, ef: int, query: np.ndarray) -> np.ndarray:
    """One search at a given breadth."""
    return run(query, ef)


def _in_city(run: FilteredSearch, city: str, query: np.ndarray, ef: int) -> np.ndarray:
    """One filtered search in a given city."""
    return run(query, ef, city)


def sweep(run: Callable[[np.ndarray, int], np.ndarray], sweep_ef: tuple[int, ...],
          queries: np.ndarray, truth: np.ndarray, target: float) -> dict[str, float]:
    """The narrowest ef reaching the target recall (else the widest), with its figures."""
    for ef in sweep_ef:
        found, latencies, cpu = timed(functools.partial(_at_ef, run, ef), queries)
        score = recall(found, truth)
        if score >= target or ef == sweep_ef[-1]:
            return figures(ef, score, latencies, cpu)
    raise AssertionError("unreachable")


def measure(name: str, data: Data, target: float) -> dict[str, Any]:
    """Build one library's index and measure it; runs in a child process."""
    process = psutil.Process()
    ctypes.CDLL("libc.so.6").malloc_trim(0)  # the parent's freed heap would hide new memory
    before = process.memory_info().rss
    started, started_cpu = time.perf_counter(), time.process_time()
    search, filtered = LIBRARIES[name](data)
    result: dict[str, Any] = {"build_s": time.perf_counter() - started,
                              "build_cpu_s": time.process_time() - started_cpu,
                              "rss_mb": (process.memory_info().rss - before) / 2**20}
    result["plain"] = sweep(search, EF_SWEEP, data.queries, data.truth, target)
    for city in CITIES:
        result[city] = sweep(functools.partial(_in_city, filtered, city),
                             FILTER_EF_SWEEP, data.queries, data.city_truth[city], target)
    return result


def exact_city(data: Data) -> dict[str, dict[str, float]]:
    """Exact numpy search over the city's vectors only: the floor a filter must beat."""
    out = {}
    for city, mask in data.city.items():
        ids = np.flatnonzero(mask)
        subset = data.vectors[ids]

        def run(query: np.ndarray, ids: np.ndarray = ids,
                subset: np.ndarray = subset) -> np.ndarray:
            scores = subset @ query
            return ids[np.argpartition(-scores, K)[:K]]

        found, latencies, cpu = timed(run, data.queries)
        out[city] = figures(0, recall(found, data.city_truth[city]), latencies, cpu)
    return out


def child(name: str, data: Data, target: float, pipe: Any) -> None:
    """Entry of the forked child: measure and send the result back."""
    pipe.send(measure(name, data, target))
    pipe.close()


def row(label: str, measured: dict[str, float]) -> str:
    """One table cell group: ef, recall, p50 and p99 latency, CPU per query."""
    return (f"{label:<7} ef={int(measured['ef']):>4} recall={measured['recall']:.3f} "
            f"p50={measured['p50_us']:8.1f}us p99={measured['p99_us']:8.1f}us "
            f"cpu={measured['cpu_us']:8.1f}us")


def main() -> None:
    """Generate, measure each library in its own process, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--target", type=float, default=0.95)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--libraries", default=",".join(LIBRARIES))
    parser.add_argument("--ef-construction", type=int, default=EF_CONSTRUCTION)
    arguments = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))

    started = time.perf_counter()
    data = generate(arguments.vectors, arguments.queries, arguments.seed,
                    arguments.ef_construction)
    print(f"{arguments.vectors:,} vectors x {DIMENSIONS}, {arguments.queries} queries, "
          f"M={M} ef_construction={data.ef_construction}, target recall@{K} {arguments.target}; "
          f"data and exact answers in {time.perf_counter() - started:.1f} s", flush=True)
    context = multiprocessing.get_context("fork")
    for name in arguments.libraries.split(","):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=child, args=(name, data, arguments.target, send))
        process.start()
        result = receive.recv()
        process.join()
        print(f"\n{name}: build {result['build_s']:.1f} s ({result['build_cpu_s']:.1f} s CPU), "
              f"memory +{result['rss_mb']:.0f} MB",
              flush=True)
        print("  " + row("all", result["plain"]))
        for city, share in CITIES.items():
            print("  " + row(f"{share:.0%}", result[city]))
    print("\nexact numpy over the city's vectors only:")
    for city, measured in exact_city(data).items():
        print("  " + row(f"{CITIES[city]:.0%}", measured))


if __name__ == "__main__":
    main()
