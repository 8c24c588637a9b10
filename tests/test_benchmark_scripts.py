"""Smoke tests of the benchmark scripts on synthetic faces (they normally read FER2013)."""

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

from fer_classic.datasets import make_synthetic_faces
from fer_classic.registry import REGISTRY, get_spec, register

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _shrunk(monkeypatch, tmp_path, name, **params):
    """Register a small version of pipeline ``name`` while a test runs (a fixture body)."""
    monkeypatch.setenv("FER_CLASSIC_CACHE", str(tmp_path / "cache"))
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    spec = get_spec(name)
    small = dataclasses.replace(spec, build=lambda rs: spec.build(rs).set_params(**params))
    register(small, overwrite=True)
    yield name
    REGISTRY[name] = spec


@pytest.fixture
def small_fisher_pipeline(monkeypatch, tmp_path):
    yield from _shrunk(monkeypatch, tmp_path, "sift-fisher-local+global",
                       fisher__n_components=4, fisher__n_samples=2000, local__n_neighbors=30)


@pytest.mark.slow
def test_bench_local_global_writes_the_weight_table(small_fisher_pipeline, tmp_path,
                                                    monkeypatch):
    import bench_local_global

    monkeypatch.setattr(bench_local_global, "load_fer2013",
                        lambda path: make_synthetic_faces(n_per_class=12, random_state=0))
    out = tmp_path / "local_global.md"
    bench_local_global.main(["--data", "unused", "--out", str(out), "--weights", "0", "1"])
    text = out.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| global_weight")
    assert rows[1].startswith("| 0") and rows[2].startswith("| 1")
    assert rows[-1].startswith("| global SVM alone")
    assert text.count("(best PublicTest)") == 1
    assert "Command: `python benchmarks/bench_local_global.py" in text
    sys.modules.pop("bench_local_global", None)


@pytest.mark.parametrize("extra, footer", [
    ([], "4-pixel bins, flat codebooks"),
    (["--coarse-words", "4", "--probes", "2", "--bin-size", "4", "6"],
     "4 and 6-pixel bins, two-level codebooks under 4 coarse words, 2 searched per "
     "descriptor"),
])
@pytest.mark.slow
def test_bench_bovw_vocabulary_writes_a_row_per_classifier(tmp_path, monkeypatch, extra, footer):
    monkeypatch.setenv("FER_CLASSIC_CACHE", str(tmp_path / "cache"))
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import bench_bovw_vocabulary

    monkeypatch.setattr(bench_bovw_vocabulary, "load_fer2013",
                        lambda path: make_synthetic_faces(n_per_class=8, random_state=0))
    out = tmp_path / "bovw_vocabulary.md"
    bench_bovw_vocabulary.main(["--data", "unused", "--out", str(out), "--words", "16", "24",
                                "--k", "10", "--weights", "0.5", "--n-jobs", "1", *extra])
    assert footer in out.read_text()
    rows = [line for line in out.read_text().splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| words")
    body = rows[1:]
    assert len(body) == 2 * 4  # per vocabulary: global, local x 2, one weight
    assert [r.split(" | ")[0] for r in body] == ["| 16"] * 4 + ["| 24"] * 4
    assert sum("**" in r for r in body) == 2  # one best row per vocabulary
    accs = [float(r.split(" | ")[2].strip("*")) for r in body]
    assert all(0.0 <= a <= 100.0 for a in accs)


def test_run_bench_starts_a_new_record_unless_the_bench_resumes(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import run_bench

    monkeypatch.setattr(run_bench, "RESULTS", tmp_path)

    def fake_bench(cmd):  # what the bench leaves in --out
        out = Path(cmd[cmd.index("--out") + 1])
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.md").write_text("| table |\n")
        return 0

    monkeypatch.setattr(run_bench.subprocess, "call", fake_bench)

    def commands():
        return [line for line in (tmp_path / "rec" / "RUN.md").read_text().splitlines()
                if line.startswith("- command:")]

    assert run_bench.main(["rec", "--", "--data", "x"]) == 0
    assert run_bench.main(["rec", "--", "--data", "x"]) == 0
    assert len(commands()) == 1  # a fresh run replaces the record
    assert run_bench.main(["rec", "--", "--data", "x", "--resume"]) == 0
    text = (tmp_path / "rec" / "RUN.md").read_text()
    assert len(commands()) == 2 and "total wall time of these 2 invocations" in text
    assert "| table |" in text
    assert "load average" in text and "feature cache" in text
    assert text.count("- machine: ") == 1  # one machine for both invocations
    # a run resumed on another machine: each invocation names its own
    monkeypatch.setattr(run_bench, "machine_description", lambda: "another machine")
    assert run_bench.main(["rec", "--", "--data", "x", "--resume"]) == 0
    text = (tmp_path / "rec" / "RUN.md").read_text()
    machines = [line.strip() for line in text.splitlines() if "machine: " in line]
    assert len(machines) == 3 and machines[-1] == "- machine: another machine"
    assert machines[0] != machines[-1]


@pytest.fixture
def small_fisher_svm(monkeypatch, tmp_path):
    yield from _shrunk(monkeypatch, tmp_path, "sift-fisher-linearsvm",
                       fisher__n_components=4, fisher__n_samples=2000)


@pytest.mark.slow
def test_bench_jitter_stacks_jittered_copies_and_tabulates(small_fisher_svm, tmp_path,
                                                           monkeypatch):
    import bench_jitter

    data = make_synthetic_faces(n_per_class=12, random_state=0)
    monkeypatch.setattr(bench_jitter, "load_fer2013", lambda path: data)
    out = tmp_path / "jitter.md"
    bench_jitter.main(["--data", "unused", "--C", "0.1", "1", "--copies", "2", "--out", str(out)])
    text = out.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| Training set")
    assert [r.split(" | ")[:2] for r in rows[1:]] == [
        ["| faces + mirror images", "0.1"], ["| + 2 jittered copies", "0.1"],
        ["| faces + mirror images", "1"], ["| + 2 jittered copies", "1"]]
    assert rows[2].count(", p = ") == 2 and ", p = " not in rows[1]
    assert "Command: `python benchmarks/bench_jitter.py --data unused --C 0.1 1" in text
    assert "fit C=0.1 without jitter" in text and "fit C=1 with jitter" in text
    # the stacked matrix: the features, then each copy encoded by the same fitted steps
    X, _ = data.get_split("Training")
    F = np.arange(6 * 2 * len(X), dtype=np.float32).reshape(2 * len(X), 6)

    class Steps:
        def transform(self, faces):
            return faces.reshape(len(faces), -1)[:, :6].astype(np.float32)

    out = bench_jitter.jittered_training(Steps(), F, X, copies=2, amounts={}, seed=5, block=7)
    assert out.shape == (3 * len(F), 6)
    np.testing.assert_array_equal(out[:len(F)], F)
    from fer_classic.datasets import jitter_faces, mirror_faces
    both = np.concatenate([X, mirror_faces(X)])
    for c in range(2):
        expect = jitter_faces(both, random_state=5 + c).reshape(len(both), -1)[:, :6]
        np.testing.assert_array_equal(out[(1 + c) * len(F):(2 + c) * len(F)], expect)
    sys.modules.pop("bench_jitter", None)


@pytest.mark.slow
def test_bench_clustered_writes_a_row_per_setting(small_fisher_svm, tmp_path, monkeypatch):
    import bench_clustered

    monkeypatch.setattr(bench_clustered, "load_fer2013",
                        lambda path: make_synthetic_faces(n_per_class=12, random_state=0))
    out = tmp_path / "clustered.md"
    bench_clustered.main(["--data", "unused", "--clusters", "2", "3", "--neighbors", "20",
                          "--experts", "1", "2", "--weights", "1", "--out", str(out)])
    text = out.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| clusters")
    assert len(rows) == 1 + 2 * 2 + 1  # header, clusters x experts x weights, global
    assert rows[-1].startswith("| global SVM alone")
    assert sum(r.startswith("| **") for r in rows) == 2  # a best row per number of clusters
    assert "Command: `python benchmarks/bench_clustered.py --data unused --clusters 2 3" in text
    sys.modules.pop("bench_clustered", None)


def test_bench_contrast_changes_are_increasing_maps_and_tabulate(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import argparse

    import bench_contrast

    from fer_classic import SPLITS

    levels = np.arange(256, dtype=np.uint8)[None, :, None]
    for name, change in bench_contrast.CHANGES.items():
        out = change(levels)
        assert out.dtype == np.uint8 and out.shape == levels.shape, name
        assert (np.diff(out.ravel().astype(int)) >= 0).all(), name  # never reorders levels
    data = make_synthetic_faces(n_per_class=6, random_state=0)
    splits = {s: data.get_split(s) for s in SPLITS}
    variants = ["registered", "unequalized", "contrast-jitter"]
    rows = [("hog-linearsvm", v, bench_contrast.measure(
        "hog-linearsvm", splits, variant=v, data_key=None, cache=None, n_jobs=1, seed=0))
        for v in variants]
    args = argparse.Namespace(data="d", pipelines=["hog-linearsvm"], out=None,
                              variants=variants)
    text = bench_contrast.record(args, rows, splits["PrivateTest"][1], 1.0)
    body = [line for line in text.splitlines() if line.startswith("| `hog-linearsvm`")]
    assert len(body) == 3 and "histogram equalisation" in body[0]
    assert "the pixels as given" in body[1]
    assert "contrast jitter in training" in body[2]
    assert "(3 of 3 fits)" in text and "--variants registered unequalized contrast-jitter" in text
    # the registered pipeline equalises first; the unequalised one starts with its features
    from fer_classic.registry import get_spec
    steps = bench_contrast.without_equalization(get_spec("hog-linearsvm").build(0)).steps
    assert [name for name, _ in steps] == ["hog", "scale", "svm"]
    # the jittered variant trains on twice the faces, under its own cache key
    jittered, key = bench_contrast.with_contrast_jitter(splits, "k", seed=0)
    X, y = splits["Training"]
    assert len(jittered["Training"][0]) == 2 * len(X) and key == "k-contrast-jitter1"
    np.testing.assert_array_equal(jittered["Training"][1], np.r_[y, y])
    np.testing.assert_array_equal(jittered["Training"][0][:len(X)], X)
    assert jittered["PrivateTest"] is splits["PrivateTest"]
    args.variants = bench_contrast.DEFAULT_VARIANTS  # the default: the old command line
    assert "--variants" not in bench_contrast.record(args, rows[:2], splits["PrivateTest"][1], 1.0)


@pytest.mark.slow
def test_bench_compact_local_writes_a_row_per_code_and_weight(
        small_fisher_pipeline, tmp_path, monkeypatch):
    import bench_compact_local

    monkeypatch.setattr(bench_compact_local, "load_fer2013",
                        lambda path: make_synthetic_faces(n_per_class=12, random_state=0))
    out = tmp_path / "compact_local.md"
    bench_compact_local.main(["--data", "unused", "--dims", "4", "8", "full", "--weights", "1",
                              "--pca-samples", "100", "--out", str(out)])
    text = out.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| code")
    assert [r.split(" | ")[0].strip("|* ") for r in rows[1:-1]] == \
        ["PCA 4", "PCA 4", "PCA 8", "PCA 8", "full", "full"]  # weights 0 and 1 each
    assert sum("**" in r for r in rows) == 3  # the best weight of each code
    assert rows[-1].startswith("| global SVM alone")
    accs = [float(r.split(" | ")[-1].strip("* |")) for r in rows[1:]]
    assert all(0.0 <= a <= 100.0 for a in accs)
    assert "Command: `python benchmarks/bench_compact_local.py --data unused --dims 4 8" in text
    sys.modules.pop("bench_compact_local", None)


@pytest.fixture
def small_bovw_local(monkeypatch, tmp_path):
    yield from _shrunk(monkeypatch, tmp_path, "sift-bovw-local", bovw__n_words=16,
                       bovw__n_coarse_words=4, bovw__n_samples=2000, local__n_neighbors=30)


@pytest.mark.slow
def test_bench_global_svm_writes_a_row_per_solver(small_fisher_pipeline, small_bovw_local,
                                                  tmp_path, monkeypatch):
    import bench_global_svm

    monkeypatch.setattr(bench_global_svm, "load_fer2013",
                        lambda path: make_synthetic_faces(n_per_class=12, random_state=0))
    out = tmp_path / "global_svm.md"
    bench_global_svm.main(["--data", "unused", "--tols", "0.1", "--out", str(out)])
    text = out.read_text()
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| `")]
    assert [(r[0], r[1].split(" (")[0]) for r in rows] == [
        ("| `sift-fisher-local+global`", "L-BFGS"), ("| `sift-fisher-local+global`", "dual CD"),
        ("| `sift-bovw-local`", "L-BFGS"), ("| `sift-bovw-local`", "dual CD")]
    assert all(int(r[3]) >= 1 and 0.0 <= float(r[-1].strip(" |")) <= 100.0 for r in rows)
    assert "Command: `python benchmarks/bench_global_svm.py --data unused --tols 0.1" in text
    sys.modules.pop("bench_global_svm", None)
