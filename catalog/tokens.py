"""Bearer tokens: their format, their hash and how a presented token is checked.

A token reads ``gw_<token_id>_<secret>``. The token id is public (it names the
row, so a lookup is one primary-key read); the secret is
``secrets.token_urlsafe(32)``. The catalog stores only the SHA-256 hex digest of
the full token, and a presented token is compared with
:func:`hmac.compare_digest`. The secret carries 256 bits of entropy, so a fast
hash is enough: there is nothing to brute-force.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from groundwork.catalog.policy import Principal
from groundwork.catalog.validation import to_utc
from groundwork.errors import InvalidInput, NotAuthenticated

PREFIX = "gw"
"""First part of every token, so leaked tokens are easy to recognise and scan for."""

MAX_LIFETIME = dt.timedelta(days=3650)
"""Longest a token may live: ten years (longer is no expiry in disguise, or a mistake)."""
MAX_DESCRIPTION = 500
"""Longest description of a token, in characters."""

_TOKEN_ID_BYTES = 8
_SECRET_BYTES = 32
_TOKEN_PATTERN = re.compile(r"gw_(?P<token_id>[0-9a-f]{16})_(?P<secret>[A-Za-z0-9_-]{43})")


@dataclass(frozen=True, slots=True)
class ParsedToken:
    """A well-formed token split into its parts.

    Attributes:
        token_id: The public id of the token (the catalog row's key).
        token: The full token text, as presented.
    """

    token_id: str
    token: str


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A freshly issued token; the plaintext is shown here once and never stored.

    Attributes:
        token_id: The public id of the token, used to revoke it.
        token: The full bearer token to hand to the caller.
    """

    token_id: str
    token: str

    def __repr__(self) -> str:
        return f"IssuedToken(token_id={self.token_id!r}, token='***')"


@dataclass(frozen=True, slots=True)
class AuthenticatedToken:
    """A token that passed every check, with the principal it stands for.

    Attributes:
        principal: The caller, with its groups and the token's entity filter.
        token_id: The public id of the token used.
        expires_at: When the token stops working; ``None`` when it never expires.
    """

    principal: Principal
    token_id: str
    expires_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A token as administrators see it: never its secret nor its hash.

    Attributes:
        token_id: Public id of the token (``gw_<token_id>_…``), used to revoke it.
        principal: Name of the principal it authenticates.
        description: What the token is for.
        created_at: When it was issued.
        expires_at: When it stops working; ``None`` for never.
        revoked_at: When it was revoked; ``None`` while not revoked.
        last_used_at: When it was last used (to the minute); ``None`` if never.
        entity_filter: Entity keys (claims) the bearer is bound to, if any.
    """

    token_id: str
    principal: str
    description: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    entity_filter: Mapping[str, int | str] | None = None

    def is_active(self, now: dt.datetime) -> bool:
        """Whether the token still works at ``now`` (not revoked, not expired)."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


def new_token() -> IssuedToken:
    """Generate a new random token and its id."""
    token_id = secrets.token_hex(_TOKEN_ID_BYTES)
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    return IssuedToken(token_id=token_id, token=f"{PREFIX}_{token_id}_{secret}")


def token_hash(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def parse_token(token: str | None) -> ParsedToken:
    """Check the shape of a presented token and extract its id.

    Args:
        token: The bearer token as presented, or ``None`` when absent.

    Returns:
        The token with its id.

    Raises:
        NotAuthenticated: when the token is missing or malformed.
    """
    if not token:
        raise NotAuthenticated("missing bearer token", reason="missing")
    match = _TOKEN_PATTERN.fullmatch(token)
    if match is None:
        raise NotAuthenticated(
            f"malformed bearer token: expected {PREFIX}_<token_id>_<secret>", reason="malformed"
        )
    return ParsedToken(token_id=match["token_id"], token=token)


def hash_matches(token: str, stored_hash: str) -> bool:
    """Whether ``token`` hashes to ``stored_hash``, compared in constant time."""
    return hmac.compare_digest(token_hash(token), stored_hash)


def checked_expiry(expires_at: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
    """Return a new token's expiry time in UTC, refusing naive, past or too distant ones.

    Raises:
        InvalidInput: when ``expires_at`` has no time zone, is not in the future,
            or is more than :data:`MAX_LIFETIME` away.
    """
    expires_at = to_utc(expires_at, "expires_at")
    if expires_at is not None and expires_at <= now:
        raise InvalidInput(
            f"expires_at {expires_at.isoformat()} is in the past", field="expires_at"
        )
    if expires_at is not None and expires_at - now > MAX_LIFETIME:
        raise InvalidInput(
            f"a token lives at most {MAX_LIFETIME.days} days", field="expires_at"
        )
    return expires_at


def checked_description(description: str) -> str:
    """Return a token's description, refusing one longer than :data:`MAX_DESCRIPTION`.

    Raises:
        InvalidInput: when it is too long.
    """
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(f"description holds at most {MAX_DESCRIPTION} characters",
                           field="description")
    return description


def check_usable(
    *,
    revoked_at: dt.datetime | None,
    expires_at: dt.datetime | None,
    principal: str,
    disabled: bool,
    now: dt.datetime,
) -> None:
    """Refuse a revoked or expired token and the token of a disabled principal.

    Raises:
        NotAuthenticated: naming which of these applies.
    """
    if revoked_at is not None:
        raise NotAuthenticated("bearer token was revoked", reason="revoked")
    if expires_at is not None and expires_at <= now:
        raise NotAuthenticated("bearer token has expired", reason="expired")
    if disabled:
        raise NotAuthenticated(f"principal {principal!r} is disabled", reason="disabled")
