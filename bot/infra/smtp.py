"""E-mail for counsellors: an outbox Sender for `email:<address>` over SMTP (standard library).

smtplib is blocking, so each message is sent in a worker thread; one short-lived connection per
message keeps the failure handling simple (a few e-mails per case, never a bulk mailing).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from bot.errors import DeliveryRejected, RetryLater
from bot.settings import Secret

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """How to reach the SMTP server for e-mail notifications."""

    host: str
    sender: str
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password: Secret = field(default_factory=lambda: Secret(""))
    timeout: float = 10.0


class SmtpSender:
    """Delivers payloads `{"kind": "email", "subject", "body", "message_id"?}` by SMTP."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def __repr__(self) -> str:
        return f"SmtpSender({self.config.host}:{self.config.port})"

    async def send(self, destination: str, payload: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """Send one e-mail; temporary failures raise RetryLater, permanent ones DeliveryRejected."""
        kind, _, address = destination.partition(":")
        if kind != "email" or "@" not in address:
            raise DeliveryRejected(f"not an e-mail destination: {kind}")
        if payload.get("kind") != "email":
            raise DeliveryRejected(f"cannot e-mail a payload of kind {payload.get('kind')}")
        message = self._message(address, payload)
        await asyncio.to_thread(self._deliver, message)
        log.info("e-mail sent to %s", kind)
        return {"message_id": message["Message-ID"]}

    def _message(self, address: str, payload: Mapping[str, Any]) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.config.sender
        message["To"] = address
        message["Subject"] = str(payload.get("subject", ""))[:200]
        # A stable Message-ID lets a mail server drop a retried duplicate.
        message["Message-ID"] = str(payload.get("message_id") or make_msgid("wegwijs"))
        message.set_content(str(payload.get("body", "")))
        return message

    def _deliver(self, message: EmailMessage) -> None:
        config = self.config
        try:
            with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as client:
                if config.starttls:
                    client.starttls(context=ssl.create_default_context())
                if config.username:
                    client.login(config.username, config.password.reveal())
                client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(400 <= code < 500 for code in codes):
                raise RetryLater("recipient temporarily refused", 60.0) from exc
            raise DeliveryRejected("recipient refused") from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise RetryLater(f"smtp authentication failed ({exc.smtp_code})", 300.0) from exc
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise RetryLater(f"smtp {exc.smtp_code}", 30.0) from exc
            raise DeliveryRejected(f"smtp {exc.smtp_code}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryLater(f"smtp unreachable: {type(exc).__name__}", 10.0) from exc
