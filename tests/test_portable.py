"""Tests of fer_classic.portable and the arrays (.model) format of persist."""

import joblib
import numpy as np
import pytest
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from fer_classic.datasets import make_synthetic_faces
from fer_classic.features import HOG, DenseSIFT, FisherVector
from fer_classic.models import (CachedClassifier, LinearSVM, LocalLearningClassifier,
                                MirrorClassifier)
from fer_classic.persist import (ModelFileError, load_model, read_model_info, save_model,
                                 save_named_model)
from fer_classic.portable import PortableError, decode, encode


@pytest.fixture(scope="module")
def faces():
    data = make_synthetic_faces(n_per_class=12, random_state=0)
    return data.get_split("Training")


@pytest.fixture(scope="module")
def fisher_local(faces, tmp_path_factory):
    # the registry's best pipeline in miniature: Fisher vectors in float16, a
    # local learner with a cached global SVM, mirror images
    X, y = faces
    pipe = Pipeline([
        ("fisher", FisherVector(DenseSIFT(step=8, bin_size=(4, 6)), n_components=3,
                                pca_components=6, n_samples=2000, dtype="float16")),
        ("local", LocalLearningClassifier(
            n_neighbors=20, metric="linear",
            global_estimator=CachedClassifier(
                LinearSVM(C=0.3), memory=joblib.Memory(tmp_path_factory.mktemp("cache"),
                                                       verbose=0)),
            global_weight=0.75, local_views="first")),
    ])
    return MirrorClassifier(pipe).fit(X, y)


def test_round_trip_predicts_identically(fisher_local, faces, tmp_path):
    X, _ = faces
    path = save_model(fisher_local, tmp_path / "best.model", name="best")
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.decision_function(X[:30]),
                                  fisher_local.decision_function(X[:30]))
    inner = loaded.estimator_
    assert inner[-1]._X_fit.dtype == np.float16  # arrays keep their dtype
    # the cache (as run_protocol hands it over) is not part of the model
    assert inner[-1].global_estimator_.memory is None
    info = read_model_info(path)
    assert info["payload"] == {"serializer": "arrays"}
    assert info["memory_bytes"] > inner[-1]._X_fit.nbytes


def test_local_learning_on_pca_codes_round_trips(faces, tmp_path):
    from fer_classic.features import SampledPCA
    X, y = faces
    model = MirrorClassifier(Pipeline([
        ("fisher", FisherVector(DenseSIFT(step=8, bin_size=(4, 6)), n_components=3,
                                pca_components=6, n_samples=2000, dtype="float16")),
        ("local", LocalLearningClassifier(
            n_neighbors=20, metric="linear", transformer=SampledPCA(8, random_state=0),
            global_estimator=LinearSVM(C=1.0), global_weight=2.0, local_views="first")),
    ])).fit(X, y)
    path = save_model(model, tmp_path / "compact.model")
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.decision_function(X[:30]),
                                  model.decision_function(X[:30]))
    local = loaded.estimator_[-1]
    assert local._X_fit.shape == (len(X) * 2, 8) and local._X_fit.dtype == np.float16


def test_loading_never_unpickles(fisher_local, faces, tmp_path, monkeypatch):
    path = save_model(fisher_local, tmp_path / "best.model")

    def refuse(*args, **kwargs):
        raise AssertionError("unpickled")

    monkeypatch.setattr(joblib, "load", refuse)
    monkeypatch.setattr("pickle.loads", refuse)
    monkeypatch.setattr("pickle.load", refuse)
    assert load_model(path).predict(faces[0][:3]).shape == (3,)


def test_untrusted_class_in_a_description_is_refused():
    spec, arrays = encode(StandardScaler().fit(np.eye(3)))
    spec["estimator"] = "os.system"
    with pytest.raises(PortableError, match="'os.system' is not one of the classes"):
        decode(spec, arrays)
    spec, arrays = encode(StandardScaler().fit(np.eye(3)))
    del arrays[spec["state"]["mean_"]["array"]]
    with pytest.raises(PortableError, match="missing"):
        decode(spec, arrays)


def test_what_cannot_be_stored_is_named(faces):
    X, y = faces
    pipe = make_pipeline(HOG(), FunctionTransformer(np.sqrt), LinearSVM()).fit(X, y)
    with pytest.raises(PortableError, match=r"Pipeline.steps\[1\]\[1\]: a sklearn\."
                                            r".*FunctionTransformer cannot be stored"):
        encode(pipe)


def test_forged_description_is_refused(tmp_path, faces, monkeypatch):
    # a description naming another class, with a correct checksum (the header
    # is no signature): the list of trusted classes still holds
    from fer_classic import portable
    X, y = faces
    pipe = make_pipeline(HOG(), LinearSVM()).fit(X, y)
    spec, arrays = portable.encode(pipe)
    spec["estimator"] = "builtins.eval"
    monkeypatch.setattr(portable, "encode", lambda est: (spec, dict(arrays)))
    forged = save_model(pipe, tmp_path / "forged.model")
    with pytest.raises(ModelFileError, match="builtins.eval"):
        load_model(forged)


def test_save_named_model_prefers_arrays_and_falls_back_to_joblib(tmp_path, faces):
    X, y = faces
    plain = make_pipeline(HOG(), StandardScaler(), LinearSVM()).fit(X, y)
    assert save_named_model(plain, tmp_path, "hog").name == "hog.model"
    odd = make_pipeline(HOG(), FunctionTransformer(np.sqrt), LinearSVM()).fit(X, y)
    assert save_named_model(odd, tmp_path, "hog").name == "hog.joblib"
    # one file per name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hog.joblib"]


def test_clustered_local_models_round_trip(faces, tmp_path):
    from fer_classic.models import ClusteredLocalClassifier
    X, y = faces
    pipe = make_pipeline(HOG(), ClusteredLocalClassifier(
        n_clusters=4, n_neighbors=30, global_estimator=LinearSVM(), dtype="float16")).fit(X, y)
    loaded = load_model(save_model(pipe, tmp_path / "c.model"))
    assert loaded[-1].coef_.dtype == np.float16
    np.testing.assert_array_equal(loaded.decision_function(X), pipe.decision_function(X))


def test_an_array_held_twice_is_stored_once(faces, tmp_path):
    # MirrorClassifier built by the protocol holds its fitted pipeline twice
    # (as its template and as its fit): its arrays must not double the file
    X, y = faces
    pipe = make_pipeline(HOG(), LocalLearningClassifier(n_neighbors=10)).fit(X, y)
    twice = MirrorClassifier.from_fitted(pipe, mirror_train=False, mirror_test=True)
    _, arrays = encode(twice)
    _, once = encode(pipe)
    assert len(arrays) == len(once)
    loaded = load_model(save_model(twice, tmp_path / "twice.model"))
    np.testing.assert_array_equal(loaded.predict(X), twice.predict(X))


def test_bag_of_words_with_a_pyramid_round_trips(faces, tmp_path):
    # its feature_blocks_ are slices (sift-bovw-local could not be saved as .model)
    from fer_classic.features import BagOfVisualWords
    X, y = faces
    pipe = make_pipeline(
        BagOfVisualWords(DenseSIFT(step=8, bin_size=(4,)), n_words=8, n_samples=2000,
                         pyramid_levels=(1, 2), encoding="presence", random_state=0),
        LocalLearningClassifier(n_neighbors=20, metric="linear")).fit(X, y)
    assert any(isinstance(b, slice) for b in pipe[0].feature_blocks_)
    loaded = load_model(save_model(pipe, tmp_path / "bovw.model"))
    assert loaded[0].feature_blocks_ == pipe[0].feature_blocks_
    np.testing.assert_array_equal(loaded.decision_function(X), pipe.decision_function(X))


@pytest.mark.parametrize("bounds", [[0, "1", None], [0, 1], [True, 2, None], "0:1"])
def test_a_malformed_slice_is_refused(bounds):
    expected = r"model\.blocks: a slice must be \[start, stop, step\]"
    with pytest.raises(PortableError, match=expected):
        decode({"estimator": "fer_classic.models.LinearSVM", "params": {},
                "state": {"blocks": {"slice": bounds}}}, {})
