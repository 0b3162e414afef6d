"""What organizers see of the match engine's weights (the page, the API) and how they, or
the operator, refit them."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from helpers import login, make_user, read_scalar
from sqlalchemy import func, select

from fair import clock
from matchmaking.models import MatchWeightFit
from matchmaking.scoring import PRIOR_WEIGHTS, Weights

HTML = {"accept": "text/html"}
FAIR = str(Path(sys.executable).with_name("fair"))


async def test_before_any_fit_the_api_shows_the_priors(client, session):
    await make_user(session, "staff", "staff@example.com")
    await login(client, "staff@example.com")
    response = await client.get("/api/matchmaking/weights")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"] == "priors"
    assert body["min_outcomes"] == 50
    assert body["fit"] is None and body["latest_fit"] is None
    assert [p["part"] for p in body["parts"]] == [f.name for f in fields(Weights)]
    for part in body["parts"]:
        assert part["prior"] == part["current"] == PRIOR_WEIGHTS.of(part["part"])
        assert part["learned"] is False


async def test_learned_weights_are_shown_beside_the_priors(client, session):
    session.add(
        MatchWeightFit(
            fitted_at=clock.now(),
            status="used",
            weights={"market": 0.29, "text": 0.01},
            learned_parts=["text", "market"],
            n_samples=120,
            n_positive=48,
            metrics={"auc_learned": 0.81, "auc_prior": 0.62, "log_loss": 0.5, "test_samples": 30},
            trigger="schedule",
        )
    )
    await session.commit()
    await make_user(session, "organizer", "organizer@example.com", locale="ja")
    await login(client, "organizer@example.com")
    body = (await client.get("/api/matchmaking/weights")).json()
    assert body["source"] == "learned"
    parts = {p["part"]: p for p in body["parts"]}
    assert (parts["market"]["current"], parts["market"]["learned"]) == (0.29, True)
    assert (parts["hs"]["current"], parts["hs"]["learned"]) == (PRIOR_WEIGHTS.hs, False)
    assert body["fit"]["n_samples"] == 120 and body["fit"]["auc_learned"] == 0.81
    assert body["latest_fit"]["id"] == body["fit"]["id"]
    page = await client.get("/organizer/matchmaking/weights", headers=HTML)
    assert page.status_code == 200
    assert "マッチの重み" in page.text  # in the organizer's language
    assert "0.290" in page.text and "0.350" in page.text
    assert "0.81" in page.text and "0.62" in page.text
    assert 'action="/organizer/matchmaking/weights/refit"' in page.text


async def test_an_organizer_refits_from_the_page_and_sees_why_the_priors_stay(client, session):
    await make_user(session, "organizer", "organizer@example.com")
    await login(client, "organizer@example.com")
    page = await client.get("/organizer/matchmaking/weights", headers=HTML)
    csrf = client.cookies.get("kk_csrf")
    assert "have not been refitted yet" in page.text
    response = await client.post(
        "/organizer/matchmaking/weights/refit", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/organizer/matchmaking/weights?refitted=1"
    page = await client.get(response.headers["location"], headers=HTML)
    assert "The weights have been refitted" in page.text
    assert "not used: too few outcomes yet" in page.text
    body = (await client.get("/api/matchmaking/weights")).json()
    assert body["source"] == "priors"
    assert (body["latest_fit"]["status"], body["latest_fit"]["trigger"]) == ("too_few", "organizer")


async def test_staff_see_the_weights_but_do_not_refit(client, session):
    await make_user(session, "staff", "staff@example.com")
    await login(client, "staff@example.com")
    page = await client.get("/organizer/matchmaking/weights", headers=HTML)
    assert page.status_code == 200
    assert "/refit" not in page.text
    csrf = client.cookies.get("kk_csrf")
    response = await client.post("/organizer/matchmaking/weights/refit", data={"csrf_token": csrf})
    assert response.status_code == 403
    assert await read_scalar(session, select(func.count()).select_from(MatchWeightFit)) == 0


@pytest.mark.parametrize("role", ["buyer", "exhibitor", "interpreter"])
async def test_others_may_not_see_the_weights(client, session, role):
    assert (await client.get("/api/matchmaking/weights")).status_code == 401
    await make_user(session, role, f"{role}@example.com")
    await login(client, f"{role}@example.com")
    assert (await client.get("/api/matchmaking/weights")).status_code == 403


def test_the_operator_refits_from_the_command_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIR_")}
    env.update(
        FAIR_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        FAIR_MAIL_DIR=str(tmp_path / "mail"),
        FAIR_MEDIA_DIR=str(tmp_path / "media"),
        FAIR_MATCH_MIN_OUTCOMES="10",
    )

    def fair(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [FAIR, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    assert fair("migrate").returncode == 0
    refit = fair("match", "refit")
    assert refit.returncode == 0, refit.stderr
    assert "too_few: 0 outcomes (0 good), at least 10" in refit.stdout
