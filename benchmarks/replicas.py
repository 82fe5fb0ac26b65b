"""Stateless API replicas on one PostgreSQL: load on one server vs two, then a kill test.

    nice -n 10 python benchmarks/replicas.py [--clients 4] [--cycles 3] [--kill-after 20]
        [--embed] [--database-url postgresql+psycopg://...]

Prepares a database (a temporary pgserver PostgreSQL 16 unless ``--database-url``): the
starter library (embedded into pgvector with ``--embed``; keyword search only without it),
an editor and a reviewer with API tokens. Then three phases, each with ``--clients`` client
threads running ``--cycles`` cycles of: ask, follow up, submit, start, approve
(`curbside.testing.replicas.MixedLoad`, five requests a cycle, sent to the servers in turn):

1. **one server** -- the baseline;
2. **two servers** -- the same load spread over two ``curbside serve`` processes;
3. **two servers, one killed** -- the first server gets SIGKILL after ``--kill-after``
   answered requests; requests it dropped are sent again to the survivor.

Prints, per phase: servers, clients, requests answered, errors (5xx or an unexpected 4xx),
connections dropped by the killed server, retried requests, latency p50/p95 of all requests and
of the asks, and requests per second; then the kill test's write check (acknowledged articles,
follow-ups and transitions all stored, audit chain verified against each server's checkpoint
file). Exit status 1 when a request went unanswered, an error came back or a write is missing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pgvector_recall import temporary_postgres  # noqa: E402

from curbside.testing.replicas import (  # noqa: E402
    LoadReport,
    MixedLoad,
    Tokens,
    check_writes,
    prepare_database,
    replicas,
)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


def row(phase: str, servers: int, clients: int, report: LoadReport, seconds: float) -> str:
    answered = report.answered()
    lat = [o.seconds * 1000 for o in answered]
    asks = [o.seconds * 1000 for o in answered if o.op == "ask"]
    return (
        f"| {phase} | {servers} | {clients} | {len(answered)} | {len(report.failed())} | "
        f"{len(report.dropped())} | {sum(o.retry for o in answered)} | "
        f"{pct(lat, 0.5):.0f} / {pct(lat, 0.95):.0f} | "
        f"{pct(asks, 0.5):.0f} / {pct(asks, 0.95):.0f} | "
        f"{len(answered) / seconds:.2f} |"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--cycles", type=int, default=3)
    ap.add_argument("--kill-after", type=int, default=20)
    ap.add_argument("--embed", action="store_true", help="embed the starter library (pgvector)")
    ap.add_argument("--database-url", help="an empty PostgreSQL database (default: pgserver)")
    ap.add_argument("--hang-s", type=float, default=600.0, help="bound on any one wait")
    args = ap.parse_args(argv)
    if args.database_url:
        return run(args, args.database_url)
    with temporary_postgres() as url:
        return run(args, url)


def run(args: argparse.Namespace, url: str) -> int:
    base = Path(tempfile.mkdtemp(prefix="curbside-replicas-"))
    key_file = base / "audit_key"
    try:
        t0 = time.perf_counter()
        tokens = prepare_database(url, base / "setup", key_file, embed=args.embed)
        print(
            f"database prepared in {time.perf_counter() - t0:.0f} s (starter library"
            f"{', embedded' if args.embed else ', keyword search only'}); load average "
            f"{os.getloadavg()[0]:.1f}",
            flush=True,
        )
        lines = [
            "| phase | servers | clients | requests | errors | dropped by the killed "
            "server | retried | all p50 / p95 ms | ask p50 / p95 ms | requests/s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        ok = True
        for phase, count, kill in (
            ("one server", 1, None),
            ("two servers", 2, None),
            ("two servers, one killed", 2, args.kill_after),
        ):
            report, seconds, check_ok = phase_run(
                args,
                url,
                base / phase.replace(" ", "-").replace(",", ""),
                key_file,
                tokens,
                count,
                kill,
            )
            lines.append(row(phase, count, args.clients, report, seconds))
            ok = ok and check_ok and not report.unserved and not report.failed()
            print(lines[-1], flush=True)
        print()
        print("\n".join(lines))
        print(f"\nload average at the end {os.getloadavg()[0]:.1f}; {os.cpu_count()} cores")
        return 0 if ok else 1
    finally:
        shutil.rmtree(base, ignore_errors=True)


def phase_run(
    args: argparse.Namespace,
    url: str,
    base: Path,
    key_file: Path,
    tokens: Tokens,
    count: int,
    kill: int | None,
) -> tuple[LoadReport, float, bool]:
    base.mkdir(parents=True, exist_ok=True)
    with replicas(url, base, count=count, hang_s=args.hang_s, audit_key_file=key_file) as servers:
        load = MixedLoad(
            servers,
            tokens,
            clients=args.clients,
            cycles=args.cycles,
            kill_after=kill,
            hang_s=args.hang_s,
        )
        t0 = time.perf_counter()
        report = load.run()
        seconds = time.perf_counter() - t0
        check = check_writes(url, base / "check", report, servers, key_file)
    chains = ", ".join(
        f"{name} {'ok' if c.ok else 'BROKEN: ' + str(c.problem)} "
        f"({c.entries} entries, {c.checkpoints} checkpoints)"
        for name, c in check.chains.items()
    )
    print(
        f"  {base.name}: killed {report.killed or 'none'}; unanswered {len(report.unserved)}; "
        f"acknowledged {len(report.acked.articles)} articles, "
        f"{sum(map(len, report.acked.followups.values()))} follow-ups, "
        f"{len(report.acked.transitions)} transitions ({len(report.acked.refused)} refused "
        f"retries); missing: {len(check.missing_articles)} articles, "
        f"{len(check.missing_followups)} follow-ups, {len(check.unrecorded)} transitions, "
        f"{len(check.state_behind)} states behind, duplicate turns "
        f"{len(check.duplicate_turns)}; audit chain: {chains}",
        flush=True,
    )
    return report, seconds, check.ok


if __name__ == "__main__":
    raise SystemExit(main())
