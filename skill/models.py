"""Every table, imported in one place so that ``Base.metadata`` is complete."""

from skill.accounts import Account
from skill.admins import Admin, ApiToken
from skill.audit import PurchaseAttempt
from skill.cart import Cart, CartLine
from skill.catalog import CatalogItem
from skill.import_jobs import ImportJob
from skill.notify import OutboxMessage
from skill.orders import Order, OrderEvent, OrderLine

__all__ = ["Account", "Admin", "ApiToken", "Cart", "CartLine", "CatalogItem", "ImportJob",
           "Order", "OrderEvent", "OrderLine", "OutboxMessage", "PurchaseAttempt"]
