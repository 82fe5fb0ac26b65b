"""`AnswerPipeline`: the answer stages, built from the runtime and run in order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from curbside.article import Article
from curbside.pipeline.contracts import AskRequest, Trace
from curbside.pipeline.stages import Compose, Render, Retrieve, Safety, Understand, Verify

if TYPE_CHECKING:
    from curbside.compose.composer import ExtractiveComposer
    from curbside.config import Settings
    from curbside.index.dense import DenseIndex
    from curbside.index.embedder import TextVectors
    from curbside.retrieve.hybrid import HybridRetriever
    from curbside.store.sources import SourceStore
    from curbside.verify.citations import CitationVerifier


class AnswerRuntime(Protocol):
    """What the pipeline needs of the process runtime (`services.runtime.Runtime` has it all;
    a test may hand in its own)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def store(self) -> SourceStore: ...
    @property
    def dense(self) -> DenseIndex: ...
    @property
    def retriever(self) -> HybridRetriever: ...
    @property
    def composer(self) -> ExtractiveComposer: ...
    @property
    def verifier(self) -> CitationVerifier: ...
    @property
    def sentence_vectors(self) -> TextVectors: ...


class AnswerPipeline:
    """understand -> retrieve -> compose -> safety -> verify -> render.

    Safety comes before verification: the safety blocks continue the composer's reference
    numbering and reconcile the bottom line with the premise findings, and the verifier then
    checks and renumbers everything the article cites. Each ``ask`` builds one (cheap: the
    heavy parts are the runtime's, built once per process); one retrieval and one composition
    per question, as before the stages existed.
    """

    def __init__(self, rt: AnswerRuntime) -> None:
        answers = rt.settings.answers
        self.understand = Understand()
        self.retrieve = Retrieve(rt.retriever, k=answers.retrieval_k)
        self.compose = Compose(
            composer=rt.composer,
            store=rt.store,
            dense=rt.dense,
            vectors=rt.sentence_vectors,
            llm=rt.settings.llm,
            answers=answers,
            fingerprint=rt.settings.answer_fingerprint(),
        )
        self.safety = Safety(rt.store)
        self.verify = Verify(lambda: rt.verifier)
        self.render = Render()

    def run(self, request: AskRequest) -> Article:
        """The answer to `request`: a verified article rendered for its audience (not stored).

        Raises `retrieve.hybrid.QueryError` when the question cannot be searched and
        `WriterUnavailable` when the LLM writer is asked for without a server."""
        return self.trace(request).article

    def trace(self, request: AskRequest) -> Trace:
        """`run`, keeping every stage's output (for benchmarks and tests)."""
        understood = self.understand.run(request)
        retrieved = self.retrieve.run(understood)
        composed = self.compose.run(retrieved)
        checked = self.safety.run(composed)
        verified = self.verify.run(checked)
        return Trace(
            understood=understood, retrieved=retrieved, composed=composed, checked=checked,
            verified=verified, article=self.render.run(verified),
        )
