"""Bearer tokens: their format, their hash and how a presented token is checked.

A token reads ``gw_<token_id>_<secret>``. The token id is public (it names the
row, so a lookup is one primary-key read); the secret is
``secrets.token_urlsafe(32)``. The catalog stores only the SHA-256 hex digest of
the full token, and a presented token is compared with
:func:`hmac.compare_digest`. The secret carries 256 bits of entropy, so a fast
hash is enough: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from groundwork.errors import NotAuthenticated

PREFIX = "gw"
"""First part of every token, so leaked tokens are easy to recognise and scan for."""

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
