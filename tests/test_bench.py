import json

import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.pipeline import Pipeline

from fer_classic.bench import main
from fer_classic.features import Pixels
from fer_classic.models import LinearSVM
from fer_classic.registry import PipelineSpec, register, unregister
from fer_classic.report import strip_timings

FAST = ["hog-linearsvm", "lbp-linearsvm"]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.delenv("FER2013_PATH", raising=False)
    monkeypatch.setenv("FER_CLASSIC_CACHE", str(tmp_path / "cache"))


class Exploding(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        raise RuntimeError("deliberate failure")


def test_list(capsys):
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    assert "hog-rbfsvm" in out and "lbp-randomforest" in out
    assert "grid: svm__C=[3.0, 10.0]" in out and "quick grid: svm__C=10.0" in out
    assert max(len(line) for line in out.splitlines()) <= 100


def test_missing_data_is_explained_for_the_shell(tmp_path, capsys):
    assert main(["--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2
    assert "--data PATH" in capsys.readouterr().err


def test_logs_to_a_file_are_plain_lines_and_quiet_is_quiet(tmp_path, capsys):
    # captured stderr is not a terminal: no bars, carriage returns or cursor codes
    assert main(["--pipelines", "hog-rbfsvm", "--quick", "--out", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and "\x1b" not in err and "[hog-rbfsvm]" in err
    assert main(["--pipelines", "hog-rbfsvm", "--quick", "--quiet",
                 "--out", str(tmp_path / "b")]) == 0
    captured = capsys.readouterr()
    assert "[hog-rbfsvm]" not in captured.err and "hog-rbfsvm " in captured.out


@pytest.mark.parametrize("argv, message", [
    (["--pipelines", "no-such-pipeline"], "unknown pipeline"),
    (["--n-jobs", "0"], "positive integer"),
    (["--n-jobs", "two"], "expected an integer"),
    (["--seed", "-3"], "seed must be"),
])
def test_bad_arguments_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_missing_data_path_is_a_clear_error(tmp_path, capsys):
    assert main(["--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "nowhere" in err
    assert not (tmp_path / "o").exists()  # nothing that looks like a result


def test_synthetic_run_writes_every_output(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["--pipelines", *FAST, "--quick", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "SYNTHETIC" in captured.err  # said loudly
    assert "hog-linearsvm " in captured.out and "PrivateTest %" in captured.out  # compact table
    assert max(len(line) for line in captured.out.splitlines()) <= 100
    for f in ["results.csv", "results.json", "results.md", "accuracy.png",
              "confusion/hog-linearsvm.png", "confusion/lbp-linearsvm.png",
              "runs/hog-linearsvm.json"]:
        assert (out / f).is_file(), f
    res = json.loads((out / "results.json").read_text())
    assert res["dataset"]["source"] == "synthetic"
    assert [r["name"] for r in res["results"]] == FAST
    for r in res["results"]:
        assert r["private"]["accuracy"] > 0.25  # learns the synthetic faces (chance: 1/7)
    assert "SYNTHETIC DATA" in (out / "results.md").read_text()


def test_same_seed_same_results_and_resume_skips(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["--pipelines", *FAST, "--quick", "--seed", "3", "--out", str(a)]) == 0
    assert main(["--pipelines", *FAST, "--quick", "--seed", "3", "--out", str(b)]) == 0
    ra = json.loads((a / "results.json").read_text())
    rb = json.loads((b / "results.json").read_text())
    assert strip_timings(ra) == strip_timings(rb)

    before = (a / "runs" / "hog-linearsvm.json").read_text()
    assert main(["--pipelines", *FAST, "--quick", "--seed", "3", "--out", str(a),
                 "--resume"]) == 0
    assert (a / "runs" / "hog-linearsvm.json").read_text() == before  # not re-run
    # another seed is another configuration: --resume must run it again
    assert main(["--pipelines", "hog-linearsvm", "--quick", "--seed", "4", "--out", str(a),
                 "--resume"]) == 0
    assert (a / "runs" / "hog-linearsvm.json").read_text() != before


def test_a_failing_pipeline_keeps_the_others(tmp_path, capsys):
    register(PipelineSpec("test-exploding", lambda rs: Pipeline(
        [("px", Pixels()), ("clf", Exploding())])), overwrite=True)
    try:
        out = tmp_path / "out"
        code = main(["--pipelines", "hog-linearsvm", "test-exploding", "--quick",
                     "--out", str(out)])
    finally:
        unregister("test-exploding")
    assert code == 1
    assert "deliberate failure" in capsys.readouterr().err
    res = json.loads((out / "results.json").read_text())
    assert [r["name"] for r in res["results"]] == ["hog-linearsvm"]
    assert not (out / "runs" / "test-exploding.json").exists()


def test_quick_runs_follow_quick_mirror(tmp_path):
    records = {}
    for quick_mirror in (True, False):
        register(PipelineSpec("test-mirrored", lambda rs: Pipeline(
            [("px", Pixels()), ("clf", LinearSVM(C=1e-3))]), mirror_train=True,
            mirror_test=True, quick_mirror=quick_mirror), overwrite=True)
        try:
            out = tmp_path / str(quick_mirror)
            assert main(["--pipelines", "test-mirrored", "--quick", "--out", str(out)]) == 0
        finally:
            unregister("test-mirrored")
        records[quick_mirror] = json.loads((out / "runs" / "test-mirrored.json").read_text())
    assert records[True]["n_train"] == 2 * records[False]["n_train"]
    for quick_mirror, record in records.items():
        assert record["config"]["mirror_train"] is quick_mirror
        assert record["config"]["mirror_test"] is quick_mirror


def test_every_pipeline_failing_announces_no_results(tmp_path, capsys):
    register(PipelineSpec("test-exploding", lambda rs: Pipeline(
        [("px", Pixels()), ("clf", Exploding())])), overwrite=True)
    try:
        out = tmp_path / "out"
        code = main(["--pipelines", "test-exploding", "--quick", "--out", str(out)])
    finally:
        unregister("test-exploding")
    err = capsys.readouterr().err
    assert code == 1
    assert "wrote no results" in err and "results.{csv,json,md}" not in err
    assert not (out / "results.json").exists()


def test_damaged_feature_cache_is_rebuilt_with_the_same_results(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["--pipelines", "hog-linearsvm", "--quick", "--out", str(a)]) == 0
    entries = sorted((tmp_path / "cache" / "features").rglob("matrix*.np[yz]"))
    entries += sorted((tmp_path / "cache" / "features").rglob("object.pkl"))
    assert len(entries) >= 4
    for i, path in enumerate(entries):  # garbled, and truncated to nothing
        path.write_bytes(b"\xff\xfe garbage" if i % 2 else b"")
    capsys.readouterr()
    with pytest.warns(UserWarning, match="could not be read"):
        assert main(["--pipelines", "hog-linearsvm", "--quick", "--out", str(b)]) == 0
    assert "Traceback" not in capsys.readouterr().err
    ra = json.loads((a / "results.json").read_text())
    rb = json.loads((b / "results.json").read_text())
    assert strip_timings(ra) == strip_timings(rb)


def test_quick_runs_are_labelled_as_such(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["--pipelines", "hog-linearsvm", "--quick", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    res = json.loads((out / "results.json").read_text())
    (record,) = res["results"]
    # the full-run description would claim settings the quick run did not use
    assert record["description"].startswith("QUICK RUN (svm__C=")
    assert res["dataset"]["quick"]["training_faces"] == res["dataset"]["counts"]["Training"]
    assert "QUICK run" in res["dataset"]["description"]
    assert "**QUICK RUN.**" in (out / "results.md").read_text()
    # one candidate is no search: no "best" is announced
    assert "one setting, no search" in err and " best " not in err


def test_full_runs_keep_their_descriptions():
    from fer_classic.registry import get_spec

    spec = get_spec("sift-fisher-linearsvm")
    assert spec.describe(False) == spec.description
    assert "fisher__n_components=16" in spec.describe(True)
    assert "no mirror images" in spec.describe(True)
