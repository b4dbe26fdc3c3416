"""Households and their owners: the people who buy, signing in to the store's own web pages.

One household is one purchase ``Account`` (``skill.accounts``): its cart, orders, PIN and
rules are the account's. The owner signs in by e-mail and password (Werkzeug's salted scrypt,
five wrong passwords in a row lock signing in for 15 minutes, a forgotten password is reset by
an e-mailed one-time link). Members ("Emma, child") are the people the owner names, for
recognized voices; addresses are where orders go, one of them the default.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Boolean, ForeignKey, Integer, String, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from werkzeug.security import generate_password_hash

from skill.accounts import EMAIL_PATTERN, Account, get_or_create_account
from skill.admins import check_login, check_password_rules
from skill.db import Base, UTCDateTime, read_once, utcnow
from skill.errors import InvalidInput, NotFound
from skill.notify import OutboxMessage

RESET_LINK_LIFETIME = timedelta(hours=1)
ROLES = ("owner", "adult", "child")
ACCOUNT_PREFIX = "household:"
"""Accounts of households are keyed ``household:<random>``, never an Alexa user id."""


class Household(Base):
    """A family that buys: one purchase account, one owner who signs in."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            unique=True)
    purchasing_off: Mapped[bool] = mapped_column(Boolean, default=False)
    """The owner switched voice purchasing off: every purchase is refused."""
    require_recognized_voice: Mapped[bool] = mapped_column(Boolean, default=False)
    """Only a voice the owner named as an adult may complete a purchase; others ask the owner."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    account: Mapped[Account] = relationship()
    owner: Mapped[Shopper] = relationship(back_populates="household", uselist=False)
    members: Mapped[list[Member]] = relationship(cascade="all, delete-orphan",
                                                 order_by="Member.id")
    addresses: Mapped[list[Address]] = relationship(cascade="all, delete-orphan",
                                                    order_by="Address.id")


class Shopper(Base):
    """The household's owner: signs in to ``/account`` and links the Alexa skill."""

    __tablename__ = "shoppers"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"),
                                              unique=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    session_generation: Mapped[int] = mapped_column(Integer, default=0)
    """Kept in each signed-in session; moved on to end them all (new password, lockout)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    household: Mapped[Household] = relationship(back_populates="owner")


class Member(Base):
    """Someone in the household, as the owner names them ("Emma", child)."""

    __tablename__ = "household_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"),
                                              index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    """``owner``, ``adult`` or ``child``."""


class Address(Base):
    """A delivery address; the default one is where voice orders go."""

    __tablename__ = "delivery_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"),
                                              index=True)
    street: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    postal_code: Mapped[str] = mapped_column(String(20))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class PasswordReset(Base):
    """A one-time reset link, kept only as a hash."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    shopper_id: Mapped[int] = mapped_column(ForeignKey("shoppers.id", ondelete="CASCADE"),
                                            index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


def token_hash(token: str) -> str:
    """SHA-256 of a long random token (a fast hash is enough for 256 random bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _email(value: str) -> str:
    email = (value or "").strip().lower()
    if len(email) > 320 or not EMAIL_PATTERN.match(email):
        raise InvalidInput("that is not an e-mail address", fields={"email": "not an e-mail "
                                                                              "address"})
    return email


def sign_up(session: Session, email: str, password: str, owner_name: str) -> Shopper:
    """A new household with its owner (who is its first member) and its purchase account,
    whose order confirmations go to ``email``."""
    email = _email(email)
    check_password_rules(password)
    name = _name(owner_name)
    if session.scalar(select(Shopper).where(Shopper.email == email)) is not None:
        raise InvalidInput("an account with that e-mail address exists: sign in instead",
                           fields={"email": "already signed up"})
    account = get_or_create_account(session, ACCOUNT_PREFIX + secrets.token_hex(12))
    account.email = email
    household = Household(account=account, purchasing_off=False,
                          require_recognized_voice=False)
    household.members.append(Member(name=name, role="owner"))
    shopper = Shopper(household=household, email=email,
                      password_hash=generate_password_hash(password), failed_logins=0,
                      session_generation=0)
    session.add(shopper)
    session.flush()
    return shopper


def authenticate(session: Session, email: str, password: str) -> Shopper | None:
    """The owner if the password is right, else None, in about the same time either way;
    the fifth wrong password in a row locks signing in (LoginLocked). The caller commits."""
    shopper = session.scalar(select(Shopper).where(Shopper.email == (email or "").strip()
                                                   .lower()).with_for_update())
    return shopper if check_login(shopper, password) else None  # type: ignore[arg-type]


def shopper_for_session(session: Session, shopper_id: object, generation: object
                        ) -> Shopper | None:
    """The owner a browser session belongs to, or None when it has been ended."""
    if not isinstance(shopper_id, int) or not isinstance(generation, int):
        return None
    shopper = session.get(Shopper, shopper_id)
    if shopper is None or shopper.session_generation != generation:
        return None
    return shopper


def request_password_reset(session: Session, email: str, reset_url: str) -> bool:
    """E-mail a one-time reset link (``reset_url`` + token) if the address has an account.
    The caller answers the same either way, so addresses cannot be probed."""
    shopper = session.scalar(select(Shopper).where(Shopper.email == (email or "").strip()
                                                   .lower()))
    if shopper is None:
        return False
    token = secrets.token_urlsafe(32)
    session.add(PasswordReset(shopper_id=shopper.id, token_hash=token_hash(token),
                              expires_at=utcnow() + RESET_LINK_LIFETIME))
    minutes = int(RESET_LINK_LIFETIME.total_seconds() // 60)
    session.add(OutboxMessage(
        kind="password_reset", to_address=shopper.email, subject="Reset your password",
        body=(f"Someone asked to reset the password of your household's account.\n\n"
              f"To choose a new password, open this link within {minutes} minutes (it works "
              f"once):\n{reset_url}{token}\n\nIf it was not you, ignore this e-mail: nothing "
              f"changes.\n")))
    return True


def reset_password(session: Session, token: str, password: str) -> Shopper:
    """Set a new password with a reset link's token: once, before it expires. Ends every
    signed-in session and lifts a lockout."""
    reset = session.scalar(select(PasswordReset).where(
        PasswordReset.token_hash == token_hash(token or "")).with_for_update())
    now = utcnow()
    if reset is None or reset.used_at is not None or reset.expires_at < now:
        raise InvalidInput("this reset link is not valid any more: ask for a new one")
    check_password_rules(password)
    shopper = session.get(Shopper, reset.shopper_id)
    assert shopper is not None
    reset.used_at = now
    shopper.password_hash = generate_password_hash(password)
    shopper.failed_logins, shopper.locked_until = 0, None
    shopper.session_generation = (shopper.session_generation or 0) + 1
    return shopper


def _name(value: str) -> str:
    name = " ".join((value or "").split())
    if not name or len(name) > 100:
        raise InvalidInput("a name of 1 to 100 characters is needed",
                           fields={"name": "1 to 100 characters"})
    return name


def add_member(session: Session, household: Household, name: str, role: str) -> Member:
    """Name someone in the household as an adult or a child."""
    if role not in ("adult", "child"):
        raise InvalidInput("a member is an adult or a child", fields={"role": "adult or child"})
    member = Member(name=_name(name), role=role)
    household.members.append(member)
    session.flush()
    return member


def remove_member(session: Session, household: Household, member_id: int) -> None:
    """Remove a member (never the owner)."""
    member = next((m for m in household.members if m.id == member_id), None)
    if member is None or member.role == "owner":
        raise NotFound("no such member")
    household.members.remove(member)
    session.flush()


_POSTAL = re.compile(r"^[A-Za-z0-9 -]{3,20}$")


def add_address(session: Session, household: Household, street: str, city: str,
                postal_code: str, *, make_default: bool = False) -> Address:
    """A new delivery address; the first one (or with ``make_default``) becomes the default."""
    fields = {}
    street, city, postal_code = (" ".join((v or "").split()) for v in (street, city,
                                                                       postal_code))
    if not street or len(street) > 200:
        fields["street"] = "1 to 200 characters"
    if not city or len(city) > 100:
        fields["city"] = "1 to 100 characters"
    if not _POSTAL.match(postal_code):
        fields["postal_code"] = "3 to 20 letters, digits, spaces or dashes"
    if fields:
        raise InvalidInput("the address is incomplete", fields=fields)
    address = Address(street=street, city=city, postal_code=postal_code, is_default=False)
    household.addresses.append(address)
    session.flush()
    if make_default or len(household.addresses) == 1:
        set_default_address(session, household, address.id)
    return address


def set_default_address(session: Session, household: Household, address_id: int) -> Address:
    """Make one of the household's addresses the default."""
    chosen = next((a for a in household.addresses if a.id == address_id), None)
    if chosen is None:
        raise NotFound("no such address")
    for address in household.addresses:
        address.is_default = address is chosen
    session.flush()
    return chosen


def remove_address(session: Session, household: Household, address_id: int) -> None:
    """Remove an address; if it was the default, the oldest remaining one becomes it."""
    address = next((a for a in household.addresses if a.id == address_id), None)
    if address is None:
        raise NotFound("no such address")
    household.addresses.remove(address)
    session.flush()
    if address.is_default and household.addresses:
        household.addresses[0].is_default = True


def household_of(session: Session, account: Account) -> Household | None:
    """The household whose purchase account ``account`` is (None for other accounts). Read
    once a transaction (``read_once``): linking, the purchase rules and the delivery address
    of one turn all ask."""
    return read_once(session, ("household_of", account.id), lambda: session.scalar(
        _HOUSEHOLD_OF, {"account_id": account.id}))


_HOUSEHOLD_OF = select(Household).where(Household.account_id == bindparam("account_id"))
"""Built once (every Alexa turn may run it)."""


def remember_household(session: Session, account: Account, household: Household | None
                       ) -> None:
    """Keep ``household`` (read with ``account`` just now) as ``household_of``'s answer."""
    read_once(session, ("household_of", account.id), lambda: household)


def default_address(session: Session, account: Account) -> Address | None:
    """Where the account's orders are delivered, when it belongs to a household."""
    household = household_of(session, account)
    if household is None:
        return None
    return next((a for a in household.addresses if a.is_default), None)
