"""E-mail to a network through a real local SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from bot.app import App, build
from bot.errors import DeliveryRejected, RetryLater
from bot.flows.model import Content
from bot.handoff.routing import SmtpConfig
from bot.infra.smtp import SmtpSender
from bot.settings import Settings
from tests.handoff.support import OFFICE_TIME, PupilChat, RecordingSender, drain, networks_config


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
async def mail_app(
    handoff_env: dict[str, str],
    smtp: tuple[Inbox, int],
    tmp_path: Path,
    loaded_content: Content,
) -> AsyncIterator[App]:
    env = {
        **handoff_env,
        "WEGWIJS_NETWORKS_CONFIG": str(networks_config(tmp_path / "mail.yml", smtp_port=smtp[1])),
    }
    app = await build(Settings.from_env(env), content=loaded_content)
    app.handoff.clock = lambda: OFFICE_TIME
    try:
        yield app
    finally:
        await app.close()


async def test_a_case_of_a_network_with_e_mail_is_mailed_without_pupil_details(
    mail_app: App, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    dispatcher = mail_app.dispatcher({"pupil": RecordingSender(), "tg": RecordingSender()})
    await PupilChat(mail_app).ask_for_a_person(
        "full", network="limburg", age=16, situation="Iets heel persoonlijks"
    )
    await drain(mail_app, dispatcher)
    [(recipients, message)] = inbox.messages
    assert recipients == ["leerrecht@example.org"]
    assert message["Subject"] == "Wegwijs: nieuwe vraag #1 (Limburg)"
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "vraag #1" in body and "persoonlijk" not in body and "16" not in body


async def test_a_network_without_e_mail_gets_no_mail(
    mail_app: App, smtp: tuple[Inbox, int]
) -> None:
    dispatcher = mail_app.dispatcher({"pupil": RecordingSender(), "tg": RecordingSender()})
    await PupilChat(mail_app).ask_for_a_person("none", network="antwerpen")
    await drain(mail_app, dispatcher)
    assert smtp[0].messages == []


async def test_smtp_down_is_retried_later() -> None:
    sender = SmtpSender(SmtpConfig("127.0.0.1", "wegwijs@example.org", port=free_port(), timeout=2))
    with pytest.raises(RetryLater):
        await sender.send("email:a@example.org", {"kind": "email", "subject": "s", "body": "b"})


async def test_a_payload_that_is_no_e_mail_is_rejected() -> None:
    sender = SmtpSender(SmtpConfig("127.0.0.1", "wegwijs@example.org", port=free_port()))
    with pytest.raises(DeliveryRejected):
        await sender.send("email:a@example.org", {"kind": "message", "text": "x"})
