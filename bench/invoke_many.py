"""Server-side cost per entity of one batch call against as many single calls, in-process.

    .venv/bin/python bench/invoke_many.py [--state-dir .state] [--items 100] [--rounds 15]
                                          [--groups 20] [--target user_profile]

Drives the ASGI app directly, as ``bench/invoke.py`` does. Each round sends
``--groups`` batches of ``--items`` entities as single ``/invoke`` calls, then
the same entities as one ``/invoke-many`` call per batch (the two modes
interleave, so load elsewhere on the machine touches both alike), and prints
the median over rounds of microseconds per entity: wall time and CPU time of
this process (the steadier figure). The first batch is checked first: its
``invoke-many`` results must equal its single calls' answers.
"""

from __future__ import annotations

import sys
from pathlib import Path

# As in bench/invoke.py: import the helpers as `bench.*`, not bench/ first on sys.path.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH_DIR]
sys.path.append(str(BENCH_DIR.parent))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import orjson  # noqa: E402
import uvloop  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.invoke import Call  # noqa: E402
from bench.workload import prepare, request_bodies  # noqa: E402
from groundwork.server import build_app  # noqa: E402
from groundwork.settings import Settings  # noqa: E402


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=None,
                        help="state to serve (default: GROUNDWORK_STATE_DIR, else .state)")
    parser.add_argument("--items", type=int, default=100, help="entities per batch call")
    parser.add_argument("--groups", type=int, default=20, help="batches per round and mode")
    parser.add_argument("--rounds", type=int, default=15, help="rounds (medians are over them)")
    parser.add_argument("--target", default="user_profile", help="endpoint to measure")
    parser.add_argument("--seed", type=int, default=7, help="seed of the random requests")
    return parser.parse_args(argv)


class ManyCall(Call):
    """One prepared ``/invoke-many`` request."""

    def __init__(self, app: Any, target: str, token: str) -> None:
        super().__init__(app, target, token)
        path = f"/v1/endpoints/{target}/invoke-many"
        self.scope = {**self.scope, "path": path, "raw_path": path.encode()}


def batches(bodies: list[bytes], items: int, count: int) -> list[list[bytes]]:
    """``count`` groups of ``items`` single-call bodies."""
    return [[bodies[(group * items + index) % len(bodies)] for index in range(items)]
            for group in range(count)]


async def check_equal(single: Call, many: ManyCall, group: list[bytes]) -> None:
    """Stop unless the batch answers what the single calls answer, item by item."""
    answers = []
    for body in group:
        await single(body)
        answers.append(orjson.loads(single.answer))
    await many(b'{"inputs":[' + b",".join(group) + b"]}")
    if many.status != 200:
        raise SystemExit(f"invoke-many: {many.status} {many.answer[:300]!r}")
    results = orjson.loads(many.answer)["results"]
    for answer, result in zip(answers, results, strict=True):
        if (answer["outputs"], answer["errors"]) != (result["outputs"], result["errors"]):
            raise SystemExit(f"invoke-many differs from invoke: {answer} != {result}")


async def timed(calls: list[Any]) -> tuple[float, float]:
    """Wall and CPU seconds of awaiting every call in turn."""
    wall, cpu = time.perf_counter(), time.process_time()
    for call in calls:
        await call
    return time.perf_counter() - wall, time.process_time() - cpu


async def run(arguments: argparse.Namespace, console: Console) -> Table:
    """Measure both modes, interleaved, and return the table."""
    overrides = {} if arguments.state_dir is None else {"state_dir": arguments.state_dir}
    settings = Settings(**overrides)
    token = prepare(console, settings)
    groups = batches(request_bodies(settings, arguments.seed)[arguments.target],
                     arguments.items, arguments.groups)
    many_bodies = [b'{"inputs":[' + b",".join(group) + b"]}" for group in groups]
    app = build_app(settings)
    entities = arguments.items * arguments.groups
    samples: dict[str, list[tuple[float, float]]] = {"invoke": [], "invoke-many": []}
    async with app.router.lifespan_context(app):
        single, many = Call(app, arguments.target, token), ManyCall(app, arguments.target, token)
        await check_equal(single, many, groups[0])
        for _ in range(2):  # warm the caches
            await timed([single(body) for group in groups for body in group])
            await timed([many(body) for body in many_bodies])
        for _ in range(arguments.rounds):
            samples["invoke"].append(
                await timed([single(body) for group in groups for body in group]))
            samples["invoke-many"].append(await timed([many(body) for body in many_bodies]))
            await asyncio.sleep(0.05)  # let the audit sink flush between rounds
    table = Table(title=f"{arguments.target}: µs per entity, {arguments.items} entities per "
                        f"invoke-many, median of {arguments.rounds} rounds of {entities:,}")
    for column in ("mode", "wall µs/entity", "CPU µs/entity"):
        table.add_column(column, justify="left" if column == "mode" else "right")
    for mode, timings in samples.items():
        wall = statistics.median(sample[0] for sample in timings) / entities * 1e6
        cpu = statistics.median(sample[1] for sample in timings) / entities * 1e6
        table.add_row(mode, f"{wall:.1f}", f"{cpu:.1f}")
    return table


def main(argv: list[str]) -> None:
    """Parse the options, measure, print the table."""
    arguments = parse_arguments(argv)
    console = Console()
    console.print(uvloop.run(run(arguments, console)))


if __name__ == "__main__":
    main(sys.argv[1:])
