"""Money: exact decimal amounts in EUR, one rounding rule, JSON numbers on the wire.

Prices arrive from the stores as floats holding cents (``96.67``); :func:`money`
reads a float by its shortest decimal representation, so ``96.67`` is exactly
``Decimal("96.67")`` and sums are exact. Only a division (a price per night from
a stay's total) needs rounding, and :func:`to_cents` is the one rule: half up to
the cent (``96.675`` is ``96.68``, ``81.655`` is ``81.66``). A response writes an
amount as a JSON number with at most two decimals.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema

CENT = Decimal("0.01")

Money = Annotated[
    Decimal,
    PlainSerializer(float, return_type=float, when_used="json"),
    WithJsonSchema({"type": "number", "description": "An amount in EUR, to the cent."}),
]
"""An amount in EUR: a ``Decimal`` in functions, a JSON number in responses."""


def money(amount: float | int | Decimal) -> Decimal:
    """``amount`` as an exact decimal: a float by its shortest representation (``0.1`` is 0.1)."""
    if isinstance(amount, Decimal):
        return amount
    return Decimal(repr(amount)) if isinstance(amount, float) else Decimal(amount)


def to_cents(amount: Decimal) -> Decimal:
    """``amount`` rounded half up to the cent: the one rounding rule of money."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
