"""Money: Decimal with an explicit currency and one rounding rule, never float.

The written form of an amount (in a file or a JSON document) is plain: digits, optionally a
point and one or two digits (`150`, `150.5`, `150.00`). Anything else is ambiguous for money
and refused, never guessed at: an exponent (`1e3`, `1e308`), a sign (`-0`, `+5`), a third
fractional digit (`150.001`: round which way?), leading zeros, spaces, NaN, Infinity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated, Any, Final, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, field_validator

from icpa_shared.contracts.types import MAX_MONEY, MONEY_QUANT, MONEY_ROUNDING, Currency


def quantize(value: Decimal) -> Decimal:
    """Round to cents, half up: the one rounding rule of the platform. Only for amounts in
    range (|value| < 10**25): beyond the context's precision quantize raises InvalidOperation."""
    return value.quantize(MONEY_QUANT, rounding=MONEY_ROUNDING)


MAX_AMOUNT_TEXT: Final = 64
_PLAIN_AMOUNT: Final = re.compile(r"(?:0|[1-9][0-9]*)(?:\.[0-9]{1,2})?")
AMBIGUOUS_AMOUNT_MESSAGE: Final = "not a plain decimal amount"
NEGATIVE_AMOUNT_MESSAGE: Final = "money must not be negative"


class AmbiguousAmountError(ValueError):
    """The amount is not written in the plain form (see the module docstring)."""


class NegativeAmountError(ValueError):
    pass


def read_amount(value: object) -> Decimal:
    """An amount as a file wrote it (string, integer or exact Decimal) -> its Decimal.

    Raises AmbiguousAmountError for any other form and NegativeAmountError for a sign; the
    range (zero, a maximum) is the caller's rule. Costs O(len) at most, never raises
    decimal.InvalidOperation."""
    if isinstance(value, bool | float):
        # A float has already lost cents (0.1 + 0.2).
        raise AmbiguousAmountError(f"{AMBIGUOUS_AMOUNT_MESSAGE}: a float")
    if isinstance(value, int):
        if value < 0:
            raise NegativeAmountError(NEGATIVE_AMOUNT_MESSAGE)
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise AmbiguousAmountError(AMBIGUOUS_AMOUNT_MESSAGE)
        if value.is_signed():
            raise NegativeAmountError(NEGATIVE_AMOUNT_MESSAGE)
        if value.as_tuple().exponent not in (0, -1, -2):  # 1E+3, or a third fractional digit
            raise AmbiguousAmountError(AMBIGUOUS_AMOUNT_MESSAGE)
        return value
    if isinstance(value, str):
        if value.startswith("-") and _PLAIN_AMOUNT.fullmatch(value[1:MAX_AMOUNT_TEXT]):
            raise NegativeAmountError(NEGATIVE_AMOUNT_MESSAGE)
        if len(value) > MAX_AMOUNT_TEXT or not _PLAIN_AMOUNT.fullmatch(value):
            raise AmbiguousAmountError(AMBIGUOUS_AMOUNT_MESSAGE)
        return Decimal(value)
    raise AmbiguousAmountError(f"{AMBIGUOUS_AMOUNT_MESSAGE}: not a string or a number")


def _check_amount(value: Any) -> Any:
    """The contract's gate: written amounts (strings, integers) must be plain; Decimals that
    code computed may carry more digits (they are quantized) but never a sign or NaN."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise AmbiguousAmountError(AMBIGUOUS_AMOUNT_MESSAGE)
        if value.is_signed():
            raise NegativeAmountError(NEGATIVE_AMOUNT_MESSAGE)
        return value
    return read_amount(value)


Amount = Annotated[
    Decimal,
    BeforeValidator(_check_amount),
    Field(ge=Decimal("0"), le=MAX_MONEY, allow_inf_nan=False),
    PlainSerializer(lambda d: str(quantize(d)), return_type=str, when_used="json"),
]


class Money(BaseModel):
    """An amount in a currency, always quantized to cents (half up)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: Amount
    currency: Currency = "USD"

    @field_validator("amount")
    @classmethod
    def _round(cls, value: Decimal) -> Decimal:
        return quantize(value)

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str = "USD") -> Self:
        return cls(amount=Decimal(amount), currency=currency)

    @classmethod
    def zero(cls, currency: str = "USD") -> Self:
        return cls(amount=Decimal("0"), currency=currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        # Amounts are never negative: a subtraction below zero is a bug and fails validation.
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def min(self, other: Money) -> Money:
        self._same(other)
        return self if self.amount <= other.amount else other

    def times(self, factor: Decimal) -> Money:
        return Money(amount=quantize(self.amount * factor), currency=self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __str__(self) -> str:
        return f"{quantize(self.amount)} {self.currency}"


def total(amounts: Iterable[Money], currency: str = "USD") -> Money:
    result = Money.zero(currency)
    for m in amounts:
        result = result + m
    return result
