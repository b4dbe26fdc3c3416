"""Merchant admins: who may use the web console (password) and the JSON API (tokens).

Admins are created from the command line (``voicecart admin create``). Passwords are kept as
Werkzeug's salted scrypt hashes; API tokens are shown once and kept only as SHA-256 hashes
(they are long random values, so a fast hash is enough).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from skill.db import Base, UTCDateTime, utcnow
from skill.errors import InvalidInput, NotAllowed, NotFound

MIN_PASSWORD_LENGTH = 10
MAX_FAILED_LOGINS = 5
LOGIN_LOCKOUT = timedelta(minutes=15)
"""After MAX_FAILED_LOGINS wrong passwords in a row, the admin cannot sign in for this long."""
TOKEN_PREFIX = "vc_"
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,64}$")
_DUMMY_HASH = generate_password_hash("timing-equaliser")


class Admin(Base):
    """A merchant's staff member."""

    __tablename__ = "admins"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    session_generation: Mapped[int] = mapped_column(Integer, default=0)
    """Kept in each console session when it starts; moving it on ends every session the
    admin has (``end_sessions``)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="admin",
                                                  cascade="all, delete-orphan")


class ApiToken(Base):
    """A bearer token for ``/api/v1``, owned by an admin."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("admins.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    admin: Mapped[Admin] = relationship(back_populates="tokens")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_admin(session: Session, username: str, password: str) -> Admin:
    """A new admin; the password must be at least ``MIN_PASSWORD_LENGTH`` characters."""
    if not _USERNAME.match(username or ""):
        raise InvalidInput("username must be 2 to 64 letters, digits or . _ @ -")
    if session.scalar(select(Admin).where(Admin.username == username)) is not None:
        raise InvalidInput(f"admin {username!r} already exists")
    check_password_rules(password)
    admin = Admin(username=username, password_hash=generate_password_hash(password))
    session.add(admin)
    session.flush()
    return admin


def check_password_rules(password: str) -> None:
    """Raise unless ``password`` is acceptable."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password must be at least {MIN_PASSWORD_LENGTH} characters")


def set_password(session: Session, username: str, password: str) -> Admin:
    """Replace an admin's password."""
    admin = get_admin(session, username)
    check_password_rules(password)
    admin.password_hash = generate_password_hash(password)
    admin.failed_logins, admin.locked_until = 0, None  # a new password lifts a lockout
    end_sessions(admin)
    return admin


def end_sessions(admin: Admin) -> None:
    """End every console session of ``admin``: signed-in browsers, and any copy of their
    cookies, must sign in again."""
    admin.session_generation = (admin.session_generation or 0) + 1


def admin_for_session(session: Session, username: object, generation: object) -> Admin | None:
    """The admin a console session belongs to, or None when the session has been ended (signed
    out, new password, lockout) or the admin no longer exists."""
    if not isinstance(username, str) or not isinstance(generation, int):
        return None
    admin = session.scalar(select(Admin).where(Admin.username == username))
    if admin is None or admin.session_generation != generation:
        return None
    return admin


def get_admin(session: Session, username: str) -> Admin:
    """The admin called ``username``, or NotFound."""
    admin = session.scalar(select(Admin).where(Admin.username == username))
    if admin is None:
        raise NotFound(f"no admin {username!r}")
    return admin


class LoginLocked(NotAllowed):
    """Too many wrong passwords in a row: signing in is refused for a while."""

    def __init__(self, until: datetime) -> None:
        super().__init__("too many wrong passwords", code="login_locked")
        self.until = until


def authenticate(session: Session, username: str, password: str) -> Admin | None:
    """The admin if the password is right, else None (in about the same time either way).

    Wrong passwords are counted; the fifth in a row locks the admin out for
    ``LOGIN_LOCKOUT`` (LoginLocked, even with the right password), so passwords cannot be
    guessed online, and ends the admin's console sessions. The caller commits the count
    whatever the outcome, and must not tell a locked admin from an unknown username.
    """
    admin = session.scalar(select(Admin).where(Admin.username == username).with_for_update())
    return admin if check_login(admin, password) else None


def check_login(person: Admin | None, password: str) -> bool:
    """Whether ``password`` is ``person``'s (an admin, or anyone with the same login fields:
    ``password_hash``, ``failed_logins``, ``locked_until``, ``session_generation``), counting
    wrong ones: the ``MAX_FAILED_LOGINS``-th in a row locks signing in for ``LOGIN_LOCKOUT``
    (LoginLocked, even with the right password) and ends every session. A missing person
    costs a hash check too, so timing tells nothing."""
    if person is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return False
    now = utcnow()
    right = check_password_hash(person.password_hash, password or "")  # locked or not: timing
    if person.locked_until is not None and person.locked_until > now:
        raise LoginLocked(person.locked_until)
    if right:
        person.failed_logins, person.locked_until = 0, None
        return True
    person.failed_logins = (person.failed_logins or 0) + 1
    if person.failed_logins >= MAX_FAILED_LOGINS:
        person.failed_logins, person.locked_until = 0, now + LOGIN_LOCKOUT
        end_sessions(person)  # type: ignore[arg-type]
    return False


def create_token(session: Session, username: str, name: str) -> str:
    """A new API token for the admin: returned once, stored only as a hash."""
    admin = get_admin(session, username)
    if not name or not name.strip():
        raise InvalidInput("a token needs a name (what it is for)")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(admin=admin, name=name.strip(), token_hash=_token_hash(token)))
    session.flush()
    return token


def revoke_token(session: Session, username: str, name: str) -> int:
    """Delete the admin's tokens called ``name``; returns how many."""
    admin = get_admin(session, username)
    doomed = [t for t in admin.tokens if t.name == name]
    for token in doomed:
        session.delete(token)
    return len(doomed)


def admin_for_token(session: Session, token: str) -> Admin | None:
    """The admin a bearer token belongs to, or None; records when it was last used."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    digest = _token_hash(token)
    found = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if found is None or not hmac.compare_digest(found.token_hash, digest):
        return None
    found.last_used_at = utcnow()
    return found.admin
