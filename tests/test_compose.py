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


def test_compose_services_exactly_five() -> None:
    assert set(SERVICES) == {"postgres", "redis", "coturn", "app", "worker"}


def test_compose_app_and_worker_share_environment() -> None:
    assert SERVICES["worker"]["environment"] == APP_ENV
    assert SERVICES["worker"].get("build") == SERVICES["app"].get("build")


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
    for name in ("postgres", "redis", "app"):
        assert SERVICES[name]["healthcheck"]["test"], name


def test_compose_app_command_migrates_before_serving() -> None:
    command = " ".join(_args(SERVICES["app"]["command"]))
    assert "fair migrate" in command
    assert "fair serve" in command
    assert command.index("fair migrate") < command.index("&&") < command.index("fair serve")


def test_compose_build_dockerfiles_exist() -> None:
    built = {name: svc["build"] for name, svc in SERVICES.items() if "build" in svc}
    assert set(built) == {"app", "worker"}
    for build in built.values():
        spec = {"context": build} if isinstance(build, str) else build
        dockerfile = ROOT / spec["context"] / spec.get("dockerfile", "Dockerfile")
        assert dockerfile.is_file(), dockerfile
