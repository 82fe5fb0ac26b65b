"""Article output formats for the CLI and exports: text, Markdown, JSON, HTML, RIS, BibTeX."""

from __future__ import annotations

import html
import json
import re
import textwrap

from curbside.article import Article, Claim, Consensus, Reference

DISCLAIMER = {
    "clinician": (
        "This information is intended for healthcare professionals. Any medical decision-making "
        "should rely on clinical judgment and independently verified information; verify against "
        "the primary sources before applying it in patient care."
    ),
    "student": (
        "For education only. Verify against the primary sources; this does not replace "
        "supervision or clinical judgment."
    ),
    "patient": (
        "This is general information, not medical advice. Talk to a doctor or nurse about your "
        "own situation. If you think you may have an emergency, call your local emergency number."
    ),
}


def consensus_detail(cm: Consensus) -> str:
    """The counts behind a consensus verdict, and the stance model's probabilities when the
    model gave it (the counts are then the sentences' stance cues, not the verdict's votes)."""
    counts = f"supports {cm.supports}, contradicts {cm.contradicts}, neutral {cm.neutral}"
    if not cm.probabilities:
        return counts
    p = cm.probabilities
    model = ", ".join(f"{k} {p.get(k, 0.0):.0%}" for k in ("yes", "no", "maybe"))
    if cm.leaning:
        model += f", leaning {cm.leaning} but below the confidence a verdict needs"
    return f"stance model: {model}; sentence cues: {counts}"


def _cites(c: Claim, fmt: str = "text") -> str:
    if not c.citations:
        return ""
    nums = ", ".join(str(n) for n in c.citations)
    return f" [{nums}]" if fmt in ("text", "md") else nums


def _status_line(a: Article) -> str:
    if a.status == "approved":
        return f"Approved by the Medical Advisory Board (version {a.version})"
    return (
        f"Review status: {a.status.replace('_', ' ')} · Educational purpose only · "
        "Exercise caution as content is pending human review"
    )


def render_text(a: Article, width: int = 100) -> str:
    w = textwrap.TextWrapper(width=width)
    b = textwrap.TextWrapper(width=width, initial_indent="  • ", subsequent_indent="    ")
    out: list[str] = [
        a.title,
        "=" * min(len(a.title), width),
        _status_line(a),
        f"Written for: {a.audience}",
        "",
    ]
    if a.urgency in ("emergency", "urgent"):
        out.append(f"!! {a.urgency.upper()}: see the red flags below.")
    elif a.urgency == "undetermined":
        out.append("!! URGENCY NOT DETERMINED: no rule matched; if symptoms are severe, new or "
                   "worsening, seek medical advice.")
    out += [w.fill(" ".join(c.text + _cites(c) for c in a.lead)), ""]
    if a.premise_findings:
        out.append("Check of the question's premises")
        for p in a.premise_findings:
            out.append(b.fill(f"{p.finding}{_cites(Claim(text='', citations=p.citations))}"))
        out.append("")
    if a.red_flags:
        out.append("Red flags")
        for r in a.red_flags:
            out.append(
                b.fill(
                    f"{r.name} ({r.urgency}): {r.action}"
                    f"{_cites(Claim(text='', citations=r.citations))}"
                )
            )
        out.append("")
    for s in a.sections:
        out.append(s.heading)
        if s.intro:
            out.append("  " + s.intro.text)
        for i, c in enumerate(s.claims, 1):
            line = c.text + _cites(c)
            if s.style == "numbered":
                out.append(
                    textwrap.fill(line, width, initial_indent=f"  {i}. ", subsequent_indent="     ")
                )
            elif s.style == "paragraph":
                out.append(w.fill(line))
            else:
                out.append(b.fill(line))
        out.append("")
    if a.consensus:
        cm = a.consensus
        out.append(f"Consensus meter: {cm.verdict} ({consensus_detail(cm)})")
        out.append("")
    out += ["Bottom line", w.fill(" ".join(c.text + _cites(c) for c in a.bottom_line)), ""]
    for n in a.notices:
        out.append(w.fill(f"Note: {n}"))
    if a.notices:
        out.append("")
    if a.references:
        out.append("References")
        for ref in a.references:
            line = f"{ref.n}. [{ref.type}] {ref.ama}"
            out.append(textwrap.fill(line, width, subsequent_indent="   "))
        out.append("")
    out.append(w.fill(DISCLAIMER.get(a.audience, DISCLAIMER["clinician"])))
    return "\n".join(out).rstrip() + "\n"


def render_markdown(a: Article) -> str:
    out = [f"# {a.title}", "", f"*{_status_line(a)}* · written for **{a.audience}**", ""]
    out += [" ".join(c.text + _cites(c, "md") for c in a.lead), ""]
    if a.premise_findings:
        out.append("## Check of the question's premises")
        out += [
            f"- {p.finding}{_cites(Claim(text='', citations=p.citations), 'md')}"
            for p in a.premise_findings
        ]
        out.append("")
    if a.red_flags:
        out.append("## Red flags")
        out += [
            f"- **{r.name}** ({r.urgency}): {r.action}"
            f"{_cites(Claim(text='', citations=r.citations), 'md')}"
            for r in a.red_flags
        ]
        out.append("")
    for s in a.sections:
        out.append(f"## {s.heading}")
        if s.intro:
            out.append(f"*{s.intro.text}*")
        for i, c in enumerate(s.claims, 1):
            prefix = f"{i}." if s.style == "numbered" else "-"
            out.append(f"{prefix} {c.text}{_cites(c, 'md')}")
        out.append("")
    if a.consensus:
        cm = a.consensus
        out += [
            f"**Consensus meter:** {cm.verdict} ({consensus_detail(cm)})",
            "",
        ]
    out += ["## Bottom line", " ".join(c.text + _cites(c, "md") for c in a.bottom_line), ""]
    out += [f"> {n}" for n in a.notices]
    if a.references:
        out += ["", "## References"]
        for r in a.references:
            out.append(f"{r.n}. *{r.type}* — {r.ama}")
    out += ["", f"*{DISCLAIMER.get(a.audience, DISCLAIMER['clinician'])}*"]
    return "\n".join(out).rstrip() + "\n"


def render_json(a: Article) -> str:
    return json.dumps(a.model_dump(mode="json"), indent=2, ensure_ascii=False)


def render_html(a: Article) -> str:
    """A standalone HTML page (the web app has its own richer templates)."""
    e = html.escape

    def claims(cs: list[Claim]) -> str:
        return " ".join(
            f"{e(c.text)}"
            + (f" <sup>{e(', '.join(map(str, c.citations)))}</sup>" if c.citations else "")
            for c in cs
        )

    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(a.title)}"
        "</title></head><body><article>",
        f"<h1>{e(a.title)}</h1>",
        f"<p><em>{e(_status_line(a))}</em></p>",
        f"<p>{claims(a.lead)}</p>",
    ]
    for s in a.sections:
        parts.append(f"<h2>{e(s.heading)}</h2>")
        if s.intro:
            parts.append(f"<p>{e(s.intro.text)}</p>")
        tag = "ol" if s.style == "numbered" else "ul"
        if s.claims:
            parts.append(
                f"<{tag}>" + "".join(f"<li>{claims([c])}</li>" for c in s.claims) + f"</{tag}>"
            )
    if a.consensus:
        parts.append(f"<p>Consensus meter: <strong>{e(a.consensus.verdict)}</strong> "
                     f"({e(consensus_detail(a.consensus))})</p>")
    parts += ["<h2>Bottom line</h2>", f"<p>{claims(a.bottom_line)}</p>", "<h2>References</h2><ol>"]
    parts += [
        f"<li value='{r.n}'><strong>{e(r.type)}</strong> {e(r.ama)}</li>" for r in a.references
    ]
    parts += [
        "</ol>",
        f"<p><small>{e(DISCLAIMER.get(a.audience, ''))}</small></p>",
        "</article></body></html>",
    ]
    return "\n".join(parts)


def _ris_one(r: Reference) -> str:
    ty = "JOUR" if r.pmid else ("GEN" if r.type == "Guideline" else "ELEC")
    lines = [f"TY  - {ty}", f"TI  - {r.title}"]
    lines += [f"AU  - {au}" for au in r.authors]
    if r.container:
        lines.append(f"{'JO' if r.pmid else 'PB'}  - {r.container}")
    if r.year:
        lines.append(f"PY  - {r.year}")
    if r.doi:
        lines.append(f"DO  - {r.doi}")
    if r.pmid:
        lines.append(f"AN  - PMID:{r.pmid}")
    if r.url:
        lines.append(f"UR  - {r.url}")
    lines.append("ER  - ")
    return "\n".join(lines)


def render_ris(a: Article) -> str:
    return "\n".join(_ris_one(r) for r in a.references) + "\n"


def _bib_escape(s: str) -> str:
    return re.sub(r"([{}&%$#_])", r"\\\1", s)


def render_bibtex(a: Article) -> str:
    out = []
    for r in a.references:
        key = re.sub(r"\W", "", r.external_id.replace(":", "")) or f"ref{r.n}"
        entry = "article" if r.pmid else "misc"
        fields = [f"  title = {{{_bib_escape(r.title)}}}"]
        if r.authors:
            fields.append(f"  author = {{{_bib_escape(' and '.join(r.authors))}}}")
        if r.container:
            fields.append(
                f"  {'journal' if r.pmid else 'publisher'} = {{{_bib_escape(r.container)}}}"
            )
        if r.year:
            fields.append(f"  year = {{{r.year}}}")
        if r.doi:
            fields.append(f"  doi = {{{r.doi}}}")
        if r.pmid:
            fields.append(f"  pmid = {{{r.pmid}}}")
        if r.url:
            fields.append(f"  url = {{{r.url}}}")
        out.append(f"@{entry}{{{key},\n" + ",\n".join(fields) + "\n}")
    return "\n\n".join(out) + "\n"


RENDERERS = {
    "text": render_text,
    "md": render_markdown,
    "json": render_json,
    "html": render_html,
    "ris": render_ris,
    "bibtex": render_bibtex,
}
