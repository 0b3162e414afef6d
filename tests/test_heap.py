"""The collector's settings of a serving process (``fair.heap``): set once a served app has
started, never in a process that builds apps one after another (the tests' own)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from fair import heap
from kakehashi import app as app_module
from kakehashi import cli


@pytest.mark.parametrize("serving", [True, False])
async def test_the_collector_is_settled_once_a_served_app_has_started(
    settings: Any, engine: Any, monkeypatch: pytest.MonkeyPatch, serving: bool
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(heap, "settle", lambda: calls.append("settled"))
    application = app_module.create_app(settings, serving=serving)
    assert calls == []  # not while the app is built: its pool and rooms come at start
    async with application.router.lifespan_context(application):
        assert calls == (["settled"] if serving else [])
    assert calls == (["settled"] if serving else [])


def test_fair_serve_serves_its_app_as_served(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[dict[str, Any]] = []
    real = app_module.create_app

    def create_app(settings: Any = None, **options: Any) -> Any:
        built.append(options)
        return real(settings, **options)

    monkeypatch.setattr(app_module, "create_app", create_app)
    monkeypatch.setattr(cli, "_serve", lambda app, args, **options: 0)
    settings = cli.load_settings({"FAIR_ENV": "test"})
    cli.cmd_serve(settings, cli.build_parser().parse_args(["serve", "--workers", "1"]))
    assert built == [{"serving": True}]
    # Each process of ``--workers N`` builds its app from the environment, as served too.
    monkeypatch.setenv("FAIR_ENV", "test")
    monkeypatch.setenv("FAIR_SECRET_KEY", "k" * 32)
    app_module.app_from_env()
    assert built[-1] == {"serving": True}


SETTLED = """
import gc, json, weakref
from fair import heap

class Node:
    pass

before = gc.get_threshold()
kept = Node()
heap.settle()
frozen = gc.get_freeze_count()

# A cycle made after settling is still freed by a collection; one frozen with the app is not.
late = Node(); late.self = late; gone = weakref.ref(late); del late
kept.self = kept; still = weakref.ref(kept); del kept
gc.collect()
print(json.dumps({"before": before, "after": gc.get_threshold(), "frozen": frozen,
                  "late_freed": gone() is None, "frozen_kept": still() is not None}))
"""


def test_settling_freezes_what_exists_and_raises_the_young_threshold() -> None:
    # In a process of its own: a frozen heap would stay frozen for the rest of this suite.
    out = subprocess.run(
        [sys.executable, "-c", SETTLED], capture_output=True, text=True, check=True, timeout=60
    )
    seen = json.loads(out.stdout)
    assert seen["after"] == [heap.YOUNG_THRESHOLD, *seen["before"][1:]]
    assert seen["after"][0] > seen["before"][0]
    assert seen["frozen"] > 1000  # the interpreter's and the imported modules' objects
    assert seen["late_freed"] is True
    assert seen["frozen_kept"] is True
