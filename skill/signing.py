"""The server's secret, and what it signs: console sessions, and the purchase question the
skill keeps in Alexa's session attributes (which the client sends back, so they are proved,
not trusted).

A question is signed with the account and the session it was asked in: copied into another
session, given to another account, or edited (another total, another item, more lines), its
signature no longer holds and it answers nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

import platformdirs

SIGNATURE = "sig"
"""The key of a signed dict's signature."""


def secret_key(configured: str | None = None) -> str:
    """``configured``, else ``VOICECART_SECRET_KEY``, else a key created once in the user
    data directory (readable by this user only; racing workers read the winner's)."""
    key = configured or os.environ.get("VOICECART_SECRET_KEY")
    if key:
        return key
    path = Path(platformdirs.user_data_dir("voicecart", appauthor=False)) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def _digest(key: str, data: dict, bound_to: str) -> str:
    payload = json.dumps({k: v for k, v in data.items() if k != SIGNATURE}, sort_keys=True,
                         separators=(",", ":"), default=str)
    return hmac.new(key.encode(), f"{bound_to}\n{payload}".encode(), hashlib.sha256).hexdigest()


def sign(key: str, data: dict, bound_to: str) -> dict:
    """``data`` with a signature that holds only for ``bound_to`` (e.g. the user id)."""
    return {**data, SIGNATURE: _digest(key, data, bound_to)}


def verified(key: str, data: object, bound_to: str) -> bool:
    """Whether ``data`` carries a signature made by ``sign`` for ``bound_to``."""
    if not isinstance(data, dict) or not isinstance(data.get(SIGNATURE), str):
        return False
    try:
        expected = _digest(key, data, bound_to)
    except (TypeError, ValueError):
        return False
    return hmac.compare_digest(expected, data[SIGNATURE])
