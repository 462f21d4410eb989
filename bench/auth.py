"""Cost of authentication and authorization on the serving path (a script, not a test).

Times ``AccessController.authenticate`` + ``authorize`` as an endpoint call
makes them, with the decision cache warm (the steady state) and cold (after a
grant change), against a SQLite catalog with a realistic number of grants,
and one read of the access version (what each server process does every
0.25 s, off the request path, to notice changes made by other processes).

    .venv/bin/python bench/auth.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[:] = [entry for entry in sys.path if Path(entry).resolve() != Path(__file__).parent]

from groundwork.catalog.access import AccessController  # noqa: E402
from groundwork.catalog.changes import ACCESS_CHANGE_BOUND, AccessChangeWatcher  # noqa: E402
from groundwork.catalog.policy import GranteeKind, ObjectType, PrincipalKind, Privilege, Securable  # noqa: E402
from groundwork.catalog.store import Catalog  # noqa: E402
from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec  # noqa: E402

CALLS = 20_000


def percentile(samples: list[float], share: float) -> float:
    """The ``share`` quantile of ``samples``, in microseconds."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1e6


def main() -> None:
    """Print p50/p99 of a cached and an uncached access check."""
    with tempfile.TemporaryDirectory() as directory:
        catalog = Catalog(f"sqlite:///{directory}/catalog.db")
        catalog.create_schema()
        catalog.register_feature_view(ViewSpec(  # makes user_id a key tokens may be bound to
            "user_profile", "user_id", ValueType.INT,
            (FeatureSpec("budget_per_night", ValueType.FLOAT),), ttl_seconds=None))
        catalog.create_principal("planner", PrincipalKind.AGENT, ["agents"])
        for number in range(20):
            catalog.grant(f"group{number}", Privilege.EXECUTE, ObjectType.ENDPOINT,
                          f"endpoint_{number}_*", grantee_kind=GranteeKind.GROUP)
        catalog.grant("agents", Privilege.EXECUTE, ObjectType.ENDPOINT, "hotel_*",
                      grantee_kind=GranteeKind.GROUP)
        token = catalog.issue_token("planner", entity_filter={"user_id": 42}).token
        access = AccessController(catalog, max_age=ACCESS_CHANGE_BOUND)  # as the server has it
        watcher = AccessChangeWatcher(catalog, access)
        securable = Securable(ObjectType.ENDPOINT, "hotel_offers")

        def check() -> float:
            started = time.perf_counter()
            principal = access.authenticate(token)
            assert access.authorize(principal, securable, Privilege.EXECUTE).allowed
            return time.perf_counter() - started

        check()
        warm = [check() for _ in range(CALLS)]
        cold = []
        for _ in range(200):
            access.invalidate()
            cold.append(check())
        reads = []
        for _ in range(2_000):
            started = time.perf_counter()
            watcher.check()
            reads.append(time.perf_counter() - started)
        catalog.dispose()
    print(f"access check, decision cache warm: p50 {percentile(warm, 0.5):.1f} µs, "
          f"p99 {percentile(warm, 0.99):.1f} µs, mean {statistics.mean(warm) * 1e6:.1f} µs "
          f"({CALLS:,} calls)")
    print(f"access check, cache just invalidated: p50 {percentile(cold, 0.5):.0f} µs, "
          f"p99 {percentile(cold, 0.99):.0f} µs (one catalog query)")
    print(f"access version read (the watcher's check, off the request path): "
          f"p50 {percentile(reads, 0.5):.0f} µs, p99 {percentile(reads, 0.99):.0f} µs")
    print("target: auth adds <= 100 µs p50 to a call")


if __name__ == "__main__":
    main()
