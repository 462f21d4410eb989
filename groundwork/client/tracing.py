"""Request ids that tie a client's calls together: every tool call of one answer.

Inside :func:`answer_scope`, each call a client makes carries an
``X-Request-ID`` of ``<answer id>.<n>`` (1, 2, …). The server keeps a valid
request id as the call's trace id, so the audit log holds the answer's tool
calls under ids that start with the answer's id: ``groundwork lineage --answer
ID`` finds them there. The scope is a context variable, so it follows the
tasks an agent loop starts for its tool calls.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

ANSWER_ID = re.compile(r"[0-9a-f]{32}")
"""What an answer id looks like: 32 lowercase hex digits (a UUID4 without dashes)."""

_SCOPE: ContextVar[tuple[str, Iterator[int]] | None] = ContextVar(
    "groundwork_answer_scope", default=None)


def new_answer_id() -> str:
    """A fresh answer id."""
    return uuid.uuid4().hex


@contextmanager
def answer_scope(answer_id: str) -> Iterator[str]:
    """Number the calls made inside the block ``<answer_id>.1``, ``<answer_id>.2``, …

    Raises:
        ValueError: when ``answer_id`` is not 32 lowercase hex digits.
    """
    if not ANSWER_ID.fullmatch(answer_id):
        raise ValueError("an answer id is 32 lowercase hex digits")
    token = _SCOPE.set((answer_id, itertools.count(1)))
    try:
        yield answer_id
    finally:
        _SCOPE.reset(token)


def current_answer_id() -> str | None:
    """The answer id of the enclosing :func:`answer_scope`, if any."""
    scope = _SCOPE.get()
    return None if scope is None else scope[0]


def next_request_id() -> str | None:
    """The request id of the next call in this scope; ``None`` outside one."""
    scope = _SCOPE.get()
    if scope is None:
        return None
    answer_id, numbers = scope
    return f"{answer_id}.{next(numbers)}"
