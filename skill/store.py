"""The store's own terms: who sells, tax, delivery, and the time windows the rules use.

Defaults live in ``data/store.json``; ``VOICECART_STORE_FILE`` names a merchant's own file,
and single values can be overridden by environment variables (``VOICECART_CANCEL_WINDOW_MINUTES``,
``VOICECART_PIN_LOCKOUT_MINUTES``, ``VOICECART_REPEAT_ORDER_DAYS``).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path

from skill import money
from skill.errors import InvalidInput


@dataclass(frozen=True)
class StoreSettings:
    """Terms that apply to every order."""

    seller: str
    """The seller's name, said before every purchase."""
    currency: str
    """The currency of limits, tax and delivery fees."""
    tax_rate_percent: Decimal
    """Sales tax on the subtotal, in percent."""
    delivery_fee_minor: int
    """Delivery fee in minor units."""
    free_delivery_from_minor: int | None
    """Subtotal from which delivery is free, or None."""
    delivery_days: int
    """Days from order to expected delivery."""
    cancel_window_minutes: int
    """How long after placing an order the shopper may still cancel it by voice."""
    repeat_order_days: int
    """A second order of the same item within this many days needs an extra confirmation."""
    pin_lockout_minutes: int
    """How long voice purchasing stays locked after three wrong PINs."""
    invocation_name: str = ""
    """What shoppers say to open the skill ("voice cart"); Amazon wants it to match the
    seller (``invocation_matches_seller``). Empty: the seller's name in lowercase words."""

    @property
    def invocation(self) -> str:
        """The invocation name the skill's model must carry."""
        return self.invocation_name or " ".join(re.findall(r"[a-z']+", self.seller.lower()))

    def tax_on(self, subtotal_minor: int) -> int:
        """Tax in minor units, rounded half up."""
        tax = Decimal(subtotal_minor) * self.tax_rate_percent / 100
        return int(tax.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def delivery_on(self, subtotal_minor: int) -> int:
        """The delivery fee for an order with this subtotal."""
        free_from = self.free_delivery_from_minor
        if free_from is not None and subtotal_minor >= free_from:
            return 0
        return self.delivery_fee_minor


_ENV_OVERRIDES = {
    "VOICECART_CANCEL_WINDOW_MINUTES": "cancel_window_minutes",
    "VOICECART_PIN_LOCKOUT_MINUTES": "pin_lockout_minutes",
    "VOICECART_REPEAT_ORDER_DAYS": "repeat_order_days",
}


def load_store_settings(path: str | Path | None = None) -> StoreSettings:
    """Settings from ``path``, ``VOICECART_STORE_FILE`` or the packaged defaults."""
    path = path or os.environ.get("VOICECART_STORE_FILE")
    if path:
        text = Path(path).read_text(encoding="utf-8")
    else:
        text = resources.files("skill").joinpath("data/store.json").read_text(encoding="utf-8")
    settings = parse_store_settings(json.loads(text))
    for env, field in _ENV_OVERRIDES.items():
        if os.environ.get(env):
            try:
                settings = replace(settings, **{field: int(os.environ[env])})
            except ValueError:
                raise InvalidInput(f"{env} must be a whole number") from None
    return settings


def parse_store_settings(data: dict) -> StoreSettings:
    """Validate the store file's JSON object."""
    try:
        currency = str(data["currency"]).upper()
        free_from = data.get("free_delivery_from")
        return StoreSettings(
            seller=str(data["seller"]),
            currency=currency,
            tax_rate_percent=Decimal(str(data["tax_rate_percent"])),
            delivery_fee_minor=money.parse_amount(str(data["delivery_fee"]), currency),
            free_delivery_from_minor=(money.parse_amount(str(free_from), currency)
                                      if free_from is not None else None),
            delivery_days=int(data["delivery_days"]),
            cancel_window_minutes=int(data["cancel_window_minutes"]),
            repeat_order_days=int(data["repeat_order_days"]),
            pin_lockout_minutes=int(data["pin_lockout_minutes"]),
            invocation_name=" ".join(str(data.get("invocation_name") or "").lower().split()),
        )
    except (KeyError, ValueError, ArithmeticError) as exc:
        raise InvalidInput(f"store settings are invalid: {exc}") from None


def invocation_matches_seller(invocation: str, seller: str) -> bool:
    """Whether the invocation name is the seller's name (or part of it), spaces, case and
    punctuation aside: "voice cart" matches "VoiceCart Demo Store"."""
    def letters(text: str) -> str:
        return re.sub(r"[^a-z0-9]", "", text.lower())
    return bool(letters(invocation)) and letters(invocation) in letters(seller)
