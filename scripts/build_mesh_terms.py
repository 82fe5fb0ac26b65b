"""Build ``src/curbside/knowledge/mesh_terms.tsv.gz`` from the MeSH 2017 tree.

    python scripts/build_mesh_terms.py [../shared/data/vocab/mesh_tree_2017.tsv.gz]

Keeps one row per MeSH descriptor whose tree numbers fall in a branch that names what a
clinical question can be *about* (see ``BRANCHES``): descriptor UI, the branches it sits in,
and the preferred term. The question-focus parser (`curbside.understand.focus`) reads it.
MeSH is produced by the U.S. National Library of Medicine; see ``knowledge/MESH_NOTICE.md``.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "vocab" / "mesh_tree_2017.tsv.gz"
TARGET = ROOT / "src" / "curbside" / "knowledge" / "mesh_terms.tsv.gz"

#: Anatomy (A), organisms (B), diseases (C), chemicals and drugs (D), procedures (E), mental
#: disorders (F03), phenomena and processes (G: pregnancy, pain, exercise). Behaviour and
#: psychology in general (F01, F02, F04: "Thinking", "Mothers"), disciplines, people, places,
#: publication types and the rest (H-Z) name no clinical topic of a question.
BRANCHES = ("A", "B", "C", "D", "E", "F03", "G")


def branch_of(tree: str) -> str | None:
    """The kept branch a tree number lies in ("C01.539" -> "C", "F03.600" -> "F03")."""
    return next((b for b in BRANCHES if tree.startswith(b)), None)


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else SOURCE
    rows: dict[str, tuple[set[str], str]] = {}
    with gzip.open(source, "rt", encoding="utf-8-sig") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if not row or row[0] == "Tree Number":
                continue
            tree, ui, term = row[0], row[1], row[2]
            b = branch_of(tree)
            if b is None:
                continue
            branches, _ = rows.setdefault(ui, (set(), term))
            branches.add(b)
    out = io.StringIO()
    out.write("ui\tbranches\tterm\n")
    for ui, (branches, term) in sorted(rows.items()):
        out.write(f"{ui}\t{','.join(sorted(branches))}\t{term}\n")
    # mtime=0: the same bytes on every build
    TARGET.write_bytes(gzip.compress(out.getvalue().encode("utf-8"), mtime=0))
    print(f"{len(rows)} descriptors -> {TARGET} ({TARGET.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
