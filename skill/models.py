"""Every table, imported in one place so that ``Base.metadata`` is complete."""

from skill.accounts import Account
from skill.admins import Admin, ApiToken
from skill.approval_links import ApprovalLink
from skill.audit import PurchaseAttempt
from skill.cart import Cart, CartLine
from skill.catalog import CatalogItem
from skill.catalog_version import CatalogChange, CatalogState
from skill.continuity import CartReminder
from skill.import_jobs import ImportJob
from skill.insights import DialogEvent
from skill.linking import AuthCode, OAuthClient, OAuthToken
from skill.notify import OutboxMessage
from skill.order_updates import AlexaEvent, AlexaUser
from skill.orders import Order, OrderEvent, OrderLine
from skill.replay import SeenRequest
from skill.shoppers import Address, Household, Member, PasswordReset, Shopper
from skill.support import SupportRequest
from skill.voices import VoiceProfile

__all__ = ["Account", "Admin", "ApiToken", "Cart", "CartLine", "CatalogChange", "CatalogItem",
           "CatalogState", "ImportJob", "Order", "OrderEvent", "OrderLine", "OutboxMessage",
           "PurchaseAttempt", "SeenRequest",
           # households, account linking, order updates (issue 14)
           "Address", "AlexaEvent", "AlexaUser", "ApprovalLink", "AuthCode", "Household",
           "Member", "OAuthClient", "OAuthToken", "PasswordReset", "Shopper", "VoiceProfile",
           # what the skill did not understand, callbacks, cart continuity (issue 15)
           "CartReminder", "DialogEvent", "SupportRequest"]
