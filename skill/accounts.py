"""Shopper accounts: who is buying, their voice PIN and their spending rules."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import (
    JSON,
    Boolean,
    Integer,
    String,
    bindparam,
    case,
    event,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from skill.catalog import Restriction
from skill.db import Base, UTCDateTime, utcnow
from skill.errors import InvalidInput, NotFound

# scrypt cost: about 50 ms a check, so guessing 10,000 PINs offline is slow and online
# guessing is stopped by the lockout long before.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_PIN = re.compile(r"^\d{4}$")


class Account(Base):
    """A shopper or household, keyed by the Alexa user id or a local user's name."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(512), unique=True)
    pin_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    """Salted scrypt hash of the four-digit voice PIN; the PIN itself is never stored."""
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    voice_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    per_order_limit_minor: Mapped[int | None] = mapped_column(Integer, default=None)
    per_day_limit_minor: Mapped[int | None] = mapped_column(Integer, default=None)
    approval_required: Mapped[bool] = mapped_column(Boolean, default=False)
    """Whether every voice purchase waits for the account owner's approval."""
    pin_required: Mapped[bool] = mapped_column(Boolean, default=False)
    """Whether every voice purchase needs the PIN (not only items and orders that demand it)."""
    restricted_categories: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    """Category -> restriction level the owner set (``{"toys": "approval"}``)."""
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    """Where order confirmations are e-mailed (none: only voice and the Alexa app card)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def has_pin(self) -> bool:
        """Whether a voice PIN is set."""
        return self.pin_hash is not None


def hash_pin(pin: str) -> str:
    """A salted scrypt hash of ``pin`` in the form ``scrypt$n$r$p$salt$hash``."""
    if not _PIN.match(pin):
        raise InvalidInput("the PIN must be exactly four digits")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return "$".join(["scrypt", str(_SCRYPT_N), str(_SCRYPT_R), str(_SCRYPT_P),
                     base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def pin_matches(pin_hash: str, pin: str) -> bool:
    """Whether ``pin`` is the PIN behind ``pin_hash`` (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = pin_hash.split("$")
        if scheme != "scrypt":
            return False
        candidate = hashlib.scrypt(pin.encode(), salt=base64.b64decode(salt),
                                   n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate, base64.b64decode(digest))


_LOCKED_ACCOUNTS = "voicecart_locked_accounts"
"""``Session.info`` key: accounts locked in the current transaction, by user id."""


@event.listens_for(Session, "after_transaction_end")
def _forget_locks(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the locks end with the outermost transaction
        session.info.pop(_LOCKED_ACCOUNTS, None)


_FIND_ACCOUNT = select(Account).where(Account.user_id == bindparam("user_id"))
_LOCK_ACCOUNT = _FIND_ACCOUNT.with_for_update().execution_options(populate_existing=True)
"""Built once: every Alexa turn runs one (building a statement costs as much as running it)."""


def find_account(session: Session, user_id: str, *, lock: bool = False) -> Account | None:
    """The account of ``user_id``, or None. With ``lock`` the row stays locked until the
    transaction ends, so two speakers on one account take turns (PostgreSQL; SQLite's
    writers are serialized anyway) and each sees what the other's turn wrote."""
    loaded = session.info.get(_LOCKED_ACCOUNTS, {})
    if user_id in loaded:  # locked earlier in this transaction: what it holds is current
        return loaded[user_id]
    if not lock:
        return session.scalar(_FIND_ACCOUNT, {"user_id": user_id})
    # A turn locks the account first thing, and every turn asks for its household (linking,
    # purchase rules, delivery address): one query reads both (the household unlocked).
    from skill.shoppers import Household, remember_household  # (shoppers imports this module)

    row = session.execute(
        select(Account, Household).outerjoin(Household, Household.account_id == Account.id)
        .where(Account.user_id == user_id).with_for_update(of=Account)
        .execution_options(populate_existing=True)).first()
    if row is None:
        return None
    account, household = row
    remember_household(session, account, household)
    session.info.setdefault(_LOCKED_ACCOUNTS, {})[user_id] = account
    return account


def lock_for_pin(session: Session, account: Account) -> None:
    """Hold the account's row until the transaction ends and read it afresh, before a PIN is
    judged: two workers answering PINs for one account take turns, so each sees the other's
    failures and lock (PostgreSQL; SQLite's writers are serialized anyway)."""
    session.refresh(account, with_for_update=True)


def count_pin_failure(session: Session, account: Account, *, max_tries: int, now: datetime,
                      lockout: timedelta) -> bool:
    """Count one wrong PIN in a single UPDATE (no read-then-write two requests could
    interleave); the ``max_tries``-th in a row locks voice purchasing until ``now + lockout``
    and starts the count again. Whether this failure locked the account."""
    counted = func.coalesce(Account.pin_failures, 0) + 1
    reached = counted >= max_tries
    failures, until = session.execute(
        update(Account).where(Account.id == account.id)
        .values(pin_failures=case((reached, 0), else_=counted),
                voice_locked_until=case((reached, literal(now + lockout, UTCDateTime())),
                                        else_=Account.voice_locked_until))
        .returning(Account.pin_failures, Account.voice_locked_until)
        .execution_options(synchronize_session=False)).one()
    set_committed_value(account, "pin_failures", failures)
    set_committed_value(account, "voice_locked_until", until)
    return failures == 0  # only a lock starts the count again


def list_accounts(session: Session, *, limit: int = 500) -> list[Account]:
    """Accounts, newest first."""
    return list(session.scalars(select(Account).order_by(Account.id.desc()).limit(limit)))


def get_account(session: Session, user_id: str) -> Account:
    """The account of ``user_id``, or NotFound."""
    account = find_account(session, user_id)
    if account is None:
        raise NotFound(f"no account for user {user_id!r}")
    return account


def get_or_create_account(session: Session, user_id: str, *, lock: bool = False) -> Account:
    """The account of ``user_id``, created with default settings on first use (two first
    requests at once create it once). ``lock`` as in ``find_account``."""
    if not user_id or not user_id.strip():
        raise InvalidInput("user id is empty")
    account = find_account(session, user_id, lock=lock)
    if account is None:
        account = Account(user_id=user_id, pin_failures=0, approval_required=False,
                          pin_required=False, restricted_categories={})
        try:
            with session.begin_nested():
                session.add(account)
        except IntegrityError:  # the other request created it first
            account = find_account(session, user_id, lock=lock)
            assert account is not None
    return account


def set_pin(session: Session, user_id: str, pin: str | None) -> Account:
    """Set (or with None, remove) the account's voice PIN; resets failures and any lockout."""
    account = get_or_create_account(session, user_id)
    account.pin_hash = hash_pin(pin) if pin is not None else None
    if pin is None:
        account.pin_required = False
    account.pin_failures = 0
    account.voice_locked_until = None
    return account


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_PATTERN = _EMAIL
"""What an e-mail address must look like (also for household owners' sign-up)."""


def set_email(session: Session, user_id: str, email: str | None) -> Account:
    """Set (or with None or "", remove) where the account's order confirmations go."""
    account = get_or_create_account(session, user_id)
    email = (email or "").strip() or None
    if email is not None and (len(email) > 320 or not _EMAIL.match(email)):
        raise InvalidInput(f"{email!r} is not an e-mail address", fields={"email": "not an "
                                                                          "e-mail address"})
    account.email = email
    return account


def set_limits(
    session: Session,
    user_id: str,
    *,
    per_order_minor: int | None | type[...] = ...,
    per_day_minor: int | None | type[...] = ...,
    approval_required: bool | None = None,
    pin_required: bool | None = None,
) -> Account:
    """Change spending rules; ``...`` leaves a limit as it is, None removes it."""
    account = get_or_create_account(session, user_id)
    for value in (per_order_minor, per_day_minor):
        if isinstance(value, int) and value <= 0:
            raise InvalidInput("a spending limit must be more than zero")
    if per_order_minor is not ...:
        account.per_order_limit_minor = per_order_minor  # type: ignore[assignment]
    if per_day_minor is not ...:
        account.per_day_limit_minor = per_day_minor  # type: ignore[assignment]
    if approval_required is not None:
        account.approval_required = approval_required
    if pin_required is not None:
        if pin_required and not account.has_pin:
            raise InvalidInput("set a voice PIN first (voicecart account set-pin)")
        account.pin_required = pin_required
    return account


def restrict_category(session: Session, user_id: str, category: str, level: str) -> Account:
    """Make voice purchases in ``category`` need ``level`` (none, pin, approval, blocked)."""
    try:
        restriction = Restriction(level)
    except ValueError:
        raise InvalidInput("restriction must be one of none, pin, approval, blocked") from None
    account = get_or_create_account(session, user_id)
    rules = dict(account.restricted_categories or {})
    key = category.strip().lower()
    if not key:
        raise InvalidInput("category is empty")
    if restriction is Restriction.NONE:
        rules.pop(key, None)
    else:
        rules[key] = restriction.value
    account.restricted_categories = rules
    return account
