"""Console sessions end when their admin signs out, gets a new password or is locked out, in
every browser (a copied cookie too); and the lockout does not tell whether a username exists."""

import re

import pytest

from skill.admins import get_admin, set_password
from tests.console_helpers import PASSWORD, csrf, sign_in

pytest_plugins = ["tests.console_fixtures"]
pytestmark = pytest.mark.both_databases


def copy_of(app, browser):
    """A second browser holding a copy of ``browser``'s session cookie."""
    other = app.test_client()
    other.set_cookie("session", browser.get_cookie("session").value)
    assert other.get("/admin/catalog").status_code == 200
    return other


def signed_out(browser) -> bool:
    response = browser.get("/admin/catalog")
    return response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_signing_out_ends_a_copied_session_too(console_app, console):
    thief = copy_of(console_app, console)
    assert console.post("/admin/logout", data={"csrf_token": csrf(console, "/admin/catalog")}
                        ).status_code == 302
    assert signed_out(console) and signed_out(thief)
    assert sign_in(console).status_code == 302 and not signed_out(console)
    assert signed_out(thief)  # signing in again does not revive the old cookie


def test_a_new_password_ends_every_session(console_app, console, runtime):
    thief = copy_of(console_app, console)
    with runtime.transaction() as s:
        set_password(s, "merchant", "another good password")
    assert signed_out(console) and signed_out(thief)
    assert sign_in(console, password="another good password").status_code == 302


def test_a_lockout_ends_every_session(console_app, console):
    attacker = console_app.test_client()
    for _ in range(5):
        sign_in(attacker, password="wrong guess")
    assert signed_out(console)


def test_a_session_of_a_deleted_admin_ends(console, runtime):
    with runtime.transaction() as s:
        s.delete(get_admin(s, "merchant"))
    assert signed_out(console)


def test_the_lockout_does_not_tell_whether_a_username_exists(console_app):
    def error_after_six(username: str) -> tuple[int, str]:
        browser = console_app.test_client()
        for _ in range(5):
            sign_in(browser, username=username, password="wrong guess")
        response = sign_in(browser, username=username, password=PASSWORD)
        return response.status_code, re.search(r'role="alert">([^<]*)<', response.text)[1]

    locked = error_after_six("merchant")  # the right password, but locked out
    unknown = error_after_six("nobody-here")
    assert locked == unknown
    assert locked[0] == 401 and "Wrong username or password" in locked[1]
