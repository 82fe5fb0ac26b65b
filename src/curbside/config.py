"""Settings: pydantic-settings, env prefix ``CURBSIDE_``, nested fields with ``__``.

Settings are built by the CLI's main callback or the app factory and passed down; nothing
reads the environment at import time.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    """Per-user data directory (e.g. ``~/.local/share/curbside``)."""
    return Path(user_data_dir("curbside", appauthor=False))


class ChunkSettings(BaseModel):
    """How source text is cut into passages. Part of the index fingerprint."""

    target_chars: int = Field(
        700, description="Passages grow sentence by sentence up to this size."
    )
    max_chars: int = Field(1200, description="Hard upper bound; a longer single sentence is cut.")


class IngestSettings(BaseModel):
    """Limits and locking for `curbside ingest`."""

    max_record_bytes: int = Field(
        2 * 1024 * 1024,
        ge=1024,
        description=(
            "Largest record read, in bytes: a JSON Lines line, the text of one PubMed XML "
            "record, a whole Markdown or HTML file (characters of text for other formats). "
            "A bigger record is quarantined before it is parsed. Default 2 MiB: seven times the "
            "longest full-text guideline in the development corpora (293 KB); a 10 MB record "
            "costs about 120 MB of memory to chunk, so the cap bounds memory per record."
        ),
    )
    max_passages_per_record: int = Field(
        3000,
        ge=1,
        description=(
            "Most passages one record may make; a record that would make more is quarantined. "
            "Default 3000: what 2 MiB of text makes at the default passage size, seven times "
            "the longest guideline (about 420 passages)."
        ),
    )
    lock_timeout_s: float = Field(
        600.0,
        ge=0,
        description=(
            "How long an ingest (or index build) waits for another one writing to the same "
            "database before giving up with exit code 14 (0 = do not wait). Default 10 "
            "minutes: an incremental update finishes well within it; a longer wait more often "
            "means a stuck process someone should look at."
        ),
    )


class EmbedderSettings(BaseModel):
    """Which embedding model turns passages and queries into vectors."""

    kind: str = Field(
        "onnx-minilm",
        description="Backend: bundled int8 MiniLM (default), a local "
        "sentence-transformers model path ('sentence-transformers'), an OpenAI-compatible "
        "/v1/embeddings server ('openai'), or a plugin's name (curbside.registry.EMBEDDERS).",
    )
    model: str = Field("all-MiniLM-L6-v2", description="Model name or local path.")
    base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible server.")
    api_key: SecretStr | None = Field(None, description="API key for the embeddings server.")
    threads: int = Field(2, description="onnxruntime intra-op threads.")
    batch_size: int = Field(
        8, description="Passages per embedding batch (8 was fastest on 2 CPU threads)."
    )
    max_tokens: int = Field(256, description="Token limit per passage (longer text is truncated).")


class RetrievalSettings(BaseModel):
    """Hybrid retrieval knobs."""

    candidates: int = Field(100, description="Candidates taken from each retriever before fusion.")
    rrf_k: int = Field(60, description="Reciprocal-rank-fusion constant.")
    per_source_cap: int = Field(2, description="Most passages shown from one source.")
    ranker: Literal["fusion", "learned"] = Field(
        "fusion",
        description=(
            "How search orders candidates: 'fusion' (the default: hand-set z-score fusion and "
            "rerank bonuses) or 'learned' (the linear ranker over both retrievers' candidates "
            "and the document vectors, src/curbside/retrieve/ranker-v3.json, trained on "
            "development halves by benchmarks/train_ranker.py; without a dense index search "
            "uses 'fusion'; its order is carried onto the fused scores before the bonuses). "
            "'learned' wins on every held-out retrieval half, but in the answer path over the "
            "whole development corpus the MedQuAD lead from the question's own answer is lower "
            "(dev 0.650 -> 0.633, held-out 0.698 -> 0.667, docs/benchmarks.md) and search "
            "takes about twice as long, so it is not the default."
        ),
    )
    mmr_lambda: float = Field(
        0.8, description="Relevance vs diversity trade-off for MMR (1 = none)."
    )
    document_weight: float = Field(
        0.0,
        ge=0.0,
        description=(
            "Hand fusion only: for a question `document_when` selects, the head of the fused "
            "list gains this times the z-score of its source's document-level cosine (title + "
            "opening: what the source is about); 0 (the default) turns it off. 0.5 with "
            "`document_when` 'style' won or tied on every development half of the retrieval "
            "sets, but lost 0.0004 nDCG@10 on BioASQ's held-out half (docs/benchmarks.md, stop "
            "30), so it is opt-in."
        ),
    )
    document_when: Literal["any", "consumer", "style"] = Field(
        "style",
        description=(
            "Which questions get `document_weight`: 'style' = those the learned question-style "
            "gate (retrieve/question_style.json, a logistic regression on the question's MiniLM "
            "vector) reads as consumer-phrased; 'consumer' = the hand rule (a lay term, or 'I / "
            "my / my husband'); 'any' = every question (it lowered BioASQ, whose sources are "
            "single abstracts)."
        ),
    )
    lexical_postings_budget: int = Field(
        2000,
        ge=0,
        description=(
            "SQLite: most posting-list entries one keyword query reads; the most common query "
            "terms are left out beyond it (0 = keep every term; slower on a large library)."
        ),
    )
    vector_index: str = Field(
        "auto",
        description=(
            "Vector index backend of the dense index: 'auto' (default: 'pgvector' on a "
            "PostgreSQL database, 'usearch' otherwise), 'usearch' (int8 HNSW file), 'exact' "
            "(float16 brute force), 'pgvector' (a table of the PostgreSQL database, HNSW), or "
            "a plugin's name (curbside.registry.VECTOR_INDEXES)."
        ),
    )
    milvus_uri: str | None = Field(
        None,
        description=(
            "vector_index 'milvus': the Milvus server, e.g. http://host:19530 (standalone or "
            "cluster), or a Milvus Lite file ending in .db. Unset = Milvus Lite in a file "
            "inside the home's dense index directory (one process at a time). Needs the "
            "milvus extra: pip install 'curbside[milvus]'."
        ),
    )
    milvus_token: SecretStr | None = Field(
        None,
        description="vector_index 'milvus': 'user:password' or an API key for the server; "
        "never logged.",
    )
    milvus_db_name: str | None = Field(
        None, description="vector_index 'milvus': the server's database (unset = 'default')."
    )


class RayBuildSettings(BaseModel):
    """Batch embedding on Ray (`curbside index build --engine ray`; extra ``ray``)."""

    address: str | None = Field(
        None,
        description=(
            "The Ray cluster: 'auto' (the one running on this machine, or RAY_ADDRESS), "
            "'host:port' of its head node, or 'ray://host:10001' (Ray Client). Unset = start a "
            "local Ray runtime for this build and stop it after."
        ),
    )
    workers: int = Field(
        2, ge=1, description="Embedding workers (Ray actors), each with its own embedder."
    )
    cpus_per_worker: float = Field(
        1.0,
        gt=0,
        description="CPUs Ray reserves for each worker; also its onnxruntime threads "
        "(rounded down, at least 1).",
    )
    num_gpus: float = Field(
        0.0,
        ge=0,
        description="GPUs Ray reserves for each worker (0 = none). A value above 0 needs a "
        "cluster with GPUs; the embedder decides what runs on them.",
    )
    range_passages: int = Field(
        4096,
        ge=1,
        description=(
            "Most passages per range, the unit of work and of resuming: a range is written to "
            "the vector index whole. Fewer when every worker would not get a range otherwise; "
            "rounded up to whole embedding chunks (8 x embedder.batch_size passages, so the "
            "vectors equal the single-process build's)."
        ),
    )
    checkpoint_s: float = Field(
        30.0,
        ge=0,
        description=(
            "Seconds between flushes of the vector index while ranges arrive (0 = after every "
            "range). A killed build keeps every range written before its last flush."
        ),
    )
    object_store_mb: int | None = Field(
        None,
        ge=80,
        description="Object store of the local runtime (address unset), in MB; unset = Ray's "
        "default (30% of memory).",
    )
    connect_timeout_s: float = Field(
        10.0,
        gt=0,
        description="How long to wait for the head node's port to answer before giving up "
        "with a clear error (Ray itself retries a wrong address for minutes).",
    )
    start_attempts: int = Field(
        3,
        ge=1,
        description="Tries at starting the local runtime (address unset) before giving up: Ray "
        "gives its node a fixed 30 s to register, which a busy machine can miss.",
    )


class IndexBuildSettings(BaseModel):
    """How `curbside index build` embeds the passages missing from the dense index."""

    engine: str = Field(
        "local",
        description=(
            "'local' (default: this process, the embedder's threads), 'ray' (Ray Data workers "
            "on a local runtime or a cluster; extra ray), or a plugin's name "
            "(curbside.registry.BUILD_ENGINES)."
        ),
    )
    ray: RayBuildSettings = Field(default_factory=RayBuildSettings)


class LLMSettings(BaseModel):
    """Optional OpenAI-compatible chat server for the LLM writer."""

    kind: str = Field(
        "openai-compatible",
        description="LLM client backend: 'openai-compatible' (/chat/completions over HTTP) "
        "or a plugin's name (curbside.registry.LLM_CLIENTS).",
    )

    base_url: str | None = Field(None, description="e.g. http://127.0.0.1:8080/v1; unset = no LLM.")
    model: str = Field("default", description="Model name sent to the server.")
    api_key: SecretStr | None = Field(None, description="Bearer token; never logged.")
    timeout_s: float = Field(60.0, description="Per-request timeout in seconds.")
    max_retries: int = Field(2, description="Retries with backoff on connection errors and 5xx.")
    concurrency: int = Field(4, description="Most concurrent requests to the server.")


class AnswerSettings(BaseModel):
    """How an answer is composed from the retrieved evidence: the lead, bottom line and
    sections (the composer), the citation check and the LLM writer; each value with its
    reason. Part of the answer fingerprint (`Settings.answer_fingerprint`), never of the
    index fingerprint: changing one re-composes answers but never rebuilds an index."""

    model_config = ConfigDict(frozen=True)

    retrieval_k: int = Field(
        12,
        ge=1,
        description=(
            "Passages retrieved for a question: the evidence the composer, the consensus "
            "meter and the safety blocks read. Twelve passages at two per source (the "
            "retriever's cap) give about six sources, enough to compare them without "
            "composing from barely related ones."
        ),
    )
    max_scored: int = Field(
        48,
        ge=1,
        description=(
            "Candidates embedded per question: the model scores at most this many sentences "
            "(by focus coverage, then retrieval-based score), which bounds the time of an "
            "answer."
        ),
    )
    min_answer: float = Field(
        0.35,
        description=(
            "Below this best answer score (question-sentence similarity of the bundled "
            "MiniLM, or the learned scorer) no sentence answers the question and the article "
            "says the evidence is insufficient. Calibrated by `benchmarks/calibrate_confidence"
            ".py --measure answer` (100 PubMedQA calibration and 100 BioASQ questions with "
            "their evidence present, the same without it, 30 off-topic questions; no test "
            "question): 0.35 keeps 98% of the answerable ones and refuses every off-topic one "
            "(max 0.30) and about half of those whose own evidence is absent. The "
            "balanced-accuracy optimum, 0.60, refused a quarter of the answerable questions."
        ),
    )
    min_confidence: float = Field(
        0.45,
        description=(
            "Without an answer scorer (no embedder): below this retrieval confidence the "
            "article says the evidence is insufficient. Calibrated with "
            "benchmarks/calibrate_confidence.py (PubMedQA and BioASQ questions with and "
            "without their evidence in the corpus, plus off-topic questions): 0.45 keeps 98% "
            "of answerable questions and refuses every off-topic one (max 0.34) and about half "
            "of the near-miss ones. The balanced-accuracy optimum there, 0.62, is used for the "
            "'weak match' notice instead: as a hard threshold it refused long clinical "
            "questions the library does answer (0.52-0.59)."
        ),
    )
    min_relevance: float = Field(
        0.12,
        description=(
            "A candidate sentence whose relevance (0.55 x its overlap with the question's "
            "terms + 0.45 x its passage's retrieval score over the best one's, "
            "`compose.candidates`) is below this is never used: it shares at most a stray word "
            "with the question and comes from a weakly ranked passage. Set with the first "
            "composer; no calibration run is recorded."
        ),
    )
    level_margin: float = Field(
        0.06,
        description=(
            "A stronger evidence level leads when its best sentence scores at most this much "
            "below the best sentence of any level (guidelines before a single study, when "
            "both answer)."
        ),
    )
    ask_margin: float = Field(
        0.15,
        description=(
            "For a treatment, what-to-do, cause, diagnosis, prognosis, dose or side-effect "
            "question, a sentence that gives that kind of answer (a treatment or "
            "recommendation, a recommended action, a cause ...) leads when its score is at most "
            "this much below the best sentence, so the lead answers what was asked. 0: no "
            "preference beyond `fit_bonus`. Chosen on the dev split (371 MedQuAD dev questions, "
            "54 of them treatment questions, and 133 MedicationQA): lead from the question's "
            "own answer 0.690 / 0.693 / 0.695 at 0 / 0.05 / 0.15; MedicationQA lead ROUGE-L "
            "0.059 at all three; the larger margin, as it answers the ask more often."
        ),
    )
    concept_margin: float = Field(
        0.15,
        description=(
            "For a question with two or more primary focus concepts (\"Is SI joint imbalance a "
            "common cause of low back pain?\"), a sentence that mentions every one of them "
            "leads when its score is at most this much below the best sentence, so the lead "
            "is about what the question relates, not one side of it (the reference question's "
            "lead was a case report on stiff-person syndrome in low back pain). 0: off. Chosen "
            "on the dev split (`answer_quality.py --split dev`, whole-corpus home, BioASQ "
            "subset home): BioASQ lead ROUGE-L 0.417 / 0.423 / 0.417 and ROUGE-2 0.328 / "
            "0.336 / 0.328 at 0 / 0.15 / 0.3; MedicationQA 0.095 at all three; MedQuAD lead "
            "from the question's own answer 0.652 -> 0.650 at 0.15 (one question of 371)."
        ),
    )
    source_weight: float = Field(
        0.25,
        description=(
            "Weight of the question's similarity to the sentence's source title: what the "
            "source is about ('what is this about' matches a consumer question better than "
            "one sentence)."
        ),
    )
    passage_weight: float = Field(
        1.5,
        description=(
            "Weight of the passage's retrieval score (its fused final score over the best "
            "retrieved passage's): the retriever has read the whole passage and its source, "
            "which a single sentence's similarity misses. Chosen on the dev split "
            "(`benchmarks/answer_quality.py --split dev`: 371 MedQuAD dev questions over a "
            "home with their pages, 96 BioASQ questions), never on the held-out ones: lead "
            "from the question's own answer 0.563 / 0.609 / 0.639 / 0.655 / 0.666 / 0.687 at "
            "0 / 0.1 / 0.2 / 0.3 / 0.5 / 0.8, BioASQ lead ROUGE-L 0.403 / 0.402 / 0.404 / "
            "0.400 / 0.400 / 0.400. A second dev sweep (with `ask_margin` 0.15, a rebuilt dev "
            "home of 3,637 passages): 0.695 / 0.714 / 0.725 at 0.8 / 1.5 / 3.0, MedicationQA "
            "dev lead ROUGE-L 0.059 at all three. 1.5, not 3.0: BioASQ dev was not rerun at "
            "these values, and at 3.0 the lead is nearly always the top passage's best "
            "sentence, leaving the answer score little say."
        ),
    )
    level_bonus: tuple[float, ...] = Field(
        (0.04, 0.03, 0.02, 0.01),
        description=(
            "Added per evidence level (guideline, systematic review, RCT, cohort ...): small, "
            "so that a better answer from a weaker source still wins beyond `level_margin`."
        ),
    )
    conclusion_bonus: float = Field(
        0.02, description="Added when the sentence is a conclusion or recommendation of its source."
    )
    fit_bonus: float = Field(
        0.04,
        description=(
            "Added when the sentence fits what is asked (a dose for a dose question, a "
            "frequency for a how-common question, ...; `ASK_FIT`)."
        ),
    )
    coverage_weight: float = Field(
        0.10, description="Added per share of the question's focus concepts the sentence mentions."
    )
    design_penalty: float = Field(
        0.05, description="Taken off a sentence about how a study was run (enrolment, blinding)."
    )
    overlap_weight: float = Field(
        0.01, description="Word overlap with the question only breaks ties."
    )
    max_per_section: int = Field(
        5,
        ge=1,
        description=(
            "Most claims in one article section: a consult answers in a few sentences; more "
            "repeat the first ones in other words."
        ),
    )
    max_per_source: int = Field(
        2,
        ge=1,
        description=(
            "Most claims one source gives a section: one long guideline must not fill a whole "
            "section (the retriever keeps two passages per source for the same reason)."
        ),
    )
    patient_max_grade: float = Field(
        10.0,
        ge=0.0,
        description=(
            "For the patient audience only: a section sentence whose Flesch-Kincaid grade "
            "(`compose.audience.sentence_grade`) is above this is not used (the clinician and "
            "student articles keep it; 0 turns the rule off). Issue 15 asks patient articles "
            "at grade 8 or below and, among sentences that answer about equally well, plain "
            "ones over procedure-level detail; a section lists supporting sentences, so a "
            "plainer one takes the place of one written for specialists (a 40-word guideline "
            "sentence is grade 18-20). The lead and the bottom line are never left out for "
            "their grade (they answer the question); red flags and premise findings are the "
            "safety blocks', never a section's, and are all kept. Chosen on the MedicationQA "
            "dev part (questions 1-500, `benchmarks/readability.py`'s home, 193 answered): "
            "median patient grade 8.7 with no cap, 8.1 at 16, 7.8 at 14 (the largest cap "
            "at or below grade 8; 23% of section sentences replaced or left out), 0 facts "
            "lost, the same leads. Over the whole development corpus (mostly research "
            "abstracts and guidelines) 14 left the dev median at 8.6 (395 answered); on the "
            "same dev questions 8.1 at 12 and 7.9 at 10, the same leads and lead ROUGE-L, so "
            "10 (with `patient_bottom_margin` and `patient_lead_margin`)."
        ),
    )
    patient_lead_margin: float = Field(
        0.1,
        ge=0.0,
        description=(
            "For the patient audience only: when the lead sentence is above "
            "`patient_max_grade`, the best sentence within this much of its ranking score "
            "(the composer's lead key), from the same evidence level, fitting what is asked as "
            "the lead does and answering (`min_answer`), whose grade is within the cap leads "
            "instead (0: off). Issue 15 asks, for patients, plain sentences among those that "
            "answer about equally well. Chosen on MedicationQA dev questions 1-250 over the "
            "whole development corpus (191 answered; with the cap at 10 and "
            "`patient_bottom_margin` 0.2): 0.1 changed 14 of 250 leads, lead ROUGE-L against "
            "the reference answers 0.0814 before and after, lead grade median 9.9 -> 9.7, "
            "share of articles at grade 8 or below 58.6% -> 60.7%."
        ),
    )
    patient_bottom_margin: float = Field(
        0.2,
        ge=0.0,
        description=(
            "For the patient audience only: when the bottom line's answer sentence is above "
            "`patient_max_grade`, the best sentence within this much of its ranking score that "
            "answers (`min_answer`) and whose grade is within the cap closes instead (0: off). "
            "Chosen on MedicationQA dev questions 1-250 over the whole development corpus "
            "(191 answered, cap 10): bottom-line grade median 11.7 at 0, 11.2 at 0.1, 11.1 at "
            "0.2 (15 of 250 bottom lines changed), leads unchanged; the article median 7.7 -> "
            "7.6."
        ),
    )
    support_threshold: float = Field(
        0.55,
        ge=0.0,
        le=1.0,
        description=(
            "A claim (extractive or written by the LLM) is kept only when its cited passages "
            "support it at least this much (`verify.support`, lexical and embedding scores "
            "calibrated to [0, 1]); the same threshold for both writers, so an LLM sentence "
            "passes the check an extracted one passes."
        ),
    )
    llm_passages: int = Field(
        8,
        ge=1,
        description=(
            "Best-ranked passages the LLM writer is given (numbered as the composer's "
            "references): the prompt stays within a small local model's context window."
        ),
    )
    llm_spans_per_claim: int = Field(
        3,
        ge=1,
        description=(
            "Most passages shown as the evidence of one LLM sentence (its cited references' "
            "passages, in order): the reader sees where it comes from without a wall of text."
        ),
    )
    thread_context_terms: int = Field(
        8,
        ge=0,
        description=(
            "A follow-up's search adds at most this many of its thread's topic terms: enough "
            "to carry the topic ('and in children?'), few enough that the new question's own "
            "words still rank."
        ),
    )
    topic_terms: int = Field(
        8,
        ge=0,
        description="Keywords of one question that join its thread's topic terms.",
    )
    thread_terms: int = Field(
        12,
        ge=0,
        description=(
            "Most topic terms a thread keeps (the newest question's first): an old turn's "
            "topic fades as the conversation moves on."
        ),
    )


class PrivacySettings(BaseModel):
    """What is kept of the questions people ask."""

    retain_raw_questions: bool = Field(
        False,
        description=(
            "Also store each question as typed, before redaction, in the articles table's "
            "raw_question column (never in the article JSON, pages, API or logs). Default: "
            "only the redacted question is kept."
        ),
    )


class Settings(BaseSettings):
    """All Curbside settings. Environment: ``CURBSIDE_HOME``, ``CURBSIDE_LLM__BASE_URL``..."""

    model_config = SettingsConfigDict(
        env_prefix="CURBSIDE_", env_nested_delimiter="__", extra="ignore"
    )

    home: Path = Field(
        default_factory=default_home,
        description=(
            "Data directory: the SQLite database, the dense index, evaluation caches, key files."
        ),
    )
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default is a SQLite file in the data directory."
    )
    log_level: str = Field("WARNING", description="Logging level (question text is never logged).")
    secret_key: SecretStr | None = Field(
        None, description="Session/CSRF signing key for the web app; required outside development."
    )
    environment: Literal["development", "production"] = Field(
        "development", description="'production' refuses a missing or default secret key."
    )
    audit_key_file: Path | None = Field(
        None, description="HMAC key of the audit log, kept outside the database (default "
        "<home>/audit_key, created with mode 0600 on first use). Back it up: without it the "
        "keyed audit entries cannot be verified."
    )
    audit_checkpoint_file: Path | None = Field(
        None, description="File that receives the audit log's head (entry id and hash) after "
        "every write, checked by `audit verify` (default <home>/audit_checkpoints.jsonl)."
    )
    chunking: ChunkSettings = Field(default_factory=ChunkSettings)
    ingest: IngestSettings = Field(
        default_factory=IngestSettings,
        description="Record size caps and the writer lock timeout for `curbside ingest`.",
    )
    embedder: EmbedderSettings = Field(default_factory=EmbedderSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    index_build: IndexBuildSettings = Field(
        default_factory=IndexBuildSettings,
        description="The engine of `curbside index build` and its Ray settings.",
    )
    llm: LLMSettings = Field(default_factory=LLMSettings)
    privacy: PrivacySettings = Field(
        default_factory=PrivacySettings,
        description="Question retention: identifiers are always redacted from what is shown.",
    )
    answers: AnswerSettings = Field(
        default_factory=AnswerSettings,
        description="How answers are composed and checked (part of the answer fingerprint).",
    )
    postgres_bin_dir: Path | None = Field(
        None,
        description=(
            "Folder with pg_dump and pg_restore for `curbside backup`/`restore` on PostgreSQL "
            "(default: the newest found on PATH or bundled with pgserver)."
        ),
    )

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'curbside.db'}"

    @property
    def audit_key_path(self) -> Path:
        return self.audit_key_file or self.home / "audit_key"

    @property
    def audit_checkpoint_path(self) -> Path:
        return self.audit_checkpoint_file or self.home / "audit_checkpoints.jsonl"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    def fingerprint(self) -> str:
        """Hash of the settings that shape stored vectors: a change means a rebuild.

        It names the dense index directory (`index.dense`), so only index-shaping settings
        belong here: adding any other would rebuild every existing index."""
        shape = {
            "chunking": self.chunking.model_dump(),
            "embedder": self.embedder.model_dump(include={"kind", "model", "max_tokens"}),
        }
        return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]

    def answer_fingerprint(self) -> str:
        """Hash of what shapes an answer: the index fingerprint and the answer settings.
        Stored as each composed article's ``settings_fingerprint``: two articles with the
        same fingerprint were composed from the same kind of index by the same rules."""
        shape = {"index": self.fingerprint(), "answers": self.answers.model_dump(mode="json")}
        return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]
