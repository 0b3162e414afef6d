"""Outgoing e-mail: SMTP via aiosmtplib when configured, else ``.eml`` files in a folder."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from fair.config import Settings


def message_id(key: str, settings: Settings) -> str:
    """A Message-ID derived from the job key, the same on every retry."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = settings.mail_from.rsplit("@", 1)[-1].rstrip(">") or "kakehashi.example"
    return f"<{digest}@{domain}>"


# Characters that end or break a header line: C0 and C1 controls (CR, LF, NUL, ...) and
# Unicode's line and paragraph separators.
_BREAKING = {"Cc", "Zl", "Zp"}


def header_text(value: str) -> str:
    """User text (company and person names, fair titles) made fit for a header: one line
    without control characters, and no RFC 2047 encoded word. The header parser decodes
    ``=?utf-8?q?=0D=0ABcc:...?=`` into a real line break (and so into a header of its
    own); with every ``=?`` split, nothing a user wrote is ever decoded."""
    text = "".join(" " if unicodedata.category(ch) in _BREAKING else ch for ch in value)
    # Only the spaces breaks became are merged: others (babel's narrow no-break space in
    # "10:00 AM") stay as written.
    return re.sub(" {2,}", " ", text.replace("=?", "= ?")).strip(" ")


def _set_header(message: EmailMessage, name: str, value: object) -> None:
    message[name] = value
    # What the header holds once parsed (encoded words decoded) is one line, or no mail.
    if any(unicodedata.category(ch) in _BREAKING for ch in str(message[name])):
        raise ValueError(f"the {name} header would carry a line break")


def build_message(
    settings: Settings, *, key: str, to: str, subject: str, text: str
) -> EmailMessage:
    """A mail built with the stdlib's header classes: the recipient as an ``Address``
    (refused unless it is one plain address) and the subject from ``header_text``."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    _set_header(message, "To", Address(addr_spec=to))
    _set_header(message, "Subject", header_text(subject))
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
