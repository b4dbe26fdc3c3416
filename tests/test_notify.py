"""Order confirmation e-mails: queued with the order, delivered through a real SMTP server
on loopback, kept and retried when the server is down or drops the connection."""

import socket
import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from sqlalchemy import select, update

from skill.accounts import get_or_create_account, set_email, set_limits
from skill.cli import cli
from skill.db import utcnow
from skill.notify import OutboxMessage, SmtpSettings, send_pending
from skill.orders import approve_order
from tests.alexa_requests import USER_ID
from tests.test_serve import free_port
from tests.test_skill_dialogs import give_history, orders_of

pytestmark = pytest.mark.both_databases


class Inbox:
    """An aiosmtpd handler that keeps what it is sent."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, SmtpSettings.from_url(f"smtp://127.0.0.1:{controller.port}",
                                       "orders@shop.example")
    controller.stop()


def messages(runtime) -> list[OutboxMessage]:
    with runtime.transaction() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def order_by_voice(dialog, runtime) -> None:
    give_history(runtime, sku="CF-PODS-24", quantity=2, days_ago=30)
    dialog.intent("ReorderIntent", Item="coffee pods")
    dialog.intent("AMAZON.YesIntent")
    assert "is placed" in dialog.speech


def test_a_voice_order_queues_its_confirmation(dialog, runtime):
    with runtime.transaction() as s:
        set_email(s, USER_ID, "family@example.com")
    order_by_voice(dialog, runtime)
    assert "sent the details to your email" in dialog.speech
    [message] = messages(runtime)
    order = [o for o in orders_of(runtime) if o.status == "placed"][0]
    assert message.to_address == "family@example.com" and message.order_id == order.id
    for part in ("VoiceCart Demo Store", "2 x coffee pods", "Total: ", "Expected delivery",
                 "cancel my last order"):
        assert part in message.body, part


def test_no_address_no_e_mail(dialog, runtime):
    order_by_voice(dialog, runtime)
    assert "The details are in the Alexa app" in dialog.speech
    assert messages(runtime) == []


def test_an_approved_order_is_confirmed_then(dialog, runtime):
    with runtime.transaction() as s:
        set_email(s, USER_ID, "family@example.com")
        set_limits(s, USER_ID, approval_required=True)
    give_history(runtime, sku="CF-PODS-24", quantity=2, days_ago=30)
    dialog.intent("ReorderIntent", Item="coffee pods")
    dialog.intent("AMAZON.YesIntent")
    assert messages(runtime) == []  # not bought yet
    order = [o for o in orders_of(runtime) if o.status == "awaiting_approval"][0]
    with runtime.transaction() as s:
        approve_order(s, order.id, store=runtime.store)
    assert len(messages(runtime)) == 1


def test_delivered_once_through_a_real_smtp_server(runtime, dialog, smtp):
    inbox, settings = smtp
    with runtime.transaction() as s:
        set_email(s, USER_ID, "family@example.com")
    order_by_voice(dialog, runtime)
    assert send_pending(runtime.sessions, settings) == (1, 0)
    [received] = inbox.messages
    assert received.rcpt_tos == ["family@example.com"]
    assert b"2 x coffee pods" in received.content
    assert send_pending(runtime.sessions, settings) == (0, 0)  # never twice
    assert messages(runtime)[0].sent_at is not None


def test_a_server_that_is_down_or_hangs_up_loses_nothing(runtime, dialog, smtp):
    inbox, settings = smtp
    with runtime.transaction() as s:
        set_email(s, USER_ID, "family@example.com")
    order_by_voice(dialog, runtime)
    down = SmtpSettings.from_url(f"smtp://127.0.0.1:{free_port()}", "orders@shop.example")
    assert send_pending(runtime.sessions, down) == (0, 1)
    with socket.socket() as rude:  # accepts the connection, then drops it
        rude.bind(("127.0.0.1", 0))
        rude.listen()

        def hang_up() -> None:
            connection, _ = rude.accept()
            connection.close()

        threading.Thread(target=hang_up, daemon=True).start()
        expire_claims(runtime)
        dropped = SmtpSettings.from_url(f"smtp://127.0.0.1:{rude.getsockname()[1]}", "x@y.z")
        assert send_pending(runtime.sessions, dropped) == (0, 1)
    [waiting] = messages(runtime)
    assert waiting.sent_at is None and waiting.attempts == 2 and waiting.last_error
    assert send_pending(runtime.sessions, settings) == (0, 0)  # a failed one waits its turn
    expire_claims(runtime)
    assert send_pending(runtime.sessions, settings) == (1, 0)
    assert len(inbox.messages) == 1


def expire_claims(runtime) -> None:
    with runtime.transaction() as s:
        s.execute(update(OutboxMessage).values(claimed_until=utcnow() - timedelta(seconds=1)))


def test_outbox_command_line(db_url, runtime, dialog, smtp, monkeypatch):
    inbox, settings = smtp
    runner = CliRunner()
    monkeypatch.delenv("VOICECART_SMTP_URL", raising=False)
    assert runner.invoke(cli, ["--db", db_url, "outbox", "send"]).exit_code == 2
    result = runner.invoke(cli, ["--db", db_url, "account", "set-email", USER_ID, "nope"])
    assert result.exit_code != 0 and "not an e-mail address" in result.output
    runner.invoke(cli, ["--db", db_url, "account", "set-email", USER_ID, "mum@example.com"])
    order_by_voice(dialog, runtime)
    assert "mum@example.com" in runner.invoke(cli, ["--db", db_url, "outbox", "list"]).output
    monkeypatch.setenv("VOICECART_SMTP_URL", f"smtp://{settings.host}:{settings.port}")
    result = runner.invoke(cli, ["--db", db_url, "outbox", "send"])
    assert result.exit_code == 0 and "sent 1, failed 0" in result.output
    assert inbox.messages[0].rcpt_tos == ["mum@example.com"]
    with runtime.transaction() as s:
        assert get_or_create_account(s, USER_ID).email == "mum@example.com"
