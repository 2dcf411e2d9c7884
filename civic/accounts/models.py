"""User accounts, roles and server-side login sessions."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic import clock
from civic.db import UTCDateTime
from civic.extensions import db


class Role(enum.StrEnum):
    """What a user may do. Verification as a resident is separate from the role."""

    RESIDENT = "resident"
    MODERATOR = "moderator"
    CLERK = "clerk"
    OFFICER = "officer"
    ADMIN = "admin"


class User(db.Model):  # type: ignore[name-defined,misc]
    """An account. E-mail is stored lower-cased; the password only as an argon2id hash."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(80))
    # Only a name the person chose to show publicly ever appears in public pages or open data.
    public_name: Mapped[str | None] = mapped_column(String(80))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=Role.RESIDENT,
    )
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    agency = relationship("Agency", lazy="joined")

    # Flask-Login protocol; get_id is the server-side session token (see LoginSession).
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        token = getattr(self, "session_token", None)
        if not token:
            raise RuntimeError("user has no login session; log in through accounts.services")
        return str(token)

    def has_role(self, *roles: Role) -> bool:
        """True when the user's role is one of `roles` (administrators pass every check)."""
        return self.role == Role.ADMIN or self.role in roles

    @property
    def is_verified(self) -> bool:
        """Holds a register-matched letter code."""
        return self.verified_at is not None


class LoginSession(db.Model):  # type: ignore[name-defined,misc]
    """A server-side session; logging out deletes it, so a copied cookie stops working."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TokenPurpose(enum.StrEnum):
    """What a one-time link in a mail is for."""

    CONFIRM = "confirm"
    RESET = "reset"


class AccountToken(db.Model):  # type: ignore[name-defined,misc]
    """A one-time token behind a signed link; `used_at` makes it single-use.

    The signed link carries a random nonce; only its SHA-256 digest is stored here.
    """

    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[TokenPurpose] = mapped_column(
        Enum(
            TokenPurpose,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginAttempt(db.Model):  # type: ignore[name-defined,misc]
    """A failed log-in, counted per account key and per IP address for throttling.

    `account_key` is an HMAC of the lower-cased e-mail, so unknown addresses are never stored.
    """

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
    account_key: Mapped[str] = mapped_column(String(64), index=True)
    ip: Mapped[str] = mapped_column(String(45), index=True)
