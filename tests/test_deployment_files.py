"""The Dockerfile and compose.yaml, checked as files (no container engine runs here): the image
installs what the Makefile installs, runs as a user that is not root, and starts gunicorn with
its configuration; compose runs migrations once before the rest, waits for healthy PostgreSQL
and Redis, keeps every secret out of the file, and runs the same processes as ``flask serve``."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from cryptography.fernet import Fernet

from backend.cli.serve import processes
from backend.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "SECRET_KEY": "x" * 32, "DATABASE_URL": "postgresql://ssi@db:5432/ssi",
    "REDIS_URL": "redis://redis:6379/0", "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "METRICS_TOKEN": "m" * 24,
}  # fmt: skip


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (continued lines joined), as (keyword, arguments)."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def test_the_image_is_slim_installs_like_the_makefile_and_runs_as_its_own_user() -> None:
    steps = instructions()
    keywords = [keyword for keyword, _ in steps]
    assert steps[0] == ("FROM", "python:3.11-slim")
    runs = " ".join(rest for keyword, rest in steps if keyword == "RUN")
    makefile = (ROOT / "Makefile").read_text()
    assert (
        "pip install --quiet --upgrade pip setuptools" in runs
        and "pip install --quiet -e ." in runs
    )
    assert "pip install --quiet --upgrade pip setuptools" in makefile
    assert "pip install --quiet -e '.[test,bench]'" in makefile, "the same install, plus extras"
    user = [rest for keyword, rest in steps if keyword == "USER"]
    assert user == ["ssi"] and keywords.index("USER") < keywords.index("CMD")
    assert "useradd --system" in runs
    assert dict(steps)["CMD"] == '["gunicorn", "-c", "gunicorn.conf.py", "app:app"]'
    assert "healthz" in dict(steps)["HEALTHCHECK"]
    for keyword, rest in steps:
        if keyword == "COPY":
            *sources, _target = rest.split()
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "instance", ".git", "addin/node_modules"} <= set(ignored)


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_runs_migrations_once_before_web_workers_and_scheduler() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "scheduler"}
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["command"] == ["flask", "--app", "app", "db", "upgrade"]
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in ("web", "worker", "scheduler"):
        service = services[name]
        assert service["build"] == "." and service["restart"] == "unless-stopped"
        assert service["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"},
            "redis": {"condition": "service_healthy"},
        }
        assert service["environment"]["SSI_ENV"] == "production"
    for name in ("postgres", "redis", "web"):
        assert services[name]["healthcheck"]["test"][0] == "CMD", f"{name} has a health check"
    assert "readyz" in " ".join(services["web"]["healthcheck"]["test"])
    assert services["worker"]["deploy"]["replicas"] == 2


def test_compose_runs_what_flask_serve_runs() -> None:
    services = compose()["services"]
    ours = {child.name.split("-")[0]: child.argv for child in processes(1, python="python")}
    web = ours["web"]
    assert [*web[2:4], Path(web[4]).name, *web[5:]] == services["web"]["command"]
    assert list(ours["worker"][2:6]) == services["worker"]["command"]
    assert list(ours["scheduler"][2:]) == services["scheduler"]["command"]


def test_no_secret_is_written_in_compose_and_each_required_one_must_be_given() -> None:
    env = compose()["services"]["web"]["environment"]
    for name in ("SECRET_KEY", "TOKEN_ENCRYPTION_KEYS", "PUBLIC_BASE_URL"):
        assert re.fullmatch(r"\$\{" + name + r":\?[^}]+\}", env[name]), name
    assert re.search(r"\$\{POSTGRES_PASSWORD:\?", env["DATABASE_URL"])
    for name in (
        "MICROSOFT_CLIENT_SECRET",
        "GOOGLE_CLIENT_SECRET",
        "SMTP_PASSWORD",
        "METRICS_TOKEN",
    ):
        assert env[name] == "${" + name + ":-}"
    names = set(re.findall(r"\b([A-Z][A-Z0-9_]+)\b", " ".join(env)))
    readme = (ROOT / "README.md").read_text()
    for name in names - {"SSI_ENV"}:
        assert f"`{name}`" in readme, f"{name} is in the README's configuration table"


def test_gunicorn_takes_its_workers_threads_and_address_from_the_settings(monkeypatch) -> None:
    monkeypatch.setenv("WEB_WORKERS", "3")
    monkeypatch.setenv("WEB_THREADS", "8")
    monkeypatch.setenv("WEB_BIND", "127.0.0.1:9000")
    config: dict = {}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), config)
    assert (config["workers"], config["threads"], config["bind"]) == (3, 8, "127.0.0.1:9000")
    assert config["worker_class"] == "gthread" and config["graceful_timeout"] == 30
    assert config["accesslog"] == "-" and "%(r)s" in config["access_log_format"]
    assert load_settings({"SSI_ENV": "development"}).web_bind == "127.0.0.1:8000"
    assert load_settings({"SSI_ENV": "production", **PRODUCTION}).web_bind == "0.0.0.0:8000"
