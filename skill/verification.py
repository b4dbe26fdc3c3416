"""Verifies that a request really comes from Alexa, as Amazon requires of web-service skills.

Checks, in order: the ``SignatureCertChainUrl`` form, once normalized (path percent-decoded and
dot segments resolved: https, host s3.amazonaws.com, path under /echo.api/, port 443 if any,
no query or fragment); the certificate chain at that URL (valid now, chaining to a
trusted root, ``echo-api.amazon.com`` among its subject alternative names); the signature over
the exact raw body (``Signature-256``, SHA-256; the legacy SHA-1 ``Signature`` only when no
``Signature-256`` is sent); the request timestamp within 150 seconds; and the skill id.
Any failure raises ``VerificationFailed`` with a short reason the endpoint returns as HTTP 400
(details, never the request itself, go to the log). Chains are downloaded from the normalized
URL and kept by it, at most ``MAX_CACHED_CHAINS``; a chain's validation is kept until the first
of its certificates expires (then it is validated again, and refused).
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
import urllib.request
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, unquote, urlsplit

import certifi
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.verification import DNSName, PolicyBuilder, Store, VerificationError

log = logging.getLogger(__name__)

ALEXA_CERT_HOST = "s3.amazonaws.com"
ALEXA_CERT_PATH = "/echo.api/"
ALEXA_SAN = "echo-api.amazon.com"
MAX_TIMESTAMP_SKEW = timedelta(seconds=150)
MAX_CERT_BYTES = 64 * 1024
MAX_CACHED_CHAINS = 8
"""Certificate chains kept (by normalized URL); Alexa uses one or two at a time."""

CertFetcher = Callable[[str], bytes]
"""Returns the PEM bytes at a certificate-chain URL."""


class VerificationFailed(Exception):
    """The request is not a genuine, fresh Alexa request for this skill."""


def fetch_certificate_chain(url: str) -> bytes:
    """Download a PEM chain (the real fetcher; tests pass their own)."""
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (URL checked first)
        data = response.read(MAX_CERT_BYTES + 1)
    if len(data) > MAX_CERT_BYTES:
        raise VerificationFailed("certificate chain is too large")
    return data


def check_cert_url(url: str) -> str:
    """Apply Amazon's rules for ``SignatureCertChainUrl`` to the normalized URL (path
    percent-decoded, dot segments resolved), which is returned: the URL to download and the
    cache's key. A query string, a fragment or user information is refused outright."""
    if not url:
        raise VerificationFailed("missing SignatureCertChainUrl header")
    if "?" in url or "#" in url:
        raise VerificationFailed("SignatureCertChainUrl must have no query or fragment")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise VerificationFailed("SignatureCertChainUrl is not a valid URL") from None
    if parts.scheme.lower() != "https":
        raise VerificationFailed("SignatureCertChainUrl must use https")
    if (parts.hostname or "").lower() != ALEXA_CERT_HOST or "@" in parts.netloc:
        raise VerificationFailed(f"SignatureCertChainUrl host must be {ALEXA_CERT_HOST}")
    if port not in (None, 443):
        raise VerificationFailed("SignatureCertChainUrl port must be 443")
    try:
        path = unquote(parts.path, errors="strict")
    except UnicodeDecodeError:
        raise VerificationFailed("SignatureCertChainUrl is not a valid URL") from None
    if any(ch == "\\" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in path):
        raise VerificationFailed("SignatureCertChainUrl is not a valid URL")
    path = remove_dot_segments(path)
    if not path.startswith(ALEXA_CERT_PATH):
        raise VerificationFailed(f"SignatureCertChainUrl path must start with {ALEXA_CERT_PATH}")
    return f"https://{ALEXA_CERT_HOST}{quote(path, safe='/')}"


def remove_dot_segments(path: str) -> str:
    """An absolute path with its ``.`` and ``..`` segments resolved (RFC 3986, 5.2.4)."""
    segments = path.split("/")
    kept = [""]
    for segment in segments[1:]:
        if segment == "..":
            if len(kept) > 1:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    if segments[-1] in (".", ".."):
        kept.append("")  # "/a/b/.." is the folder "/a/"
    return "/".join(kept)


def default_trust_store() -> Store:
    """The Mozilla root set shipped by certifi (Amazon's chain ends in one of them)."""
    with open(certifi.where(), "rb") as handle:
        return Store(x509.load_pem_x509_certificates(handle.read()))


@dataclass
class _CachedChain:
    leaf: x509.Certificate
    intermediates: list[x509.Certificate]
    valid: tuple[datetime, datetime] | None = None
    """When the chain was found valid: from the latest start to the earliest end of its
    certificates' validity (None: not validated yet)."""

    def known_valid(self, now: datetime) -> bool:
        return self.valid is not None and self.valid[0] <= now < self.valid[1]


class RequestVerifier:
    """Checks signature, certificate, timestamp and skill id of raw Alexa requests."""

    def __init__(
        self,
        skill_id: str | None,
        *,
        fetcher: CertFetcher = fetch_certificate_chain,
        trust_store: Store | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.skill_id = skill_id
        self._fetch = fetcher
        self._store = trust_store
        self._clock = clock
        self._cache: OrderedDict[str, _CachedChain] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, headers: dict[str, str], body: bytes, request: dict) -> datetime:
        """Raise VerificationFailed unless the request is genuine, fresh and for this skill;
        return its timestamp.

        ``headers`` is case-insensitive (Werkzeug's), ``body`` the exact bytes received,
        ``request`` the parsed JSON.
        """
        url = check_cert_url(headers.get("SignatureCertChainUrl", ""))
        leaf = self._certificate(url)
        signature_256 = headers.get("Signature-256")
        if signature_256:
            self._check_signature(leaf, signature_256, body, hashes.SHA256())
        elif headers.get("Signature"):
            self._check_signature(leaf, headers["Signature"], body, hashes.SHA1())
        else:
            raise VerificationFailed("missing Signature-256 header")
        stamped = self._check_timestamp(request)
        self._check_skill_id(request)
        return stamped

    def _certificate(self, url: str) -> x509.Certificate:
        """The leaf certificate of the chain at the (normalized) ``url``, checked now."""
        now = self._clock()
        with self._lock:
            cached = self._cache.get(url)
        if cached is None:
            try:
                pem = self._fetch(url)
                chain = x509.load_pem_x509_certificates(pem)
            except VerificationFailed:
                raise
            except Exception as exc:  # network errors, bad PEM: all mean "cannot verify"
                log.warning("cannot load the certificate chain at %s: %s", url, exc)
                raise VerificationFailed("cannot load the certificate chain") from None
            if not chain:
                raise VerificationFailed("cannot load the certificate chain")
            cached = _CachedChain(chain[0], chain[1:])
        # A chain validated once stays valid until the first of its certificates expires:
        # after that instant it is validated again (and refused), never trusted on memory.
        if not cached.known_valid(now):
            self._validate_chain(cached, now)
            certificates = [cached.leaf, *cached.intermediates]
            cached.valid = (max(c.not_valid_before_utc for c in certificates),
                            min(c.not_valid_after_utc for c in certificates))
        with self._lock:
            self._cache[url] = cached
            self._cache.move_to_end(url)
            while len(self._cache) > MAX_CACHED_CHAINS:
                self._cache.popitem(last=False)
        return cached.leaf

    def _validate_chain(self, chain: _CachedChain, now: datetime) -> None:
        store = self._store or default_trust_store()
        self._store = store
        verifier = PolicyBuilder().store(store).time(now).build_server_verifier(
            DNSName(ALEXA_SAN))
        try:
            verifier.verify(chain.leaf, chain.intermediates)
        except VerificationError as exc:
            log.warning("certificate chain is not valid: %s", exc)
            raise VerificationFailed("certificate chain is not valid") from None

    @staticmethod
    def _check_signature(leaf: x509.Certificate, encoded: str, body: bytes,
                         algorithm: hashes.HashAlgorithm) -> None:
        try:
            signature = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise VerificationFailed("signature is not valid base64") from None
        key = leaf.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise VerificationFailed("certificate key is not RSA")
        try:
            key.verify(signature, body, padding.PKCS1v15(), algorithm)
        except InvalidSignature:
            raise VerificationFailed("signature does not match the request body") from None

    def _check_timestamp(self, request: dict) -> datetime:
        raw = (request.get("request") or {}).get("timestamp")
        if not isinstance(raw, str):
            raise VerificationFailed("request has no timestamp")
        try:
            stamp = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise VerificationFailed("request timestamp is not ISO 8601") from None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=timezone.utc)
        if abs(self._clock() - stamp) > MAX_TIMESTAMP_SKEW:
            raise VerificationFailed("request timestamp is more than 150 seconds off")
        return stamp

    def _check_skill_id(self, request: dict) -> None:
        if self.skill_id is None:
            return
        if application_id(request) != self.skill_id:
            raise VerificationFailed("request is for another skill")


def application_id(request: dict) -> str | None:
    """The skill id a request names (context first, then session)."""
    for path in (("context", "System", "application", "applicationId"),
                 ("session", "application", "applicationId")):
        node: object = request
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str):
            return node
    return None
