"""Tests of the FER2013 readers, the FER2013 container and the cache."""

import gzip
import os
import warnings
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from fer_classic import EMOTIONS, SPLITS
from fer_classic.datasets import (
    FER2013,
    FER2013FormatError,
    get_cache_dir,
    load_fer2013,
    make_synthetic_faces,
    write_fer2013_csv,
)
from fer_classic.datasets import fer2013 as fer_module

FOLDER = {0: "angry", 1: "disgust", 2: "fear", 3: "happy", 4: "sad", 5: "surprise", 6: "neutral"}


# --------------------------------------------------------------------------
# helpers writing small data sets
# --------------------------------------------------------------------------


def tiny_data(n_per_split=2, seed=0):
    """Random faces: every split gets ``n_per_split`` faces with labels cycling 0..6."""
    rng = np.random.default_rng(seed)
    n = 3 * n_per_split
    images = rng.integers(0, 256, size=(n, 48, 48), dtype=np.uint8)
    target = np.arange(n) % 7
    split = np.repeat(SPLITS, n_per_split)
    return images, target, split


def csv_text(images, target, split, *, columns=("emotion", "pixels", "Usage"), sep=", ",
             newline="\n", bom=False, pad="", pixel_sep=" "):
    values = {
        "emotion": [f"{pad}{t}{pad}" for t in target],
        "pixels": [pad + pixel_sep.join(map(str, im.ravel().tolist())) + pad for im in images],
        "usage": [f"{pad}{s}{pad}" for s in split],
    }
    lines = [sep.join(columns)]
    for i in range(len(target)):
        lines.append(",".join(values[c.lower()][i] for c in columns))
    return ("\ufeff" if bom else "") + newline.join(lines) + newline


def write_csv(path, text):
    path.write_bytes(text.encode("utf-8"))
    return path


def write_rows(tmp_path, rows, header="emotion,pixels,Usage", name="fer2013.csv"):
    """Write a CSV of valid rows (all splits present) plus the given raw rows."""
    images, target, split = tiny_data(1)
    good = [f"{t},{' '.join(map(str, im.ravel()))},{s}" for im, t, s in zip(images, target, split)]
    path = tmp_path / name
    path.write_text("\n".join([header] + good + list(rows)) + "\n")
    return path


def pixels_text(values=None, n=2304):
    return " ".join(map(str, values if values is not None else [7] * n))


def write_tree(root, images, target, split, ext=".png", names=None):
    """Write an image-folder release: train/<emotion>/Training_<id>.png, test/..."""
    for i, (im, t, s) in enumerate(zip(images, target, split)):
        top = "train" if s == "Training" else "test"
        folder = root / top / FOLDER[int(t)]
        folder.mkdir(parents=True, exist_ok=True)
        name = names[i] if names is not None else f"{s}_{1000 + i}{ext}"
        assert cv2.imwrite(str(folder / name), im)
    return root


@pytest.fixture
def tree(tmp_path):
    images, target, split = tiny_data(3)
    root = write_tree(tmp_path / "data", images, target, split)
    return root, images, target, split


def load(path, **kwargs):
    kwargs.setdefault("cache", False)
    kwargs.setdefault("verbose", False)
    return load_fer2013(path, **kwargs)


def format_error(path, *parts, **kwargs):
    """Load ``path``, expect FER2013FormatError whose message names ``parts``."""
    with pytest.raises(FER2013FormatError) as info:
        load(path, **kwargs)
    message = str(info.value)
    for part in parts:
        assert str(part) in message, f"{part!r} not in {message!r}"
    return message


# --------------------------------------------------------------------------
# CSV reading
# --------------------------------------------------------------------------


def test_csv_round_trip(tmp_path, synthetic_faces):
    path = write_fer2013_csv(synthetic_faces, tmp_path / "out" / "faces.csv")
    assert path == str(tmp_path / "out" / "faces.csv")
    assert open(path).readline() == "emotion,pixels,Usage\n"
    data = load(path)
    np.testing.assert_array_equal(data.images, synthetic_faces.images)
    np.testing.assert_array_equal(data.target, synthetic_faces.target)
    np.testing.assert_array_equal(data.split, synthetic_faces.split)
    assert data.source == "csv" and data.path == path and not data.is_synthetic
    assert data.images.dtype == np.uint8 and data.target.dtype == np.int64
    assert data.ids[0] == "row 2" and data.ids[-1] == f"row {len(data) + 1}"
    assert data.fingerprint() == synthetic_faces.fingerprint()


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"columns": ("emotion", "Usage", "pixels")},  # icml_face_data.csv
        {"columns": ("emotion", "Usage", "pixels"), "newline": "\r\n", "pad": " "},
        {"columns": ("Usage", "pixels", "emotion"), "sep": ","},
        {"bom": True, "newline": "\r\n"},
        {"pad": "  ", "pixel_sep": "  ", "newline": "\r\n", "bom": True},
        {"pixel_sep": "\t", "pad": "\t"},
    ],
    ids=["fer2013", "icml", "icml-crlf", "any-order", "bom-crlf", "whitespace", "tabs"],
)
def test_csv_variants(tmp_path, options):
    images, target, split = tiny_data(2)
    path = write_csv(tmp_path / "x.csv", csv_text(images, target, split, **options))
    data = load(path)
    np.testing.assert_array_equal(data.images, images)
    np.testing.assert_array_equal(data.target, target)
    np.testing.assert_array_equal(data.split, split)


def test_icml_header_is_the_real_one(tmp_path):
    images, target, split = tiny_data(1)
    text = csv_text(images, target, split, columns=("emotion", "Usage", "pixels"))
    assert text.startswith("emotion, Usage, pixels\n")
    (tmp_path / "icml_face_data.csv").write_text(text)
    data = load(tmp_path)  # a directory holding icml_face_data.csv
    assert data.path == str(tmp_path / "icml_face_data.csv")
    np.testing.assert_array_equal(data.images, images)


def test_csv_blank_lines_and_line_numbers(tmp_path):
    images, target, split = tiny_data(1)
    text = csv_text(images, target, split).replace("\n", "\n\n", 1) + "\n\n"
    path = write_csv(tmp_path / "x.csv", text)
    data = load(path)
    assert len(data) == 3
    assert data.ids.tolist() == ["row 3", "row 4", "row 5"]


def test_csv_quoted_fields_and_extra_columns(tmp_path):
    images, target, split = tiny_data(1)
    lines = ["id,emotion,pixels,Usage"] + [
        f'{i},{t},"{" ".join(map(str, im.ravel()))}","{s}"'
        for i, (im, t, s) in enumerate(zip(images, target, split))
    ]
    path = write_csv(tmp_path / "x.csv", "\r\n".join(lines))
    data = load(path)
    np.testing.assert_array_equal(data.images, images)
    np.testing.assert_array_equal(data.split, split)


def test_csv_usage_case_insensitive(tmp_path):
    images, target, split = tiny_data(1)
    path = write_csv(tmp_path / "x.csv",
                     csv_text(images, target, [s.lower() for s in split]))
    assert load(path).split.tolist() == list(SPLITS)


def test_gzip_csv_and_nested_directory(tmp_path):
    images, target, split = tiny_data(1)
    nested = tmp_path / "fer2013"
    nested.mkdir()
    (nested / "fer2013.csv.gz").write_bytes(gzip.compress(csv_text(images, target,
                                                                   split).encode()))
    data = load(tmp_path)
    np.testing.assert_array_equal(data.images, images)
    assert data.path.endswith("fer2013.csv.gz")


def test_csv_preferred_over_folders(tmp_path, tree):
    root, *_ = tree
    images, target, split = tiny_data(1, seed=5)
    (root / "fer2013.csv").write_text(csv_text(images, target, split))
    assert load(root).source == "csv"


# --------------------------------------------------------------------------
# CSV errors: type, file name, row and field in the message
# --------------------------------------------------------------------------


def test_wrong_pixel_count(tmp_path):
    path = write_rows(tmp_path, [f"3,{pixels_text(n=2303)},Training"])
    format_error(path, path.name, "row 5", "'pixels'", "2303", "2304")


def test_non_numeric_pixel(tmp_path):
    values = [1] * 2304
    values[9] = "abc"
    path = write_rows(tmp_path, [f"3,{pixels_text(values)},Training"])
    format_error(path, path.name, "row 5", "'pixels'", "non-numeric", "'abc'", "position 10")


@pytest.mark.parametrize("bad", ["1.5", "0x10", "nan"])
def test_non_integer_pixel(tmp_path, bad):
    values = [1] * 2304
    values[0] = bad
    path = write_rows(tmp_path, [f"3,{pixels_text(values)},Training"])
    format_error(path, path.name, "row 5", "'pixels'", repr(bad))


@pytest.mark.parametrize("bad", [256, -1, 1000])
def test_pixel_out_of_range(tmp_path, bad):
    values = [1] * 2304
    values[5] = bad
    path = write_rows(tmp_path, [f"3,{pixels_text(values)},Training"])
    format_error(path, path.name, "row 5", "'pixels'", str(bad), "position 6", "0..255")


@pytest.mark.parametrize("label", ["7", "-1", "x", "3.0", ""])
def test_bad_label(tmp_path, label):
    path = write_rows(tmp_path, [f"{label},{pixels_text()},Training"])
    format_error(path, path.name, "row 5", "'emotion'", repr(label), "0..6")


def test_unknown_usage(tmp_path):
    path = write_rows(tmp_path, [f"3,{pixels_text()},Validation"])
    format_error(path, path.name, "row 5", "'Usage'", "'Validation'", "PrivateTest")


@pytest.mark.parametrize("header,missing", [("emotion,Usage", "'pixels'"),
                                            ("pixels,Usage", "'emotion'"),
                                            ("emotion,pixels,split", "'Usage'")])
def test_missing_column(tmp_path, header, missing):
    path = tmp_path / "x.csv"
    path.write_text(header + "\n3,1,Training\n")
    format_error(path, path.name, "header", "missing column", missing)


def test_missing_header(tmp_path):
    images, target, split = tiny_data(1)
    text = csv_text(images, target, split).split("\n", 1)[1]
    path = write_csv(tmp_path / "x.csv", text)
    format_error(path, path.name, "missing column", "header line is missing")


def test_wrong_field_count(tmp_path):
    path = write_rows(tmp_path, [f"3,{pixels_text()},Training,extra"])
    format_error(path, path.name, "row 5", "4 comma-separated", "expected 3")


@pytest.mark.parametrize("content", [b"", b"  \n\r\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    format_error(path, path.name, "empty")


def test_duplicate_column(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("emotion,pixels,Usage,Emotion\n")
    format_error(path, path.name, "header", "duplicate", "emotion")


def test_no_header_line(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(",,\n , \n")
    format_error(path, path.name, "no header line")


def test_header_only(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("emotion,pixels,Usage\n\n")
    format_error(path, path.name, "no data rows")


def test_csv_split_without_rows(tmp_path):
    images, target, split = tiny_data(2)
    keep = split != "PublicTest"
    path = write_csv(tmp_path / "x.csv", csv_text(images[keep], target[keep], split[keep]))
    format_error(path, path.name, "'PublicTest'", "no rows")


def test_not_utf8(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"emotion,pixels,Usage\n\xff\xfe\x00garbage")
    format_error(path, path.name, "UTF-8")


def test_first_error_is_reported_once(tmp_path):
    rows = [f"9,{pixels_text()},Training"] * 50
    path = write_rows(tmp_path, rows)
    message = format_error(path, "row 5")
    assert "row 6" not in message and len(message) < 400


def test_error_is_a_value_error():
    assert issubclass(FER2013FormatError, ValueError)


# --------------------------------------------------------------------------
# locating data
# --------------------------------------------------------------------------


def test_no_path_and_no_env(monkeypatch):
    monkeypatch.delenv("FER2013_PATH", raising=False)
    with pytest.raises(FileNotFoundError, match="FER2013_PATH") as info:
        load_fer2013()
    assert "kaggle" in str(info.value).lower()


def test_env_path(monkeypatch, tmp_path):
    images, target, split = tiny_data(1)
    path = write_csv(tmp_path / "fer2013.csv", csv_text(images, target, split))
    monkeypatch.setenv("FER2013_PATH", str(tmp_path))
    data = load_fer2013(cache=False, verbose=False)
    assert data.path == str(path)


def test_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load(tmp_path / "nowhere")


def test_layout_one_level_down(tmp_path):
    images, target, split = tiny_data(1)
    write_tree(tmp_path / "FER-2013", images, target, split)
    (tmp_path / "notes").mkdir()
    data = load(tmp_path)
    assert data.source == "folder" and data.path == str(tmp_path / "FER-2013")
    (tmp_path / "csv_copy").mkdir()
    (tmp_path / "csv_copy" / "fer2013.csv").write_text(csv_text(images, target, split))
    format_error(tmp_path, "several FER2013 copies", "csv_copy", "FER-2013")


def test_unrecognised_directory(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    format_error(tmp_path, str(tmp_path), "fer2013.csv", "train/")


def test_single_split_folder_hint(tree):
    root, *_ = tree
    format_error(root / "train", "parent directory")


# --------------------------------------------------------------------------
# image folders
# --------------------------------------------------------------------------


def test_folder_png_round_trip(tree):
    root, images, target, split = tree
    data = load(root)
    assert data.source == "folder" and data.path == str(root) and len(data) == 9
    # sorted by split, then label, then file name
    order = np.lexsort((np.arange(9), target, [SPLITS.index(s) for s in split]))
    np.testing.assert_array_equal(data.images, images[order])
    np.testing.assert_array_equal(data.target, target[order])
    np.testing.assert_array_equal(data.split, split[order])
    assert data.ids[0] == f"train/{FOLDER[int(data.target[0])]}/Training_1000.png"
    assert all(i.startswith("test/") for i in data.ids[3:])


def test_folder_sort_is_by_file_name(tmp_path):
    images, _, _ = tiny_data(2)
    names = ["Training_9.png", "Training_10.png", "PublicTest_3.png", "PublicTest_1.png",
             "PrivateTest_2.png", "PrivateTest_0.png"]
    target = np.zeros(6, dtype=int)
    split = np.array(["Training"] * 2 + ["PublicTest"] * 2 + ["PrivateTest"] * 2)
    write_tree(tmp_path, images, target, split, names=names)
    data = load(tmp_path)
    assert [i.rsplit("/", 1)[1] for i in data.ids] == [
        "Training_10.png", "Training_9.png", "PublicTest_1.png", "PublicTest_3.png",
        "PrivateTest_0.png", "PrivateTest_2.png"]
    np.testing.assert_array_equal(data.images[0], images[1])


def test_folder_jpeg(tmp_path):
    images, target, split = tiny_data(2)
    images = cv2.GaussianBlur(images.transpose(1, 2, 0), (5, 5), 2).transpose(2, 0, 1)
    write_tree(tmp_path, images, target, split, ext=".jpg")
    data = load(tmp_path)
    assert data.ids[0].endswith(".jpg")
    order = np.lexsort((np.arange(6), target, [SPLITS.index(s) for s in split]))
    err = np.abs(data.images.astype(int) - images[order].astype(int)).mean()
    assert err < 3


def test_folder_to_csv_round_trip(tree, tmp_path):
    root, *_ = tree
    folder = load(root)
    back = load(write_fer2013_csv(folder, tmp_path / "back.csv"))
    np.testing.assert_array_equal(back.images, folder.images)
    np.testing.assert_array_equal(back.target, folder.target)
    np.testing.assert_array_equal(back.split, folder.split)


def test_hidden_and_system_files_ignored(tree):
    root, *_ = tree
    (root / "train" / "angry" / ".DS_Store").write_bytes(b"\x00\x01")
    (root / "train" / "angry" / "Thumbs.db").write_bytes(b"\x00\x01")
    (root / "test" / "README.txt").write_text("about the test split")
    (root / "LICENSE").write_text("...")
    assert len(load(root)) == 9


def test_gray_stored_as_three_channels_is_accepted(tree):
    root, *_ = tree
    target_file = root / "train" / "angry" / "Training_1000.png"
    gray = cv2.imread(str(target_file), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(str(target_file), cv2.merge([gray, gray, gray]))
    data = load(root)
    np.testing.assert_array_equal(data.images[0], gray)


def test_corrupt_image(tree):
    root, *_ = tree
    bad = root / "test" / "happy" / "PublicTest_0.png"
    bad.write_bytes(b"this is not a png")
    format_error(root, str(bad), "could not decode")


def test_empty_image_file(tree):
    root, *_ = tree
    bad = root / "train" / "fear" / "Training_7.jpg"
    bad.write_bytes(b"")
    format_error(root, str(bad), "could not decode", "0 bytes")


def test_colour_image(tree):
    root, *_ = tree
    bad = root / "train" / "disgust" / "Training_5.png"
    rng = np.random.default_rng(1)
    colour = rng.integers(0, 256, size=(48, 48, 3), dtype=np.uint8)
    cv2.imwrite(str(bad), colour)
    format_error(root, str(bad), "colour", "grayscale", "resize=True")
    data = load(root, resize=True)
    i = data.ids.tolist().index("train/disgust/Training_5.png")
    np.testing.assert_array_equal(data.images[i], cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY))


def test_wrong_size_image(tree):
    root, *_ = tree
    bad = root / "test" / "neutral" / "PrivateTest_5.png"
    big = np.random.default_rng(2).integers(0, 256, size=(60, 50), dtype=np.uint8)
    cv2.imwrite(str(bad), big)
    format_error(root, str(bad), "50x60", "48x48", "resize=True")
    data = load(root, resize=True)
    i = data.ids.tolist().index("test/neutral/PrivateTest_5.png")
    expected = cv2.resize(big, (48, 48), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(data.images[i], expected)


def test_sixteen_bit_image(tree):
    root, *_ = tree
    bad = root / "train" / "fear" / "Training_3.png"
    cv2.imwrite(str(bad), np.full((48, 48), 1000, dtype=np.uint16))
    format_error(root, str(bad), "16-bit", "8-bit", resize=True)


def test_unknown_emotion_folder(tree):
    root, *_ = tree
    (root / "train" / "contempt").mkdir()
    format_error(root, "contempt", "unknown emotion folder", "neutral")


def test_bad_file_prefix(tree):
    root, images, *_ = tree
    for name in ("Validation_1.png", "img_2.png", "Training.png"):
        cv2.imwrite(str(root / "train" / "angry" / name), images[0])
    format_error(root, "Training.png", "split prefix", "2 more", "PrivateTest_")


def test_non_image_file_in_emotion_folder(tree):
    root, *_ = tree
    bad = root / "test" / "angry" / "labels.csv"
    bad.write_text("x")
    format_error(root, str(bad), "not an image")


def test_image_outside_emotion_folder(tree):
    root, images, *_ = tree
    cv2.imwrite(str(root / "train" / "Training_77.png"), images[0])
    format_error(root, "Training_77.png", "outside an emotion folder")


def test_folder_split_without_images(tmp_path):
    images, target, split = tiny_data(2)
    keep = split != "PrivateTest"
    write_tree(tmp_path, images[keep], target[keep], split[keep])
    format_error(tmp_path, str(tmp_path), "'PrivateTest'", "no images")


def test_folder_without_images(tmp_path):
    (tmp_path / "train" / "happy").mkdir(parents=True)
    (tmp_path / "test").mkdir()
    format_error(tmp_path, str(tmp_path), "no images found")


def test_folder_names_any_case(tmp_path):
    images, target, split = tiny_data(1)
    write_tree(tmp_path, images, target, split)
    os.rename(tmp_path / "train", tmp_path / "Train")
    os.rename(tmp_path / "Train" / FOLDER[0], tmp_path / "Train" / "Angry")
    data = load(tmp_path)
    assert data.ids[0] == "Train/Angry/Training_1000.png"
    assert data.target[0] == 0


# --------------------------------------------------------------------------
# the cache
# --------------------------------------------------------------------------


@pytest.fixture
def count_reads(monkeypatch):
    calls = {"folder": 0, "csv": 0}
    real_folder, real_csv = fer_module.read_folder, fer_module.read_csv

    def read_folder(*args, **kwargs):
        calls["folder"] += 1
        return real_folder(*args, **kwargs)

    def read_csv(*args, **kwargs):
        calls["csv"] += 1
        return real_csv(*args, **kwargs)

    monkeypatch.setattr(fer_module, "read_folder", read_folder)
    monkeypatch.setattr(fer_module, "read_csv", read_csv)
    return calls


def test_cache_hit_folder(tree, cache_dir, count_reads):
    root, *_ = tree
    listing = sorted(p for p in root.rglob("*"))
    first = load_fer2013(root, verbose=False)
    second = load_fer2013(root, verbose=False)
    assert count_reads["folder"] == 1
    assert len(list(cache_dir.glob("*.npz"))) == 1
    assert sorted(p for p in root.rglob("*")) == listing  # nothing written next to the data
    np.testing.assert_array_equal(second.images, first.images)
    np.testing.assert_array_equal(second.target, first.target)
    np.testing.assert_array_equal(second.split, first.split)
    np.testing.assert_array_equal(second.ids, first.ids)
    assert second.source == "folder" and second.path == first.path


def test_cache_hit_csv_with_cache_dir_argument(tmp_path, count_reads):
    images, target, split = tiny_data(1)
    path = write_csv(tmp_path / "x.csv", csv_text(images, target, split))
    cache = tmp_path / "explicit"
    load_fer2013(path, cache_dir=cache, verbose=False)
    data = load_fer2013(path, cache_dir=cache, verbose=False)
    assert count_reads["csv"] == 1
    assert data.ids.tolist() == ["row 2", "row 3", "row 4"]
    assert len(list(cache.glob("fer2013-csv-*.npz"))) == 1


def test_cache_invalidated_when_data_change(tree, cache_dir, count_reads):
    root, images, *_ = tree
    load_fer2013(root, verbose=False)
    cv2.imwrite(str(root / "train" / "angry" / "Training_5000.png"), images[1])
    data = load_fer2013(root, verbose=False)
    assert count_reads["folder"] == 2 and len(data) == 10
    assert len(list(cache_dir.glob("*.npz"))) == 1  # the stale file is removed


def test_cache_invalidated_when_csv_changes(tmp_path, cache_dir, count_reads):
    images, target, split = tiny_data(1)
    path = write_csv(tmp_path / "x.csv", csv_text(images, target, split))
    load_fer2013(path, verbose=False)
    write_csv(path, csv_text(images[::-1], target, split))
    os.utime(path, ns=(1, 1))
    data = load_fer2013(path, verbose=False)
    assert count_reads["csv"] == 2
    np.testing.assert_array_equal(data.images, images[::-1])


def test_corrupt_cache_is_rebuilt(tree, cache_dir, count_reads):
    root, *_ = tree
    first = load_fer2013(root, verbose=False)
    (cache_file,) = cache_dir.glob("*.npz")
    cache_file.write_bytes(cache_file.read_bytes()[:200])  # truncated
    with pytest.warns(RuntimeWarning, match="cache"):
        second = load_fer2013(root, verbose=False)
    np.testing.assert_array_equal(second.images, first.images)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_fer2013(root, verbose=False)  # rewritten: a clean hit now
    assert count_reads["folder"] == 2


def test_cache_disabled(tree, cache_dir):
    root, *_ = tree
    load_fer2013(root, cache=False, verbose=False)
    assert not cache_dir.exists()


def test_unwritable_cache_is_not_fatal(tree, tmp_path):
    root, *_ = tree
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a directory")
    with pytest.warns(RuntimeWarning, match="Could not write"):
        data = load_fer2013(root, cache_dir=blocker / "cache", verbose=False)
    assert len(data) == 9


def test_verbose_output(tree, cache_dir, capsys):
    root, *_ = tree
    load_fer2013(root, verbose=True)
    load_fer2013(root, verbose=True)
    err = capsys.readouterr().err
    assert "reading FER2013 folder" in err and "from cache" in err


def test_get_cache_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("FER_CLASSIC_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert get_cache_dir() == tmp_path / "home" / ".cache" / "fer_classic"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert get_cache_dir() == tmp_path / "xdg" / "fer_classic"
    monkeypatch.setenv("FER_CLASSIC_CACHE", str(tmp_path / "env"))
    assert get_cache_dir() == tmp_path / "env"
    assert get_cache_dir(str(tmp_path / "arg")) == tmp_path / "arg"
    assert get_cache_dir("~/x") == Path(os.path.expanduser("~/x"))
    assert not (tmp_path / "env").exists()


# --------------------------------------------------------------------------
# the FER2013 container and write_fer2013_csv
# --------------------------------------------------------------------------


def test_container_basics(synthetic_faces):
    data = synthetic_faces
    assert len(data) == 140 and data.target_names == EMOTIONS
    X, y = data.get_split("PublicTest")
    assert X.shape == (14, 48, 48) and y.tolist() == sorted(list(range(7)) * 2)
    assert data.split.dtype.kind == "U" and data.ids.dtype.kind == "U"


def test_get_split_errors():
    images, target, split = tiny_data(2)
    data = FER2013(images, target, split)
    with pytest.raises(ValueError, match="PrivateTest"):
        data.get_split("Test")
    only_train = FER2013(images[:2], target[:2], split[:2])
    with pytest.raises(ValueError, match="'PublicTest' holds no faces"):
        only_train.get_split("PublicTest")


def test_counts(synthetic_faces):
    counts = synthetic_faces.counts()
    assert isinstance(counts, pd.DataFrame)
    assert list(counts.index) == list(EMOTIONS) and list(counts.columns) == list(SPLITS)
    assert counts.to_numpy().tolist() == [[16, 2, 2]] * 7


def test_fingerprint():
    images, target, split = tiny_data(2)
    a = FER2013(images, target, split, source="csv")
    b = FER2013(images.copy(), target, split, ids=[f"f{i}" for i in range(6)], source="folder")
    fp = a.fingerprint()
    assert len(fp) == 40 and int(fp, 16) >= 0
    assert fp == b.fingerprint() == a.fingerprint()
    assert a._fingerprint == fp  # memoised
    changed = target.copy()
    changed[0] = (changed[0] + 1) % 7
    assert FER2013(images, changed, split).fingerprint() != fp
    assert FER2013(images, target, split[::-1]).fingerprint() != fp
    pixels = images.copy()
    pixels[3, 10, 10] ^= 1
    assert FER2013(pixels, target, split).fingerprint() != fp


def test_repr(synthetic_faces, tree):
    text = repr(synthetic_faces)
    assert "SYNTHETIC" in text and "Training=112" in text and "PrivateTest=14" in text
    root, *_ = tree
    folder = repr(load(root))
    assert "SYNTHETIC" not in folder and "source='folder'" in folder and "n=9" in folder


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"images": np.zeros((2, 40, 40))}, "shape"),
        ({"images": np.full((6, 48, 48), 300)}, "uint8"),
        ({"target": [0, 1, 2, 3, 4, 7]}, "0..6"),
        ({"target": [0, 1]}, "target must have shape"),
        ({"split": ["Training"] * 5 + ["Validation"]}, "Validation"),
        ({"ids": ["a"]}, "ids must have shape"),
    ],
)
def test_container_validation(kwargs, match):
    images, target, split = tiny_data(2)
    args = {"images": images, "target": target, "split": split}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        FER2013(**args)


def test_container_accepts_flat_rows_and_int_labels():
    images, target, split = tiny_data(1)
    data = FER2013(images.reshape(3, -1).astype(np.int32), target.astype(np.int8), list(split))
    assert data.images.shape == (3, 48, 48) and data.images.dtype == np.uint8
    assert data.target.dtype == np.int64 and data.ids.tolist() == ["0", "1", "2"]


def test_write_csv_rejects_non_container(tmp_path):
    with pytest.raises(TypeError, match="FER2013"):
        write_fer2013_csv(np.zeros((2, 48, 48)), tmp_path / "x.csv")


def test_write_csv_overwrites_atomically(tmp_path):
    data = make_synthetic_faces(3, random_state=1)
    path = tmp_path / "faces.csv"
    path.write_text("old content")
    write_fer2013_csv(data, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["faces.csv"]  # no temp files left
    np.testing.assert_array_equal(load(path).images, data.images)


def test_write_csv_extreme_values(tmp_path):
    images = np.zeros((3, 48, 48), dtype=np.uint8)
    images[0] = 255
    images[1, ::2] = 9
    images[2] = np.arange(2304).reshape(48, 48) % 256
    data = FER2013(images, [0, 5, 6], list(SPLITS))
    path = write_fer2013_csv(data, tmp_path / "x.csv")
    lines = open(path).read().split("\n")
    assert lines[1] == "0," + " ".join(["255"] * 2304) + ",Training"
    assert lines[3].startswith("6,0 1 2 3") and lines[3].endswith("254 255,PrivateTest")
    np.testing.assert_array_equal(load(path).images, images)


# --------------------------------------------------------------------------
# the real FER2013 data (skipped when absent)
# --------------------------------------------------------------------------

README_COUNTS = {
    "Angry": (3995, 467, 491),
    "Disgust": (436, 56, 55),
    "Fear": (4097, 496, 528),
    "Happy": (7215, 895, 879),
    "Sad": (4830, 653, 594),
    "Surprise": (3171, 415, 416),
    "Neutral": (4965, 607, 626),
}


@pytest.mark.fer2013
def test_fer2013_counts(fer2013):
    counts = fer2013.counts()
    assert counts.sum().tolist() == [28709, 3589, 3589]
    for emotion, expected in README_COUNTS.items():
        assert tuple(counts.loc[emotion]) == expected
    assert len(fer2013) == 35887 and fer2013.source == "folder"
    assert fer2013.images.shape == (35887, 48, 48) and fer2013.images.dtype == np.uint8
    assert fer2013.ids[0].startswith("train/angry/Training_")
    assert not fer2013.is_synthetic


@pytest.mark.fer2013
@pytest.mark.slow
def test_fer2013_folder_equals_its_csv(fer2013, tmp_path):
    """The acceptance check: folder data written as CSV reads back identically."""
    path = write_fer2013_csv(fer2013, tmp_path / "fer2013.csv")
    back = load(path)
    np.testing.assert_array_equal(back.images, fer2013.images)
    np.testing.assert_array_equal(back.target, fer2013.target)
    np.testing.assert_array_equal(back.split, fer2013.split)
    assert back.fingerprint() == fer2013.fingerprint()
