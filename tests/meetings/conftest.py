"""Fixtures of the meeting tests: a job context that mails through the SMTP sink."""

from __future__ import annotations

import pytest

from fair.resources import job_context, of_app, open_resources


@pytest.fixture
def mail_context(app, smtp):
    _, port = smtp
    settings = of_app(app).settings.with_overrides(
        smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False
    )
    return job_context(open_resources(settings, sessionmaker=of_app(app).sessionmaker))
