"""Outgoing e-mail: SMTP via aiosmtplib when configured, else ``.eml`` files in a folder."""

from __future__ import annotations

import hashlib
import os
import tempfile
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from fair.config import Settings


def message_id(key: str, settings: Settings) -> str:
    """A Message-ID derived from the job key, the same on every retry."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = settings.mail_from.rsplit("@", 1)[-1].rstrip(">") or "kakehashi.example"
    return f"<{digest}@{domain}>"


def build_message(
    settings: Settings, *, key: str, to: str, subject: str, text: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    # Subjects carry user text (company names, fair titles): a line break there would make
    # the header refuse the mail for good (and is no header of its own): one line instead.
    message["Subject"] = " ".join(part.strip() for part in subject.splitlines())
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id(key, settings)
    message.set_content(text)
    return message


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, message: EmailMessage, *, key: str) -> None:
        if self.settings.smtp_host:
            await aiosmtplib.send(
                message,
                hostname=self.settings.smtp_host,
                port=self.settings.smtp_port,
                username=self.settings.smtp_user,
                password=self.settings.smtp_password,
                start_tls=self.settings.smtp_starttls,
            )
            return
        self._write(message, key=key)

    def _write(self, message: EmailMessage, *, key: str) -> None:
        folder = self.settings.mail_dir
        folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(key.encode()).hexdigest()[:40] + ".eml"
        # Written whole then renamed, so a reader never sees half a mail.
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as fp:
            fp.write(message.as_bytes())
        os.replace(tmp, folder / name)
