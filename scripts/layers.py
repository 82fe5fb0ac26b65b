"""Print the package-level import graph of curbside against its declared layer order.

The order is the ``layers`` contract in ``[tool.importlinter]`` of pyproject.toml (the one
`lint-imports` and tests/test_layers.py check). For each top-level package (``curbside.X``)
the script lists the packages it imports, with the number of module-to-module imports, and
marks each import that points *up* the order (a lower layer importing a higher one) or
*across* two siblings declared independent (``a | b``), and names the modules outside store/
that import its tables (``store.schema``). Ignored imports of the contract are
counted like any other: this shows the code, not the contract.

    PYTHONPATH=src python scripts/layers.py [--pyproject PATH] [--package curbside]

Needs ``grimp`` (installed with import-linter: ``pip install -e '.[dev]'``). Run it on an old
checkout with ``--pyproject`` of a new one to see the same order applied to the old code.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def read_layers(pyproject: Path) -> tuple[list[str], set[frozenset[str]]]:
    """(layers top to bottom as written, e.g. "api | web"; pairs declared independent)."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    contracts: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    layered = [c for c in contracts if c.get("type") == "layers"]
    if not layered:
        raise SystemExit(f"{pyproject}: no layers contract in [tool.importlinter]")
    layers: list[str] = layered[0]["layers"]
    independent: set[frozenset[str]] = set()
    for line in layers:
        names = _names(line)
        if "|" in line:
            independent |= {frozenset((a, b)) for a in names for b in names if a != b}
    return layers, independent


def _names(layer: str) -> list[str]:
    return [n.strip() for n in layer.replace("|", ":").split(":")]


def package_imports(package: str) -> tuple[Counter[tuple[str, str]], list[str]]:
    """(importer package, imported package) -> number of module imports between them; and the
    modules outside the store that import its tables (``store.schema``)."""
    import grimp

    # As the contracts (exclude_type_checking_imports): annotation-only imports never run.
    graph = grimp.build_graph(package, cache_dir=None, exclude_type_checking_imports=True)
    schema = f"{package}.store.schema"
    tables = sorted(m for m in graph.find_modules_that_directly_import(schema)
                    if not m.startswith(f"{package}.store.")) if schema in graph.modules else []
    counts: Counter[tuple[str, str]] = Counter()

    def top(module: str) -> str:
        parts = module.split(".")
        return parts[1] if len(parts) > 1 else "(root)"

    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = top(module), top(imported)
            if a != b:
                counts[(a, b)] += 1
    return counts, tables


def report(package: str, pyproject: Path) -> str:
    layers, independent = read_layers(pyproject)
    rank = {name: i for i, layer in enumerate(layers) for name in _names(layer)}
    counts, tables = package_imports(package)
    lines = [f"Layer order ({pyproject.name}), top to bottom:"]
    for i, layer in enumerate(layers, 1):
        lines.append(f"  {i:2d}  {layer}")
    lines += ["", "Imports (package -> package: module imports); "
              "UP = to a higher layer, ACROSS = between independent siblings, "
              "? = package not in the order:"]
    out: dict[str, list[str]] = defaultdict(list)
    bad: Counter[str] = Counter()
    for (a, b), n in sorted(counts.items()):
        mark = ""
        if a == "(root)" or b == "(root)":
            pass
        elif a not in rank or b not in rank:
            mark = " ?"
        elif rank[b] < rank[a]:
            mark, bad["UP"] = " UP", bad["UP"] + n
        elif frozenset((a, b)) in independent:
            mark, bad["ACROSS"] = " ACROSS", bad["ACROSS"] + n
        out[a].append(f"{b}:{n}{mark}")
    order = sorted(out, key=lambda p: (rank.get(p, len(layers)), p))
    width = max((len(p) for p in order), default=0)
    for p in order:
        lines.append(f"  {p:<{width}} -> {'  '.join(out[p])}")
    pairs_up = sum(1 for (a, b) in counts if a in rank and b in rank and rank[b] < rank[a])
    pairs_across = sum(1 for (a, b) in counts
                       if a in rank and b in rank and frozenset((a, b)) in independent)
    unplaced = sorted({p for pair in counts for p in pair} - set(rank) - {"(root)"})
    lines += ["", f"Upward imports: {bad['UP']} (in {pairs_up} package pairs); "
                  f"across independent siblings: {bad['ACROSS']} (in {pairs_across} pairs)"]
    lines.append(f"Modules outside store/ importing store.schema: {', '.join(tables) or 'none'}")
    if unplaced:
        lines.append(f"Packages not in the order: {', '.join(unplaced)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml",
                    help="where the layers contract is (default: this checkout's)")
    ap.add_argument("--package", default="curbside", help="the root package to graph")
    args = ap.parse_args(argv)
    try:
        import grimp  # noqa: F401
    except ImportError:
        print("needs grimp: pip install import-linter (it is in the dev extra)", file=sys.stderr)
        return 2
    print(report(args.package, args.pyproject))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
