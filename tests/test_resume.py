"""Resume after a kill, atomic results, and the feature cache key.

The kill test runs ``python -m fer_classic.bench`` in a subprocess and sends
it SIGKILL as soon as the first pipeline's run record exists. The run
record is the last file a pipeline writes and the next pipeline takes
seconds, so the kill always lands between two pipelines' writes.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from sklearn.neighbors import NearestCentroid
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from fer_classic import SPLITS
from fer_classic.bench import main
from fer_classic.datasets import FER2013, load_fer2013, make_synthetic_faces, write_fer2013_csv
from fer_classic.features import Pixels
from fer_classic.protocol import run_protocol
from fer_classic.registry import PipelineSpec, register, unregister
from fer_classic.report import strip_timings
from fer_classic.runner import run_benchmark

# A is fast; B takes seconds (HOG + PCA + RBF SVM), so a kill as soon as A's
# run record appears lands while B computes; C comes after.
A, B, C = "lbp-randomforest", "hog-rbfsvm", "lbp-linearsvm"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.delenv("FER2013_PATH", raising=False)
    monkeypatch.setenv("FER_CLASSIC_CACHE", str(tmp_path / "cache"))
    # one BLAS thread, here and in the subprocess: on a busy machine multi-threaded
    # BLAS calls in small L-BFGS problems spin and run 10x slower (results are the same)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    with threadpool_limits(limits=1):
        yield


def _check_outputs(out, *, running=False):
    """Every JSON file parses and (unless ``running``) no temporary file is left.

    Returns the parsed JSON files by relative path.
    """
    found = {}
    for root, _, files in os.walk(out):
        for name in files:
            path = os.path.join(root, name)
            if running and name.startswith(".") and name.endswith(".tmp"):
                continue  # an atomic write in progress
            assert not name.startswith(".") and not name.endswith(".tmp"), path
            if name.endswith(".json"):
                with open(path) as f:
                    found[os.path.relpath(path, out)] = json.load(f)  # never partial
    return found


@pytest.mark.slow
def test_kill_then_resume_gives_the_uninterrupted_results(tmp_path, monkeypatch):
    names = [A, B, C]
    common = ["--synthetic", "--quick", "--seed", "5", "--pipelines", *names]

    # the uninterrupted reference, with its own feature cache
    ref = tmp_path / "ref"
    assert main([*common, "--out", str(ref)]) == 0
    reference = json.loads((ref / "results.json").read_text())

    out = tmp_path / "out"
    env = dict(os.environ, FER_CLASSIC_CACHE=str(tmp_path / "cache2"))
    log = open(tmp_path / "killed.log", "wb")  # a file, not a pipe that could fill up
    proc = subprocess.Popen(
        [sys.executable, "-m", "fer_classic.bench", *common, "--out", str(out)],
        env=env, stdout=subprocess.DEVNULL, stderr=log)
    first = out / "runs" / f"{A}.json"
    deadline = time.monotonic() + 120
    try:
        while not first.exists():
            assert proc.poll() is None, (tmp_path / "killed.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the first pipeline never finished"
            if out.exists():
                _check_outputs(out, running=True)  # consistent at every moment
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    assert proc.returncode == -signal.SIGKILL

    files = _check_outputs(out)
    assert sorted(files) == ["results.json", f"runs/{A}.json"]  # B and C never finished
    assert [r["name"] for r in files["results.json"]["results"]] == [A]
    assert sorted(os.listdir(out / "confusion")) == [f"{A}.png"]
    run_a = out / "runs" / f"{A}.json"
    before = (run_a.read_bytes(), run_a.stat().st_mtime_ns,
              (out / "confusion" / f"{A}.png").stat().st_mtime_ns)

    monkeypatch.setenv("FER_CLASSIC_CACHE", str(tmp_path / "cache2"))
    assert main([*common, "--out", str(out), "--resume"]) == 0

    after = (run_a.read_bytes(), run_a.stat().st_mtime_ns,
             (out / "confusion" / f"{A}.png").stat().st_mtime_ns)
    assert after == before  # A was not run again
    files = _check_outputs(out)
    assert sorted(files) == ["results.json"] + [f"runs/{n}.json" for n in sorted(names)]
    resumed = json.loads((out / "results.json").read_text())
    assert strip_timings(resumed) == strip_timings(reference)
    assert [r["name"] for r in resumed["results"]] == names


@pytest.mark.slow
def test_resume_reruns_a_corrupt_run_record(tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["--synthetic", "--quick", "--pipelines", A, "--out", str(out)]
    assert main(argv) == 0
    good = json.loads((out / "runs" / f"{A}.json").read_text())
    (out / "runs" / f"{A}.json").write_text('{"name": "lbp-rand')  # e.g. a foreign partial copy
    capsys.readouterr()
    assert main([*argv, "--resume"]) == 0
    assert "already finished" not in capsys.readouterr().err  # it was run again
    again = json.loads((out / "runs" / f"{A}.json").read_text())
    assert strip_timings(again) == strip_timings(good)


# --------------------------------------------------------------------------
# the feature cache: keyed by data content and extractor parameters


class CountingPixels(Pixels):
    """Pixels that counts its fits (a cache hit does not fit)."""

    fits = 0

    def fit(self, X, y=None):
        CountingPixels.fits += 1
        return super().fit(X, y)


def _pipe():
    return Pipeline([("px", CountingPixels()), ("clf", NearestCentroid())])


def _splits(data):
    return {s: data.get_split(s) for s in SPLITS}


def test_feature_cache_key_is_data_content_and_extractor_params(tmp_path):
    CountingPixels.fits = 0
    data = make_synthetic_faces(n_per_class=6, random_state=0)
    mem = tmp_path / "features"

    def run(pipe, grid, d=data):
        return run_protocol(pipe, grid, _splits(d), data_key=d.fingerprint(), memory=mem,
                            verbose=False)

    first = run(_pipe(), {})
    assert CountingPixels.fits == 1
    again = run(_pipe(), {})  # same data, same extractor: read back
    assert CountingPixels.fits == 1
    assert again.private == first.private and again.timings["features"] == \
        first.timings["features"]
    run(_pipe(), {"clf__shrink_threshold": [None, 0.5]})  # classifier parameters: shared
    assert CountingPixels.fits == 1

    run(_pipe(), {"px__equalize": [True]})  # an extractor parameter changed
    assert CountingPixels.fits == 2
    run(_pipe().set_params(px__standardize=True), {})  # set on the object, not the grid
    assert CountingPixels.fits == 3

    images = data.images.copy()
    images[0, 0, 0] ^= 1  # one pixel of one face
    changed = FER2013(images, data.target, data.split, source="synthetic")
    assert changed.fingerprint() != data.fingerprint()
    run(_pipe(), {}, changed)
    assert CountingPixels.fits == 4
    run(_pipe(), {}, changed)
    assert CountingPixels.fits == 4


def test_bench_feature_cache_follows_content_not_file_name(tmp_path):
    CountingPixels.fits = 0
    register(PipelineSpec("test-counting-pixels", lambda rs: _pipe(), grid={}),
             overwrite=True)
    try:
        data = make_synthetic_faces(n_per_class=6, random_state=0)
        first = write_fer2013_csv(data, tmp_path / "a" / "fer2013.csv")
        shutil.copy(first, tmp_path / "renamed.csv")
        cache = tmp_path / "features"

        def bench(path, out):
            d = load_fer2013(path, cache=False, verbose=False)
            return run_benchmark(["test-counting-pixels"], d, tmp_path / out, cache_dir=cache,
                                 verbose=False)

        bench(first, "o1")
        assert CountingPixels.fits == 1
        bench(tmp_path / "renamed.csv", "o2")  # another name, same faces: cache hit
        assert CountingPixels.fits == 1

        images = data.images.copy()
        images[-1] = 255 - images[-1]
        write_fer2013_csv(FER2013(images, data.target, data.split), first)  # same name
        bench(first, "o3")
        assert CountingPixels.fits == 2
        fingerprints = [json.loads((tmp_path / o / "results.json").read_text())["dataset"]
                        ["fingerprint"] for o in ("o1", "o2", "o3")]
        assert fingerprints[0] == fingerprints[1] != fingerprints[2]
    finally:
        unregister("test-counting-pixels")


@pytest.mark.parametrize("flag", ["mirror_train", "mirror_test"])
def test_resume_config_changes_with_mirroring(flag):
    # a record written without mirrored faces must not satisfy --resume with them
    from dataclasses import replace
    from fer_classic.registry import get_spec
    from fer_classic.runner import _config
    spec = get_spec("pixels-linearsvm")
    summary = {"fingerprint": "abc"}
    plain = _config(spec, summary, True, 0)
    mirrored = _config(replace(spec, **{flag: True}), summary, True, 0)
    assert plain != mirrored and mirrored[flag] is True


@pytest.mark.slow
def test_run_configuration_is_the_same_in_every_process():
    # repr() of a FunctionTransformer holds its function's address: the
    # configuration --resume compares must not, or those pipelines re-run
    from fer_classic.registry import list_specs

    script = ("import json; from fer_classic.registry import list_specs; "
              "from fer_classic.utils.jsonable import stable_repr; "
              "print(json.dumps({s.name: stable_repr(s.build(0)) for s in list_specs()}))")
    runs = [json.loads(subprocess.run([sys.executable, "-c", script], check=True,
                                      capture_output=True, text=True).stdout)
            for _ in range(2)]
    assert runs[0] == runs[1]
    assert set(runs[0]) == {s.name for s in list_specs()}
    assert not [name for name, text in runs[0].items() if " at 0x" in text or "..." in text]
