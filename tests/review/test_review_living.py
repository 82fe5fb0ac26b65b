"""Living articles: retraction notices, new source versions and new guidelines send approved
articles back to the review queue.

The PubMed records below are synthetic test fixtures: PMIDs 900000xx are made-up test ids, and
titles, journal and author names are placeholders, not real publications.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from curbside import services
from curbside.article import Article, Claim, Reference
from curbside.review.editorial import Actor
from curbside.review.living import flag_outdated
from curbside.services import review

HEAD = '<?xml version="1.0" ?>\n<PubmedArticleSet>\n'
TAIL = "</PubmedArticleSet>\n"


def pubmed_article(pmid: str, title: str, *, pub_types: Sequence[str] = ("Journal Article",),
                   abstract: str = "Synthetic abstract about exercise and low back pain.",
                   comments: str = "") -> str:
    pts = "".join(f"<PublicationType>{p}</PublicationType>" for p in pub_types)
    return f"""<PubmedArticle>
  <MedlineCitation Status="MEDLINE" Owner="NLM">
    <PMID Version="1">{pmid}</PMID>
    <Article PubModel="Print">
      <Journal><JournalIssue CitedMedium="Print"><PubDate><Year>2021</Year></PubDate>
        </JournalIssue><Title>Synthetic journal of test fixtures</Title></Journal>
      <ArticleTitle>{title}</ArticleTitle>
      <Abstract><AbstractText>{abstract}</AbstractText></Abstract>
      <AuthorList><Author><LastName>Tester</LastName><ForeName>Alpha</ForeName></Author>
      </AuthorList>
      <Language>eng</Language>
      <PublicationTypeList>{pts}</PublicationTypeList>
    </Article>
    {comments}
  </MedlineCitation>
  <PubmedData><ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId></ArticleIdList>
  </PubmedData>
</PubmedArticle>
"""


def write_set(path: Path, *articles: str) -> Path:
    path.write_text(HEAD + "".join(articles) + TAIL, encoding="utf-8")
    return path


def _approved_article_citing(rt: services.Runtime, source_id: int, external_id: str,
                             people: dict[str, Actor],
                             question: str = "Does exercise help low back pain?") -> int:
    art = Article(
        question=question, title="Exercise and back pain",
        lead=[Claim(id="c1", text="Exercise helps low back pain.", citations=[1])],
        references=[Reference(n=1, type="Research", kind="rct", level=3, source_id=source_id,
                              external_id=external_id, title="Synthetic trial")],
        created_at="2025-01-01", settings_fingerprint="test",
    )
    aid = rt.articles.save_new(art).id
    assert aid is not None
    for action, who in [("submit", "editor"), ("start", "reviewer"), ("approve", "reviewer")]:
        review.transition_article(rt, article_id=aid, action=action, actor=people[who])
    assert review.public_status(rt, aid).approved
    return aid


def test_pubmed_retraction_notice_outdates_approved_articles(
        rt: services.Runtime, tmp_path: Path, people: dict[str, Actor]) -> None:
    # 90000001: a synthetic trial; 90000002: a synthetic retraction notice pointing at it.
    first = services.ingest(rt, paths=[write_set(tmp_path / "a.xml", pubmed_article(
        "90000001", "Synthetic trial of exercise for low back pain."))], fmt="pubmed")
    src = rt.store.find_source("90000001")
    assert src is not None and not src.retracted and first.new_source_ids == [src.id]
    aid = _approved_article_citing(rt, src.id, src.external_id, people)

    notice = pubmed_article(
        "90000002", "Retraction notice: Synthetic trial of exercise for low back pain.",
        pub_types=("Journal Article", "Retraction of Publication"),
        abstract="This article has been retracted at the request of the synthetic authors.",
        comments='<CommentsCorrectionsList><CommentsCorrections RefType="RetractionOf">'
                 "<RefSource>Synth J Test. 2021;7:1-9</RefSource>"
                 '<PMID Version="1">90000001</PMID></CommentsCorrections>'
                 "</CommentsCorrectionsList>")
    report = services.ingest(rt, paths=[write_set(tmp_path / "b.xml", notice)], fmt="pubmed")
    assert src.id in report.retracted_source_ids
    assert rt.store.get_source(src.id).retracted  # type: ignore[union-attr]

    # services.ingest ran the living-articles hook itself; running it again changes nothing.
    assert review.after_ingest(rt, report) == []
    st = review.public_status(rt, aid)
    assert st.state == "outdated" and not st.approved
    assert "content pending human review" in st.text
    queue = review.review_queue(rt)
    assert [(q.article_id, q.state) for q in queue] == [(aid, "outdated")]
    assert queue[0].note is not None and "Re-review needed" in queue[0].note
    # Re-review: outdated -> under_review -> approved again.
    review.transition_article(rt, article_id=aid, action="start", actor=people["reviewer2"])
    review.transition_article(rt, article_id=aid, action="approve", actor=people["reviewer2"])
    assert review.public_status(rt, aid).approved
    # Ingesting the same notice again changes nothing and flags nothing new.
    again = services.ingest(rt, paths=[tmp_path / "b.xml"], fmt="pubmed")
    assert review.after_ingest(rt, again) == []


def test_superseded_source_outdates_only_approved_versions(
        rt: services.Runtime, tmp_path: Path, people: dict[str, Actor],
        source_ids: list[int]) -> None:
    approved = _approved_article_citing(rt, source_ids[0], "doc:d0", people)
    draft = rt.articles.save_new(rt.articles.get(approved).model_copy(  # type: ignore[union-attr]
        update={"id": None, "status": "draft"}))
    flags = flag_outdated(rt, superseded_source_ids=[source_ids[0]])
    assert [f.article_id for f in flags] == [approved]
    assert "new version" in flags[0].reasons[0]
    assert rt.articles.get(draft.id).status == "draft"  # type: ignore[arg-type, union-attr]
    assert flag_outdated(rt, superseded_source_ids=[source_ids[0]]) == []  # already outdated


def test_new_guideline_retrieved_for_the_question_outdates(
        rt: services.Runtime, tmp_path: Path, people: dict[str, Actor],
        source_ids: list[int]) -> None:
    aid = _approved_article_citing(rt, source_ids[0], "doc:d0", people)
    other = _approved_article_citing(rt, source_ids[1], "doc:d1", people,
                                     question="Is paracetamol safe in pregnancy?")
    report = services.ingest(rt, paths=[write_set(tmp_path / "g.xml", pubmed_article(
        "90000003", "Synthetic guideline on exercise for low back pain.",
        pub_types=("Practice Guideline",)))], fmt="pubmed")
    guideline = rt.store.find_source("90000003")
    assert guideline is not None and str(guideline.kind) == "guideline"

    def retrieve(question: str) -> list[int]:  # stands in for the hybrid retriever
        return [guideline.id, source_ids[0]] if "back pain" in question else [source_ids[1]]

    # services.ingest already judged relevance with the real hybrid retriever: the unrelated
    # approved article must stay approved whatever it decided about the back-pain one.
    assert review.public_status(rt, other).approved
    auto_flagged = not review.public_status(rt, aid).approved
    assert review.after_ingest(rt, report) == []  # no retriever: nothing to judge relevance by
    flags = review.after_ingest(rt, report, retrieve=retrieve)
    if not auto_flagged:
        assert [f.article_id for f in flags] == [aid]
        assert "new guideline" in flags[0].reasons[0] and "90000003" in flags[0].reasons[0]
    assert not review.public_status(rt, aid).approved
    assert review.public_status(rt, other).approved
