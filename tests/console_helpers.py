"""Helpers for tests of the console: the test admin's password, a form's CSRF token, signing
in (the fixtures are in ``tests/console_fixtures.py``)."""

from __future__ import annotations

import re

PASSWORD = "correct horse battery"
"""The password of the admin ``merchant`` the console fixtures create."""


def csrf(browser, path: str = "/admin/login") -> str:
    """The CSRF token of the form on ``path``."""
    return re.search(r'name="csrf_token" value="([^"]+)"', browser.get(path).text).group(1)


def sign_in(browser, username: str = "merchant", password: str = PASSWORD,
            next_url: str | None = None):
    """Post the sign-in form (``next_url`` as it would appear in the query string)."""
    path = "/admin/login" if next_url is None else f"/admin/login?next={next_url}"
    return browser.post(path, data={"username": username, "password": password,
                                    "csrf_token": csrf(browser)})
