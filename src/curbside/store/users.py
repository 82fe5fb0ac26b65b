"""Accounts, server-side sessions, API tokens and login attempts (secrets stored hashed)."""

from __future__ import annotations

import builtins
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, and_, delete, func, select, update

from curbside.store.editorial_schema import api_tokens, login_attempts, sessions, users
from curbside.store.sources import utcnow


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: str
    disabled: bool
    created_at: dt.datetime
    has_password: bool = False


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """An API token as listed: never its secret, only the first characters."""

    id: int
    user_name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked: bool


def _user(row: object) -> User:
    m = row._mapping  # type: ignore[attr-defined]
    return User(id=int(m["id"]), name=m["name"], role=m["role"], disabled=bool(m["disabled"]),
                created_at=m["created_at"], has_password=m["password_hash"] is not None)


def _token(row: object) -> TokenInfo:
    m = row._mapping  # type: ignore[attr-defined]
    return TokenInfo(id=int(m["id"]), user_name=m["user_name"], prefix=m["prefix"],
                     created_at=m["created_at"], last_used_at=m["last_used_at"],
                     revoked=bool(m["revoked"]))


def _aware(t: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; everything stored here is UTC."""
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


class UserStore:
    """Users and their credentials. Never stores a password or token in clear."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # accounts ---------------------------------------------------------------------------
    def add(self, name: str, role: str, password_hash: str | None) -> User:
        with self.engine.begin() as conn:
            r = conn.execute(users.insert().values(
                name=name, role=role, password_hash=password_hash, disabled=False,
                created_at=utcnow()))
            uid = int(r.inserted_primary_key[0])  # type: ignore[index]
            return _user(conn.execute(select(users).where(users.c.id == uid)).one())

    def get(self, user_id: int) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.id == user_id)).first()
        return _user(row) if row else None

    def by_name(self, name: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
        return _user(row) if row else None

    def password_hash(self, user_id: int) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(users.c.password_hash).where(users.c.id == user_id)).scalar()

    def list(self) -> list[User]:
        with self.engine.connect() as conn:
            return [_user(r) for r in conn.execute(select(users).order_by(users.c.name))]

    def count(self, role: str | None = None) -> int:
        q = select(func.count()).select_from(users)
        if role:
            q = q.where(users.c.role == role)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar() or 0)

    def update(self, user_id: int, *, role: str | None = None, disabled: bool | None = None,
               password_hash: str | None = None) -> None:
        values: dict[str, object] = {}
        if role is not None:
            values["role"] = role
        if disabled is not None:
            values["disabled"] = disabled
        if password_hash is not None:
            values["password_hash"] = password_hash
        if values:
            with self.engine.begin() as conn:
                conn.execute(update(users).where(users.c.id == user_id).values(**values))

    # sessions ---------------------------------------------------------------------------
    def add_session(self, user_id: int, token_hash: str, expires_at: dt.datetime,
                    ip: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(sessions.insert().values(
                token_hash=token_hash, user_id=user_id, created_at=utcnow(),
                expires_at=expires_at, ip=ip))

    def session_user(self, token_hash: str, now: dt.datetime) -> User | None:
        """The enabled user of an unexpired session with this token hash."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(sessions.c.expires_at, users)
                .join(users, users.c.id == sessions.c.user_id)
                .where(sessions.c.token_hash == token_hash)
            ).first()
        if row is None or _aware(row.expires_at) <= now or row.disabled:
            return None
        return _user(row)

    def delete_session(self, token_hash: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.token_hash == token_hash))

    def delete_sessions_of(self, user_id: int) -> int:
        with self.engine.begin() as conn:
            return int(conn.execute(
                delete(sessions).where(sessions.c.user_id == user_id)).rowcount)

    def purge_expired_sessions(self, now: dt.datetime) -> int:
        with self.engine.begin() as conn:
            return int(conn.execute(delete(sessions).where(sessions.c.expires_at < now)).rowcount)

    # API tokens -------------------------------------------------------------------------
    def add_token(self, user_id: int, token_hash: str, prefix: str) -> int:
        with self.engine.begin() as conn:
            r = conn.execute(api_tokens.insert().values(
                token_hash=token_hash, prefix=prefix, user_id=user_id, created_at=utcnow(),
                revoked=False))
            return int(r.inserted_primary_key[0])  # type: ignore[index]

    def token_user(self, token_hash: str) -> User | None:
        """The enabled user of an unrevoked API token with this hash (marks it used)."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(api_tokens.c.id.label("token_id"), api_tokens.c.revoked, users)
                .join(users, users.c.id == api_tokens.c.user_id)
                .where(api_tokens.c.token_hash == token_hash)
            ).first()
            if row is None or row.revoked or row.disabled:
                return None
            conn.execute(update(api_tokens).where(api_tokens.c.id == row.token_id)
                         .values(last_used_at=utcnow()))
        return _user(row)

    def revoke_tokens_of(self, user_id: int) -> int:
        """Revoke every live token of the user; returns how many were live."""
        with self.engine.begin() as conn:
            return int(conn.execute(
                update(api_tokens)
                .where(and_(api_tokens.c.user_id == user_id, api_tokens.c.revoked.is_(False)))
                .values(revoked=True)).rowcount)

    def tokens(self, user_id: int | None = None) -> builtins.list[TokenInfo]:
        q = (select(api_tokens, users.c.name.label("user_name"))
             .join(users, users.c.id == api_tokens.c.user_id)
             .order_by(api_tokens.c.id.desc()))
        if user_id is not None:
            q = q.where(api_tokens.c.user_id == user_id)
        with self.engine.connect() as conn:
            return [_token(r) for r in conn.execute(q)]

    def token(self, token_id: int) -> TokenInfo | None:
        q = (select(api_tokens, users.c.name.label("user_name"))
             .join(users, users.c.id == api_tokens.c.user_id)
             .where(api_tokens.c.id == token_id))
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return _token(row) if row else None

    def revoke_token(self, token_id: int) -> bool:
        """Revoke one token; False when it was already revoked (or does not exist)."""
        with self.engine.begin() as conn:
            return bool(conn.execute(
                update(api_tokens)
                .where(and_(api_tokens.c.id == token_id, api_tokens.c.revoked.is_(False)))
                .values(revoked=True)).rowcount)

    # login throttling -------------------------------------------------------------------
    def record_attempt(self, username: str, ip: str, success: bool, at: dt.datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(login_attempts.insert().values(
                username=username, ip=ip, success=success, at=at))

    def recent_failures(self, username: str, ip: str, since: dt.datetime) -> int:
        """Failed attempts for this user from this address since `since` and the last success."""
        cond = and_(login_attempts.c.username == username, login_attempts.c.ip == ip,
                    login_attempts.c.at >= since)
        with self.engine.connect() as conn:
            last_ok = conn.execute(
                select(func.max(login_attempts.c.at)).where(and_(cond, login_attempts.c.success))
            ).scalar()
            q = select(func.count()).select_from(login_attempts).where(
                and_(cond, login_attempts.c.success.is_(False)))
            if last_ok is not None:
                q = q.where(login_attempts.c.at > last_ok)
            return int(conn.execute(q).scalar() or 0)
