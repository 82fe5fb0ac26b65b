"""``curbside users``: accounts, roles and API tokens (the first admin is created here)."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Annotated

import typer
from rich.table import Table

from curbside.cli.main import app, console, err, fail, runtime
from curbside.review.workflow import ACCOUNT_ROLES
from curbside.services import NotFoundError, accounts
from curbside.store.audit import AuditKeyError

users_app = typer.Typer(help="Accounts: add, list, disable, roles, API tokens.",
                        no_args_is_help=True)
app.add_typer(users_app, name="users")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        pw = sys.stdin.readline().rstrip("\r\n")
        if not pw:
            raise fail("no password on standard input", 2)
        return pw
    pw = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return str(pw)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, . _ @ -).")],
    role: Annotated[str, typer.Option("--role", "-r",
                                      help=f"One of: {', '.join(ACCOUNT_ROLES)}.")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input.")
    ] = False,
    no_password: Annotated[bool, typer.Option(
        "--no-password", help="No password: the account signs in with API tokens only.")
    ] = False,
) -> None:
    """Create an account. The first account should be an admin."""
    rt = runtime()
    if role not in ACCOUNT_ROLES:
        raise fail(f"unknown role {role!r}; choose one of {', '.join(ACCOUNT_ROLES)}", 2)
    password = None if no_password else _password(password_stdin)
    try:
        user = accounts.add_user(rt, name=name, role=role, password=password)
    except (accounts.AccountError, AuditKeyError) as exc:
        raise fail(str(exc), 2) from None
    console.print(f"added {user.role} [bold]{user.name}[/] (id {user.id})")
    if user.role != "admin" and not any(u.role == "admin" for u in accounts.list_users(rt)):
        err.print("[yellow]note:[/] there is no admin yet: "
                  "`curbside users add NAME --role admin`")


@users_app.command("list")
def users_list() -> None:
    """List accounts with role and state."""
    table = Table()
    for col in ("id", "name", "role", "password", "state", "created"):
        table.add_column(col)
    for u in accounts.list_users(runtime()):
        table.add_row(str(u.id), u.name, u.role, "yes" if u.has_password else "no",
                      "disabled" if u.disabled else "active", f"{u.created_at:%Y-%m-%d}")
    console.print(table)


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Disable an account: it can no longer sign in; its sessions and API tokens end."""
    try:
        accounts.set_disabled(runtime(), name=name, disabled=True)
    except NotFoundError as exc:
        raise fail(str(exc)) from None
    console.print(f"disabled {name}")


@users_app.command("enable")
def users_enable(name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Enable a disabled account again."""
    try:
        accounts.set_disabled(runtime(), name=name, disabled=False)
    except NotFoundError as exc:
        raise fail(str(exc)) from None
    console.print(f"enabled {name}")


@users_app.command("role")
def users_role(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Argument(help=f"One of: {', '.join(ACCOUNT_ROLES)}.")],
) -> None:
    """Change an account's role."""
    try:
        accounts.set_role(runtime(), name=name, role=role)
    except (NotFoundError, accounts.AccountError) as exc:
        raise fail(str(exc), 2) from None
    console.print(f"{name} is now {role}")


@users_app.command("password")
def users_password(
    name: Annotated[str, typer.Argument(help="User name.")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input.")
    ] = False,
) -> None:
    """Set a new password (ends the user's sessions and revokes their API tokens)."""
    try:
        accounts.set_password(runtime(), name=name, password=_password(password_stdin))
    except (NotFoundError, accounts.AccountError, AuditKeyError) as exc:
        raise fail(str(exc), 2) from None
    console.print(f"password changed for {name}; their sessions ended and their API tokens "
                  "were revoked")


@users_app.command("token")
def users_token(name: Annotated[str, typer.Argument(help="User name.")]) -> None:
    """Issue an API token. It is shown once: store it now (only its hash is kept)."""
    try:
        token = accounts.issue_api_token(runtime(), name=name)
    except (NotFoundError, accounts.AccountError, AuditKeyError) as exc:
        raise fail(str(exc)) from None
    err.print(f"API token for {name} (shown once; send as 'Authorization: Bearer TOKEN'):")
    typer.echo(token)


tokens_app = typer.Typer(help="List and revoke API tokens (the secrets are never shown again).",
                         no_args_is_help=True)
users_app.add_typer(tokens_app, name="tokens")


def _when(t: dt.datetime | None) -> str:
    return f"{t:%Y-%m-%d %H:%M}" if t is not None else "never"


@tokens_app.command("list")
def tokens_list(
    user: Annotated[str | None, typer.Option("--user", "-u", help="Only this user's tokens.")
                    ] = None,
) -> None:
    """List API tokens: id, user, prefix, created, last used, state (never the secret)."""
    try:
        tokens = accounts.list_api_tokens(runtime(), name=user)
    except NotFoundError as exc:
        raise fail(str(exc)) from None
    table = Table()
    for col in ("id", "user", "prefix", "created", "last used", "state"):
        table.add_column(col)
    for t in tokens:
        table.add_row(str(t.id), t.user_name, t.prefix + "…", _when(t.created_at),
                      _when(t.last_used_at), "revoked" if t.revoked else "active")
    console.print(table)


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[int, typer.Argument(help="Token id (see `curbside users tokens list`).",
                                            min=1)],
) -> None:
    """Revoke one API token: it stops working at once (audited)."""
    try:
        tok, live = accounts.revoke_api_token(runtime(), token_id=token_id)
    except (NotFoundError, AuditKeyError) as exc:
        raise fail(str(exc)) from None
    if live:
        console.print(f"revoked token {tok.id} ({tok.prefix}…) of {tok.user_name}")
    else:
        console.print(f"token {tok.id} ({tok.prefix}…) of {tok.user_name} was already revoked")
