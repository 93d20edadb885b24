"""Configuration: the only module that reads the environment.

Every variable is documented in the README's configuration table. A value that cannot be used
stops start-up with :class:`ConfigError`, a ``SystemExit`` whose message is one line naming the
variable, so the CLI, the web server and the workers all print that line instead of a traceback.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from backend.outbound import Timeouts

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "production")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")
T = TypeVar("T")
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConfigError(SystemExit):
    """A configuration value that cannot be used; the message names the variable."""

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"ssi-sync: configuration error: {name} {problem}")


@dataclass(frozen=True)
class SignInProvider:
    """An OpenID Connect provider people sign in with (``microsoft`` or ``google``)."""

    name: str
    label: str
    metadata_url: str
    client_id: str
    client_secret: str = field(repr=False)

    @property
    def issuer_url(self) -> str:
        """The address its discovery document is under (``<NAME>_ISSUER``)."""
        return self.metadata_url.removesuffix("/.well-known/openid-configuration")


SIGN_IN_PROVIDERS = {
    "microsoft": ("Microsoft", "https://login.microsoftonline.com/organizations/v2.0"),
    "google": ("Google", "https://accounts.google.com"),
}
"""Provider name to its label and its real issuer (whose discovery document is used)."""

IDENTITY_EMULATOR = "http://127.0.0.1:8104"
DEMO_CLIENT = ("ssi-sync-demo", "ssi-sync-demo-secret")
OFFICE_JS_URL = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"
"""Where Outlook add-in pages load Office.js from (Microsoft's CDN; the demo points it at the
emulated Outlook's copy, because the demo runs offline)."""
GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
"""Google's signing certificates (PEM by key id), which verify the Gmail add-on's ID tokens."""
DEMO_ADDON = (
    "service-123456789012@gcp-sa-gsuiteaddons.iam.gserviceaccount.com",
    "ssi-sync-gmail-addon.apps.googleusercontent.com",
)
"""The Gmail add-on's system service account and OAuth client in development and the demo."""
GRAPH_API_BASE = "https://graph.microsoft.com"
OUTLOOK_WEB_URL = "https://outlook.office365.com/owa/"
GRAPH_LOGIN_BASE = "https://login.microsoftonline.com"
"""Where Exchange Online mailboxes are read (Microsoft Graph), and where a tenant that granted
application permissions gets its app tokens (``{GRAPH_LOGIN_BASE}/{tenant}/oauth2/v2.0/token``).
"""
EMULATED_ISSUER_PATHS = {"microsoft": "/microsoft/v2.0", "google": "/google"}


@dataclass(frozen=True)
class Settings:
    """Typed configuration of one process. Defaults are for a developer's machine."""

    environment: str = "development"
    instance_path: Path = PROJECT_ROOT / "instance"
    secret_key: str = ""
    database_url: str = ""
    redis_url: str | None = None
    token_encryption_keys: tuple[str, ...] = ()
    public_base_url: str = "http://127.0.0.1:8000"
    log_level: str = "INFO"
    log_format: str = "text"
    sync_interval_seconds: int = 300
    sync_lock_ttl_seconds: int = 60
    sync_job_timeout_seconds: int = 3600
    connect_timeout_seconds: float = 5
    read_timeout_seconds: float = 30
    dialog_timeout_seconds: float = 15
    circuit_open_seconds: float = 300
    service_give_up_seconds: float = 60
    c4c_reconcile_minutes: int = 1440
    c4c_writes_in_flight: int = 3
    c4c_batch_size: int = 100
    force_sync_min_interval_seconds: int = 60
    temporary_failures_before_issue: int = 5
    notify_failure_threshold: int = 10
    issue_retention_days: int = 90
    invitation_days: int = 7
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8125
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = False
    mail_from: str = "ssi-sync <no-reply@ssi-sync.local>"
    support_email: str = "support@ssi-sync.local"
    sign_in_providers: tuple[SignInProvider, ...] = ()
    rate_limit_per_minute: int = 300
    rate_limit_refused_per_minute: int = 30
    session_lifetime_hours: int = 12
    max_request_bytes: int = 1_048_576
    trusted_proxies: tuple[IPNetwork, ...] = ()
    addin_token_minutes: int = 60
    addin_min_version: str = "1.0.0"
    office_js_url: str = OFFICE_JS_URL
    mail_client_origins: tuple[str, ...] = ()
    google_api_base: str | None = None
    google_certs_url: str = GOOGLE_CERTS_URL
    gmail_addon_service_account: str | None = None
    gmail_addon_client_id: str | None = None
    graph_api_base: str = GRAPH_API_BASE
    outlook_web_url: str = OUTLOOK_WEB_URL
    graph_login_base: str = GRAPH_LOGIN_BASE
    graph_page_size: int = 250
    graph_batch_size: int = 20
    graph_concurrency: int = 4
    metrics_token: str | None = field(default=None, repr=False)
    readyz_jobs: bool = False
    web_workers: int = 2
    web_threads: int = 4
    web_bind: str = "127.0.0.1:8000"

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def timeouts(self) -> Timeouts:
        """The limits of every outgoing call a background run makes."""
        return Timeouts(self.connect_timeout_seconds, self.read_timeout_seconds)

    @property
    def dialog_timeouts(self) -> Timeouts:
        """The limits of a call made while a person waits (the Save dialog, sign-in)."""
        return Timeouts(self.connect_timeout_seconds, self.dialog_timeout_seconds)

    def sign_in_provider(self, name: object) -> SignInProvider | None:
        """The configured sign-in provider called ``name``, if there is one."""
        return next((p for p in self.sign_in_providers if p.name == name), None)


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Read and check every setting.

    Args:
        environ: the variables to read; the process environment when omitted.
        **overrides: values that take precedence over the environment (tests, ``create_app``).

    Returns:
        The checked settings.

    Raises:
        ConfigError: a value is malformed, or production lacks a required secret.
    """
    env = _Env(os.environ if environ is None else environ)
    environment = env.choice("SSI_ENV", ENVIRONMENTS, _default_of("environment"))
    production = environment == "production"
    instance_path = Path(env.text("INSTANCE_PATH", str(_default_of("instance_path")))).resolve()
    values: dict[str, object] = {
        "environment": environment,
        "instance_path": instance_path,
        "secret_key": env.text("SECRET_KEY", required=production),
        "database_url": env.parse(
            "DATABASE_URL",
            _default_database(instance_path),
            _database_url,
            required=production,
        ),
        "redis_url": env.parse("REDIS_URL", parse=_redis_url, required=production),
        "token_encryption_keys": env.parse(
            "TOKEN_ENCRYPTION_KEYS", parse=_fernet_keys, required=production
        ),
        "public_base_url": env.parse("PUBLIC_BASE_URL", parse=_http_url),
        "log_level": env.choice("LOG_LEVEL", LOG_LEVELS),
        "log_format": env.choice("LOG_FORMAT", LOG_FORMATS),
        "sync_interval_seconds": env.integer("SYNC_INTERVAL_SECONDS", minimum=30),
        "sync_lock_ttl_seconds": env.integer("SYNC_LOCK_TTL_SECONDS", minimum=5),
        "sync_job_timeout_seconds": env.integer("SYNC_JOB_TIMEOUT_SECONDS", minimum=60),
        "connect_timeout_seconds": env.integer("CONNECT_TIMEOUT_SECONDS", minimum=1, maximum=60),
        "read_timeout_seconds": env.integer("READ_TIMEOUT_SECONDS", minimum=5, maximum=600),
        "dialog_timeout_seconds": env.integer("DIALOG_TIMEOUT_SECONDS", minimum=2, maximum=60),
        "circuit_open_seconds": env.integer("CIRCUIT_OPEN_SECONDS", minimum=10),
        "service_give_up_seconds": env.integer("SERVICE_GIVE_UP_SECONDS", minimum=5),
        "c4c_reconcile_minutes": env.integer("C4C_RECONCILE_MINUTES", minimum=0),
        "c4c_writes_in_flight": env.integer("C4C_WRITES_IN_FLIGHT", minimum=1, maximum=8),
        "c4c_batch_size": env.integer("C4C_BATCH_SIZE", minimum=1, maximum=500),
        "force_sync_min_interval_seconds": env.integer(
            "FORCE_SYNC_MIN_INTERVAL_SECONDS", minimum=0
        ),
        "temporary_failures_before_issue": env.integer(
            "TEMPORARY_FAILURES_BEFORE_ISSUE", minimum=1
        ),
        "notify_failure_threshold": env.integer("NOTIFY_FAILURE_THRESHOLD", minimum=1),
        "issue_retention_days": env.integer("ISSUE_RETENTION_DAYS", minimum=1),
        "invitation_days": env.integer("INVITATION_DAYS", minimum=1, maximum=90),
        "smtp_host": env.text("SMTP_HOST"),
        "smtp_port": env.integer("SMTP_PORT", minimum=1, maximum=65535),
        "smtp_username": env.text("SMTP_USERNAME") or None,
        "smtp_password": env.text("SMTP_PASSWORD") or None,
        "smtp_starttls": env.boolean("SMTP_STARTTLS"),
        "mail_from": env.text("MAIL_FROM"),
        "support_email": env.text("SUPPORT_EMAIL"),
        "sign_in_providers": _sign_in_providers(env, production),
        "rate_limit_per_minute": env.integer("RATE_LIMIT_PER_MINUTE", minimum=1),
        "rate_limit_refused_per_minute": env.integer("RATE_LIMIT_REFUSED_PER_MINUTE", minimum=1),
        "max_request_bytes": env.integer("MAX_REQUEST_BYTES", minimum=65_536, maximum=104_857_600),
        "trusted_proxies": env.parse("TRUSTED_PROXIES", parse=_networks),
        "session_lifetime_hours": env.integer("SESSION_LIFETIME_HOURS", minimum=1, maximum=720),
        "addin_token_minutes": env.integer("ADDIN_TOKEN_MINUTES", minimum=5, maximum=1440),
        "addin_min_version": env.parse("ADDIN_MIN_VERSION", parse=_version),
        "office_js_url": env.parse("OFFICE_JS_URL", parse=_http_url),
        "mail_client_origins": env.parse("MAIL_CLIENT_ORIGINS", parse=_origins),
        "google_api_base": env.parse("GOOGLE_API_BASE", parse=_http_url),
        "google_certs_url": env.parse("GOOGLE_CERTS_URL", parse=_http_url),
        "gmail_addon_service_account": env.text(
            "GMAIL_ADDON_SERVICE_ACCOUNT", "" if production else DEMO_ADDON[0]
        )
        or None,
        "gmail_addon_client_id": env.text(
            "GMAIL_ADDON_CLIENT_ID", "" if production else DEMO_ADDON[1]
        )
        or None,
        "graph_api_base": env.parse("GRAPH_API_BASE", parse=_http_url),
        "outlook_web_url": env.parse("OUTLOOK_WEB_URL", parse=_http_url),
        "graph_login_base": env.parse("GRAPH_LOGIN_BASE", parse=_http_url),
        "graph_page_size": env.integer("GRAPH_PAGE_SIZE", minimum=10, maximum=1000),
        "graph_batch_size": env.integer("GRAPH_BATCH_SIZE", minimum=1, maximum=20),
        "graph_concurrency": env.integer("GRAPH_CONCURRENCY", minimum=1, maximum=4),
        "metrics_token": env.parse("METRICS_TOKEN", None, _metrics_token),
        "readyz_jobs": env.boolean("READYZ_JOBS", production),
        "web_workers": env.integer("WEB_WORKERS", minimum=1, maximum=64),
        "web_threads": env.integer("WEB_THREADS", minimum=1, maximum=64),
        "web_bind": env.text("WEB_BIND", "0.0.0.0:8000" if production else DEFAULT),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


DEFAULT: Any = object()
"""A read's default is the :class:`Settings` field's of the same name (``SMTP_PORT``:
``smtp_port``), so each default is written once."""


_DEFAULTS = {f.name: f.default for f in fields(Settings)}


def _default_of(name: str) -> Any:
    return _DEFAULTS[name.lower()]


def _metrics_token(raw: str) -> str:
    if len(raw) < 24:
        raise ValueError("must be at least 24 characters (it guards /metrics)")
    return raw


class _Env:
    """Typed reads of one mapping of environment variables."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def _value(self, name: str, default: Any) -> Any:
        return _default_of(name) if default is DEFAULT else default

    def _raw(self, name: str, required: bool) -> str | None:
        value = self._environ.get(name, "").strip()
        if not value and required:
            raise ConfigError(name, "must be set when SSI_ENV=production")
        return value or None

    def text(self, name: str, default: Any = DEFAULT, *, required: bool = False) -> Any:
        raw = self._raw(name, required)
        return self._value(name, default) if raw is None else raw

    def parse(
        self,
        name: str,
        default: Any = DEFAULT,
        parse: Callable[[str], T] = str,
        *,
        required: bool = False,
    ) -> T:
        raw = self._raw(name, required)
        if raw is None:
            return self._value(name, default)
        try:
            return parse(raw)
        except ValueError as error:
            raise ConfigError(name, f"is not usable: {error}") from None

    def integer(
        self, name: str, default: Any = DEFAULT, *, minimum: int = 0, maximum: int | None = None
    ) -> int:
        raw = self._raw(name, False)
        if raw is None:
            return self._value(name, default)
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(name, f"must be a whole number, got {raw!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum else f"at least {minimum}"
            raise ConfigError(name, f"must be {bounds}, got {value}")
        return value

    def boolean(self, name: str, default: Any = DEFAULT) -> bool:
        raw = self._raw(name, False)
        if raw is None:
            return self._value(name, default)
        lowered = raw.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(name, f"must be true or false, got {raw!r}")

    def choice(self, name: str, allowed: tuple[str, ...], default: Any = DEFAULT) -> str:
        raw = self._raw(name, False)
        if raw is None:
            return self._value(name, default)
        value = raw.upper() if allowed == LOG_LEVELS else raw.lower()
        if value not in allowed:
            raise ConfigError(name, f"must be one of {', '.join(allowed)}, got {raw!r}")
        return value


def _sign_in_providers(env: _Env, production: bool) -> tuple[SignInProvider, ...]:
    """The providers with a client id; in development, the identity emulator's demo client.

    ``<NAME>_CLIENT_ID``, ``<NAME>_CLIENT_SECRET`` and ``<NAME>_ISSUER`` configure each one;
    the issuer defaults to the real service in production and to the emulator otherwise.
    """
    found = []
    for name, (label, real_issuer) in SIGN_IN_PROVIDERS.items():
        prefix = name.upper()
        emulated = IDENTITY_EMULATOR + EMULATED_ISSUER_PATHS[name]
        issuer = env.parse(f"{prefix}_ISSUER", real_issuer if production else emulated, _http_url)
        client_id = env.text(f"{prefix}_CLIENT_ID", "" if production else DEMO_CLIENT[0])
        if not client_id:
            continue
        secret = env.text(
            f"{prefix}_CLIENT_SECRET", "" if production else DEMO_CLIENT[1], required=production
        )
        metadata_url = f"{issuer}/.well-known/openid-configuration"
        found.append(SignInProvider(name, label, metadata_url, client_id, secret))
    return tuple(found)


def _default_database(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'ssi-sync.db'}"


def default_database_url(settings: Settings) -> str:
    """The SQLite file a development machine uses when ``DATABASE_URL`` is unset."""
    return _default_database(settings.instance_path)


def _database_url(raw: str) -> str:
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ValueError(
            f"{raw!r} is not a database URL (e.g. postgresql://user@host:5432/db)"
        ) from None
    backend = url.get_backend_name()
    if backend == "postgresql":
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if backend == "sqlite":
        return raw
    raise ValueError(f"the {backend!r} database is not supported; use postgresql or sqlite")


def _redis_url(raw: str) -> str:
    if urlsplit(raw).scheme not in ("redis", "rediss", "unix"):
        raise ValueError(f"{raw!r} is not a redis://, rediss:// or unix:// URL")
    return raw


def _http_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{raw!r} is not an http(s) URL")
    return raw.rstrip("/")


def _origins(raw: str) -> tuple[str, ...]:
    found = tuple(_http_url(part.strip()) for part in raw.split(",") if part.strip())
    for url in found:
        if urlsplit(url).path:
            raise ValueError(f"{url!r} is not an origin (scheme://host[:port] only)")
    return found


def _networks(raw: str) -> tuple[IPNetwork, ...]:
    found = []
    for part in (piece.strip() for piece in raw.split(",")):
        if not part:
            continue
        try:
            found.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{part!r} is not an address or network (e.g. 10.0.0.0/8)") from None
    return tuple(found)


def _version(raw: str) -> str:
    if not re.fullmatch(r"\d+(\.\d+){0,3}", raw.strip()):
        raise ValueError("expected a dotted version such as 1.2.0")
    return raw.strip()


def _fernet_keys(raw: str) -> tuple[str, ...]:
    keys = tuple(key.strip() for key in raw.split(",") if key.strip())
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ValueError(
                f"key {position} is not a Fernet key (32 url-safe base64-encoded bytes)"
            ) from None
    return keys
