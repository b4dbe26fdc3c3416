"""Money: prices are integers in the currency's minor unit (cents), never floats."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# ISO 4217 currencies whose minor unit is not 1/100.
_EXPONENTS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3, "OMR": 3}


def exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has (2 for USD, 0 for JPY)."""
    return _EXPONENTS.get(currency.upper(), 2)


def valid_currency(currency: str) -> bool:
    """Whether ``currency`` looks like an ISO 4217 code."""
    return len(currency) == 3 and currency.isalpha() and currency.isupper()


def parse_amount(text: str, currency: str) -> int:
    """``"24.99"`` in USD -> ``2499``. Raises ValueError for anything else."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise ValueError(f"not a price: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"not a price: {text!r}")
    minor = value.scaleb(exponent(currency))
    if minor != minor.to_integral_value():
        raise ValueError(f"{text!r} has more decimals than {currency} allows")
    return int(minor)


def format_amount(minor: int, currency: str) -> str:
    """``2499`` in USD -> ``"24.99"``: the plain decimal used in files and the console."""
    places = exponent(currency)
    if places == 0:
        return str(minor)
    return f"{Decimal(minor).scaleb(-places):.{places}f}"


def display(minor: int, currency: str) -> str:
    """``2499`` in USD -> ``"24.99 USD"``."""
    return f"{format_amount(minor, currency)} {currency}"
