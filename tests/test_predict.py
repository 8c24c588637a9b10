import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from skimage.data import astronaut, chelsea
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from fer_classic import EMOTIONS
from fer_classic.datasets import FER2013, make_synthetic_faces
from fer_classic.detect import crop_faces, detect_faces, reading_order
from fer_classic.faces import ExpressionPredictor, FacePrediction
from fer_classic.images import ImageReadError, draw_predictions, read_image, to_grayscale
from fer_classic.features import HOG
from fer_classic.models.linear import LinearSVM
from fer_classic.persist import save_model
from fer_classic.predict import main

# The astronaut's face in skimage.data.astronaut() (512x512), checked by eye:
# eyebrows to chin, ear to ear. (x0, y0, x1, y1)
ASTRONAUT_FACE = (180, 68, 268, 162)


def iou(box, ref):
    x, y, w, h = box
    x0, y0, x1, y1 = ref
    ix = max(0, min(x + w, x1) - max(x, x0))
    iy = max(0, min(y + h, y1) - max(y, y0))
    inter = ix * iy
    return inter / (w * h + (x1 - x0) * (y1 - y0) - inter)


@pytest.fixture(scope="module")
def data():
    return make_synthetic_faces(n_per_class=20, random_state=0)


@pytest.fixture(scope="module")
def model(data):
    X, y = data.get_split("Training")
    return make_pipeline(HOG(), StandardScaler(), LinearSVM(C=0.01)).fit(X, y)


@pytest.fixture(scope="module")
def model_file(model, data, tmp_path_factory):
    real_like = FER2013(data.images, data.target, data.split, source="csv")
    record = {"name": "hog-test", "public": {"accuracy": 0.5}, "private": {"accuracy": 0.4}}
    return save_model(model, tmp_path_factory.mktemp("models") / "hog-test.joblib",
                      record=record, data=real_like)


@pytest.fixture(scope="module")
def photos(tmp_path_factory, data):
    """A folder with a photo, a cat, a cropped face, a broken and an empty file."""
    d = tmp_path_factory.mktemp("photos")
    cv2.imwrite(str(d / "astronaut.png"), cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(d / "cat.jpg"), cv2.cvtColor(chelsea(), cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(d / "face.bmp"), cv2.resize(data.images[0], (96, 96)))
    (d / "broken.jpg").write_bytes(b"this is not a JPEG")
    (d / "empty.png").write_bytes(b"")
    (d / "notes.txt").write_text("ignored: not an image extension")
    return d


def test_astronaut_has_one_face_at_the_right_place(model):
    predictor = ExpressionPredictor(model)
    rows = predictor.predict_image(astronaut())
    assert len(rows) == 1
    row = rows[0]
    x, y, w, h = row.box
    assert iou(row.box, ASTRONAUT_FACE) > 0.7
    cx, cy = x + w / 2, y + h / 2
    x0, y0, x1, y1 = ASTRONAUT_FACE
    assert x0 < cx < x1 and y0 < cy < y1
    assert row.label in EMOTIONS and EMOTIONS[row.label_id] == row.label
    assert list(row.scores) == list(EMOTIONS)
    assert sum(row.scores.values()) == pytest.approx(1.0, abs=1e-12)
    assert all(0 <= s <= 1 for s in row.scores.values())
    # the label is the model's own prediction on the 48x48 crop
    crop = crop_faces(to_grayscale(astronaut()), [row.box], margin=0.1)
    assert crop.shape == (1, 48, 48) and crop.dtype == np.uint8
    assert model.predict(crop)[0] == row.label_id
    assert max(row.scores, key=row.scores.get) == row.label  # softmax keeps the argmax


def test_no_face_in_a_cat_photo(model):
    assert ExpressionPredictor(model).predict_image(chelsea()) == []


def test_large_photo_is_detected_at_reduced_size_and_boxes_scaled_back(model):
    big = cv2.resize(astronaut(), (2048, 2048), interpolation=cv2.INTER_LINEAR)
    rows = ExpressionPredictor(model, max_side=512).predict_image(big)
    assert len(rows) == 1
    x, y, w, h = rows[0].box
    assert iou((x / 4, y / 4, w / 4, h / 4), ASTRONAUT_FACE) > 0.7


@pytest.mark.parametrize("classifier, method", [
    (LinearSVM(C=0.01), "softmax(decision_function)"),
    (SVC(kernel="rbf", C=10.0), "softmax(decision_function)"),
    # decision_function first, as everywhere (fer_classic.utils.scores)
    (LogisticRegression(max_iter=300), "softmax(decision_function)"),
    (RandomForestClassifier(n_estimators=20, random_state=0), "predict_proba"),
])
def test_scores_sum_to_one_and_labels_match_the_pipeline(data, classifier, method):
    X, y = data.get_split("Training")
    pipe = make_pipeline(HOG(), StandardScaler(), classifier).fit(X, y)
    predictor = ExpressionPredictor(pipe)
    assert predictor.score_method == method
    Xt, _ = data.get_split("PrivateTest")
    labels, scores = predictor.predict_faces(Xt)
    np.testing.assert_array_equal(labels, pipe.predict(Xt))
    assert scores.shape == (len(Xt), 7)
    np.testing.assert_allclose(scores.sum(axis=1), 1.0, atol=1e-12)
    if method == "predict_proba":
        np.testing.assert_allclose(scores, pipe.predict_proba(Xt), rtol=1e-6)
    else:
        d = pipe.decision_function(Xt)
        np.testing.assert_array_equal(np.argsort(scores, axis=1), np.argsort(d, axis=1))
        np.testing.assert_array_equal(pipe.classes_[scores.argmax(1)], labels)
    if isinstance(classifier, LogisticRegression):
        # a multinomial logistic regression's probabilities are that softmax
        # (up to float32 rounding: HOG features are float32)
        np.testing.assert_allclose(scores, pipe.predict_proba(Xt), rtol=1e-5, atol=1e-7)


def test_binary_decision_function_gives_two_scores(data):
    X, y = data.get_split("Training")
    keep = np.isin(y, [3, 5])
    pipe = make_pipeline(HOG(), LinearSVM()).fit(X[keep], y[keep])
    predictor = ExpressionPredictor(pipe)
    labels, scores = predictor.predict_faces(X[keep][:6])
    assert predictor.label_names == ["Happy", "Surprise"]
    assert scores.shape == (6, 2)
    np.testing.assert_allclose(scores.sum(axis=1), 1.0)
    np.testing.assert_array_equal(pipe.classes_[np.argmax(scores, axis=1)], labels)


def test_no_detect_classifies_the_whole_image(model, data):
    face = data.images[:1]
    rows = ExpressionPredictor(model, detect=False).predict_image(face[0])
    assert rows[0].box == (0, 0, 48, 48)
    assert rows[0].label_id == model.predict(face)[0]
    big = cv2.resize(face[0], (150, 100))
    rows = ExpressionPredictor(model, detect=False).predict_image(big)
    assert rows[0].box == (0, 0, 150, 100)


def test_to_grayscale_accepts_common_arrays():
    rgb = astronaut()
    gray = to_grayscale(rgb)
    assert gray.shape == (512, 512) and gray.dtype == np.uint8
    np.testing.assert_array_equal(gray, cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
    np.testing.assert_array_equal(to_grayscale(rgb[:, :, ::-1], channels="bgr"), gray)
    rgba = np.dstack([rgb, np.full((512, 512), 7, np.uint8)])
    np.testing.assert_array_equal(to_grayscale(rgba), gray)
    np.testing.assert_array_equal(to_grayscale(gray / 255.0), gray)
    np.testing.assert_array_equal(to_grayscale(gray.astype(np.int64)), gray)
    np.testing.assert_array_equal(to_grayscale(gray.astype(np.uint16) * 257), gray)
    np.testing.assert_array_equal(to_grayscale(gray[:, :, None]), gray)
    assert to_grayscale(np.ones((2, 2), bool)).max() == 255


@pytest.mark.parametrize("image, error, message", [
    (np.zeros((2, 2, 2, 2)), ValueError, "shape"),
    (np.zeros((4, 4, 5)), ValueError, "shape"),
    (np.zeros((0, 4)), ValueError, "empty"),
    (np.array([["a"]]), TypeError, "numbers"),
    (np.full((4, 4), np.nan), ValueError, "NaN"),
    (np.full((4, 4), -3.0), ValueError, "0..1"),
    (np.full((4, 4), 70000, np.int64), ValueError, "0..255"),
])
def test_to_grayscale_rejects_bad_arrays(image, error, message):
    with pytest.raises(error, match=message):
        to_grayscale(image)


def test_crop_faces_margin_and_border_padding():
    gray = np.arange(100 * 80, dtype=np.int64).reshape(100, 80) % 251
    gray = gray.astype(np.uint8)
    exact = crop_faces(gray, [[10, 20, 48, 48]], margin=0.0)
    np.testing.assert_array_equal(exact[0], gray[20:68, 10:58])
    wide = crop_faces(gray, [[20, 30, 40, 40]], margin=0.1)  # 48x48 around the box
    np.testing.assert_array_equal(wide[0], gray[26:74, 16:64])
    corner = crop_faces(gray, [[0, 0, 48, 48]], margin=0.25)  # 72x72 from (-12, -12)
    padded = cv2.copyMakeBorder(gray[:60, :60], 12, 0, 12, 0, cv2.BORDER_REPLICATE)
    np.testing.assert_array_equal(corner[0], cv2.resize(padded, (48, 48),
                                                        interpolation=cv2.INTER_AREA))
    assert crop_faces(gray, np.zeros((0, 4))).shape == (0, 48, 48)
    with pytest.raises(ValueError, match="margin"):
        crop_faces(gray, [[0, 0, 10, 10]], margin=-0.1)


@pytest.mark.parametrize("kwargs, message", [
    ({"scale_factor": 1.0}, "scale_factor"),
    ({"min_neighbors": -1}, "min_neighbors"),
    ({"min_size": 0}, "min_size"),
    ({"max_side": 10}, "max_side"),
])
def test_detect_faces_rejects_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        detect_faces(np.zeros((50, 50), np.uint8), **kwargs)


def test_predictor_rejects_bad_models_and_parameters(model):
    with pytest.raises(TypeError, match="fitted classifier"):
        ExpressionPredictor(StandardScaler())
    with pytest.raises(ValueError, match="margin"):
        ExpressionPredictor(model, margin=-1)
    with pytest.raises(ValueError, match="min_face_size"):
        ExpressionPredictor(model, min_face_size=0)


def test_read_image_errors_name_the_file(photos):
    for name, message in [("broken.jpg", "not an image"), ("empty.png", "empty file"),
                          ("missing.jpg", "no such file")]:
        with pytest.raises(ImageReadError, match=message) as exc:
            read_image(photos / name)
        assert name in str(exc.value)
    assert read_image(photos / "face.bmp").shape == (96, 96, 3)


def test_predict_files_reports_per_file(model_file, photos):
    predictor = ExpressionPredictor(model_file)
    assert predictor.info["name"] == "hog-test"
    rows = predictor.predict_files([photos, photos / "missing.jpg"])
    by_file = {}
    for r in rows:
        by_file.setdefault(r.file.rsplit("/", 1)[-1], []).append(r)
    assert sorted(by_file) == ["astronaut.png", "broken.jpg", "cat.jpg", "empty.png",
                               "face.bmp", "missing.jpg"]  # notes.txt skipped
    assert len(by_file["astronaut.png"]) == 1 and by_file["astronaut.png"][0].label in EMOTIONS
    cat = by_file["cat.jpg"][0]
    assert cat.box is None and cat.error is None and cat.label is None
    for bad in ("broken.jpg", "empty.png", "missing.jpg"):
        (row,) = by_file[bad]
        assert row.box is None and bad in row.error and "\n" not in row.error


def test_cli_table_errors_and_exit_code(model_file, photos, capsys):
    code = main(["--model", str(model_file), str(photos / "astronaut.png"),
                 str(photos / "broken.jpg"), str(photos / "nowhere.png"),
                 str(photos / "cat.jpg")])
    out, err = capsys.readouterr()
    assert code == 1
    lines = out.strip().splitlines()
    assert lines[0].split()[:2] == ["file", "box"] and "Neutral" in lines[0]
    astro = [line for line in lines if "astronaut.png" in line]
    assert len(astro) == 1 and any(e in astro[0] for e in EMOTIONS)
    assert any("cat.jpg" in line and "no face found" in line for line in lines)
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 2
    assert "broken.jpg" in errors[0] and "nowhere.png" in errors[1]


def test_cli_json_and_annotate(model_file, photos, tmp_path, capsys):
    out_dir = tmp_path / "annotated"
    code = main(["--model", str(model_file), "--json", "--annotate", str(out_dir),
                 str(photos / "astronaut.png"), str(photos / "face.bmp")])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["score_method"] == "softmax(decision_function)"
    astro = [p for p in doc["predictions"] if p["file"].endswith("astronaut.png")]
    assert len(astro) == 1
    box = astro[0]["box"]
    assert iou((box["x"], box["y"], box["width"], box["height"]), ASTRONAUT_FACE) > 0.7
    assert sum(astro[0]["scores"].values()) == pytest.approx(1.0)
    drawn = cv2.imread(str(out_dir / "astronaut.png"))
    original = cv2.imread(str(photos / "astronaut.png"))
    assert drawn.shape == original.shape and (drawn != original).any()
    assert (out_dir / "face.bmp").exists()


def test_cli_no_detect_and_annotate_never_overwrites_source(model_file, photos, tmp_path,
                                                            capsys):
    src = tmp_path / "faces"
    src.mkdir()
    (src / "f.png").write_bytes((photos / "face.bmp").read_bytes())  # a BMP named .png
    before = (src / "f.png").read_bytes()
    assert main(["--model", str(model_file), "--no-detect", "--annotate", str(src),
                 str(src)]) == 0
    assert "0,0,96,96" in capsys.readouterr().out
    assert (src / "f.png").read_bytes() == before
    assert (src / "f-annotated.png").exists()


def test_cli_default_model_and_missing_model(model_file, photos, cache_dir, capsys,
                                             monkeypatch, tmp_path):
    from fer_classic import persist

    # no model of the user's: the one installed with fer_classic, said so
    assert main([str(photos / "astronaut.png")]) == 0
    assert "chosen: the model installed with fer_classic" in capsys.readouterr().err
    # and without it either: the command that trains one
    monkeypatch.setattr(persist, "SHIPPED_MODEL_DIR", tmp_path / "none")
    assert main([str(photos / "astronaut.png")]) == 2
    err = capsys.readouterr().err
    assert "python -m fer_classic.bench --data" in err and str(cache_dir / "models") in err
    (cache_dir / "models").mkdir(parents=True)
    (cache_dir / "models" / "hog-test.joblib").write_bytes(model_file.read_bytes())
    assert main([str(photos / "astronaut.png")]) == 0
    captured = capsys.readouterr()
    assert "hog-test" in captured.err and "astronaut.png" in captured.out
    assert main(["--model-info", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "hog-test"
    # without --json: a short summary a person reads, not 200 lines of JSON
    assert main(["--model-info"]) == 0
    summary = capsys.readouterr().out
    assert summary.startswith("model:       hog-test") and "{" not in summary
    assert "PrivateTest: " in summary and len(summary.splitlines()) < 15


def test_cli_refuses_foreign_model_and_bad_arguments(tmp_path, photos, capsys):
    foreign = tmp_path / "foreign.joblib"
    foreign.write_bytes(b"\x80\x04K\x01.")  # pickle of the int 1
    assert main(["--model", str(foreign), str(photos / "astronaut.png")]) == 2
    err = capsys.readouterr().err
    assert "not a fer_classic model file" in err and str(foreign) in err
    for argv in (["--margin", "-1", "x.png"], ["--min-face", "0", "x.png"], []):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2


def test_draw_predictions_on_gray_image():
    row = FacePrediction(file=None, box=(10, 10, 30, 30), label="Happy", label_id=3,
                         scores={"Happy": 1.0})
    out = draw_predictions(np.zeros((60, 60), np.uint8), [row])
    assert out.shape == (60, 60, 3) and out.any()
    assert draw_predictions(np.zeros((60, 60), np.uint8), []).any() == 0


@pytest.mark.slow
def test_bench_save_models_then_predict_end_to_end(tmp_path, cache_dir, capsys, monkeypatch):
    from fer_classic.bench import main as bench_main

    monkeypatch.delenv("FER2013_PATH", raising=False)
    # --save-models without a folder saves where predict looks, and says where
    assert bench_main(["--synthetic", "--quick", "--pipelines", "hog-linearsvm",
                       "--save-models", "--out", str(tmp_path / "o"), "--no-cache"]) == 0
    models = cache_dir / "models"
    assert f"saved the fitted pipeline to {models / 'hog-linearsvm.model'}" in \
        capsys.readouterr().err
    photo = tmp_path / "photo.jpg"
    cv2.imwrite(str(photo), cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR))
    assert main([str(photo)]) == 0  # predict looked there, and says why it passed it over
    assert "hog-linearsvm.model (trained on synthetic faces)" in capsys.readouterr().err
    # --model takes a folder: the user's default in it, else its best real-data model
    assert main(["--model", str(models), str(photo)]) == 2
    assert "trained on synthetic faces" in capsys.readouterr().err
    (models / "hog-linearsvm.model").rename(models / "default.model")
    assert main(["--model", str(models), "--model-info"]) == 0
    assert "hog-linearsvm  [QUICK run, SYNTHETIC data]" in capsys.readouterr().out
    models = tmp_path / "m"
    assert bench_main(["--synthetic", "--quick", "--pipelines", "hog-linearsvm",
                       "--save-models", str(models), "--out", str(tmp_path / "o"),
                       "--no-cache"]) == 0
    capsys.readouterr()
    img = tmp_path / "astronaut.jpg"
    cv2.imwrite(str(img), cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR))
    out = subprocess.run([sys.executable, "-m", "fer_classic.predict", "--json", "--model",
                          str(models / "hog-linearsvm.model"), str(img)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["model_name"] == "hog-linearsvm"
    (row,) = doc["predictions"]
    assert row["label"] in EMOTIONS and row["error"] is None


def test_faces_come_in_reading_order():

    # two rows of three: the second row's left face sits a little higher
    row1 = [[300, 20, 40, 40], [20, 30, 40, 40], [160, 25, 40, 40]]
    row2 = [[250, 150, 40, 40], [30, 138, 40, 40]]
    got = reading_order(row1 + row2).tolist()
    assert got == [[20, 30, 40, 40], [160, 25, 40, 40], [300, 20, 40, 40],
                   [30, 138, 40, 40], [250, 150, 40, 40]]
    assert reading_order(np.zeros((0, 4), int)).shape == (0, 4)


def test_moved_names_are_still_importable_from_faces_for_one_release():
    import fer_classic.detect
    import fer_classic.faces
    import fer_classic.images

    moved = {"HAAR_CASCADE": fer_classic.detect, "load_cascade": fer_classic.detect,
             "detect_faces": fer_classic.detect, "reading_order": fer_classic.detect,
             "crop_faces": fer_classic.detect, "resize_whole": fer_classic.detect,
             "IMAGE_EXTENSIONS": fer_classic.images, "ImageReadError": fer_classic.images,
             "read_image": fer_classic.images, "to_grayscale": fer_classic.images,
             "iter_image_files": fer_classic.images, "draw_predictions": fer_classic.images}
    for name, module in moved.items():
        assert name in fer_classic.faces.__all__ and name in module.__all__
        assert getattr(fer_classic.faces, name) is getattr(module, name), name
    own = {"softmax", "FacePrediction", "ExpressionPredictor"}
    assert set(fer_classic.faces.__all__) == set(moved) | own
