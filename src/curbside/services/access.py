"""Who may read a stored question: the privacy model of articles and threads.

Questions can carry health information about a person, so an article is private until a
reviewer approves it:

* A version that a reviewer approved (a recorded approval; it stays published if it is later
  outdated or re-reviewed) is **public**: anyone may read it, and the newest approved articles
  are listed.
* Every other version (a draft, submitted, under review, ...) is readable only by a viewer
  who presents the article's **reader key**, or by a signed-in account (editor, reviewer,
  administrator: every account role reviews, so the account that asked can read it too).
* The key is an unguessable capability (`store.articles.new_access_key`), returned once to the
  person who asked; the turns of a thread share it. A wrong or missing key gives the same
  "not found" as an id that does not exist, so ids are not an oracle.

Adapters resolve a `Viewer` (key, account) and pass it here; they never decide themselves.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from curbside.article import Article
from curbside.review import editorial
from curbside.review.status import PublicStatus
from curbside.review.workflow import ACCOUNT_ROLES
from curbside.services import accounts, answers, reads, review
from curbside.services.faults import index_faults
from curbside.services.runtime import NotFoundError, Runtime

#: The HTTP header that carries a reader key (the ``key`` query parameter works too).
KEY_HEADER = "X-Curbside-Key"
MAX_KEY_CHARS = 200


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is reading: the reader key they presented and their signed-in account, if any."""

    key: str | None = None
    user_id: int | None = None
    role: str | None = None

    @property
    def staff(self) -> bool:
        """A signed-in editor, reviewer or administrator (they read every draft)."""
        return self.user_id is not None and self.role in ACCOUNT_ROLES


ANONYMOUS = Viewer()


@dataclass(frozen=True, slots=True)
class Asked:
    """A newly stored article and the reader key that opens it (give it to the asker)."""

    article: Article
    key: str


def viewer_for(rt: Runtime, *, key: str | None = None, bearer: str | None = None,
               session: str | None = None) -> Viewer:
    """The viewer of a request: a reader key, an API token or a session cookie (each optional;
    invalid credentials count as absent)."""
    user = accounts.resolve_api_token(rt, bearer) if bearer else None
    if user is None and session:
        user = accounts.resolve_session(rt, session)
    key = (key or "").strip()[:MAX_KEY_CHARS] or None
    if user is None:
        return Viewer(key=key)
    return Viewer(key=key, user_id=user.id, role=user.role)


def holds_key(rt: Runtime, article_id: int, key: str | None) -> bool:
    """Whether `key` is this article's reader key (compared in constant time)."""
    if not key:
        return False
    stored = rt.articles.access_key(article_id)
    if not stored:
        return False
    return hmac.compare_digest(stored.encode(), key.encode("utf-8", "replace"))


def is_public(rt: Runtime, article_id: int, version: int) -> bool:
    """A version is public once a reviewer has approved it."""
    return editorial.ever_approved(rt, article_id, version)


def _privileged(rt: Runtime, article_id: int, viewer: Viewer) -> bool:
    return viewer.staff or holds_key(rt, article_id, viewer.key)


def can_read(rt: Runtime, article: Article, viewer: Viewer) -> bool:
    """Whether `viewer` may read this stored article version."""
    if article.id is None:
        return False
    return _privileged(rt, article.id, viewer) or is_public(rt, article.id, article.version)


def readable_version(rt: Runtime, *, article_id: int, version: int | None,
                     viewer: Viewer) -> int:
    """The version `viewer` gets for a request of `version` (None: the newest they may read).

    Raises `NotFoundError` with the same message whether the article is missing or private.
    """
    missing = NotFoundError(f"no article {article_id}"
                            + (f" version {version}" if version is not None else ""))
    versions = [int(v["version"]) for v in rt.articles.versions(article_id)]
    if not versions or (version is not None and version not in versions):
        raise missing
    if _privileged(rt, article_id, viewer):
        return versions[-1] if version is None else version
    for v in reversed(versions) if version is None else [version]:
        if is_public(rt, article_id, v):
            return v
    raise missing


def read_article(rt: Runtime, *, article_id: int, version: int | None = None,
                 viewer: Viewer) -> Article:
    """The article version `viewer` may read (see `readable_version`)."""
    v = readable_version(rt, article_id=article_id, version=version, viewer=viewer)
    return answers.get_article(rt, article_id=article_id, version=v)


def read_thread(rt: Runtime, *, thread_id: int, viewer: Viewer) -> list[Article]:
    """The turns of a thread that `viewer` may read; not found when there is none."""
    turns = []
    for article_id in rt.articles.thread_articles(thread_id):
        try:
            turns.append(read_article(rt, article_id=article_id, viewer=viewer))
        except NotFoundError:
            continue
    if not turns:
        raise NotFoundError(f"no thread {thread_id}")
    return turns


def may_continue_thread(rt: Runtime, thread_id: int, viewer: Viewer) -> bool:
    """Adding a question to a thread needs its key (or an account): it shares the key."""
    ids = rt.articles.thread_articles(thread_id)
    return bool(ids) and _privileged(rt, ids[0], viewer)


def shared_key(rt: Runtime, article_id: int, viewer: Viewer) -> str | None:
    """The viewer's key when it opens this article (for links that must keep it), else None."""
    return viewer.key if holds_key(rt, article_id, viewer.key) else None


def recent_for(rt: Runtime, *, viewer: Viewer, status: str | None = None,
               limit: int = 20) -> list[dict[str, Any]]:
    """Recent articles: every one for staff; for anyone else only approved ones."""
    if viewer.staff:
        return answers.recent_articles(rt, status=status, limit=limit)
    if status not in (None, "approved"):
        return []
    rows = answers.recent_articles(rt, status="approved", limit=limit)
    return [r for r in rows if is_public(rt, int(r["id"]), int(r["current_version"]))]


def citing_for(rt: Runtime, *, source_id: int,
               viewer: Viewer) -> list[tuple[int, int, str | None]]:
    """(article id, version, title) of the citing versions `viewer` may read."""
    out = []
    for aid, ver, title in reads.citing_articles(rt, source_id=source_id):
        if _privileged(rt, aid, viewer) or is_public(rt, aid, ver):
            out.append((aid, ver, title))
    return out


def status_for(rt: Runtime, *, article_id: int, version: int | None,
               viewer: Viewer) -> PublicStatus:
    """The public review status of a version `viewer` may read."""
    v = readable_version(rt, article_id=article_id, version=version, viewer=viewer)
    return review.public_status(rt, article_id, v)


def ask_as(rt: Runtime, viewer: Viewer, *, question: str, audience: str = "clinician",
           writer: str = "extractive", thread_id: int | None = None) -> Asked:
    """Ask (optionally in a thread the viewer holds the key of); returns the article and key."""
    if thread_id is not None and not may_continue_thread(rt, thread_id, viewer):
        raise NotFoundError(f"no thread {thread_id} (continuing a thread needs its key)")
    with index_faults():
        article = answers.ask(rt, question=question, audience=audience, writer=writer,
                              thread_id=thread_id)
    return Asked(article, _key_of(rt, article))


def follow_up_as(rt: Runtime, viewer: Viewer, *, article_id: int, question: str,
                 audience: str = "clinician") -> Asked:
    """A follow-up on an article `viewer` may read. With its key (or an account) the question
    joins the article's thread and shares its key; a reader of a public article without the
    key starts a thread of their own with a new key, so nobody reads another's questions."""
    read_article(rt, article_id=article_id, viewer=viewer)  # not found before any work
    join = _privileged(rt, article_id, viewer)
    with index_faults():
        article = answers.follow_up(rt, article_id=article_id, question=question,
                                    audience=audience, own_thread=not join)
    return Asked(article, _key_of(rt, article))


def access_key_of(rt: Runtime, *, article_id: int) -> str:
    """The reader key of an article (operators only: the CLI, tests)."""
    key = rt.articles.access_key(article_id)
    if key is None:
        raise NotFoundError(f"no article {article_id}")
    return key


def _key_of(rt: Runtime, article: Article) -> str:
    assert article.id is not None
    return access_key_of(rt, article_id=article.id)
