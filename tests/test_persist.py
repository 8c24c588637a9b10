import hashlib
import json
import os
import pickle
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import fer_classic
from fer_classic import EMOTIONS
from fer_classic import persist
from fer_classic.datasets import FER2013, make_synthetic_faces
from fer_classic.features import HOG
from fer_classic.models.linear import LinearSVM
from fer_classic.persist import (
    ModelFileError,
    ModelVersionError,
    ModelVersionWarning,
    NoModelError,
    array_bytes,
    find_default_model,
    load_model,
    read_model_info,
    save_model,
)

RECORD = {
    "name": "hog-linearsvm",
    "description": "HOG, standardised, linear SVM",
    "best_params": {"hog__pixels_per_cell": (8, 8), "svm__C": np.float64(0.01)},
    "public": {"accuracy": np.float64(0.61), "macro_f1": 0.5, "confusion": np.eye(7, dtype=int)},
    "private": {"accuracy": 0.625, "macro_f1": 0.55},
    "n_train": 112,
    "config": {"fingerprint": "abc", "quick": True, "seed": 0},
}


@pytest.fixture(scope="module")
def data():
    return make_synthetic_faces(n_per_class=16, random_state=0)


@pytest.fixture(scope="module")
def model(data):
    X, y = data.get_split("Training")
    return make_pipeline(HOG(), StandardScaler(), LinearSVM(C=0.01)).fit(X, y)


@pytest.fixture
def saved(tmp_path, model, data):
    return save_model(model, tmp_path / "m.joblib", record=RECORD, data=data)


class Booby:
    """Unpickling this creates a directory: proof that a file was unpickled."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


@pytest.fixture
def no_unpickling(monkeypatch):
    """Fail the test if persist calls joblib.load."""
    def forbidden(*args, **kwargs):
        raise AssertionError("the file was unpickled")
    monkeypatch.setattr(persist.joblib, "load", forbidden)


def test_round_trip_and_metadata(saved, model, data):
    info = read_model_info(saved)
    assert saved.read_bytes().startswith(b"FER_CLASSIC_MODEL/1 sha256=")
    assert info["format_version"] == persist.FORMAT_VERSION
    assert info["versions"]["fer_classic"] == fer_classic.__version__
    assert info["versions"]["scikit-learn"] == sklearn.__version__
    assert info["label_names"] == list(EMOTIONS)
    assert info["classes"] == list(range(7))
    assert info["training_data"]["fingerprint"] == data.fingerprint()
    assert info["training_data"]["synthetic"] is True
    assert info["best_params"] == {"hog__pixels_per_cell": [8, 8], "svm__C": 0.01}
    assert info["scores"]["PublicTest"]["accuracy"] == 0.61
    assert info["scores"]["PrivateTest"]["accuracy"] == 0.625
    assert info["scores"]["PublicTest"]["confusion"][0][0] == 1
    assert info["name"] == "hog-linearsvm"
    assert info["score_method"] == "softmax(decision_function)"
    assert info["file_sha256"] == hashlib.sha256(saved.read_bytes()).hexdigest()

    X, _ = data.get_split("PrivateTest")
    loaded, info2 = load_model(saved, return_info=True)
    assert info2["file_sha256"] == info["file_sha256"]
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.decision_function(X), model.decision_function(X))


def test_save_is_atomic_and_creates_directories(tmp_path, model):
    path = save_model(model, tmp_path / "a" / "b" / "m.joblib", name="mine", compress=0)
    assert path.is_file() and sorted(os.listdir(path.parent)) == ["m.joblib"]
    info = read_model_info(path)
    assert info["name"] == "mine" and info["training_data"] is None


@pytest.mark.slow
def test_fresh_process_gives_identical_predictions(saved, model, data, tmp_path):
    X, _ = data.get_split("PrivateTest")
    np.save(tmp_path / "X.npy", X)
    code = textwrap.dedent("""
        import sys, numpy as np
        from fer_classic.persist import load_model
        m = load_model(sys.argv[1])
        X = np.load(sys.argv[2])
        np.save(sys.argv[3], m.predict(X))
        np.save(sys.argv[4], m.decision_function(X))
    """)
    out = subprocess.run([sys.executable, "-c", code, str(saved), str(tmp_path / "X.npy"),
                          str(tmp_path / "y.npy"), str(tmp_path / "d.npy")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), model.predict(X))
    np.testing.assert_array_equal(np.load(tmp_path / "d.npy"), model.decision_function(X))


@pytest.mark.parametrize("where", ["first line", "header", "payload start", "payload end"])
def test_flipped_byte_is_refused_before_unpickling(saved, where, no_unpickling):
    raw = bytearray(saved.read_bytes())
    first = raw.index(b"\n") + 1
    second = raw.index(b"\n", first) + 1
    pos = {"first line": 40, "header": first + 20, "payload start": second + 3,
           "payload end": len(raw) - 1}[where]
    raw[pos] ^= 0x01
    saved.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="refusing to unpickle") as exc:
        load_model(saved)
    assert str(saved) in str(exc.value)
    with pytest.raises(ModelFileError):
        read_model_info(saved)


def test_truncated_and_extended_files_are_refused(saved, no_unpickling):
    raw = saved.read_bytes()
    saved.write_bytes(raw[:-10])
    with pytest.raises(ModelFileError, match="truncated or modified"):
        load_model(saved)
    saved.write_bytes(raw + b"extra")
    with pytest.raises(ModelFileError, match="truncated or modified"):
        load_model(saved)


def test_foreign_files_are_never_unpickled(tmp_path, model):
    marker = tmp_path / "UNPICKLED"
    evil = Booby(marker)
    foreign = {
        "joblib": lambda p: joblib.dump(evil, p),
        "pickle": lambda p: p.write_bytes(pickle.dumps(evil)),
        "plain joblib model": lambda p: joblib.dump(model, p),
        "png": lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100),
        "empty": lambda p: p.write_bytes(b""),
    }
    for kind, write in foreign.items():
        path = tmp_path / f"{kind.replace(' ', '_')}.joblib"
        write(path)
        with pytest.raises(ModelFileError, match="not a fer_classic model file") as exc:
            load_model(path)
        assert str(path) in str(exc.value) and "runs code" in str(exc.value), kind
    assert not marker.exists()

    # a genuine header in front of a swapped payload: the checksum catches it
    good = save_model(model, tmp_path / "good.joblib")
    raw = good.read_bytes()
    second = raw.index(b"\n", raw.index(b"\n") + 1) + 1
    payload = pickle.dumps(evil)
    spliced = raw[:second] + payload + raw[second + len(payload):]
    (tmp_path / "spliced.joblib").write_bytes(spliced)
    with pytest.raises(ModelFileError, match="SHA-256 check failed"):
        load_model(tmp_path / "spliced.joblib")
    assert not marker.exists()


def test_model_file_is_not_loadable_by_plain_joblib(saved):
    with pytest.raises(Exception):
        joblib.load(saved)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path / "nope.joblib")
    with pytest.raises(ModelFileError, match="is a directory"):
        load_model(tmp_path)


def _save_with_versions(tmp_path, model, monkeypatch, **versions):
    real = persist.environment()
    monkeypatch.setattr(persist, "environment", lambda: {**real, **versions})
    path = save_model(model, tmp_path / "old.joblib")
    monkeypatch.setattr(persist, "environment", lambda: real)
    return path


def test_version_mismatch_warns_by_default_and_raises_when_strict(
        tmp_path, model, data, monkeypatch):
    versions = {"scikit-learn": "0.0.1", "fer_classic": "0.0.9"}
    path = _save_with_versions(tmp_path, model, monkeypatch, **versions)
    info = read_model_info(path)  # metadata only: no warning needed
    assert info["versions"]["scikit-learn"] == "0.0.1"
    with pytest.warns(ModelVersionWarning, match=r"scikit-learn 0\.0\.1 \(this is "):
        loaded = load_model(path)
    X, _ = data.get_split("PublicTest")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    with pytest.raises(ModelVersionError, match=r"fer_classic 0\.0\.9"):
        load_model(path, strict=True)


def test_same_versions_do_not_warn(saved):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelVersionWarning)
        load_model(saved, strict=True)


def test_newer_format_is_refused(saved, no_unpickling):
    raw = saved.read_bytes()
    saved.write_bytes(raw.replace(b"FER_CLASSIC_MODEL/1 ", b"FER_CLASSIC_MODEL/7 ", 1))
    with pytest.raises(ModelFileError, match="format 7 by a newer fer_classic"):
        load_model(saved)


def test_sha256_pinning(saved, monkeypatch):
    digest = hashlib.sha256(saved.read_bytes()).hexdigest()
    assert load_model(saved, sha256=digest.upper()) is not None
    calls = []
    monkeypatch.setattr(persist.joblib, "load", lambda *a, **k: calls.append(a))
    with pytest.raises(ModelFileError, match=f"expected {'0' * 64}"):
        load_model(saved, sha256="0" * 64)
    assert calls == []


@pytest.mark.parametrize("estimator, message", [
    (make_pipeline(StandardScaler(), LinearSVM()), "call fit"),
    (StandardScaler(), "with predict"),
])
def test_saving_unfitted_or_non_classifier_fails(tmp_path, estimator, message):
    with pytest.raises(ValueError, match=message):
        save_model(estimator, tmp_path / "x.joblib")
    assert not (tmp_path / "x.joblib").exists()


def _real_like(data):
    """The synthetic faces relabelled as if read from a CSV (real-data models)."""
    return FER2013(data.images, data.target, data.split, source="csv", path="fer2013.csv")


def test_find_default_model(tmp_path, model, data):
    with pytest.raises(NoModelError, match="python -m fer_classic.bench --data") as exc:
        find_default_model(tmp_path, shipped=None)
    assert str(tmp_path) in str(exc.value)

    save_model(model, tmp_path / "synthetic.joblib", record=RECORD, data=data)
    (tmp_path / "junk.joblib").write_bytes(b"junk")
    with pytest.raises(NoModelError, match="trained on synthetic faces"):
        find_default_model(tmp_path, shipped=None)

    real = _real_like(data)
    better = {**RECORD, "public": {"accuracy": 0.7}, "private": {"accuracy": 0.1}}
    worse = {**RECORD, "public": {"accuracy": 0.5}, "private": {"accuracy": 0.9}}
    save_model(model, tmp_path / "a.joblib", record=worse, data=real)
    save_model(model, tmp_path / "b.joblib", record=better, data=real)
    # chosen on PublicTest (validation), never on PrivateTest
    path, reason = find_default_model(tmp_path, return_reason=True)
    assert path.name == "b.joblib" and "best PublicTest accuracy (70.00 %)" in reason
    # on a tie, the file that loads without pickle
    save_model(model, tmp_path / "b2.model", record=better, data=real)
    assert find_default_model(tmp_path).name == "b2.model"
    save_model(model, tmp_path / "default.joblib", record=worse, data=data)
    assert find_default_model(tmp_path).name == "default.joblib"


def test_find_default_model_passes_over_models_too_large_for_memory(tmp_path, model, data):
    real = _real_like(data)
    save_model(model, tmp_path / "big.model", record=RECORD, data=real)
    shipped = save_model(model, tmp_path / "shipped" / "default.model", record=RECORD,
                         data=real)
    need = read_model_info(tmp_path / "big.model")["memory_bytes"]
    assert need == array_bytes(model) > 0
    assert find_default_model(tmp_path, shipped=shipped, memory=10**12).name == "big.model"
    path, reason = find_default_model(tmp_path, shipped=shipped, memory=10**6,
                                      return_reason=True)
    assert path == shipped
    assert "installed with fer_classic" in reason and "big.model (needs " in reason
    with pytest.raises(NoModelError, match="big.model"):
        find_default_model(tmp_path, shipped=None, memory=10**6)


def test_default_model_dir_follows_cache(cache_dir):
    assert persist.default_model_dir() == cache_dir / "models"


@pytest.mark.fer2013
@pytest.mark.slow
def test_real_data_round_trip_in_fresh_process(fer2013, tmp_path):
    X_train, y_train = fer2013.get_split("Training")
    X_train, _, y_train, _ = train_test_split(X_train, y_train, train_size=2000,
                                              stratify=y_train, random_state=0)
    pipe = make_pipeline(HOG(), StandardScaler(), LinearSVM(C=1e-2)).fit(X_train, y_train)
    X, y = fer2013.get_split("PrivateTest")
    assert len(X) == 3589
    path = save_model(pipe, tmp_path / "real.joblib", data=fer2013, name="hog-small")
    info = read_model_info(path)
    assert info["training_data"]["fingerprint"] == fer2013.fingerprint()
    assert info["training_data"]["synthetic"] is False
    np.save(tmp_path / "X.npy", X)
    code = ("import sys, numpy as np; from fer_classic.persist import load_model; "
            "np.save(sys.argv[3], load_model(sys.argv[1]).predict(np.load(sys.argv[2])))")
    out = subprocess.run([sys.executable, "-c", code, str(path), str(tmp_path / "X.npy"),
                          str(tmp_path / "y.npy")], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    expected = pipe.predict(X)
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), expected)
    assert np.mean(expected == y) > 0.3  # well above chance (about 0.25 for "Happy")
    json.dumps(info)  # metadata stays JSON
