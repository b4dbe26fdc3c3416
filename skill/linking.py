"""Alexa account linking: an OAuth 2.0 authorization server (authorization-code grant, refresh
with rotation) built on Authlib, and the lookup of a household from an access token.

The Alexa skill is a registered client (``voicecart linking client create``); its secret,
authorization codes, access tokens and refresh tokens are kept only as SHA-256 hashes (long
random values: a fast hash is enough). Access tokens live ``ACCESS_TOKEN_SECONDS``; a refresh
gives a new pair and retires the old refresh token, and a retired refresh token presented
again (a copy in someone else's hands) revokes the whole link. The owner can revoke the link
from the account page; every later request with its tokens answers with a LinkAccount card.
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, grants
from flask import Flask, g
from sqlalchemy import JSON, Boolean, ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from skill.db import Base, UTCDateTime, utcnow
from skill.errors import InvalidInput
from skill.shoppers import Household, token_hash

ACCESS_TOKEN_SECONDS = 3600
CODE_LIFETIME = timedelta(minutes=5)
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
"""HTTP Basic is what Alexa sends by default; credentials in the body is its other choice."""


def alexa_settings() -> dict:
    """Alexa's documented URLs (``skill/data/alexa.json``): redirect URL patterns, Login with
    Amazon's token URL, the Proactive Events endpoints."""
    return json.loads(resources.files("skill").joinpath("data/alexa.json")
                      .read_text(encoding="utf-8"))


class OAuthClient(Base, ClientMixin):
    """A registered client: the Alexa skill."""

    __tablename__ = "oauth_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100), unique=True)
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str) -> str:
        return ""  # one kind of access: buying for the household, nothing to narrow

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in (self.redirect_uris or [])

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(token_hash(client_secret or ""), self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in CLIENT_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


class AuthCode(Base, AuthorizationCodeMixin):
    """A one-time authorization code, alive for ``CODE_LIFETIME``."""

    __tablename__ = "oauth_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(64))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(String(1000))
    scope: Mapped[str] = mapped_column(String(200), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class OAuthToken(Base):
    """An access token and its refresh token, both hashed."""

    __tablename__ = "oauth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"),
                                              index=True)
    access_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    scope: Mapped[str] = mapped_column(String(200), default="")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    refresh_used: Mapped[bool] = mapped_column(Boolean, default=False)
    """The refresh token was exchanged (rotation): presenting it again revokes the link."""
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    household: Mapped[Household] = relationship()

    def check_client(self, client: OAuthClient) -> bool:
        return self.client_id == client.client_id

    def get_scope(self) -> str:
        return self.scope


@dataclass(frozen=True)
class NewClient:
    """What ``create_client`` returns: the secret exists only here."""

    client_id: str
    client_secret: str
    name: str
    redirect_uris: list[str]


def redirect_uris_for(vendor_id: str) -> list[str]:
    """Alexa's redirect URLs for a vendor id, from the documented patterns."""
    if not vendor_id or not vendor_id.isalnum():
        raise InvalidInput("the vendor id is letters and digits (Alexa console: Account "
                           "Linking shows it at the end of each Alexa Redirect URL)")
    return [pattern.format(vendor_id=vendor_id)
            for pattern in alexa_settings()["redirect_uri_patterns"]]


def create_client(session: Session, name: str, redirect_uris: list[str]) -> NewClient:
    """Register a client; the secret is returned once and kept only as a hash."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("a client needs a name of 1 to 100 characters")
    if session.scalar(select(OAuthClient).where(OAuthClient.name == name)) is not None:
        raise InvalidInput(f"a client called {name!r} exists")
    uris = list(dict.fromkeys(u.strip() for u in redirect_uris if u.strip()))
    if not uris:
        raise InvalidInput("at least one redirect URI is needed (--vendor-id or "
                           "--redirect-uri)")
    for uri in uris:
        if not uri.startswith("https://") or len(uri) > 1000:
            raise InvalidInput(f"redirect URI {uri!r} must be an https:// URL")
    client_id = "voicecart-" + secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    session.add(OAuthClient(client_id=client_id, secret_hash=token_hash(secret), name=name,
                            redirect_uris=uris))
    session.flush()
    return NewClient(client_id, secret, name, uris)


def _db() -> Session:
    return g.oauth_db  # the request's transaction (see ``skill.web.oauth``)


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def save_authorization_code(self, code: str, request: object) -> None:
        _db().add(AuthCode(code_hash=token_hash(code), client_id=request.client.client_id,
                           household_id=request.user.id, redirect_uri=request.payload
                           .redirect_uri or request.client.get_default_redirect_uri(),
                           scope=request.payload.scope or "",
                           expires_at=utcnow() + CODE_LIFETIME))

    def query_authorization_code(self, code: str, client: OAuthClient) -> AuthCode | None:
        found = _db().scalar(select(AuthCode).where(AuthCode.code_hash == token_hash(code))
                             .with_for_update())
        if found is None or found.client_id != client.client_id or found.expires_at < utcnow():
            return None
        return found

    def delete_authorization_code(self, authorization_code: AuthCode) -> None:
        _db().delete(authorization_code)  # a code works once

    def authenticate_user(self, authorization_code: AuthCode) -> Household | None:
        return _db().get(Household, authorization_code.household_id)


class RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh gives a new refresh token

    def authenticate_refresh_token(self, refresh_token: str) -> OAuthToken | None:
        db = _db()
        found = db.scalar(select(OAuthToken).where(
            OAuthToken.refresh_hash == token_hash(refresh_token)).with_for_update())
        if found is None or found.revoked:
            return None
        if found.refresh_used:  # replayed: someone kept a copy; end the link for safety
            revoke_link(db, found.household_id, found.client_id)
            return None
        return found

    def authenticate_user(self, refresh_token: OAuthToken) -> Household | None:
        return _db().get(Household, refresh_token.household_id)

    def revoke_old_credential(self, refresh_token: OAuthToken) -> None:
        refresh_token.refresh_used = True
        refresh_token.expires_at = min(refresh_token.expires_at, utcnow())


def _save_token(token: dict, request: object) -> None:
    _db().add(OAuthToken(
        client_id=request.client.client_id, household_id=request.user.id,
        access_hash=token_hash(token["access_token"]),
        refresh_hash=token_hash(token["refresh_token"]) if token.get("refresh_token") else None,
        scope=token.get("scope") or "", issued_at=utcnow(),
        expires_at=utcnow() + timedelta(seconds=int(token.get("expires_in") or 0)),
        refresh_used=False, revoked=False))


def _query_client(client_id: str) -> OAuthClient | None:
    return _db().scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))


def authorization_server(app: Flask) -> AuthorizationServer:
    """Authlib's server for ``app``; views set ``g.oauth_db`` to their transaction."""
    app.config.setdefault("OAUTH2_REFRESH_TOKEN_GENERATOR", True)
    app.config.setdefault("OAUTH2_TOKEN_EXPIRES_IN", {"authorization_code":
                                                      ACCESS_TOKEN_SECONDS,
                                                      "refresh_token": ACCESS_TOKEN_SECONDS})
    server = AuthorizationServer()
    server.init_app(app, query_client=_query_client, save_token=_save_token)
    server.register_grant(CodeGrant)
    server.register_grant(RefreshGrant)
    return server


def household_for_token(session: Session, access_token: str | None,
                        now: datetime | None = None) -> Household | None:
    """The household an unexpired, unrevoked access token was issued for, or None."""
    if not access_token:
        return None
    found = session.scalar(select(OAuthToken).where(
        OAuthToken.access_hash == token_hash(access_token)))
    if found is None or found.revoked or found.expires_at <= (now or utcnow()):
        return None
    return found.household


@dataclass(frozen=True)
class Link:
    """A client the household has linked, for the account page."""

    client_id: str
    name: str
    since: datetime


def links_of(session: Session, household: Household) -> list[Link]:
    """The clients with live (unrevoked) tokens for the household."""
    rows = session.execute(
        select(OAuthToken.client_id, OAuthClient.name, OAuthToken.issued_at)
        .join(OAuthClient, OAuthClient.client_id == OAuthToken.client_id)
        .where(OAuthToken.household_id == household.id, OAuthToken.revoked.is_(False))
        .order_by(OAuthToken.issued_at)).all()
    seen: dict[str, Link] = {}
    for client_id, name, issued in rows:
        seen.setdefault(client_id, Link(client_id, name, issued))
    return list(seen.values())


def revoke_link(session: Session, household_id: int, client_id: str) -> int:
    """Revoke every token of the household for the client; returns how many."""
    result = session.execute(update(OAuthToken).where(
        OAuthToken.household_id == household_id, OAuthToken.client_id == client_id,
        OAuthToken.revoked.is_(False)).values(revoked=True)
        .execution_options(synchronize_session="fetch"))
    return result.rowcount or 0
