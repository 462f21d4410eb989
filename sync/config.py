"""Typed configuration of online stores, discriminated on ``type``.

Credentials never live in code: Redis takes them from its URL or password
setting, DynamoDB from the AWS credential chain (environment, profile, role),
Cosmos DB from its key setting (``GROUNDWORK_STORE__KEY``).

Every networked store bounds its serving reads by ``read_timeout_seconds`` (connect,
request and any retries together): a store that is down or hangs fails the read as
unavailable within it, and the next read connects again. Writes, which sync runs in
large batches, keep the longer ``timeout_seconds``.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

_NAME_PATTERN = r"^[A-Za-z0-9_-]*$"
DEFAULT_READ_TIMEOUT_SECONDS = 1.0
"""How long a serving read may take, connect and retries included, unless configured."""


def _read_timeout() -> float:
    return Field(
        default=DEFAULT_READ_TIMEOUT_SECONDS, gt=0, le=60,
        description="Bound of one serving read (connect, request and retries together); past "
        "it the read fails as unavailable.",
    )


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine (``localhost`` or a loopback address)."""
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SQLiteStoreConfig(BaseModel):
    """The embedded default store: one SQLite file, zero setup."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["sqlite"] = "sqlite"
    path: Path | None = Field(
        default=None, description="SQLite file; defaults to `<state_dir>/online.db`."
    )
    busy_timeout_seconds: float = Field(
        default=5.0, ge=0, le=60,
        description="How long a statement waits for a lock another connection holds (SQLite's "
        "busy timeout). Reads in WAL mode take no lock, so only writes wait in practice.",
    )


class RedisStoreConfig(BaseModel):
    """Redis (or a Redis-compatible service such as ElastiCache or Azure Cache for Redis)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["redis"] = "redis"
    url: str = Field(
        default="redis://127.0.0.1:6379/0",
        description="redis:// or rediss:// (TLS) URL; may carry user and password.",
    )
    password: SecretStr | None = Field(
        default=None, description="Password (AUTH), when not in the URL."
    )
    key_prefix: str = Field(
        default="groundwork", pattern=_NAME_PATTERN,
        description="Prefix of every key: `<prefix>:<view>:<entity key>`.",
    )
    max_connections: int = Field(
        default=32, ge=1, description="Connection pool size (one pool for reads, one for writes)."
    )
    timeout_seconds: float = Field(
        default=5.0, gt=0,
        description="Connect, command and pool-wait timeout of writes and deletes; past it a "
        "call fails as unavailable.",
    )
    read_timeout_seconds: float = _read_timeout()
    client_cache_entries: int = Field(
        default=100_000, ge=0, le=10_000_000,
        description=(
            "Records a server keeps in memory after reading them (Redis client-side caching:"
            " Redis invalidates each one when it is written, deleted or expires; Redis 6 or"
            " later, else reads go to Redis); 0 reads every record from Redis."
        ),
    )
    client_cache_staleness_seconds: float = Field(
        default=0.1, gt=0, le=60,
        description=(
            "How long a cached record is served after Redis last answered this server: past"
            " it the next read goes to Redis, so a Redis that stops answering fails reads"
            " within this plus `read_timeout_seconds`."
        ),
    )
    expired_retention_seconds: int = Field(
        default=86_400, ge=0,
        description=(
            "How long Redis keeps a record past its `expires_at` (native expiry at"
            " `expires_at` plus this), so reads report EXPIRED rather than MISSING; 0 drops"
            " records exactly at `expires_at`."
        ),
    )


class DynamoDBStoreConfig(BaseModel):
    """Amazon DynamoDB: one table per view, the entity key as partition key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["dynamodb"] = "dynamodb"
    region: str = Field(default="us-east-1", description="AWS region.")
    endpoint_url: str | None = Field(
        default=None, description="Endpoint override, e.g. a local DynamoDB on 127.0.0.1."
    )
    table_prefix: str = Field(
        default="groundwork", pattern=_NAME_PATTERN,
        description="Table name prefix: `<prefix>_<view>`.",
    )
    max_attempts: int = Field(
        default=10, ge=1, description="Attempts per call on throttling and unprocessed items."
    )
    max_concurrency: int = Field(
        default=64, ge=1,
        description="Calls in flight at once (conditional puts, deletes); also the pool size.",
    )
    consistent_reads: bool = Field(
        default=False,
        description="Strongly consistent reads (twice the read units) instead of eventual.",
    )
    timeout_seconds: float = Field(
        default=5.0, gt=0,
        description="Connect and read timeout of one HTTP call that writes or manages tables.",
    )
    read_timeout_seconds: float = _read_timeout()


class CosmosStoreConfig(BaseModel):
    """Azure Cosmos DB (SQL API): one container per view, partitioned on the entity key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["cosmos"] = "cosmos"
    endpoint: str = Field(description="Account endpoint, e.g. https://acct.documents.azure.com")
    key: SecretStr = Field(description="Account key (from the environment or a secret store).")
    database: str = Field(default="groundwork", pattern=_NAME_PATTERN,
                          description="Database name.")
    container_prefix: str = Field(
        default="", pattern=_NAME_PATTERN, description="Container name prefix: `<prefix><view>`."
    )
    allow_insecure_loopback: bool = Field(
        default=False,
        description="Skip TLS certificate checks; allowed only for an emulator on loopback.",
    )
    max_concurrency: int = Field(
        default=64, ge=1, le=512,
        description="Point operations in flight per call (Cosmos DB carries one item per call).",
    )
    max_attempts: int = Field(
        default=3, ge=1,
        description="Calls per operation on 408, 429, 449 and 503 once the SDK's own retries "
        "(9 throttling retries within 30 s) are exhausted.",
    )
    timeout_seconds: float = Field(
        default=5.0, gt=0,
        description="Connect and read timeout of one HTTP call that writes or manages "
        "containers.",
    )
    read_timeout_seconds: float = _read_timeout()
    expired_retention_seconds: int = Field(
        default=86_400, ge=0,
        description=(
            "How long Cosmos DB keeps an item past its `expires_at` (item `ttl` until"
            " `expires_at` plus this), so reads report EXPIRED rather than MISSING; 0 deletes"
            " items at `expires_at`."
        ),
    )
    proxy_from_environment: bool = Field(
        default=False,
        description="Honour HTTP(S)_PROXY, NO_PROXY and ~/.netrc (aiohttp `trust_env`); off by "
        "default because it costs two thread-pool hops per request (about 40% of the client's "
        "CPU per point operation).",
    )

    @model_validator(mode="after")
    def _insecure_only_on_loopback(self) -> CosmosStoreConfig:
        if self.allow_insecure_loopback and not is_loopback(self.endpoint):
            raise ValueError("allow_insecure_loopback is only allowed for a loopback endpoint")
        return self


StoreConfig = Annotated[
    SQLiteStoreConfig | RedisStoreConfig | DynamoDBStoreConfig | CosmosStoreConfig,
    Field(discriminator="type"),
]
"""Configuration of any online store, chosen by its ``type``."""
