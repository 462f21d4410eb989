"""``groundwork`` commands that administer the catalog.

Principals, groups, tokens, grants, the audit log and lineage, each a thin
layer over one :class:`~groundwork.catalog.store.Catalog` repository method. The catalog
is the one in the settings (``GROUNDWORK_CATALOG_URL``, else ``<state_dir>/catalog.db``),
opened with :func:`~groundwork.catalog.store.open_catalog` (its schema brought up to
date first). Domain errors print one red line and exit with status 1. Wire them into
the main app with :func:`add_catalog_commands`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from groundwork.audit_shipping import ship_command
from groundwork.catalog import render
from groundwork.catalog.entity_filters import format_entity_filter
from groundwork.catalog.lineage import Upstream
from groundwork.catalog.policy import GranteeKind, ObjectType, PrincipalKind, Privilege
from groundwork.catalog.shipper import AuditShipper
from groundwork.catalog.store import Catalog, open_catalog
from groundwork.client.tracing import ANSWER_ID
from groundwork.dag.graph import build_graph
from groundwork.dag.spec import EndpointSpec
from groundwork.errors import GroundworkError, InvalidInput
from groundwork.features.spec import ViewSpec
from groundwork.settings import Settings
from groundwork.travel import TRAVEL_ENDPOINTS

principal_app = typer.Typer(help="Users, services and agents.", no_args_is_help=True)
group_app = typer.Typer(help="Group membership.", no_args_is_help=True)
token_app = typer.Typer(help="Bearer tokens (shown once, stored as hashes).", no_args_is_help=True)

_DURATION = re.compile(r"(?P<amount>\d+)(?P<unit>[smhdw]?)")
_UNITS = {"": "seconds", "s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

Grantee = Annotated[str, typer.Option("--to", "--from", help="Principal (or group) name.")]
IsGroup = Annotated[bool, typer.Option("--group", help="The grantee is a group.")]


class LineageFormat(StrEnum):
    """Output formats of ``groundwork lineage``."""

    TEXT = "text"
    DOT = "dot"
    MERMAID = "mermaid"


def add_catalog_commands(
    app: typer.Typer, endpoints: Sequence[EndpointSpec] = TRAVEL_ENDPOINTS
) -> None:
    """Add the catalog commands (``principal``, ``group``, ``token``, ``grant``, …) to ``app``.

    Args:
        app: The typer app to extend.
        endpoints: The endpoint definitions ``lineage`` compiles to find the edges
            between functions, features and views (those the server serves).
    """
    app.add_typer(principal_app, name="principal")
    app.add_typer(group_app, name="group")
    app.add_typer(token_app, name="token")
    for name, command in (("grant", grant_command), ("revoke", revoke_command),
                          ("grants", grants_command),
                          ("lineage", lineage_command(endpoints))):
        app.command(name)(command)
    app.add_typer(audit_app, name="audit")


def catalog_app(endpoints: Sequence[EndpointSpec] = TRAVEL_ENDPOINTS) -> typer.Typer:
    """The catalog commands on their own, ``lineage`` compiling ``endpoints``."""
    app = typer.Typer(help="Administer the Groundwork catalog.", no_args_is_help=True)
    add_catalog_commands(app, endpoints)
    return app


def _console() -> Console:
    """A console made per command, so that it sees the terminal width of the call."""
    return Console(highlight=False)


@contextmanager
def settings_catalog(*, ship_audit: bool = False) -> Iterator[Catalog]:
    """The settings' catalog, migrated; a domain error becomes one red line and exit 2.

    Args:
        ship_audit: Ship the state directory's audit spool into the catalog first,
            so that reading the audit log shows every event spooled until now.
    """
    settings = Settings()
    if settings.catalog_url is None:
        settings.state_dir.mkdir(parents=True, exist_ok=True)
    try:
        with open_catalog(settings.resolved_catalog_url) as catalog:
            if ship_audit:
                AuditShipper(catalog.spool_files, settings.audit_spool_dir).ship()
            yield catalog
    except GroundworkError as error:
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"[red]error:[/] {escape(error.message)}")
        raise typer.Exit(2) from None


def parse_duration(text: str) -> dt.timedelta:
    """``90`` or ``90s``, ``15m``, ``12h``, ``7d``, ``2w`` as a time span.

    Raises:
        InvalidInput: when the text is none of these.
    """
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise InvalidInput(f"invalid duration {text!r}: use e.g. 90s, 15m, 12h, 7d or 2w")
    return dt.timedelta(**{_UNITS[match["unit"]]: int(match["amount"])})


def parse_moment(text: str) -> dt.datetime:
    """A time: a duration ago (``1h``) or ISO 8601 (UTC when it names no zone).

    Raises:
        InvalidInput: when the text is neither.
    """
    if _DURATION.fullmatch(text.strip()):
        return dt.datetime.now(dt.UTC) - parse_duration(text)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"invalid time {text!r}: use ISO 8601 or a duration") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def parse_entities(pairs: list[str] | None) -> dict[str, int | str] | None:
    """``["user_id=42", "city=Lisbon"]`` as ``{"user_id": 42, "city": "Lisbon"}``.

    Raises:
        InvalidInput: when a pair has no ``=`` or an empty key.
    """
    if not pairs:
        return None
    entities: dict[str, int | str] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key.strip():
            raise InvalidInput(f"invalid entity {pair!r}: use KEY=VALUE, e.g. user_id=42")
        entities[key.strip()] = int(value) if re.fullmatch(r"-?\d+", value) else value
    return entities


def _when(moment: dt.datetime | None) -> str:
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


@principal_app.command("create")
def principal_create(
    name: str,
    kind: Annotated[PrincipalKind, typer.Option(help="Kind of principal.")] = PrincipalKind.USER,
    groups: Annotated[list[str] | None, typer.Option("--group", help="Group (repeatable).")] = None,
) -> None:
    """Create a principal, optionally in some groups."""
    with settings_catalog() as catalog:
        record = catalog.principals.create(name, kind, groups or ())
    _console().print(f"created {record.kind} {escape(record.name)}")


@principal_app.command("list")
def principal_list() -> None:
    """List principals with their groups."""
    with settings_catalog() as catalog:
        principals = catalog.principals.all()
    table = Table("name", "kind", "groups", "disabled", "created (UTC)")
    for record in principals:
        table.add_row(escape(record.name), record.kind, escape(", ".join(sorted(record.groups))),
                      "yes" if record.disabled else "", _when(record.created_at))
    _console().print(table)


@principal_app.command("disable")
def principal_disable(
    name: str,
    enable: Annotated[bool, typer.Option("--enable", help="Enable it again.")] = False,
) -> None:
    """Disable a principal: its tokens stop working at once (``--enable`` undoes it)."""
    with settings_catalog() as catalog:
        catalog.principals.set_disabled(name, disabled=not enable)
    _console().print(f"{'enabled' if enable else 'disabled'} principal {escape(name)}")


@group_app.command("add")
def group_add(group: str, principals: list[str]) -> None:
    """Add principals to a group."""
    with settings_catalog() as catalog:
        for principal in principals:
            catalog.principals.add_to_group(principal, group)
    _console().print(f"added {escape(', '.join(principals))} to group {escape(group)}")


@group_app.command("remove")
def group_remove(group: str, principals: list[str]) -> None:
    """Remove principals from a group."""
    with settings_catalog() as catalog:
        for principal in principals:
            catalog.principals.remove_from_group(principal, group)
    _console().print(f"removed {escape(', '.join(principals))} from group {escape(group)}")


@group_app.command("list")
def group_list() -> None:
    """List groups with their members and how many grants name them."""
    with settings_catalog() as catalog:
        groups = catalog.principals.groups()
    table = Table("group", "members", "grants")
    for record in groups:
        table.add_row(escape(record.name), escape(", ".join(record.members)), str(record.grants))
    _console().print(table)


@token_app.command("create")
def token_create(
    principal: str,
    expires_in: Annotated[str | None, typer.Option(help="Lifetime: 90s, 15m, 12h, 7d, 2w.")] = None,
    on_behalf_of: Annotated[list[str] | None, typer.Option(
        help="Bind the token to an entity, e.g. user_id=42 (repeatable).")] = None,
    description: Annotated[str, typer.Option(help="What the token is for.")] = "",
) -> None:
    """Issue a token and print it once, alone on stdout (details go to stderr)."""
    with settings_catalog() as catalog:
        expires_at = (None if expires_in is None
                      else dt.datetime.now(dt.UTC) + parse_duration(expires_in))
        issued = catalog.tokens.issue(principal, expires_at=expires_at, description=description,
                                      entity_filter=parse_entities(on_behalf_of))
    typer.echo(issued.token)
    typer.echo(f"token id {issued.token_id} for {principal}, expires {_when(expires_at)}; "
               "store it now, it is not shown again", err=True)


@token_app.command("revoke")
def token_revoke(token_id: str) -> None:
    """Revoke a token by its id; it stops working at once."""
    with settings_catalog() as catalog:
        catalog.tokens.revoke(token_id)
    _console().print(f"revoked token {escape(token_id)}")


@token_app.command("list")
def token_list(
    principal: Annotated[str | None, typer.Argument(help="Only this principal's.")] = None,
    active: Annotated[bool, typer.Option("--active", help="Hide revoked and expired.")] = False,
) -> None:
    """List tokens (ids and metadata; never the secrets)."""
    with settings_catalog() as catalog:
        tokens = catalog.tokens.all(principal, include_inactive=not active)
    now = dt.datetime.now(dt.UTC)
    table = Table("principal", "description", "expires", "last used", "state", "bound to",
                  title="tokens (UTC)")
    table.columns.insert(0, Column("token id", no_wrap=True))
    for record in tokens:
        state = ("revoked" if record.revoked_at else "active" if record.is_active(now)
                 else "expired")
        bound = format_entity_filter(record.entity_filter) if record.entity_filter else ""
        table.add_row(record.token_id, escape(record.principal), escape(record.description),
                      _when(record.expires_at), _when(record.last_used_at), state, escape(bound))
    _console().print(table)


def grant_command(
    privilege: Annotated[Privilege, typer.Argument(case_sensitive=False)],
    object_type: Annotated[ObjectType, typer.Argument(case_sensitive=False)],
    pattern: Annotated[str, typer.Argument(help="Object name, fnmatch pattern or *.")],
    grantee: Grantee,
    group: IsGroup = False,
    where: Annotated[list[str] | None, typer.Option(
        help="Entity filter, e.g. user_id=$claims.user_id or city=Lisbon (repeatable).")] = None,
) -> None:
    """Grant a privilege on the objects matching a pattern.

    Example: groundwork grant EXECUTE endpoint 'hotel_*' --to agents --group
    """
    kind = GranteeKind.GROUP if group else GranteeKind.PRINCIPAL
    with settings_catalog() as catalog:
        granted = catalog.grants.grant(grantee, privilege, object_type, pattern, grantee_kind=kind,
                                       entity_filter=parse_entities(where))
    _console().print(f"granted {escape(str(granted))}")


def revoke_command(
    privilege: Annotated[Privilege, typer.Argument(case_sensitive=False)],
    object_type: Annotated[ObjectType, typer.Argument(case_sensitive=False)],
    pattern: str,
    grantee: Grantee,
    group: IsGroup = False,
) -> None:
    """Revoke a grant made with the same privilege, object type, pattern and grantee."""
    kind = GranteeKind.GROUP if group else GranteeKind.PRINCIPAL
    with settings_catalog() as catalog:
        catalog.grants.revoke(grantee, privilege, object_type, pattern, grantee_kind=kind)
    _console().print(f"revoked {privilege} on {object_type} {escape(pattern)} from {kind} "
                     f"{escape(grantee)}")


def grants_command(
    grantee: Annotated[str | None, typer.Option("--to", help="Only grants to this name.")] = None,
    object_name: Annotated[str | None, typer.Option(
        "--object", help="Only grants covering this object name.")] = None,
) -> None:
    """List grants, oldest first."""
    with settings_catalog() as catalog:
        grants = catalog.grants.all(grantee=grantee, object_name=object_name)
    table = Table("grantee", "privilege", "object type", "pattern", "where")
    for grant in grants:
        where = format_entity_filter(grant.entity_filter) if grant.entity_filter else ""
        table.add_row(escape(f"{grant.grantee_kind} {grant.grantee}"), grant.privilege,
                      grant.object_type, escape(grant.pattern), escape(where))
    _console().print(table)


audit_app = typer.Typer(help="Show audit events, newest first; `ship` moves spooled ones "
                        "into the catalog.", invoke_without_command=True)


@audit_app.callback()
def audit_command(
    context: typer.Context,
    principal: Annotated[str | None, typer.Option(help="Only this principal's calls.")] = None,
    object_type: Annotated[ObjectType | None, typer.Option(case_sensitive=False)] = None,
    object_name: Annotated[str | None, typer.Option("--object", help="Object name.")] = None,
    allowed: Annotated[bool | None, typer.Option(
        "--allowed/--denied", help="Only allowed or only denied calls.")] = None,
    since: Annotated[str | None, typer.Option(help="1h, 2d or an ISO time.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Most events to show.")] = 50,
    cursor: Annotated[str | None, typer.Option(help="Next-page cursor printed before.")] = None,
) -> None:
    """Show audit events, newest first (shipping the local audit spool first)."""
    if context.invoked_subcommand is not None:
        return
    with settings_catalog(ship_audit=True) as catalog:
        page = catalog.audit.query(
            principal=principal, object_type=object_type, object_name=object_name,
            allowed=allowed, since=None if since is None else parse_moment(since), limit=limit,
            cursor=cursor,
        )
    table = Table("time (UTC)", "principal", "door", "call", "outcome", "status", "ms", "reason")
    for event in page.events:
        outcome = "[green]allowed[/]" if event.allowed else "[red]denied[/]"
        table.add_row(_when(event.ts), escape(event.principal or "-"), event.channel,
                      escape(f"{event.privilege} {event.object_type} {event.object_name}"),
                      outcome, str(event.status_code), f"{event.latency_ms:.1f}",
                      escape(event.reason))
    console = _console()
    console.print(table)
    if page.next_cursor:
        console.print(f"more: --cursor {page.next_cursor}")


audit_app.command("ship")(ship_command)


def lineage_command(endpoints: Sequence[EndpointSpec]) -> Callable[..., None]:
    """The ``lineage`` command over ``endpoints``' compiled DAGs."""

    def lineage(
        endpoint: Annotated[str | None, typer.Argument()] = None,
        output_format: Annotated[LineageFormat, typer.Option("--format")] = LineageFormat.TEXT,
        answer: Annotated[str | None, typer.Option(
            help="An answer id: its tool calls, from the audit log, and what they read.")] = None,
    ) -> None:
        """Show what an endpoint runs and reads, down to raw datasets and online stores."""
        if answer is not None:
            answer_lineage(endpoints, answer)
            return
        if endpoint is None:
            _refuse("name an endpoint, or an answer with --answer ID")
        with settings_catalog() as catalog:
            views = catalog.definitions.list_feature_views()
            graph = catalog.lineage(endpoint, endpoint_upstream(endpoints, endpoint, views))
        if output_format is LineageFormat.DOT:
            typer.echo(render.to_dot(graph), nl=False)
        elif output_format is LineageFormat.MERMAID:
            typer.echo(render.to_mermaid(graph), nl=False)
        else:
            _console().print(render.to_tree(graph))

    return lineage


def _refuse(message: str) -> NoReturn:
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[red]error:[/] {escape(message)}")
    raise typer.Exit(2)


def answer_lineage(endpoints: Sequence[EndpointSpec], answer: str) -> None:
    """Print the tool calls of one answer (audited under ``<answer>.<n>``) and their lineage.

    Each call shows its door, principal, decision and status; each endpoint it
    reached, its lineage down to datasets, stores and their latest sync runs.
    """
    if not ANSWER_ID.fullmatch(answer):
        _refuse(f"invalid answer id {answer[:40]!r}: an answer id is 32 lowercase hex digits")
    with settings_catalog(ship_audit=True) as catalog:
        calls = catalog.audit.query(trace_prefix=answer, limit=200).events
        if not calls:
            _refuse(f"no audited call belongs to answer {answer}")
        calls.sort(key=lambda event: (event.ts, event.trace_id))
        table = Table("time", "trace id", "door", "principal", "endpoint", "decision",
                      "status", title=f"tool calls of answer {answer}")
        for event in calls:
            table.add_row(_when(event.ts), escape(event.trace_id), event.channel,
                          escape(event.principal or "-"), escape(event.object_name),
                          "allowed" if event.allowed else f"denied: {escape(event.reason)}",
                          str(event.status_code))
        console = _console()
        console.print(table)
        views = catalog.definitions.list_feature_views()
        called = sorted({event.object_name for event in calls
                         if event.object_type is ObjectType.ENDPOINT and event.allowed})
        for name in called:
            graph = catalog.lineage(name, endpoint_upstream(endpoints, name, views))
            console.print(render.to_tree(graph))


def endpoint_upstream(
    endpoints: Sequence[EndpointSpec], name: str, views: Sequence[ViewSpec]
) -> Upstream:
    """The upstream node names of each node of endpoint ``name``'s compiled DAG.

    Empty when no definition has that name (the catalog then reports an
    unknown endpoint, or draws a registered one without its function edges).

    Raises:
        DefinitionError: when the definition does not compile against ``views``.
    """
    for spec in endpoints:
        if spec.name == name:
            return build_graph(spec, {view.name: view for view in views}).upstream
    return {}


app = catalog_app()
"""The catalog commands on their own (tests and ``python -m``-style use)."""
