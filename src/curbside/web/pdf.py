"""PDF export of an article (fpdf2: pure Python, no system binaries).

Uses DejaVu Sans when the system has it (full Unicode); otherwise the PDF core font with text
folded to Latin-1, so the export never depends on an installed font.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fpdf import FPDF

from curbside.article import Article, Claim
from curbside.web.templating import human_date
from curbside.web.views import ReviewStatus

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu")]
FOLD = str.maketrans({"—": "-", "–": "-", "•": "-", "≥": ">=", "≤": "<=", "“": '"', "”": '"',
                      "‘": "'", "’": "'", "…": "...", "→": "->", "×": "x", "±": "+/-"})


class _Doc(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.unicode = False
        for d in FONT_DIRS:
            regular, bold = d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
            if regular.is_file() and bold.is_file():
                self.add_font("body", "", str(regular))
                self.add_font("body", "B", str(bold))
                self.unicode = True
                break
        self.family = "body" if self.unicode else "helvetica"
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=16)

    def t(self, text: str) -> str:
        if self.unicode:
            return text
        return text.translate(FOLD).encode("latin-1", "replace").decode("latin-1")

    def para(self, text: str, *, size: float = 10.5, style: str = "", gap: float = 1.5) -> None:
        self.set_font(self.family, style, size)
        self.multi_cell(0, size * 0.5, self.t(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(gap)

    def heading(self, text: str, size: float = 13) -> None:
        self.ln(2)
        self.para(text, size=size, style="B", gap=1)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.cell(0, 5, self.t(f"Curbside · page {self.page_no()}"), align="C")


def _claim(c: Claim) -> str:
    cites = ", ".join(str(n) for n in c.citations)
    return f"{c.text} [{cites}]" if cites else c.text


def article_pdf_bytes(article: Article, *, status: ReviewStatus, updated: Any,
                      disclaimer: tuple[str, str]) -> bytes:
    """The article (same parts and order as the page) as PDF bytes."""
    doc = _Doc()
    doc.set_title(doc.t(article.title))
    doc.set_creator("Curbside")
    doc.add_page()
    doc.para("Question", size=8, style="B", gap=0)
    doc.para(article.question, size=15, style="B", gap=2)
    if status.approved:
        doc.para(f"Approved by the Medical Advisory Board on {human_date(status.approved_on)} "
                 f"(version {status.version})", style="B")
    else:
        doc.para("Educational purpose only • Exercise caution as content is pending human "
                 "review", style="B")
    doc.para(f"Review status: {status.label} (version {status.version}) · Last updated: "
             f"{human_date(updated)} · Written for: {article.audience}", size=9)
    doc.heading(article.title, 14)
    if article.lead:
        doc.para(" ".join(_claim(c) for c in article.lead))
    if article.insufficient:
        doc.para("Insufficient evidence: the library holds too little evidence to answer this "
                 "question with confidence.", style="B")
    for n in article.notices:
        doc.para(n, size=9.5)
    if article.premise_findings:
        doc.heading("Premise check", 12)
        for p in article.premise_findings:
            cites = ", ".join(str(n) for n in p.citations)
            doc.para(f'The question assumes: "{p.assumption}". {p.finding}'
                     + (f" [{cites}]" if cites else ""))
    if article.red_flags:
        doc.heading("Red flags", 12)
        for f in article.red_flags:
            cites = ", ".join(str(n) for n in f.citations)
            doc.para(f"- {f.name} ({f.urgency}): {f.action}" + (f" [{cites}]" if cites else ""))
    for s in article.sections:
        doc.heading(s.heading, 12)
        if s.intro:
            doc.para(_claim(s.intro))
        for i, c in enumerate(s.claims, 1):
            bullet = f"{i}. " if s.style == "numbered" else ("" if s.style == "paragraph" else "- ")
            doc.para(bullet + _claim(c), gap=0.8)
    if article.bottom_line:
        doc.heading("Bottom line", 12)
        doc.para(" ".join(_claim(c) for c in article.bottom_line))
    doc.heading("References", 12)
    for r in article.references:
        ids = " · ".join(x for x in (f"PMID {r.pmid}" if r.pmid else "",
                                     f"DOI {r.doi}" if r.doi else "", r.url or "") if x)
        where = ", ".join(str(x) for x in (r.container, r.year) if x)
        doc.para(f"{r.n}. [{r.type}] {r.title}" + (f" {where}." if where else "")
                 + (f" {ids}" if ids else ""), size=9.5, gap=1)
    doc.heading(disclaimer[0], 11)
    doc.para(disclaimer[1], size=9)
    return bytes(doc.output())
