"""The process runtime: what a CLI command or the app opens once and hands to every service."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from curbside.config import Settings
from curbside.index.lexical import LexicalIndex
from curbside.index.lexical_factory import make_lexical_index
from curbside.store.articles import ArticleStore
from curbside.store.audit import AuditLog
from curbside.store.engine import make_engine, upgrade
from curbside.store.sources import SourceStore

if TYPE_CHECKING:  # heavy modules load on first use, not when a command starts
    from curbside.compose.composer import ExtractiveComposer
    from curbside.index.dense import DenseIndex
    from curbside.index.embedder import TextVectors
    from curbside.retrieve.hybrid import HybridRetriever
    from curbside.verify.citations import CitationVerifier


class NotFoundError(LookupError):
    """A record the caller named does not exist; the message names it."""


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    store: SourceStore
    lexical: LexicalIndex
    articles: ArticleStore

    # Heavy parts, each built on first use and kept for the process (`forget_retrieval`
    # drops the retriever after the library changes).

    @cached_property
    def dense(self) -> DenseIndex:
        """The dense index of the home (its embedder loads on first embedding)."""
        from curbside.index.dense import DenseIndex

        return DenseIndex(self.settings, self.engine)

    @cached_property
    def retriever(self) -> HybridRetriever:
        """Hybrid retrieval over the store, the lexical index and the dense index (when the
        home has one)."""
        from curbside.retrieve.hybrid import HybridRetriever

        dense = self.dense
        return HybridRetriever(
            store=self.store,
            lexical=self.lexical,
            dense=dense if dense.exists() else None,
            settings=self.settings.retrieval,
        )

    @cached_property
    def composer(self) -> ExtractiveComposer:
        """The extractive composer, with the answer settings (`Settings.answers`)."""
        from curbside.compose.composer import ExtractiveComposer

        return ExtractiveComposer(self.settings.answers)

    @cached_property
    def verifier(self) -> CitationVerifier:
        """Checks each claim against the passages it cites (with the dense index's embedder)."""
        from curbside.verify.citations import CitationVerifier
        from curbside.verify.support import SupportScorer

        return CitationVerifier(
            SupportScorer(vectors=self.sentence_vectors),
            threshold=self.settings.answers.support_threshold,
        )

    @cached_property
    def sentence_vectors(self) -> TextVectors:
        """Sentence vectors kept by text, shared by the composer's answer scores and the
        verifier's support check: a claim is a sentence the composer already embedded. The
        model loads on first use."""
        from curbside.index.embedder import TextVectors

        return TextVectors(lambda: self.dense.embedder)

    def load_embedder_in_background(self) -> None:
        """Start loading the dense index's embedder in a thread (`DenseIndex.
        load_embedder_in_background`): a one-question process such as `curbside ask` calls it
        before the answer pipeline is imported, so the two overlap."""
        self.dense.load_embedder_in_background()

    def forget_retrieval(self) -> None:
        """Drop the retriever: the library or its dense index changed."""
        self.__dict__.pop("retriever", None)

    def audit_log(self) -> AuditLog:
        """The audit log, keyed and checkpointed as the settings say."""
        return AuditLog(self.engine, key_file=self.settings.audit_key_path,
                        checkpoint_file=self.settings.audit_checkpoint_path)

    def close(self) -> None:
        self.engine.dispose()


def open_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    """Open the database (creating and upgrading it unless `migrate` is False)."""
    settings.home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    if migrate:
        upgrade(engine)
    return Runtime(
        settings=settings,
        engine=engine,
        store=SourceStore(engine),
        lexical=make_lexical_index(
            engine, postings_budget=settings.retrieval.lexical_postings_budget
        ),
        articles=ArticleStore(engine),
    )
