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

Each version runs once unmeasured first (its bytecode is written, as ``pip install`` compiles
it, and any cache of its own is filled); ``PYTHONDONTWRITEBYTECODE`` is dropped from the
environment for that reason. Each row gives wall-clock and CPU (user+sys of the process, less
sensitive to a busy machine) seconds, and the load average is printed before and after.
--importtime N prints each row's N slowest top-level imports of a cold ask (``python -X
importtime``, cumulative).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

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
t, c = time.perf_counter(), time.process_time()
services.ask(rt, question=sys.argv[3], save=False)
print(json.dumps({"first": first, "warm": time.perf_counter() - t,
                  "warm_cpu": time.process_time() - c}))
"""


class Run(NamedTuple):
    wall: float  # seconds
    mb: float  # peak RSS
    cpu: float  # user + sys seconds
    out: str
    err: str


def run(cmd: list[str], env: dict[str, str], *, keep_stderr: bool = False) -> Run:
    """Wall seconds, peak RSS, CPU seconds and output of one subprocess."""
    t = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=err, cwd=REPO)
        assert proc.stdout is not None
        out = proc.stdout.read().decode()
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        err_text = err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with {proc.returncode}; its stderr ends:\n"
                         + err_text[-3000:])
    return Run(wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, out,
               err_text if keep_stderr else "")


def median_of(n: int, cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Median wall seconds, peak MB and CPU seconds of `n` runs."""
    runs = [run(cmd, env) for _ in range(n)]
    return (statistics.median(r.wall for r in runs), statistics.median(r.mb for r in runs),
            statistics.median(r.cpu for r in runs))


def import_top(cmd: list[str], env: dict[str, str], n: int) -> list[tuple[str, float]]:
    """The `n` slowest top-level imports (cumulative seconds) of one run of `cmd`."""
    err = run([cmd[0], "-X", "importtime", *cmd[1:]], env, keep_stderr=True).err
    top = []
    for line in err.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if m:  # a top-level import: no indentation before its name
            top.append((m[2].strip(), int(m[1]) / 1e6))
    return sorted(top, key=lambda t: -t[1])[:n]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, help="a Curbside home (default: a temporary starter one)")
    ap.add_argument("--n", type=int, default=3)
    ap.add_argument("--question", default=QUESTION)
    ap.add_argument("--baseline", metavar="REV", help="also time this commit's code")
    ap.add_argument("--no-legacy", action="store_true",
                    help="leave out the \"before\" row (CURBSIDE_DRUG_INDEX=off)")
    ap.add_argument("--importtime", type=int, default=10, metavar="N",
                    help="print the N slowest top-level imports of a cold ask (0: none)")
    args = ap.parse_args(argv)
    py = sys.executable
    load_before = [f"{x:.2f}" for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="curbside-cold-") as tmp:
        base = dict(os.environ, PYTHONPATH=str(REPO / "src"), CURBSIDE_CACHE_DIR=f"{tmp}/cache")
        base.pop("CURBSIDE_DRUG_INDEX", None)
        # Bytecode as an installed package has it (pip compiles .pyc files at install): with
        # PYTHONDONTWRITEBYTECODE set, a checkout without __pycache__ would compile every module
        # from source on every run, which no installed Curbside does.
        base.pop("PYTHONDONTWRITEBYTECODE", None)
        home = args.home or Path(tmp) / "home"
        if args.home is None:
            print("ingesting the starter library into a temporary home ...", file=sys.stderr)
            run([py, "-m", "curbside", "--home", str(home), "ingest", "--starter-library"], base)
        ask = [py, "-m", "curbside", "--home", str(home), "ask", args.question, "--no-save"]
        envs = {"before": dict(base, CURBSIDE_DRUG_INDEX="off"), "after": base}
        if args.no_legacy:
            del envs["before"]
        if args.baseline:
            tree = Path(tmp) / "baseline"
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q",
                            str(tree), args.baseline], check=True)
            envs = {args.baseline: dict(base, PYTHONPATH=str(tree / "src")), **envs}

        build = run(ask, base)  # first use: builds the drug index and optimised model caches
        rows = []
        imports = {}
        for label, env in envs.items():
            run(ask, env)  # unmeasured: writes this version's bytecode and its own caches
            cold_s, cold_mb, cold_cpu = median_of(args.n, ask, env)
            help_s, _help_mb, help_cpu = median_of(args.n, [py, "-m", "curbside", "--help"], env)
            warm = [json.loads(run([py, "-c", WARM, str(home), args.question, SECOND], env).out)
                    for _ in range(args.n)]
            rows.append((label, cold_s, cold_cpu, cold_mb,
                         statistics.median(w["warm"] for w in warm),
                         statistics.median(w.get("warm_cpu", float("nan")) for w in warm),
                         help_s, help_cpu))
            if args.importtime:
                imports[label] = import_top(ask, env, args.importtime)
        if args.baseline:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force",
                            str(Path(tmp) / "baseline")], check=True)
    load_after = [f"{x:.2f}" for x in os.getloadavg()]
    print(f"cold start, median of {args.n} subprocess runs ({os.cpu_count()} CPUs, load average "
          f"{' '.join(load_before)} before, {' '.join(load_after)} after); "
          f"question: {args.question!r}")
    print(f"{'':8} {'cold ask s':>10} {'cpu s':>6} {'peak MB':>8} {'warm ask s':>10} "
          f"{'cpu s':>6} {'--help s':>9} {'cpu s':>6}")
    for label, cold_s, cold_cpu, cold_mb, warm_s, warm_cpu, help_s, help_cpu in rows:
        print(f"{label:8} {cold_s:10.2f} {cold_cpu:6.2f} {cold_mb:8.0f} {warm_s:10.3f} "
              f"{warm_cpu:6.3f} {help_s:9.2f} {help_cpu:6.2f}")
    print(f"caches built (first ask with an empty cache): {build.wall:.2f} s, {build.cpu:.2f} s "
          f"CPU, {build.mb:.0f} MB peak")
    for label, top in imports.items():
        print(f"{label}: slowest top-level imports of a cold ask (cumulative s): "
              + ", ".join(f"{name} {sec:.2f}" for name, sec in top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
