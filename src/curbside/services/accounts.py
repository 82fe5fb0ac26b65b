"""Account use cases: users and roles, passwords, login throttling, sessions, CSRF, API tokens.

Secrets are random (``secrets``), stored only as hashes (argon2 for passwords, SHA-256 for
high-entropy tokens) and never written to the audit log or the logs.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from curbside.config import Settings
from curbside.review.editorial import Actor
from curbside.review.workflow import ACCOUNT_ROLES
from curbside.services.runtime import NotFoundError, Runtime
from curbside.store.sources import utcnow
from curbside.store.users import TokenInfo, User, UserStore

MAX_FAILURES = 5
THROTTLE_WINDOW = dt.timedelta(minutes=15)
SESSION_TTL = dt.timedelta(hours=12)
MIN_PASSWORD = 10
TOKEN_PREFIX = "cbs_"
#: The cookie that carries a web session (set by the reviewer sign-in).
SESSION_COOKIE = "curbside_session"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,99}$")
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so both paths cost the same time. Made
    on first sign-in (before the user is looked up), not at import: every CLI start paid it."""
    return _hasher.hash("curbside-no-such-user")


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message says why."""


class LoginFailed(PermissionError):
    """Wrong name or password, or a disabled account (one message for all, on purpose)."""


class LoginThrottled(PermissionError):
    """Too many failed sign-ins for this user from this address."""


@dataclass(frozen=True, slots=True)
class SessionToken:
    token: str  # the cookie value: shown once, stored hashed
    expires_at: dt.datetime


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _users(rt: Runtime) -> UserStore:
    return UserStore(rt.engine)


def _audit(rt: Runtime, actor: str, action: str, subject: str, **detail: object) -> None:
    rt.audit_log().append(actor=actor, action=action, subject=subject, detail=detail)


# accounts -------------------------------------------------------------------------------
def add_user(rt: Runtime, *, name: str, role: str, password: str | None = None,
             by: str = "cli") -> User:
    """Create an account (admin, editor or reviewer); `password` None = token-only account."""
    if not _NAME.match(name):
        raise AccountError("user names are 2-100 letters, digits or . _ @ - "
                           "(starting with a letter or digit)")
    if role not in ACCOUNT_ROLES:
        raise AccountError(f"unknown role {role!r}; one of {', '.join(ACCOUNT_ROLES)}")
    if name.lower() in ("system", "anonymous", "cli"):
        raise AccountError(f"{name!r} is reserved")
    store = _users(rt)
    if store.by_name(name) is not None:
        raise AccountError(f"user {name!r} already exists")
    pw_hash = _hash_password(password) if password is not None else None
    user = store.add(name, role, pw_hash)
    _audit(rt, by, "user.add", f"user:{name}", role=role, password_set=pw_hash is not None)
    return user


def _hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"passwords need at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def list_users(rt: Runtime) -> list[User]:
    return _users(rt).list()


def get_user(rt: Runtime, *, name: str) -> User:
    user = _users(rt).by_name(name)
    if user is None:
        raise NotFoundError(f"no user {name!r} (see `curbside users list`)")
    return user


def set_disabled(rt: Runtime, *, name: str, disabled: bool = True, by: str = "cli") -> User:
    """Disable (or re-enable) an account; disabling also ends its sessions and API tokens."""
    user = get_user(rt, name=name)
    store = _users(rt)
    store.update(user.id, disabled=disabled)
    if disabled:
        store.delete_sessions_of(user.id)
        store.revoke_tokens_of(user.id)
    _audit(rt, by, "user.disable" if disabled else "user.enable", f"user:{name}")
    return get_user(rt, name=name)


def set_role(rt: Runtime, *, name: str, role: str, by: str = "cli") -> User:
    if role not in ACCOUNT_ROLES:
        raise AccountError(f"unknown role {role!r}; one of {', '.join(ACCOUNT_ROLES)}")
    user = get_user(rt, name=name)
    _users(rt).update(user.id, role=role)
    _audit(rt, by, "user.role", f"user:{name}", old=user.role, new=role)
    return get_user(rt, name=name)


def set_password(rt: Runtime, *, name: str, password: str, by: str = "cli") -> None:
    """Set a new password; ends every session of the user and revokes every API token.

    Whoever knew the old password may have opened a session or issued a token with it, so
    none survives the change (the web app has no password form; this is the only path).
    """
    user = get_user(rt, name=name)
    store = _users(rt)
    store.update(user.id, password_hash=_hash_password(password))
    ended = store.delete_sessions_of(user.id)
    revoked = store.revoke_tokens_of(user.id)
    _audit(rt, by, "user.password", f"user:{name}", sessions_ended=ended,
           tokens_revoked=revoked)


def actor_for(rt: Runtime, name: str | None) -> Actor:
    """The acting user by name, checked enabled; refuses when no name is given."""
    if not name:
        raise AccountError("say who is acting: --as USER or set CURBSIDE_USER")
    user = get_user(rt, name=name)
    if user.disabled:
        raise AccountError(f"user {name!r} is disabled")
    return Actor(user.id, user.name, user.role)


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.name, user.role)


# login, throttling ----------------------------------------------------------------------
def login(rt: Runtime, *, name: str, password: str, ip: str = "local") -> User:
    """Check a password. Raises `LoginThrottled` after too many failures, else `LoginFailed`.

    The typed name is never stored: the audit log and the throttle table name a known account
    by its id (``user#ID``) and anything else by a keyed hash (``unknown#HMAC``), so a password
    typed into the name field stays secret.
    """
    store = _users(rt)
    audit = rt.audit_log()
    now = utcnow()
    name, ip = name[:100], ip[:64]
    dummy = _dummy_hash()  # before the lookup: both paths pay its first making
    user = store.by_name(name)
    who = f"user#{user.id}" if user else f"unknown#{audit.pseudonym(name)}"
    subject = f"user:{user.name}" if user else who
    if store.recent_failures(who, ip, now - THROTTLE_WINDOW) >= MAX_FAILURES:
        audit.append(actor=who, action="login.throttled", subject=subject, detail={"ip": ip})
        minutes = int(THROTTLE_WINDOW.total_seconds() // 60)
        raise LoginThrottled("too many failed sign-ins for this user name from this address: "
                             f"try again in {minutes} minutes or ask an administrator")
    stored = store.password_hash(user.id) if user else None
    ok = False
    try:
        ok = _hasher.verify(stored or dummy, password) and stored is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if ok and user is not None and user.disabled:
        ok = False
    store.record_attempt(who, ip, ok, now)
    if not ok or user is None:
        audit.append(actor=who, action="login.failure", subject=subject,
                     detail={"ip": ip, "known_user": user is not None})
        raise LoginFailed("wrong user name or password")
    if stored and _hasher.check_needs_rehash(stored):
        store.update(user.id, password_hash=_hasher.hash(password))
    audit.append(actor=user.name, action="login.success", subject=f"user:{user.name}",
                 detail={"ip": ip})
    return user


# sessions and CSRF ----------------------------------------------------------------------
def create_session(rt: Runtime, user: User, *, ip: str | None = None,
                   ttl: dt.timedelta = SESSION_TTL) -> SessionToken:
    """Start a server-side session; returns the cookie value (stored only as its hash)."""
    token = secrets.token_urlsafe(32)
    expires = utcnow() + ttl
    _users(rt).add_session(user.id, _sha256(token), expires, ip)
    return SessionToken(token, expires)


def resolve_session(rt: Runtime, token: str | None) -> User | None:
    """The user of a live session cookie, or None (expired, unknown, disabled)."""
    if not token:
        return None
    return _users(rt).session_user(_sha256(token), utcnow())


def end_session(rt: Runtime, token: str) -> None:
    user = resolve_session(rt, token)
    _users(rt).delete_session(_sha256(token))
    if user is not None:
        _audit(rt, user.name, "logout", f"user:{user.name}")


def signing_key(settings: Settings) -> bytes:
    """The signing key: the configured one, or (development only) a random one kept in home."""
    if settings.secret_key is not None:
        value = settings.secret_key.get_secret_value()
        if settings.environment == "production" and (len(value) < 32 or value == "change-me"):
            raise AccountError("CURBSIDE_SECRET_KEY is too short or a default value")
        return value.encode("utf-8")
    if settings.environment == "production":
        raise AccountError("set CURBSIDE_SECRET_KEY (32+ random characters) in production")
    path: Path = settings.home / "secret_key"
    if not path.exists():
        settings.home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip().encode("utf-8")


def csrf_token(key: bytes, session_token: str) -> str:
    """The CSRF token for a session: an HMAC of the session token (nothing to store)."""
    return hmac.new(key, b"csrf:" + session_token.encode("utf-8"), hashlib.sha256).hexdigest()


def verify_csrf(key: bytes, session_token: str | None, token: str | None) -> bool:
    if not session_token or not token:
        return False
    return hmac.compare_digest(csrf_token(key, session_token), token)


# API tokens -----------------------------------------------------------------------------
def issue_api_token(rt: Runtime, *, name: str, by: str = "cli") -> str:
    """A new API token for the user; returned once, stored only as its SHA-256."""
    user = get_user(rt, name=name)
    if user.disabled:
        raise AccountError(f"user {name!r} is disabled")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    prefix = token[:10]
    _users(rt).add_token(user.id, _sha256(token), prefix)
    _audit(rt, by, "token.issue", f"user:{name}", prefix=prefix)
    return token


def list_api_tokens(rt: Runtime, *, name: str | None = None) -> list[TokenInfo]:
    """Every API token (of one user when `name` is given), newest first; never the secret."""
    user_id = get_user(rt, name=name).id if name is not None else None
    return _users(rt).tokens(user_id)


def revoke_api_token(rt: Runtime, *, token_id: int, by: str = "cli") -> tuple[TokenInfo, bool]:
    """Revoke one API token by id; returns it and whether it was live until now."""
    store = _users(rt)
    tok = store.token(token_id)
    if tok is None:
        raise NotFoundError(f"no API token {token_id} (see `curbside users tokens list`)")
    if tok.revoked:
        return tok, False
    store.revoke_token(token_id)
    _audit(rt, by, "token.revoke", f"user:{tok.user_name}", token_id=token_id,
           prefix=tok.prefix)
    revoked = store.token(token_id)
    assert revoked is not None
    return revoked, True


def resolve_api_token(rt: Runtime, token: str | None) -> User | None:
    """The user of a valid API token (``Authorization: Bearer ...``), or None."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    return _users(rt).token_user(_sha256(token))
