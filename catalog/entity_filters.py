"""Entity filters: which entities a grant or a token lets a caller ask about.

A token's filter holds the caller's claims, fixed entity keys
(``{"user_id": 42}``: an agent acting for user 42). A grant's filter maps an
entity key to a fixed value (``{"city": "Lisbon"}``) or to one of the caller's
claims (``{"user_id": "$claims.user_id"}``). :func:`bind_entity_filter` turns a
grant's filter into the constraint of one caller; the ``*_filter`` functions
check a filter before it is stored and return it read-only. Nothing here does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from types import MappingProxyType

from groundwork.catalog.validation import is_int64
from groundwork.errors import InvalidInput

CLAIM_PREFIX = "$claims."
"""Prefix of an entity-filter value bound to the caller's claim of that name."""

EntityValue = int | str
"""The value of an entity key (``user_id`` 42, ``city`` ``"Lisbon"``)."""

ENTITY_KEY_PATTERN = r"[A-Za-z_][A-Za-z0-9_]{0,99}"
"""What an entity key (``user_id``) looks like."""
MAX_ENTRIES = 16
"""Most entity keys one filter binds."""
MAX_TEXT_VALUE = 200
"""Longest string value of an entity key (a key an endpoint input can hold)."""

_ENTITY_KEY = re.compile(ENTITY_KEY_PATTERN)


def claim_reference(value: EntityValue) -> str | None:
    """The claim a filter value refers to (``"$claims.user_id"`` → ``user_id``), if any."""
    if isinstance(value, str) and value.startswith(CLAIM_PREFIX):
        return value[len(CLAIM_PREFIX):]
    return None


def bind_entity_filter(
    entity_filter: Mapping[str, EntityValue] | None, claims: Mapping[str, EntityValue]
) -> tuple[Mapping[str, EntityValue] | None, list[str]]:
    """Replace ``$claims.<key>`` values of a filter with the caller's claims.

    Returns:
        The bound filter (``None`` for no filter) and the claims it refers to
        that the caller lacks (when any are missing, the filter is unusable).
    """
    if not entity_filter:
        return None, []
    bound: dict[str, EntityValue] = {}
    missing = []
    for name, value in entity_filter.items():
        claim = claim_reference(value)
        if claim is None:
            bound[name] = value
        elif claim in claims:
            bound[name] = claims[claim]
        else:
            missing.append(claim)
    return MappingProxyType(bound), missing


def format_entity_filter(entity_filter: Mapping[str, EntityValue]) -> str:
    """``user_id=42, city='Lisbon'``: an entity filter for reasons and listings."""
    return ", ".join(
        f"{name}={value}" if claim_reference(value) else f"{name}={value!r}"
        for name, value in entity_filter.items()
    )


def grant_filter(
    entity_filter: Mapping[str, EntityValue] | None,
) -> Mapping[str, EntityValue] | None:
    """A grant's entity filter, validated and read-only.

    Raises:
        InvalidInput: when it is empty or too large, a key is not an identifier, a
            value is neither a 64-bit int nor a str of at most 200 characters, or a
            ``$`` value is not ``$claims.<key>``.
    """
    if entity_filter is None:
        return None
    _require_size(entity_filter)
    for name, value in entity_filter.items():
        if not _valid_grant_entry(name, value):
            raise InvalidInput(
                f"entity_filter entry {_shown(name)}: {_shown(value)} must map an entity key "
                f"to a 64-bit int, a str of at most {MAX_TEXT_VALUE} characters or "
                "$claims.<key>",
                field="entity_filter",
            )
    return MappingProxyType(dict(entity_filter))


def token_filter(
    entity_filter: Mapping[str, EntityValue] | None,
) -> dict[str, EntityValue] | None:
    """A token's entity filter (its claims), validated, as a plain JSON object.

    Raises:
        InvalidInput: when it is empty or too large, or a key or value has the wrong
            type or is out of range (ints hold 64 bits, strs at most 200 characters).
    """
    if entity_filter is None:
        return None
    _require_size(entity_filter)
    for key, value in entity_filter.items():
        if not isinstance(key, str) or not _ENTITY_KEY.fullmatch(key) or not valid_value(value):
            raise InvalidInput(
                f"entity_filter entry {_shown(key)}: {_shown(value)} must map an entity key to "
                f"a 64-bit int or a str of at most {MAX_TEXT_VALUE} characters",
                field="entity_filter",
            )
    return dict(entity_filter)


def require_known_keys(
    entity_filter: Mapping[str, EntityValue] | None, known: Collection[str]
) -> None:
    """Refuse a binding on a key that is no entity key of a registered feature view.

    A binding on an unknown key (``userid``, ``User_Id``) would restrict nothing,
    so it is refused rather than stored: the system fails closed.

    Raises:
        InvalidInput: naming the unknown keys and the valid ones.
    """
    if not entity_filter:
        return
    unknown = sorted(key for key in entity_filter if key not in known)
    if unknown:
        valid = sorted(known)
        raise InvalidInput(
            f"entity_filter keys {unknown} are not entity keys of a registered feature view; "
            f"valid keys: {valid if valid else 'none (register the feature views first)'}",
            field="entity_filter", unknown_keys=unknown, valid_keys=valid,
        )


def within(minted: Mapping[str, EntityValue] | None,
           minter: Mapping[str, EntityValue] | None) -> bool:
    """Whether a token bound to ``minted`` is no wider than one bound to ``minter``.

    An unbound minter may mint anything; a bound one only tokens bound to every
    one of its own keys with the same values (more keys narrow further).
    """
    if not minter:
        return True
    if not minted:
        return False
    return all(key in minted and minted[key] == value for key, value in minter.items())


def frozen_filter(document: Mapping[str, EntityValue] | None) -> Mapping[str, EntityValue] | None:
    """A read-only copy of a stored entity filter."""
    return None if document is None else MappingProxyType(dict(document))


def _require_size(entity_filter: Mapping[str, EntityValue]) -> None:
    """Refuse an empty filter, or one binding more than :data:`MAX_ENTRIES` keys."""
    if not entity_filter:
        raise InvalidInput("entity_filter must name at least one entity", field="entity_filter")
    if len(entity_filter) > MAX_ENTRIES:
        raise InvalidInput(f"entity_filter binds at most {MAX_ENTRIES} entity keys",
                           field="entity_filter")


def valid_value(value: object) -> bool:
    """Whether ``value`` may be an entity key's value in a token: a 64-bit int or a short str."""
    if isinstance(value, str):
        return len(value) <= MAX_TEXT_VALUE
    return is_int64(value)


def valid_grant_value(value: object) -> bool:
    """Whether ``value`` may be an entity key's value in a grant: as in a token, and a
    ``$`` value must be ``$claims.<key>``."""
    if not valid_value(value):
        return False
    if isinstance(value, str) and value.startswith("$"):
        claim = claim_reference(value)
        return claim is not None and _ENTITY_KEY.fullmatch(claim) is not None
    return True


def _shown(value: object) -> str:
    """``value`` for an error message, cut short (a client chose it)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _valid_grant_entry(name: object, value: object) -> bool:
    """Whether ``name: value`` is a valid entry of a grant's entity filter."""
    return isinstance(name, str) and bool(_ENTITY_KEY.fullmatch(name)) and valid_grant_value(value)
