"""Cold start of the CLI: `curbside ask` and `curbside --help`, before and after the drug index.

    python benchmarks/cold_start.py [--home DIR] [--n 3] [--question "..."] [--baseline REV]

Every run is a fresh subprocess (`python -m curbside`), timed wall-clock, with its peak RSS
(``ru_maxrss`` from ``wait4``); the median of N runs is printed. "before" sets
``CURBSIDE_DRUG_INDEX=off`` so the first drug lookup imports ``drug-named-entity-recognition``
as the code did before the index; "after" uses the index in ``CURBSIDE_CACHE_DIR`` (a temporary
folder; its first-use build is timed separately, as "index build"). "warm" is a second, different
question asked in the same process after a first one (what the API server pays per question),
timed in-process. --home defaults to a temporary home with the starter library ingested.
--baseline REV adds a row for that commit's code (checked out with ``git worktree add`` into a
temporary folder, removed afterwards), e.g. the commit before the drug index.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUESTION = "Can I take ibuprofen with warfarin?"
SECOND = "Is metformin safe in chronic kidney disease?"

WARM = """
import json, sys, time
from curbside import services
from curbside.config import Settings
rt = services.open_runtime(Settings(home=sys.argv[1]))
t = time.perf_counter(); services.ask(rt, question=sys.argv[2], save=False)
first = time.perf_counter() - t
t = time.perf_counter(); services.ask(rt, question=sys.argv[3], save=False)
print(json.dumps({"first": first, "warm": time.perf_counter() - t}))
"""


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stdout) of one subprocess."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            cwd=REPO)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with {proc.returncode}")
    return wall, usage.ru_maxrss / 1024, out


def median_of(n: int, cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    runs = [run(cmd, env) for _ in range(n)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, help="a Curbside home (default: a temporary starter one)")
    ap.add_argument("--n", type=int, default=3)
    ap.add_argument("--question", default=QUESTION)
    ap.add_argument("--baseline", metavar="REV", help="also time this commit's code")
    args = ap.parse_args(argv)
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="curbside-cold-") as tmp:
        base = dict(os.environ, PYTHONPATH=str(REPO / "src"), CURBSIDE_CACHE_DIR=f"{tmp}/cache")
        base.pop("CURBSIDE_DRUG_INDEX", None)
        home = args.home or Path(tmp) / "home"
        if args.home is None:
            print("ingesting the starter library into a temporary home ...", file=sys.stderr)
            run([py, "-m", "curbside", "--home", str(home), "ingest", "--starter-library"], base)
        ask = [py, "-m", "curbside", "--home", str(home), "ask", args.question, "--no-save"]
        envs = {"before": dict(base, CURBSIDE_DRUG_INDEX="off"), "after": base}
        if args.baseline:
            tree = Path(tmp) / "baseline"
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q",
                            str(tree), args.baseline], check=True)
            envs = {args.baseline: dict(base, PYTHONPATH=str(tree / "src")), **envs}

        build_s, build_mb, _ = run(ask, base)  # first use: builds the index into the cache
        rows = []
        for label, env in envs.items():
            cold_s, cold_mb = median_of(args.n, ask, env)
            help_s, help_mb = median_of(args.n, [py, "-m", "curbside", "--help"], env)
            warm = [json.loads(run([py, "-c", WARM, str(home), args.question, SECOND], env)[2])
                    for _ in range(args.n)]
            rows.append((label, cold_s, cold_mb, statistics.median(w["warm"] for w in warm),
                         help_s))
        if args.baseline:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force",
                            str(Path(tmp) / "baseline")], check=True)
    print(f"cold start, median of {args.n} subprocess runs ({os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}); question: {args.question!r}")
    print(f"{'':8} {'cold ask s':>10} {'peak MB':>8} {'warm ask s':>10} {'--help s':>9}")
    for label, cold_s, cold_mb, warm_s, help_s in rows:
        print(f"{label:8} {cold_s:10.2f} {cold_mb:8.0f} {warm_s:10.3f} {help_s:9.2f}")
    print(f"index build (first ask with an empty cache): {build_s:.2f} s, {build_mb:.0f} MB peak")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
