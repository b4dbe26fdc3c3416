"""Helpers for tests of households, account linking and recognized voices: a dialog that
sends an access token and a recognized speaker, a household with an owner, the served app."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server

from skill.runtime import Runtime
from skill.shoppers import Household, add_address, add_member, sign_up
from skill.web import AppConfig, create_app
from tests.alexa_requests import Dialog, envelope

PASSWORD = "correct horse battery"
REDIRECT_URI = "https://pitangui.amazon.com/api/skill/link/M2TESTVENDOR"


class LinkedDialog(Dialog):
    """A Dialog whose requests carry ``access_token`` and the speaker ``person`` (either may
    be None: an unlinked request, an unrecognized voice)."""

    def __init__(self, send, *, access_token: str | None = None, person: str | None = None,
                 **kwargs) -> None:
        super().__init__(send, **kwargs)
        self.access_token = access_token
        self.person = person

    def request(self, request: dict) -> dict:
        request.setdefault("locale", self.locale)
        body = envelope(request, session=self._session(), user_id=self.user_id,
                        skill_id=self.skill_id)
        system = body["context"]["System"]
        if self.access_token:
            system["user"]["accessToken"] = self.access_token
            body["session"]["user"] = dict(body["session"]["user"],
                                           accessToken=self.access_token)
        if self.person:
            system["person"] = {"personId": self.person}
        return self.replay(body)


def make_household(runtime: Runtime, email: str = "parent@example.com",
                   street: str = "12 Main Street", child: str | None = "Emma") -> int:
    """A household with its owner, a default address and (by default) a child; its id."""
    with runtime.transaction() as s:
        shopper = sign_up(s, email, PASSWORD, "Sam")
        household = shopper.household
        add_address(s, household, street, "Springfield", "12345")
        if child:
            add_member(s, household, child, "child")
        return household.id


def account_user_id(runtime: Runtime, household_id: int) -> str:
    with runtime.transaction() as s:
        return s.get(Household, household_id).account.user_id


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@contextmanager
def served(runtime: Runtime, **config) -> Iterator[str]:
    """The whole app on a free loopback port (a real HTTP server in a thread)."""
    settings = dict(verify=False, secret_key="household-tests")
    settings.update(config)
    server = make_server("127.0.0.1", 0, create_app(runtime, AppConfig(**settings)),
                         threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
