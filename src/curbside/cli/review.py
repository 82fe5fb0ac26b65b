"""``curbside review``: the review queue, state changes, claim review, diffs, status."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from curbside.cli.main import app, console, fail, runtime
from curbside.review.editorial import Actor
from curbside.services import NotFoundError, access, accounts, review
from curbside.services.runtime import Runtime

review_app = typer.Typer(help="Editorial review: queue, submit, approve, claims, diffs.",
                         no_args_is_help=True)
app.add_typer(review_app, name="review")

AsUser = Annotated[str | None, typer.Option(
    "--as", envvar="CURBSIDE_USER", help="Acting user (default: $CURBSIDE_USER).")]
Note = Annotated[str | None, typer.Option("--note", help="Why: kept with the transition.")]
Version = Annotated[int | None, typer.Option("--version", help="Version (default: newest).")]
ArticleId = Annotated[int, typer.Argument(help="Article id.")]


def _actor(rt: Runtime, name: str | None) -> Actor:
    try:
        return accounts.actor_for(rt, name)
    except (accounts.AccountError, NotFoundError) as exc:
        raise fail(str(exc), 2) from None


def _transition(action: str, article: int, as_user: str | None, note: str | None,
                version: int | None) -> None:
    rt = runtime()
    actor = _actor(rt, as_user)
    try:
        res = review.transition_article(rt, article_id=article, action=action, actor=actor,
                                        version=version, note=note)
    except review.TransitionRefused as exc:
        raise fail(f"refused: {exc}") from None
    except NotFoundError as exc:
        raise fail(str(exc)) from None
    console.print(f"article {res.article_id} version {res.version}: "
                  f"{res.from_state} → [bold]{res.to_state}[/] (by {actor.name})")


@review_app.command("queue")
def review_queue() -> None:
    """Versions waiting for a reviewer (submitted, under review, outdated)."""
    items = review.review_queue(runtime())
    if not items:
        console.print("the review queue is empty")
        return
    table = Table()
    for col in ("article", "version", "state", "since", "title", "note"):
        table.add_column(col)
    for q in items:
        table.add_row(str(q.article_id), str(q.version), q.state, f"{q.waiting_since:%Y-%m-%d}",
                      q.title[:60], (q.note or "")[:80])
    console.print(table)


@review_app.command("submit")
def review_submit(article: ArticleId, as_user: AsUser = None, note: Note = None,
                  version: Version = None) -> None:
    """Submit a draft for review (editor, admin)."""
    _transition("submit", article, as_user, note, version)


@review_app.command("start")
def review_start(article: ArticleId, as_user: AsUser = None, note: Note = None,
                 version: Version = None) -> None:
    """Start reviewing a submitted or outdated version (reviewer, admin)."""
    _transition("start", article, as_user, note, version)


@review_app.command("approve")
def review_approve(article: ArticleId, as_user: AsUser = None, note: Note = None,
                   version: Version = None) -> None:
    """Approve the version under review (a reviewer who did not submit it)."""
    _transition("approve", article, as_user, note, version)


@review_app.command("request-changes")
def review_request_changes(article: ArticleId, as_user: AsUser = None, note: Note = None,
                           version: Version = None) -> None:
    """Send the version back to the editor (reviewer, admin)."""
    _transition("request_changes", article, as_user, note, version)


@review_app.command("reject")
def review_reject(article: ArticleId, as_user: AsUser = None, note: Note = None,
                  version: Version = None) -> None:
    """Reject the version under review (reviewer, admin)."""
    _transition("reject", article, as_user, note, version)


@review_app.command("revise")
def review_revise(article: ArticleId, as_user: AsUser = None, note: Note = None) -> None:
    """Create a new draft version from the newest one (editor, admin)."""
    rt = runtime()
    actor = _actor(rt, as_user)
    try:
        res = review.revise_article(rt, article_id=article, actor=actor, note=note)
    except review.TransitionRefused as exc:
        raise fail(f"refused: {exc}") from None
    except NotFoundError as exc:
        raise fail(str(exc)) from None
    console.print(f"article {article}: new draft version {res.new_version}")


@review_app.command("claim")
def review_claim(
    article: ArticleId,
    claim_id: Annotated[str, typer.Argument(help="Claim id (see `review show`).")],
    action: Annotated[str, typer.Argument(help="accept | comment | strike")],
    as_user: AsUser = None,
    comment: Annotated[str | None, typer.Option("--comment", help="Comment text.")] = None,
    version: Version = None,
) -> None:
    """Accept, comment on or strike one claim (striking creates a new version)."""
    rt = runtime()
    actor = _actor(rt, as_user)
    try:
        res = review.review_claim(rt, article_id=article, claim_id=claim_id, action=action,
                                  actor=actor, version=version, comment=comment)
    except review.TransitionRefused as exc:
        raise fail(f"refused: {exc}") from None
    except (NotFoundError, ValueError) as exc:
        raise fail(str(exc), 2) from None
    if res is not None:
        console.print(f"claim {claim_id} struck: review continues with version "
                      f"{res.new_version}")
    else:
        console.print(f"claim {claim_id}: {action} recorded")


@review_app.command("show")
def review_show(article: ArticleId, version: Version = None) -> None:
    """An article version's status, claims (with ids and reviews) and history."""
    rt = runtime()
    try:
        st = review.public_status(rt, article, version)
        hist = review.article_history(rt, article_id=article)
    except NotFoundError as exc:
        raise fail(str(exc)) from None
    art = rt.articles.get(article, st.version)
    assert art is not None
    console.print(f"[bold]{art.title}[/]  (version {st.version} of {st.latest_version})")
    console.print(st.text)
    appr = review.approval_record(rt, article_id=article, version=st.version)
    reviews = appr.claims if appr else {}
    for c in art.all_claims():
        marks = ", ".join(r["action"] for r in reviews.get(c.id, []))
        console.print(f"  [cyan]{c.id or '-'}[/] {c.text[:110]}" + (f" [dim]({marks})[/]"
                                                                     if marks else ""))
    console.print("\nhistory:")
    for t in hist["transitions"]:
        console.print(f"  v{t['version']} {t['from_state'] or '(new)'} → {t['to_state']} "
                      f"by {t['actor']} at {t['at']:%Y-%m-%d %H:%M}"
                      + (f": {t['note']}" if t["note"] else ""))


@review_app.command("diff")
def review_diff(
    article: ArticleId,
    old: Annotated[int, typer.Argument(help="Older version.")],
    new: Annotated[int, typer.Argument(help="Newer version.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """What changed between two versions: claims and references."""
    try:
        d = review.article_diff(runtime(), article_id=article, old=old, new=new)
    except NotFoundError as exc:
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(d.model_dump(mode="json"), indent=2))
        return
    for c in d.claims_removed:
        console.print(f"[red]- {c.text}[/]")
    for c in d.claims_added:
        console.print(f"[green]+ {c.text}[/]")
    for ch in d.claims_changed:
        console.print(f"[yellow]~ {ch.old.text}\n  → {ch.new.text}[/]")
    for r in d.references_removed:
        console.print(f"[red]- reference {r.external_id}: {r.title[:80]}[/]")
    for r in d.references_added:
        console.print(f"[green]+ reference {r.external_id}: {r.title[:80]}[/]")
    if d.empty:
        console.print("no differences")


@review_app.command("key")
def review_key(article: ArticleId) -> None:
    """Print an article's reader key (for an asker who lost it, or an article stored before
    keys existed): with it, anyone may read the article before it is approved."""
    try:
        key = access.access_key_of(runtime(), article_id=article)
    except NotFoundError as exc:
        raise fail(str(exc)) from None
    typer.echo(key)
