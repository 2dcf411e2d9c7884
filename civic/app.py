"""The application factory."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from civic import i18n, logging_setup, security
from civic.config import CONFIGS, Config, ProductionConfig, instance_path
from civic.errors import register_error_handlers
from civic.extensions import babel, csrf, db, login_manager, migrate

MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), "migrations")


def _load_config(
    app: Flask, config: type[Config] | str | None, overrides: dict[str, Any] | None
) -> None:
    if config is None:
        config = os.environ.get("CIVIC_ENV", "development")
    base = CONFIGS[config] if isinstance(config, str) else config
    app.config.from_object(base)
    app.config.update(overrides or {})
    if base is ProductionConfig:
        ProductionConfig.check()


def _register_blueprints(app: Flask) -> None:
    from civic.accounts import bp as accounts_bp
    from civic.admin import bp as admin_bp
    from civic.mail import bp as mail_bp
    from civic.public import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(accounts_bp, url_prefix="/account")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(mail_bp, url_prefix="/admin/outbox")
    from panels import bp as panels_bp

    app.register_blueprint(panels_bp, url_prefix="/panels")
    from proposals import bp as proposals_bp

    app.register_blueprint(proposals_bp, url_prefix="/ideas")
    from civic.api import bp as api_bp
    from civic.dashboard import bp as dashboard_bp

    app.register_blueprint(dashboard_bp, url_prefix="/dashboard")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    from civic.notifications import bp as notifications_bp
    from proposals.inbox_views import inbox_bp
    from proposals.inbox_views import public_bp as agencies_bp

    app.register_blueprint(inbox_bp, url_prefix="/inbox")
    app.register_blueprint(agencies_bp, url_prefix="/agencies")
    app.register_blueprint(notifications_bp, url_prefix="/notifications")
    from civic.draws import bp as draws_bp
    from proposals.pilot_views import bp as pilots_bp

    app.register_blueprint(draws_bp, url_prefix="/draws")
    app.register_blueprint(pilots_bp, url_prefix="/pilots")
    from civic.privacy import bp as privacy_bp

    app.register_blueprint(privacy_bp, url_prefix="/account/privacy")


def _register_cli(app: Flask) -> None:
    from civic import backup, demo
    from civic.audit import cli as audit_cli
    from civic.mail import cli as mail_cli
    from civic.scheduling import cli as scheduling_cli

    audit_cli.register(app)
    mail_cli.register(app)
    scheduling_cli.register(app)
    demo.register(app)
    backup.register(app)
    from panels import cli as panels_cli

    panels_cli.register(app)


def _register_jobs() -> None:
    """Each feature package registers its sweeps (idempotent: safe for every app built)."""
    from civic import retention
    from civic.privacy import jobs as privacy_jobs
    from panels import jobs as panels_jobs
    from voting import jobs as voting_jobs

    voting_jobs.register_jobs()
    retention.register_jobs()
    panels_jobs.register_jobs()
    privacy_jobs.register_jobs()


def create_app(
    config: type[Config] | str | None = None, overrides: dict[str, Any] | None = None
) -> Flask:
    """Build a Civic app from a config class or name (default: $CIVIC_ENV) plus overrides."""
    app = Flask(__name__, instance_path=str(instance_path()))
    _load_config(app, config, overrides)
    logging_setup.init_app(app)
    os.makedirs(app.instance_path, exist_ok=True)
    import civic.models  # noqa: F401  (every table, for migrations and create_all)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app, babel)
    security.init_app(app)
    if app.config.get("TRUST_PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUST_PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    register_error_handlers(app)
    _register_blueprints(app)
    _register_cli(app)
    _register_jobs()
    from civic import scheduling

    scheduling.init_app(app)
    return app
