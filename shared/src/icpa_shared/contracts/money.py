"""Money: Decimal with an explicit currency and one rounding rule, never float."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, field_validator

from icpa_shared.contracts.types import MAX_MONEY, MONEY_QUANT, MONEY_ROUNDING, Currency


def quantize(value: Decimal) -> Decimal:
    """Round to cents, half up: the one rounding rule of the platform."""
    return value.quantize(MONEY_QUANT, rounding=MONEY_ROUNDING)


def _reject_float(value: Any) -> Any:
    # A float has already lost cents (0.1 + 0.2); money must arrive as a string or integer.
    if isinstance(value, float):
        raise ValueError("money must be a decimal string or an integer, not a float")
    if isinstance(value, bool):
        raise ValueError("money must be a decimal string or an integer")
    if isinstance(value, str):
        try:
            Decimal(value)
        except InvalidOperation as exc:
            raise ValueError("not a decimal amount") from exc
    return value


Amount = Annotated[
    Decimal,
    BeforeValidator(_reject_float),
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
