"""Stored articles: threads, articles and immutable versions (the Article JSON)."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Connection, Engine, and_, select, update

from curbside.article import Article
from curbside.messages import with_stored_keys
from curbside.store.schema import article_citations, article_versions, articles, threads
from curbside.store.sources import utcnow


def new_access_key() -> str:
    """A fresh reader key: 18 random bytes, URL-safe (24 characters, 144 bits)."""
    return secrets.token_urlsafe(18)


class ArticleStore:
    """Saves and loads articles. A saved version is never changed; edits add versions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def new_thread(self, context: dict[str, Any]) -> int:
        with self.engine.begin() as conn:
            r = conn.execute(threads.insert().values(created_at=utcnow(), context=context))
            return int(r.inserted_primary_key[0])  # type: ignore[index]

    def thread_context(self, thread_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            ctx = conn.execute(select(threads.c.context).where(threads.c.id == thread_id)).scalar()
            return dict(ctx) if ctx is not None else None

    def update_thread_context(self, thread_id: int, context: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(threads).where(threads.c.id == thread_id).values(context=context))

    def save_new(self, article: Article, *, created_by: int | None = None,
                 raw_question: str | None = None) -> Article:
        """Store a new article as version 1; returns it with id and version set.

        It gets a reader key (`access_key`): the key of its thread when the thread already
        has a turn, else a new one. The key is never part of the article's JSON.
        `raw_question` (the question before redaction) goes to its own column only, and only
        when the caller passes it (``privacy.retain_raw_questions``).
        """
        now = utcnow()
        with self.engine.begin() as conn:
            turn = 1
            key = None
            if article.thread_id is not None:
                # Lock the thread (PostgreSQL; SQLite has one writer): two servers answering
                # follow-ups of one thread at once must not give both the same turn.
                conn.execute(select(threads.c.id).where(threads.c.id == article.thread_id)
                             .with_for_update())
                last = conn.execute(
                    select(articles.c.turn)
                    .where(articles.c.thread_id == article.thread_id)
                    .order_by(articles.c.turn.desc())
                ).scalar()
                turn = int(last or 0) + 1
                key = conn.execute(
                    select(articles.c.access_key)
                    .where(articles.c.thread_id == article.thread_id)
                    .where(articles.c.access_key.is_not(None))
                    .order_by(articles.c.turn)
                    .limit(1)
                ).scalar()
            r = conn.execute(
                articles.insert().values(
                    thread_id=article.thread_id,
                    turn=turn,
                    title=article.title,
                    audience=article.audience,
                    status=article.status,
                    current_version=1,
                    created_at=now,
                    updated_at=now,
                    access_key=key or new_access_key(),
                    raw_question=raw_question,
                )
            )
            article_id = int(r.inserted_primary_key[0])  # type: ignore[index]
            saved = article.model_copy(update={"id": article_id, "version": 1})
            self._insert_version(conn, saved, created_by=created_by)
        return saved

    def access_key(self, article_id: int) -> str | None:
        """The reader key of an article (None for an unknown article)."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(articles.c.access_key).where(articles.c.id == article_id)
            ).scalar()

    def attach_thread(self, article_id: int, thread_id: int) -> int:
        """Make a thread-less article the first turn of `thread_id` (its key comes along).

        Returns the article's thread: `thread_id`, or the thread a concurrent follow-up
        (another server) attached it to first; an article never changes thread.
        """
        with self.engine.begin() as conn:
            done = conn.execute(
                update(articles)
                .where(and_(articles.c.id == article_id, articles.c.thread_id.is_(None)))
                .values(thread_id=thread_id, turn=1)
            ).rowcount
            if done:
                return thread_id
            current = conn.execute(
                select(articles.c.thread_id).where(articles.c.id == article_id)
            ).scalar()
        if current is None:
            raise LookupError(f"no article {article_id}")
        return int(current)

    def save_version(self, article: Article, *, created_by: int | None = None) -> Article:
        """Store `article` as the next version of its article (an edit never rewrites one)."""
        if article.id is None:
            raise ValueError("article has no id: use save_new")
        with self.engine.begin() as conn:
            # FOR UPDATE: a concurrent revision (another server) waits, then numbers after us.
            cur = conn.execute(
                select(articles.c.current_version).where(articles.c.id == article.id)
                .with_for_update()
            ).scalar()
            if cur is None:
                raise LookupError(f"no article {article.id}")
            saved = article.model_copy(update={"version": int(cur) + 1})
            self._insert_version(conn, saved, created_by=created_by)
            conn.execute(
                update(articles)
                .where(articles.c.id == article.id)
                .values(
                    current_version=saved.version,
                    status=saved.status,
                    title=saved.title,
                    updated_at=utcnow(),
                )
            )
        return saved

    def _insert_version(self, conn: Any, article: Article, *, created_by: int | None) -> None:
        conn.execute(
            article_versions.insert().values(
                article_id=article.id,
                version=article.version,
                status=article.status,
                body=article.model_dump(mode="json"),
                writer=article.writer,
                settings_fingerprint=article.settings_fingerprint,
                created_by=created_by,
                created_at=utcnow(),
            )
        )
        rows = []
        for ref in article.references:
            pids: set[int | None] = {
                s.passage_id for c in article.all_claims() if ref.n in c.citations for s in c.spans
            }
            for pid in pids or {None}:
                rows.append(
                    {
                        "article_id": article.id,
                        "version": article.version,
                        "source_id": ref.source_id,
                        "passage_id": pid,
                    }
                )
        if rows:
            conn.execute(article_citations.insert(), rows)

    def get(self, article_id: int, version: int | None = None) -> Article | None:
        with self.engine.connect() as conn:
            if version is None:
                version = conn.execute(
                    select(articles.c.current_version).where(articles.c.id == article_id)
                ).scalar()
                if version is None:
                    return None
            row = conn.execute(
                select(article_versions.c.body, article_versions.c.status, articles.c.thread_id)
                .join(articles, articles.c.id == article_versions.c.article_id)
                .where(
                    and_(
                        article_versions.c.article_id == article_id,
                        article_versions.c.version == version,
                    )
                )
            ).first()
        if row is None:
            return None
        # Bodies stored before claims carried message keys get them (`with_stored_keys`).
        art = with_stored_keys(Article.model_validate(row.body))
        # The thread is the article's, not the version's: a first turn joins its thread after
        # its body was stored (`attach_thread`).
        return art.model_copy(update={"status": row.status, "thread_id": row.thread_id})

    def set_version_status(self, article_id: int, version: int, status: str) -> None:
        """Record a review-state change of one version (the body itself stays immutable)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(article_versions)
                .where(
                    and_(
                        article_versions.c.article_id == article_id,
                        article_versions.c.version == version,
                    )
                )
                .values(status=status)
            )
            conn.execute(
                update(articles)
                .where(and_(articles.c.id == article_id, articles.c.current_version == version))
                .values(status=status, updated_at=utcnow())
            )

    def change_version_status(self, conn: Connection, article_id: int, version: int, *,
                              from_status: str, to_status: str) -> bool:
        """Set a version's review state only if it is still `from_status`, inside `conn`'s
        transaction (with the record of the change); False when it is not (someone else
        acted on it meanwhile). On PostgreSQL the row lock makes a concurrent change wait
        and then see the state this one left."""
        done = conn.execute(
            update(article_versions)
            .where(
                and_(
                    article_versions.c.article_id == article_id,
                    article_versions.c.version == version,
                    article_versions.c.status == from_status,
                )
            )
            .values(status=to_status)
        ).rowcount
        if not done:
            return False
        conn.execute(
            update(articles)
            .where(and_(articles.c.id == article_id, articles.c.current_version == version))
            .values(status=to_status, updated_at=utcnow())
        )
        return True

    def versions(self, article_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    article_versions.c.version,
                    article_versions.c.status,
                    article_versions.c.created_at,
                    article_versions.c.created_by,
                    article_versions.c.writer,
                )
                .where(article_versions.c.article_id == article_id)
                .order_by(article_versions.c.version)
            )
            return [dict(r._mapping) for r in rows]

    def thread_turns(self, thread_id: int) -> list[tuple[int, int]]:
        """(article id, turn) of every article of a thread, by turn."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(articles.c.id, articles.c.turn)
                .where(articles.c.thread_id == thread_id)
                .order_by(articles.c.turn, articles.c.id)
            )
            return [(int(a), int(t)) for a, t in rows]

    def thread_articles(self, thread_id: int) -> list[int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(articles.c.id)
                .where(articles.c.thread_id == thread_id)
                .order_by(articles.c.turn)
            )
            return [int(x) for x in rows.scalars()]

    def version_keys(self) -> list[tuple[int, int]]:
        """Every stored (article id, version), oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(article_versions.c.article_id, article_versions.c.version).order_by(
                    article_versions.c.article_id, article_versions.c.version
                )
            )
            return [(int(a), int(v)) for a, v in rows]

    def replace_question_text(self, article: Article) -> None:
        """Rewrite one stored version's body in place with `article` (same id and version),
        and the article's title when it is the current version.

        Only for removing identifiers from what was stored before redaction existed
        (``curbside privacy redact-stored``): everything else adds a version."""
        if article.id is None:
            raise ValueError("article has no id")
        with self.engine.begin() as conn:
            conn.execute(
                update(article_versions)
                .where(
                    and_(
                        article_versions.c.article_id == article.id,
                        article_versions.c.version == article.version,
                    )
                )
                .values(body=article.model_dump(mode="json"))
            )
            conn.execute(
                update(articles)
                .where(
                    and_(articles.c.id == article.id,
                         articles.c.current_version == article.version)
                )
                .values(title=article.title)
            )

    def thread_ids(self) -> list[int]:
        with self.engine.connect() as conn:
            return [int(x) for x in conn.execute(select(threads.c.id)).scalars()]

    def raw_question(self, article_id: int) -> str | None:
        """The question as typed, when it was retained (else None)."""
        with self.engine.connect() as conn:
            value = conn.execute(
                select(articles.c.raw_question).where(articles.c.id == article_id)
            ).scalar()
        return None if value is None else str(value)

    def recent(self, *, status: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        q = select(*(c for c in articles.c if c.name != "raw_question"))
        q = q.order_by(articles.c.updated_at.desc()).limit(limit)
        if status:
            q = q.where(articles.c.status == status)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def has_approved_versions(self) -> bool:
        with self.engine.connect() as conn:
            return (
                conn.execute(
                    select(article_versions.c.id)
                    .where(article_versions.c.status == "approved")
                    .limit(1)
                ).first()
                is not None
            )

    def citing(self, source_ids: list[int]) -> list[tuple[int, int]]:
        """(article id, version) pairs whose versions cite any of these sources."""
        if not source_ids:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(article_citations.c.article_id, article_citations.c.version)
                .where(article_citations.c.source_id.in_(source_ids))
                .distinct()
            )
            return [(int(a), int(v)) for a, v in rows]
