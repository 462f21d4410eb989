"""Process settings, read once from the environment (``GROUNDWORK_*``) and passed in."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from groundwork.sync.config import SQLiteStoreConfig, StoreConfig

PRIMARY = "primary"
"""Name of the primary store (``GROUNDWORK_STORE``)."""


class Settings(BaseSettings):
    """Everything a Groundwork process needs to know about its environment.

    Build it once at the edge (CLI, server start) and pass it down; nothing
    reads the environment anywhere else.
    """

    model_config = SettingsConfigDict(
        env_prefix="GROUNDWORK_", env_nested_delimiter="__", extra="forbid"
    )

    environment: Literal["development", "production"] = Field(
        default="development", description="`production` refuses unsafe defaults."
    )
    state_dir: Path = Field(
        default=Path(".state"),
        description="Directory for raw data, feature tables, the embedded store and catalog.",
    )
    spark_master: str = Field(
        default="local[*]", description="Spark master URL the feature jobs run on."
    )
    sync_engine: Literal["auto", "spark", "arrow"] = Field(
        default="auto",
        description="What `groundwork sync` runs: `arrow` (in the process, no JVM), `spark` "
        "(one Spark job on `spark_master`) or `auto` (Arrow for local tables of at most "
        "`groundwork.sync.engines.ARROW_MAX_ROWS` rows in all, Spark otherwise).",
    )
    raw_data_uri: str | None = Field(
        default=None,
        description="Where the Spark jobs read the raw datasets (`<name>.parquet`), as a path or "
        "a URI their cluster reads (`s3a://…`, `abfss://…`); defaults to `<state_dir>/raw`.",
    )
    feature_tables_uri: str | None = Field(
        default=None,
        description="Where the Spark jobs write, and sync reads, one table per view, as a path "
        "or URI; defaults to `<state_dir>/feature_tables`.",
    )
    catalog_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the catalog; defaults to `<state_dir>/catalog.db`.",
    )
    store: StoreConfig = Field(
        default_factory=SQLiteStoreConfig,
        description="The primary online store: sync writes to it and serving reads from it.",
    )
    stores: dict[str, StoreConfig] = Field(
        default_factory=dict,
        description="More online stores by name; `groundwork sync --store NAME` writes to them.",
    )
    view_stores: dict[str, str] = Field(
        default_factory=dict,
        description="View name to the name of the store serving it (default `primary`).",
    )
    host: str = Field(default="127.0.0.1", description="Address the REST server binds.")
    port: int = Field(default=8000, description="Port the REST server binds.")
    workers: int = Field(
        default=1, ge=1, le=64,
        description="Worker processes of `groundwork serve` on the one port, each with its own "
        "stores, catalog connections and audit sink (about one per core).",
    )
    http_server: Literal["uvicorn", "granian"] = Field(
        default="uvicorn",
        description="The HTTP server running the app: `uvicorn` (httptools, uvloop) or "
        "`granian` (Rust HTTP/1, ASGI; the `granian` extra).",
    )
    max_body_bytes: int = Field(
        default=1 << 20, ge=1024, le=1 << 30,
        description="Largest request body the server accepts, in bytes (larger: 413).",
    )
    body_timeout_seconds: float = Field(
        default=10.0, gt=0, le=600,
        description="Longest time a request body may take to arrive whole (slower: 408, and "
        "the connection is closed).",
    )
    audit_ship_interval_seconds: float = Field(
        default=0.1, gt=0, le=60,
        description="How often the audit shipper looks for spooled audit events to move "
        "into the catalog.",
    )
    chat_model: str | None = Field(
        default=None,
        description="LangChain `init_chat_model` id, e.g. `openai:gpt-4.1-mini`; "
        "unset runs the deterministic plan.",
    )
    agent_transport: Literal["rest", "mcp"] = Field(
        default="rest",
        description="How the travel planner reaches its tools: `rest` (/v1/tools and the "
        "invoke routes) or `mcp` (the /mcp door through langchain-mcp-adapters).",
    )
    sample_scale: float = Field(
        default=1.0, gt=0, description="Multiplier on the sample data's row counts."
    )

    @model_validator(mode="after")
    def _enforce_safe_production(self) -> Settings:
        if self.environment == "production" and self.catalog_url is None:
            raise ValueError("GROUNDWORK_CATALOG_URL must be set in production")
        return self

    @model_validator(mode="after")
    def _known_view_stores(self) -> Settings:
        if PRIMARY in self.stores:
            raise ValueError(f"store name {PRIMARY!r} is reserved for GROUNDWORK_STORE")
        unknown = sorted(set(self.view_stores.values()) - set(self.store_configs()))
        if unknown:
            raise ValueError(f"view_stores names unknown stores: {', '.join(unknown)}")
        return self

    def store_configs(self) -> dict[str, StoreConfig]:
        """Every configured store by name; the primary one is called ``primary``."""
        return {PRIMARY: self.store, **self.stores}

    def store_key(self, name: str) -> str:
        """Identity of a store in sync state: its name and type, e.g. ``primary:redis``."""
        return f"{name}:{self.store_configs()[name].type}"

    @property
    def raw_dir(self) -> Path:
        """Where the sample-data generator writes raw Parquet datasets."""
        return self.state_dir / "raw"

    @property
    def feature_tables_dir(self) -> Path:
        """Where the Spark jobs write one Parquet feature table per view."""
        return self.state_dir / "feature_tables"

    @property
    def raw_location(self) -> str:
        """Where the Spark jobs read the raw datasets: ``raw_data_uri`` or :attr:`raw_dir`."""
        return self.raw_data_uri or str(self.raw_dir)

    @property
    def feature_tables_location(self) -> str:
        """Where feature tables live for Spark: ``feature_tables_uri`` or the state directory."""
        return self.feature_tables_uri or str(self.feature_tables_dir)

    @property
    def resolved_catalog_url(self) -> str:
        """The catalog URL, defaulting to a SQLite file in the state directory."""
        return self.catalog_url or f"sqlite:///{(self.state_dir / 'catalog.db').resolve()}"

    @property
    def demo_token_path(self) -> Path:
        """Where ``groundwork register`` writes the demo agent's bearer token."""
        return self.state_dir / "demo-token"

    @property
    def audit_spool_dir(self) -> Path:
        """Where serving processes spool audit events for the shipper."""
        return self.state_dir / "audit-spool"

    @property
    def online_db_path(self) -> Path:
        """The embedded store's SQLite file."""
        store = self.store
        if isinstance(store, SQLiteStoreConfig) and store.path is not None:
            return store.path
        return self.state_dir / "online.db"
