"""Recognized voices: who is speaking, as far as Alexa can tell, and what that allows.

Alexa sends ``context.System.person.personId`` when it recognized the speaker's voice profile.
A household's owner names each person seen as one of the household's members (so as an adult
or a child); a person seen for the first time is listed as an unknown voice. A child's voice
never completes a purchase, and an owner may require a recognized adult voice for every one:
such a purchase becomes a request to the owner (``skill.policy`` asks ``voice_rule``).

Who is speaking is set once per skill request (``set_speaker``, by the linking interceptor)
and read by the policy in the same thread; outside a voice request nobody is speaking, which
counts as an unrecognized voice, so a path that forgets to say who speaks is refused, never
let through.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from skill.accounts import Account
from skill.db import Base, UTCDateTime, utcnow
from skill.errors import NotFound
from skill.shoppers import Household, Member, household_of

_speaker: ContextVar[str | None] = ContextVar("voicecart_speaker", default=None)


class VoiceProfile(Base):
    """A person Alexa recognized on one of the household's speakers."""

    __tablename__ = "voice_profiles"
    __table_args__ = (UniqueConstraint("household_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    person_id: Mapped[str] = mapped_column(String(512))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("household_members.id", ondelete="SET NULL"), default=None)
    """Who the owner says this voice is; None: an unknown voice."""
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    member: Mapped[Member | None] = relationship()

    @property
    def kind(self) -> str:
        """``adult``, ``child`` or ``unknown``."""
        if self.member is None:
            return "unknown"
        return "child" if self.member.role == "child" else "adult"


def set_speaker(person_id: str | None) -> None:
    """Who is speaking in this request (None: no recognized voice)."""
    _speaker.set(person_id or None)


def current_speaker() -> str | None:
    """The person id of this request's speaker, if Alexa recognized one."""
    return _speaker.get()


def note_person(session: Session, household: Household, person_id: str) -> VoiceProfile:
    """The household's profile of ``person_id``; a new one is listed as an unknown voice."""
    profile = session.scalar(select(VoiceProfile).where(
        VoiceProfile.household_id == household.id, VoiceProfile.person_id == person_id))
    if profile is None:
        profile = VoiceProfile(household_id=household.id, person_id=person_id)
        with session.begin_nested():
            session.add(profile)
    return profile


def list_voices(session: Session, household: Household) -> list[VoiceProfile]:
    """The household's recognized voices, oldest first."""
    return list(session.scalars(select(VoiceProfile).where(
        VoiceProfile.household_id == household.id).order_by(VoiceProfile.id)))


def name_voice(session: Session, household: Household, profile_id: int,
               member_id: int | None) -> VoiceProfile:
    """Say which member a voice is (None: unknown again)."""
    profile = session.get(VoiceProfile, profile_id)
    if profile is None or profile.household_id != household.id:
        raise NotFound("no such voice")
    if member_id is not None and member_id not in {m.id for m in household.members}:
        raise NotFound("no such member")
    profile.member_id = member_id
    session.flush()
    session.refresh(profile)
    return profile


def voice_rule(session: Session, account: Account) -> str | None:
    """Why the current speaker may not complete a purchase on ``account`` themselves
    (``child_voice``, ``unrecognized_voice``), or None."""
    household = household_of(session, account)
    if household is None:
        return None
    person = current_speaker()
    profile = session.scalar(select(VoiceProfile).where(
        VoiceProfile.household_id == household.id,
        VoiceProfile.person_id == person)) if person else None
    kind = profile.kind if profile is not None else "unknown"
    if kind == "child":
        return "child_voice"
    if household.require_recognized_voice and kind != "adult":
        return "unrecognized_voice"
    return None
