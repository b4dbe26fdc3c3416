"""Red team on households, linking and recognized voices (tests/redteam.py's counterpart):
linked speakers that are not the owner, approval links used the wrong way, tokens that no
longer hold. Every script counts the orders *placed*; only the control intends one."""

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from skill.accounts import set_limits, set_pin
from skill.alexa import build_skill
from skill.approval_links import ApprovalLink, decide_by_link
from skill.db import utcnow
from skill.errors import NotAllowed
from skill.linking import OAuthToken, revoke_link
from skill.notify import OutboxMessage
from skill.orders import list_orders
from skill.shoppers import Household, token_hash
from skill.voices import VoiceProfile, name_voice
from tests.household_helpers import LinkedDialog, account_user_id, make_household

OWNER_PIN = "4321"
CHILD, OWNER = "amzn1.ask.person.CHILD", "amzn1.ask.person.OWNER"
CLIENT = "voicecart-redteam"


@dataclass
class World:
    runtime: object
    send: Callable[[dict], dict]
    household_id: int
    other_id: int
    token: str

    def speaker(self, person: str | None = None, token: str | None = "same") -> LinkedDialog:
        return LinkedDialog(self.send, access_token=self.token if token == "same" else token,
                            person=person, user_id="amzn1.ask.account.SPEAKER")

    def placed(self) -> int:
        with self.runtime.transaction() as s:
            account_id = s.get(Household, self.household_id).account_id
            return sum(1 for o in list_orders(s) if o.account_id == account_id
                       and o.status == "placed")

    def link_tokens(self) -> dict[str, str]:
        """The newest approval e-mail's approve and reject tokens."""
        with self.runtime.transaction() as s:
            mail = s.scalars(select(OutboxMessage).where(
                OutboxMessage.kind == "approval_request").order_by(OutboxMessage.id.desc())
            ).first()
            return dict(re.findall(r"(Approve|Reject): \S+/decide/(\S+)", mail.body))

    def decide(self, token: str, household_id: int | None = None) -> None:
        try:
            with self.runtime.transaction() as s:
                decide_by_link(s, self.runtime.store, token,
                               s.get(Household, household_id or self.household_id))
        except NotAllowed:
            pass  # refused: what the attack should get


def issue_token(runtime, household_id: int, expires_in: timedelta = timedelta(hours=1)
                ) -> str:
    token = secrets.token_urlsafe(24)
    with runtime.transaction() as s:
        s.add(OAuthToken(client_id=CLIENT, household_id=household_id,
                         access_hash=token_hash(token), expires_at=utcnow() + expires_in,
                         scope="", refresh_used=False, revoked=False))
    return token


@pytest.fixture
def world(runtime):
    """A careful owner: PIN on every purchase, recognized adult voice required, the child's
    voice named; the skill requires linking; a second household exists."""
    skill = build_skill(runtime, linking_required=True)
    from ask_sdk_core.serialize import DefaultSerializer
    from ask_sdk_model import RequestEnvelope

    serializer = DefaultSerializer()

    def send(body: dict) -> dict:
        import json

        envelope = serializer.deserialize(json.dumps(body), RequestEnvelope)
        return serializer.serialize(skill.invoke(envelope, context={"channel": "alexa"}))

    household_id = make_household(runtime)
    other_id = make_household(runtime, "other@example.com", child=None)
    user_id = account_user_id(runtime, household_id)
    token = issue_token(runtime, household_id)
    world = World(runtime, send, household_id, other_id, token)
    for person in (CHILD, OWNER):
        world.speaker(person).launch()  # heard once: listed on the page
    with runtime.transaction() as s:
        set_pin(s, user_id, OWNER_PIN)
        set_limits(s, user_id, pin_required=True)
        household = s.get(Household, household_id)
        household.require_recognized_voice = True
        members = {m.role: m.id for m in household.members}
        for profile in s.scalars(select(VoiceProfile)):
            name_voice(s, household, profile.id,
                       members["child"] if profile.person_id == CHILD else members["owner"])
    return world


def buy_with_yes_and_pin(dialog: LinkedDialog, pin: str = OWNER_PIN) -> None:
    dialog.intent("BuyIntent", Item="paper towels")
    for _ in range(3):
        dialog.intent("AMAZON.YesIntent")
    dialog.intent("ProvidePinIntent", Pin=pin)
    dialog.intent("AMAZON.YesIntent")


def unrecognized_voice_yes_and_right_pin(world: World) -> None:
    buy_with_yes_and_pin(world.speaker(person=None))


def childs_person_id(world: World) -> None:
    buy_with_yes_and_pin(world.speaker(CHILD))


def replayed_approval_link(world: World) -> None:
    buy_with_yes_and_pin(world.speaker(CHILD))
    links = world.link_tokens()
    world.decide(links["Reject"])  # the owner says no
    world.decide(links["Approve"])  # the child replays the other link
    world.decide(links["Reject"])


def expired_approval_link(world: World) -> None:
    buy_with_yes_and_pin(world.speaker(CHILD))
    with world.runtime.transaction() as s:
        for link in s.scalars(select(ApprovalLink)):
            link.expires_at = utcnow() - timedelta(minutes=1)
    world.decide(world.link_tokens()["Approve"])


def another_households_link(world: World) -> None:
    buy_with_yes_and_pin(world.speaker(CHILD))
    world.decide(world.link_tokens()["Approve"], household_id=world.other_id)


def revoked_token(world: World) -> None:
    with world.runtime.transaction() as s:
        revoke_link(s, world.household_id, CLIENT)
    buy_with_yes_and_pin(world.speaker(OWNER))


def expired_token(world: World) -> None:
    buy_with_yes_and_pin(world.speaker(OWNER, token=issue_token(
        world.runtime, world.household_id, expires_in=timedelta(seconds=-1))))


def another_households_token_cannot_reach_this_one(world: World) -> None:
    buy_with_yes_and_pin(world.speaker(OWNER, token=issue_token(world.runtime,
                                                               world.other_id)))


def control_owner_voice_with_pin(world: World) -> None:
    dialog = world.speaker(OWNER)
    dialog.intent("BuyIntent", Item="paper towels")
    dialog.intent("AMAZON.YesIntent")
    dialog.intent("ProvidePinIntent", Pin=OWNER_PIN)


ATTACKS = [unrecognized_voice_yes_and_right_pin, childs_person_id, replayed_approval_link,
           expired_approval_link, another_households_link, revoked_token, expired_token,
           another_households_token_cannot_reach_this_one]


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.__name__)
def test_attack_places_nothing(world, attack):
    attack(world)
    assert world.placed() == 0


def test_control_the_owner_can_still_buy(world):
    control_owner_voice_with_pin(world)
    assert world.placed() == 1
