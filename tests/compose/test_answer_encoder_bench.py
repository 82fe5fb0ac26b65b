"""The encoder fine-tuning benchmark's torch-free parts: training triples, batches, scoring.

The training itself needs the ``train`` extra (torch) and the development data, so it is not
run here; these check the pieces a wrong result would come from: a hard negative taken from
the question's own answer, an in-batch negative from the same answer group, or a scorer that
reads the wrong rows.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    path = REPO / "benchmarks" / "finetune_answer_encoder.py"
    spec = importlib.util.spec_from_file_location("finetune_answer_encoder", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses resolve their module by name
    spec.loader.exec_module(mod)
    return mod


def _items(mod: ModuleType, n: int = 30, d: int = 8) -> list:
    rng = np.random.default_rng(3)
    items = []
    for i in range(n):
        source = "medquad" if i % 2 else "medicationqa"
        group = f"g{i // 2}"  # two questions per answer group
        sents = [f"answer {i} sentence {j}" for j in range(3)]
        it = mod.Item(source, f"q{i}", group, f"question {i}", sents, split="train")
        it.qvec = rng.standard_normal(d).astype(np.float32)
        it.svecs = rng.standard_normal((3, d)).astype(np.float32)
        items.append(it)
    return items


@pytest.mark.parametrize("positives", [1, 2])
def test_triples_pair_own_sentences_with_negatives_from_other_answers(positives: int) -> None:
    mod = _bench()
    items = _items(mod)
    triples = mod.training_triples(items, positives=positives)
    assert len(triples) == positives * len(items)
    by_question = {it.question: it for it in items}
    owner = {s: it for it in items for s in it.sentences}
    for t in triples:
        it = by_question[t.anchor]
        assert t.positive in it.sentences
        assert t.negative not in it.sentences
        assert owner[t.negative].source == it.source  # hard negatives: same source
        assert t.group == it.group and t.negative_group == owner[t.negative].group
    firsts = {t.positive for t in triples}
    assert all(it.sentences[0] in firsts for it in items)  # the first sentence always pairs
    assert mod.training_triples(items, positives=positives) == triples  # seeded


def test_positives_can_be_set_per_source() -> None:
    mod = _bench()
    assert mod.parse_positives("2") == 2
    assert mod.parse_positives("medicationqa=2,medquad=1") == {"medicationqa": 2, "medquad": 1}
    with pytest.raises(SystemExit, match="bioasq=2"):
        mod.parse_positives("bioasq=2")  # never a training source (licence)
    items = _items(mod)
    source = {it.question: it.source for it in items}
    triples = mod.training_triples(items, positives={"medicationqa": 2, "medquad": 1})
    per = {s: sum(source[t.anchor] == s for t in triples) for s in ("medicationqa", "medquad")}
    assert per == {"medicationqa": 30, "medquad": 15}


def test_batches_never_share_an_answer_group_and_cover_every_triple_once() -> None:
    mod = _bench()
    triples = mod.training_triples(_items(mod, n=60), positives=2)
    plan = mod.batches(triples, 8, seed=15)
    flat = [i for b in plan for i in b]
    assert sorted(flat) == list(range(len(triples)))
    for b in plan:
        assert 0 < len(b) <= 8
        groups = [g for i in b for g in {triples[i].group, triples[i].negative_group}]
        assert len(groups) == len(set(groups)), "two triples of one batch share a group"
    assert mod.batches(triples, 8, seed=15) == plan
    assert mod.batches(triples, 8, seed=16) != plan


def test_encoder_scorer_ranks_by_its_own_vectors_and_table_pairs_against_cosine() -> None:
    mod = _bench()
    tr = mod.tr
    own = ["the own answer", "another own line"]
    task = tr.Task(
        "the question",
        np.array([1.0, 0.0], np.float32),
        ["a distractor", *own],
        # the bundled vectors put the distractor first ...
        np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]], np.float32),
        np.array([False, True, True]),
        np.zeros((3, 2), np.float32),
    )

    def encode(texts: list[str]) -> np.ndarray:  # ... the encoder puts "own" lines first
        return np.array(
            [[1.0, 0.0] if "own" in t or "question" in t else [0.0, 1.0] for t in texts], np.float32
        )

    scorers = {
        "set": {"cosine": tr.cosine_scorer, "finetuned_int8": mod.encoder_scorer(encode, [task])}
    }
    table = mod.p1_table({"set": [task]}, scorers)["set"]
    assert table["p1"] == {"cosine": 0.0, "finetuned_int8": 1.0}
    assert table["finetuned_int8-cosine"]["diff"] == 1.0
    assert table["finetuned_int8-cosine"]["wins_losses"] == [1, 0]


def test_weight_only_int8_keeps_weights_8_bit_and_matches_float32(tmp_path: Path) -> None:
    """Linear layers become 8-bit ``MatMulNBits`` and the embedding table an int8 ``Gather``
    (their weights stay 8-bit in memory). Needs the ``train`` extra's ``onnx``: skipped in the
    default install."""
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper, numpy_helper

    mod = _bench()
    rng = np.random.default_rng(0)
    table = rng.standard_normal((12_000, 100)).astype(np.float32)  # 1.2 M values
    w = rng.standard_normal((100, 96)).astype(np.float32)  # K=100: not a multiple of a block
    graph = helper.make_graph(
        [
            helper.make_node("Gather", ["table", "ids"], ["h"], axis=0),
            helper.make_node("MatMul", ["h", "w"], ["y"]),
        ],
        "g",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["n", "t"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", "t", 96])],
        [numpy_helper.from_array(table, "table"), numpy_helper.from_array(w, "w")],
    )
    src, dst = tmp_path / "fp32.onnx", tmp_path / "int8.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(src))
    mod.weight_only_int8(src, dst)
    q = onnx.load(str(dst))
    assert {n.op_type for n in q.graph.node} == {"Gather", "Cast", "Mul", "MatMulNBits"}
    big = [i for i in q.graph.initializer if numpy_helper.to_array(i).size >= 4096]
    assert {i.data_type for i in big} == {TensorProto.INT8, TensorProto.UINT8}
    assert dst.stat().st_size < src.stat().st_size / 3
    ids = rng.integers(0, len(table), size=(3, 7))
    sess = ort.InferenceSession(str(dst), providers=["CPUExecutionProvider"])
    y = sess.run(None, {"ids": ids})[0].reshape(-1, 96)
    ref = (table[ids] @ w).reshape(-1, 96)
    cos = (y * ref).sum(1) / np.linalg.norm(y, axis=1) / np.linalg.norm(ref, axis=1)
    assert cos.min() > 0.999
