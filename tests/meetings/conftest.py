"""Fixtures of the meeting tests: a job context that mails through the SMTP sink."""

from __future__ import annotations

import pytest

from kakehashi import jobs


@pytest.fixture
def mail_context(app, smtp):
    _, port = smtp
    settings = app.state.settings.with_overrides(
        smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False
    )
    return jobs.job_context(settings, app.state.sessionmaker)
