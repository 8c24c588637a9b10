import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_estimator

from fer_classic.datasets import make_synthetic_faces, mirror_faces
from fer_classic.features import HOG, Pixels
from fer_classic.models import (
    LinearSVM,
    LocalLearningClassifier,
    MirrorClassifier,
    mirror_averaged_scores,
    predict_mirror_averaged,
)
from fer_classic.protocol import run_protocol
from stand_ins import OnlyPredict


@pytest.fixture(scope="module")
def faces():
    data = make_synthetic_faces(n_per_class=12, random_state=0)
    return {s: data.get_split(s) for s in ("Training", "PublicTest", "PrivateTest")}


def _hog_svm():
    return make_pipeline(HOG(), LinearSVM(C=0.1))


def test_fits_on_faces_and_mirror_images(faces):
    X, y = faces["Training"]
    clf = MirrorClassifier(_hog_svm()).fit(X, y)
    ref = _hog_svm().fit(np.concatenate([X, mirror_faces(X)]), np.r_[y, y])
    np.testing.assert_allclose(clf.estimator_[-1].coef_, ref[-1].coef_)
    np.testing.assert_array_equal(clf.classes_, np.unique(y))


def test_scores_are_the_mean_over_face_and_mirror_image(faces):
    X, y = faces["Training"]
    Xt, _ = faces["PrivateTest"]
    clf = MirrorClassifier(_hog_svm(), mirror_train=False).fit(X, y)
    inner = clf.estimator_
    expect = 0.5 * (inner.decision_function(Xt) + inner.decision_function(Xt[:, :, ::-1]))
    np.testing.assert_allclose(clf.decision_function(Xt), expect)
    np.testing.assert_array_equal(clf.predict(Xt), inner.classes_[expect.argmax(1)])
    np.testing.assert_allclose(mirror_averaged_scores(inner, Xt, mirror_faces(Xt)), expect)
    # flattened faces are mirrored as 48x48 images
    np.testing.assert_allclose(clf.decision_function(Xt.reshape(len(Xt), -1)), expect)
    # (n, h, w) images are mirrored along their rows whatever image_shape says
    clf.set_params(image_shape=None)
    np.testing.assert_allclose(clf.decision_function(Xt), expect)


def test_prediction_is_the_same_for_a_face_and_its_mirror_image(faces):
    X, y = faces["Training"]
    Xt, _ = faces["PublicTest"]
    clf = MirrorClassifier(_hog_svm()).fit(X, y)
    np.testing.assert_allclose(clf.decision_function(Xt), clf.decision_function(Xt[:, :, ::-1]))
    plain = MirrorClassifier(_hog_svm(), mirror_test=False).fit(X, y)
    # without mirror_test the estimator's own prediction is used (and differs somewhere)
    np.testing.assert_array_equal(plain.predict(Xt), plain.estimator_.predict(Xt))
    assert not np.allclose(plain.decision_function(Xt), clf.decision_function(Xt))


def test_probabilities_are_averaged_when_there_is_no_decision_function(faces):
    X, y = faces["Training"]
    Xt, _ = faces["PrivateTest"]
    forest = make_pipeline(Pixels(), RandomForestClassifier(n_estimators=20, random_state=0))
    clf = MirrorClassifier(forest, mirror_train=False).fit(X, y)
    assert not hasattr(clf, "decision_function")
    p = clf.predict_proba(Xt)
    inner = clf.estimator_
    np.testing.assert_allclose(p, 0.5 * (inner.predict_proba(Xt)
                                         + inner.predict_proba(mirror_faces(Xt))))
    np.testing.assert_array_equal(clf.predict(Xt), clf.classes_[p.argmax(1)])


def test_binary_problems_use_the_margin_sign():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = np.where(X[:, 0] + X[:, 3] > 0, "b", "a")
    clf = MirrorClassifier(LogisticRegression(), image_shape=None).fit(X, y)
    s = clf.decision_function(X)
    assert s.shape == (60,)
    np.testing.assert_array_equal(clf.predict(X), np.where(s > 0, "b", "a"))
    est = clf.estimator_
    np.testing.assert_array_equal(predict_mirror_averaged(est, X, X[:, ::-1]), clf.predict(X))


def test_parameter_errors(faces):
    X, y = faces["Training"]
    # scikit-learn's InvalidParameterError (a ValueError) names the parameter
    with pytest.raises(InvalidParameterError, match="'mirror_test' parameter of MirrorClassifier"):
        MirrorClassifier(_hog_svm(), mirror_test="yes").fit(X, y)
    with pytest.raises(InvalidParameterError, match="'mirror_train' parameter"):
        MirrorClassifier(_hog_svm(), mirror_train=1).fit(X, y)
    with pytest.raises(InvalidParameterError, match="'estimator' parameter"):
        MirrorClassifier(HOG()).fit(X, y)
    with pytest.raises(InvalidParameterError, match="'image_shape' parameter"):
        MirrorClassifier(_hog_svm(), image_shape="48x48").fit(X, y)
    # a pair of positive ints: checked by hand, in the same words
    for shape in [(48,), (48, 0), [48, 48.0]]:
        with pytest.raises(ValueError, match="image_shape must be None or"):
            MirrorClassifier(_hog_svm(), image_shape=shape).fit(X, y)
    with pytest.raises(ValueError, match=r"\(n, 48, 48\) or \(n, 2304\)"):
        MirrorClassifier(LogisticRegression()).fit(np.zeros((4, 10)), [0, 1, 0, 1])
    clf = MirrorClassifier(OnlyPredict(), image_shape=None).fit(np.eye(4), [0, 1, 0, 1])
    with pytest.raises(TypeError, match="neither decision_function nor predict_proba"):
        clf.predict(np.eye(4))


@pytest.mark.slow
def test_check_estimator():
    # image_shape=None: each row is mirrored as a one-row image, so the
    # generic checks' small tabular data sets are valid input. Their classes
    # are not mirror-symmetric, though: fitting on rows and reversed rows
    # cannot reach the training accuracy one check demands.
    check_estimator(
        MirrorClassifier(LogisticRegression(), image_shape=None),
        expected_failed_checks={
            "check_classifiers_train": "tabular test data are not left-right symmetric; "
                                       "mirroring them mixes up the classes",
        },
    )
    # without mirroring, every check passes
    check_estimator(MirrorClassifier(LogisticRegression(), mirror_train=False,
                                     mirror_test=False, image_shape=None))


@pytest.mark.parametrize("with_features", [True, False])
def test_protocol_mirror_test_matches_the_returned_estimator(tmp_path, faces, with_features):
    if with_features:
        splits, pipe = faces, Pipeline([("hog", HOG()), ("svm", LinearSVM(C=0.1))])
        grid = {"svm__C": [0.1, 1.0]}
    else:
        splits = {s: (X.reshape(len(X), -1) / 255.0, y) for s, (X, y) in faces.items()}
        pipe = Pipeline([("svm", LinearSVM(C=0.1))])
        grid = {"svm__C": [1e-4, 1e-3]}  # raw pixels: small C, quick convergence
    res = run_protocol(pipe, grid, splits, mirror_train=True,
                       mirror_test=True, verbose=False, data_key="k", memory=tmp_path)
    model = res.estimator
    assert isinstance(model, MirrorClassifier) and model.mirror_train and model.mirror_test
    X_priv, y_priv = splits["PrivateTest"]
    pred = model.predict(X_priv)
    assert res.private["accuracy"] == pytest.approx(np.mean(pred == y_priv))
    # the scores are those of the fitted pipeline averaged over both views
    inner = model.estimator_
    expect = predict_mirror_averaged(inner, X_priv, mirror_faces(X_priv))
    np.testing.assert_array_equal(pred, expect)
    X_pub, y_pub = splits["PublicTest"]
    assert res.public["accuracy"] == pytest.approx(np.mean(model.predict(X_pub) == y_pub))
    # the protocol's mirrored predictions (from features of both views) are
    # the returned MirrorClassifier's, face by face
    np.testing.assert_array_equal(res.predictions["PrivateTest"], pred)
    np.testing.assert_array_equal(res.predictions["PublicTest"], model.predict(X_pub))
    # and those of a MirrorClassifier built on the same fitted pipeline
    rebuilt = MirrorClassifier.from_fitted(inner, mirror_train=True)
    np.testing.assert_array_equal(rebuilt.predict(X_priv), pred)
    np.testing.assert_allclose(rebuilt.decision_function(X_priv),
                               model.decision_function(X_priv))
    # without mirror_test: the plain pipeline, scored on single views
    single = run_protocol(pipe, grid, splits, mirror_train=True,
                          verbose=False, data_key="k", memory=tmp_path)
    assert isinstance(single.estimator, Pipeline)
    assert single.private["accuracy"] == pytest.approx(
        np.mean(single.estimator.predict(X_priv) == y_priv))


def test_local_learning_scores_the_pair_as_its_local_views_say(tmp_path, faces):
    # a pipeline ending in a local learner: its paired_decision_function, in
    # MirrorClassifier and in the protocol alike
    X, y = faces["Training"]
    Xt, yt = faces["PrivateTest"]
    pipe = Pipeline([("hog", HOG()), ("local", LocalLearningClassifier(
        n_neighbors=30, local_views="first", global_estimator=LinearSVM(C=0.1),
        global_weight=0.5))])
    clf = MirrorClassifier(pipe).fit(X, y)
    inner = clf.estimator_
    F, F_m = inner[:-1].transform(Xt), inner[:-1].transform(mirror_faces(Xt))
    paired = inner[-1].paired_decision_function(F, F_m)
    glob = inner[-1].global_estimator_
    np.testing.assert_allclose(paired, inner[-1].set_params(global_weight=0).decision_function(F)
                               + 0.25 * (glob.decision_function(F) + glob.decision_function(F_m)))
    inner[-1].set_params(global_weight=0.5)
    np.testing.assert_allclose(clf.decision_function(Xt), paired)
    np.testing.assert_allclose(mirror_averaged_scores(inner, Xt, mirror_faces(Xt)), paired)
    np.testing.assert_allclose(mirror_averaged_scores(inner[-1], F, F_m), paired)
    res = run_protocol(pipe, {"local__n_neighbors": [30]}, faces, mirror_train=True,
                       mirror_test=True, verbose=False, data_key="k", memory=tmp_path)
    np.testing.assert_allclose(res.estimator.decision_function(Xt), paired)
    assert res.private["accuracy"] == pytest.approx(
        np.mean(inner.classes_[paired.argmax(1)] == yt))
    np.testing.assert_array_equal(res.predictions["PrivateTest"], res.estimator.predict(Xt))
    np.testing.assert_array_equal(res.predictions["PublicTest"],
                                  res.estimator.predict(faces["PublicTest"][0]))


def test_from_fitted_wraps_without_refitting(faces):
    X, y = faces["Training"]
    Xt, _ = faces["PrivateTest"]
    pipe = _hog_svm().fit(X, y)
    clf = MirrorClassifier.from_fitted(pipe, mirror_train=False)
    assert clf.estimator is pipe and clf.estimator_ is pipe
    np.testing.assert_array_equal(clf.classes_, pipe.classes_)
    np.testing.assert_array_equal(clf.predict(Xt),
                                  predict_mirror_averaged(pipe, Xt, mirror_faces(Xt)))
    with pytest.raises(NotFittedError):
        MirrorClassifier.from_fitted(_hog_svm())
    with pytest.raises(InvalidParameterError, match="'mirror_test' parameter"):
        MirrorClassifier.from_fitted(pipe, mirror_test=1)
    with pytest.raises(ValueError, match="image_shape must be None or"):
        MirrorClassifier.from_fitted(pipe, image_shape=(48, 48, 1))
