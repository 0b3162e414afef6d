"""Static checks of docker-compose.yml (no Docker engine needed: the file is only parsed)."""

import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]
APP_ENV: dict[str, str] = SERVICES["app"]["environment"]


def _args(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


def _default(value: str) -> str:
    """Resolve `${VAR:-default}` to its default, the way compose would with VAR unset."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def test_compose_services() -> None:
    assert set(SERVICES) == {"postgres", "redis", "coturn", "migrate", "app", "worker", "proxy"}


def test_compose_app_worker_and_migrate_share_environment() -> None:
    for name in ("worker", "migrate"):
        assert SERVICES[name]["environment"] == APP_ENV, name
        assert SERVICES[name].get("build") == SERVICES["app"].get("build"), name


def test_compose_database_url_points_at_postgres_service() -> None:
    url = urlsplit(APP_ENV["FAIR_DATABASE_URL"])
    pg_env = SERVICES["postgres"]["environment"]
    assert url.scheme == "postgresql+asyncpg"
    assert url.hostname == "postgres"
    assert url.username == pg_env["POSTGRES_USER"]
    assert url.path.lstrip("/") == pg_env["POSTGRES_DB"]
    assert _default(url.netloc.rpartition("@")[0].partition(":")[2]) == _default(
        pg_env["POSTGRES_PASSWORD"]
    )


def test_compose_redis_url_points_at_redis_service() -> None:
    assert urlsplit(APP_ENV["FAIR_REDIS_URL"]).hostname == "redis"


def test_compose_turn_secret_matches_coturn_default() -> None:
    args = _args(SERVICES["coturn"]["command"])
    secrets = [a.split("=", 1)[1] for a in args if a.startswith("--static-auth-secret=")]
    assert secrets == [APP_ENV["FAIR_TURN_SECRET"]]
    assert _default(secrets[0]) == _default(APP_ENV["FAIR_TURN_SECRET"])


def test_compose_coturn_uses_auth_secret_without_host_network() -> None:
    assert "--use-auth-secret" in _args(SERVICES["coturn"]["command"])
    assert "network_mode" not in SERVICES["coturn"]


def test_compose_app_and_worker_wait_for_healthy_backends() -> None:
    for name in ("app", "worker"):
        deps = SERVICES[name]["depends_on"]
        for backend in ("postgres", "redis"):
            assert deps[backend] == {"condition": "service_healthy"}, (name, backend)


def test_compose_healthchecks_present() -> None:
    for name in ("postgres", "redis", "app", "proxy"):
        assert SERVICES[name]["healthcheck"]["test"], name
    app_check = " ".join(_args(SERVICES["app"]["healthcheck"]["test"]))
    assert "http://127.0.0.1:8000/healthz" in app_check


def test_compose_migrations_run_once_in_a_one_shot_service() -> None:
    migrate = SERVICES["migrate"]
    assert _args(migrate["command"]) == ["fair", "migrate"]
    assert migrate["restart"] == "no"
    assert "ports" not in migrate
    assert migrate["depends_on"]["postgres"] == {"condition": "service_healthy"}
    # The replicas serve and nothing else: no app or worker migrates.
    for name in ("app", "worker"):
        assert "migrate" not in " ".join(_args(SERVICES[name]["command"])), name


def test_compose_app_and_worker_wait_for_the_migration() -> None:
    for name in ("app", "worker"):
        assert SERVICES[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }, name


def test_compose_app_scales_behind_the_proxy() -> None:
    """`--scale app=N`: no replica publishes a host port (they would collide); the proxy
    does, and waits for a healthy app."""
    app = SERVICES["app"]
    assert "ports" not in app
    assert "container_name" not in app
    assert [str(port) for port in app["expose"]] == ["8000"]
    command = _args(SERVICES["app"]["command"])
    serve = " ".join(command)
    assert "fair serve --host 0.0.0.0 --port 8000 --workers" in serve
    # Several workers per replica: they share rooms and jobs through the compose Redis.
    assert APP_ENV["FAIR_REDIS_URL"]
    proxy = SERVICES["proxy"]
    assert proxy["image"].startswith("caddy:")
    assert {str(port).rsplit(":", 1)[0] for port in proxy["ports"]} == {"80", "443"}
    assert proxy["depends_on"]["app"] == {"condition": "service_healthy"}
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    # uvicorn trusts the proxy's X-Forwarded-For (the app is reachable only on the network).
    assert APP_ENV["FORWARDED_ALLOW_IPS"] == "*"


def test_caddyfile_proxies_every_replica_and_refuses_metrics() -> None:
    caddyfile = (ROOT / "Caddyfile").read_text(encoding="utf-8")
    lines = [line.split("#", 1)[0].strip() for line in caddyfile.splitlines()]
    words = [line.split() for line in lines if line]
    assert ["{$SITE_ADDRESS::80}", "{"] in words
    assert ["respond", "/metrics", "404"] in words
    assert ["reverse_proxy", "{"] in words
    assert ["dynamic", "a", "{"] in words
    assert ["name", "app"] in words and ["port", "8000"] in words
    assert ["unhealthy_status", "502", "503"] in words


def test_compose_build_dockerfiles_exist() -> None:
    built = {name: svc["build"] for name, svc in SERVICES.items() if "build" in svc}
    assert set(built) == {"migrate", "app", "worker"}
    for build in built.values():
        spec = {"context": build} if isinstance(build, str) else build
        dockerfile = ROOT / spec["context"] / spec.get("dockerfile", "Dockerfile")
        assert dockerfile.is_file(), dockerfile
