"""SQLAlchemy ORM tables of the catalog.

The schema runs unchanged on SQLite (the embedded default) and PostgreSQL:
JSON columns become ``JSONB`` on PostgreSQL, enums are stored as strings with
named check constraints, and every timestamp is stored and returned as a
timezone-aware UTC ``datetime`` (:class:`UtcDateTime`). Constraint names follow
one naming convention so that migrations can refer to them.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from groundwork.catalog.events import CHANNEL_LIMIT, NAME_LIMIT, TRACE_ID_LIMIT
from groundwork.catalog.lineage import NodeKind
from groundwork.catalog.policy import GranteeKind, ObjectType, PrincipalKind, Privilege
from groundwork.sync.state import SyncStatus

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonDocument = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
"""A JSON column: ``JSON`` on SQLite, ``JSONB`` on PostgreSQL."""

AutoIncrementId = BigInteger().with_variant(Integer(), "sqlite")
"""A 64-bit surrogate key; SQLite only auto-increments ``INTEGER PRIMARY KEY``."""


def utc_now() -> dt.datetime:
    """The current time as a timezone-aware UTC ``datetime``."""
    return dt.datetime.now(dt.UTC)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always returned timezone-aware.

    PostgreSQL keeps it as ``timestamptz``; SQLite, which has no time zones,
    stores the UTC wall time and gets the UTC zone re-attached when read.
    Naive datetimes are refused: their meaning depends on the machine.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the catalog stores aware UTC times")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _string_enum(enum_class: type[StrEnum], name: str) -> Enum:
    """A portable enum column: its values as strings plus a named check constraint."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    """Declarative base of every catalog table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class FeatureViewRow(Base):
    """A registered feature view; ``spec`` holds the whole :class:`ViewSpec`."""

    __tablename__ = "feature_views"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    entity: Mapped[str] = mapped_column(String(200))
    ttl_seconds: Mapped[int | None] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    description: Mapped[str] = mapped_column(Text, default="")
    registered_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now)


class FunctionRow(Base):
    """A registered Python function and its typed signature."""

    __tablename__ = "functions"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    module: Mapped[str] = mapped_column(String(500))
    signature: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    description: Mapped[str] = mapped_column(Text, default="")
    registered_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now)


class EndpointRow(Base):
    """A registered endpoint: its schemas and the views and functions it uses."""

    __tablename__ = "endpoints"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    input_schema: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    output_schema: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    feature_views: Mapped[list[str]] = mapped_column(JsonDocument)
    functions: Mapped[list[str]] = mapped_column(JsonDocument)
    registered_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now)


class PrincipalRow(Base):
    """A user, service account or agent that may hold tokens and grants."""

    __tablename__ = "principals"

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[PrincipalKind] = mapped_column(_string_enum(PrincipalKind, "principal_kind"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now)
    disabled: Mapped[bool] = mapped_column(default=False)


class GroupMembershipRow(Base):
    """One principal's membership of one group (groups exist through members and grants)."""

    __tablename__ = "group_memberships"
    __table_args__ = (UniqueConstraint("group_name", "principal_id"),)

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True)
    group_name: Mapped[str] = mapped_column(String(200))
    principal_id: Mapped[int] = mapped_column(
        ForeignKey("principals.id", ondelete="CASCADE"), index=True
    )


class TokenRow(Base):
    """A bearer token, stored only as the SHA-256 of its full text."""

    __tablename__ = "tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    principal_id: Mapped[int] = mapped_column(
        ForeignKey("principals.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    description: Mapped[str] = mapped_column(Text, default="")
    entity_filter: Mapped[dict[str, int | str] | None] = mapped_column(JsonDocument)


class GrantRow(Base):
    """A privilege on objects matching a pattern, given to a principal or a group.

    ``entity_filter`` optionally restricts the entities a caller may ask about
    through this grant (see :class:`groundwork.catalog.policy.Grant`).
    """

    __tablename__ = "grants"
    __table_args__ = (
        UniqueConstraint("grantee_kind", "grantee", "privilege", "object_type", "pattern"),
    )

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True)
    grantee: Mapped[str] = mapped_column(String(200))
    grantee_kind: Mapped[GranteeKind] = mapped_column(_string_enum(GranteeKind, "grantee_kind"))
    privilege: Mapped[Privilege] = mapped_column(_string_enum(Privilege, "privilege"))
    object_type: Mapped[ObjectType] = mapped_column(_string_enum(ObjectType, "object_type"))
    pattern: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now)
    entity_filter: Mapped[dict[str, int | str] | None] = mapped_column(JsonDocument)


class AccessVersionRow(Base):
    """The count of committed changes to principals, groups, tokens and grants.

    One row (``id`` 1), bumped in the same transaction as every such change, so
    that every server process can notice a change made by another one by
    reading one number (see :mod:`groundwork.catalog.changes`).
    """

    __tablename__ = "access_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class AuditEventRow(Base):
    """One authorization decision and the outcome of the call it guarded.

    Text sizes are the limits :func:`groundwork.catalog.events.storable_event`
    bounds every event to before it is inserted.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_principal_ts", "principal", "ts"),
        Index("ix_audit_events_object_ts", "object_type", "object_name", "ts"),
    )

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True)
    ts: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    principal: Mapped[str | None] = mapped_column(String(NAME_LIMIT))
    object_type: Mapped[str] = mapped_column(String(32))
    object_name: Mapped[str] = mapped_column(String(NAME_LIMIT))
    privilege: Mapped[str] = mapped_column(String(16))
    allowed: Mapped[bool]
    reason: Mapped[str] = mapped_column(Text)  # bounded to REASON_LIMIT characters on insert
    status_code: Mapped[int] = mapped_column(Integer)
    latency_ms: Mapped[float]
    trace_id: Mapped[str] = mapped_column(String(TRACE_ID_LIMIT), default="")
    channel: Mapped[str] = mapped_column(String(CHANNEL_LIMIT), default="rest",
                                         server_default="rest")


class AuditSpoolFileRow(Base):
    """How much of one audit spool file is in ``audit_events``.

    Advanced in the transaction that inserts the file's events, so a crash of
    the serving or the shipping process neither loses nor duplicates one.
    """

    __tablename__ = "audit_spool_files"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    shipped_bytes: Mapped[int] = mapped_column(BigInteger, default=0)


class SyncRunRow(Base):
    """One run of the sync job for one view into one online store."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_view_store_started_at", "view", "store", "started_at"),)

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True)
    view: Mapped[str] = mapped_column(String(200))
    store: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    watermark: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    rows_read: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_written: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_skipped: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_failed: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[SyncStatus] = mapped_column(_string_enum(SyncStatus, "sync_status"))
    error: Mapped[str | None] = mapped_column(String(1000))


class LineageEdgeRow(Base):
    """A declared lineage edge, e.g. feature view → Spark job or Spark job → raw dataset."""

    __tablename__ = "lineage_edges"
    __table_args__ = (
        UniqueConstraint("source_kind", "source_name", "target_kind", "target_name"),
        Index("ix_lineage_edges_target", "target_kind", "target_name"),
    )

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True)
    source_kind: Mapped[NodeKind] = mapped_column(_string_enum(NodeKind, "source_kind"))
    source_name: Mapped[str] = mapped_column(String(500))
    target_kind: Mapped[NodeKind] = mapped_column(_string_enum(NodeKind, "target_kind"))
    target_name: Mapped[str] = mapped_column(String(500))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now)
