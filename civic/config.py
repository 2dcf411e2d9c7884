"""Configuration classes. Environment variables override the defaults."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

_INSTANCE = Path(os.environ.get("CIVIC_INSTANCE_PATH", Path.cwd() / "instance"))


def _database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL", default)
    # Heroku-style URLs and plain postgresql:// both mean psycopg 3 here.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    """Defaults shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
    # Keys register ids (HMAC) and personal tokens; distinct from the session key.
    REGISTER_HMAC_KEY = os.environ.get("REGISTER_HMAC_KEY", "dev-only-register-key")
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{_INSTANCE / 'civic.sqlite'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"pool_pre_ping": True}
    MAIL_URL = os.environ.get("MAIL_URL", "smtp://127.0.0.1:1025")
    MAIL_FROM = os.environ.get("MAIL_FROM", "Civic <noreply@civic.example>")
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "12"))  # then: failed
    MAIL_RETRY_BASE = timedelta(minutes=1)  # waits 1, 2, 4 ... minutes between attempts
    MAIL_RETRY_MAX = timedelta(hours=6)  # ... but never longer than this
    MAIL_CLAIM_TIMEOUT = timedelta(minutes=10)  # a claim older than this: the sender died
    MAIL_TIMEOUT = 30  # seconds per SMTP connection step
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"
    LANGUAGES = ("nl", "en")
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a clock
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    LOGIN_FAILURES_PER_ACCOUNT = 5
    LOGIN_FAILURES_PER_IP = 20
    LOGIN_WINDOW = timedelta(minutes=15)
    TOKEN_MAX_AGE = timedelta(days=2)
    SCHEDULER_ENABLED = False  # the dev server and `flask scheduler` turn it on
    SCHEDULER_KEEP_RUNS = timedelta(days=14)  # succeeded job runs older than this are pruned
    MAX_CONTENT_LENGTH = 200 * 1024 * 1024
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    TRUST_PROXY_HOPS = int(os.environ.get("TRUST_PROXY_HOPS", "0"))
    TESTING = False
    DEBUG = False


class DevelopmentConfig(Config):
    """`make run`: SQLite under instance/, scheduler inside the dev server."""

    DEBUG = False
    SCHEDULER_ENABLED = os.environ.get("CIVIC_SCHEDULER", "1") == "1"


class TestingConfig(Config):
    """The test suite; the fixture points the database at a temporary file or schema."""

    TESTING = True
    SECRET_KEY = "test-secret"
    REGISTER_HMAC_KEY = "test-register-key"
    WTF_CSRF_ENABLED = True
    SERVER_NAME = None
    PASSWORD_HASHER_FAST = True


class ProductionConfig(Config):
    """Behind gunicorn: secure cookies, secrets required from the environment."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-civic"

    @classmethod
    def check(cls) -> None:
        """Refuse to start production with the development secrets."""
        for name in ("SECRET_KEY", "REGISTER_HMAC_KEY"):
            if os.environ.get(name) in (None, "") or "dev-only" in os.environ[name]:
                raise RuntimeError(f"{name} must be set in the environment for production")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def instance_path() -> Path:
    """Folder for the SQLite file and other local state."""
    return _INSTANCE
