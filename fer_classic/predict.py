"""``python -m fer_classic.predict``: expressions of the faces in your photos.

This module only parses arguments and calls the library
(:class:`fer_classic.faces.ExpressionPredictor`,
:func:`fer_classic.persist.find_default_model`). Run with ``--help`` for the
options. Exit codes: 0 all files read, 1 some file could not be read (the
others are still processed), 2 bad arguments or no usable model.
"""

import argparse
import json
import os
import sys
import warnings

from . import __version__
from .utils.paths import model_dir

EPILOG = """\
model: --model FILE is a model saved by `python -m fer_classic.bench --save-models DIR`.
Without --model, default.model (or default.joblib) in ~/.cache/fer_classic/models
($FER_CLASSIC_CACHE/models if set) is used, else the model there with the best PublicTest
accuracy among those trained on real data, else the model installed with fer_classic; a
model too large for the memory available is passed over. The line "model: ..." on stderr
says which model and why. Train your own once:
  python -m fer_classic.bench --data PATH/TO/fer2013 --pipelines hog-rbfsvm \\
      --save-models ~/.cache/fer_classic/models
.model files hold JSON and arrays: loading one runs no code. .joblib files are pickles:
loading one runs code, so only use those from sources you trust.

scores: the softmax of the classifier's decision_function when it has one (not
calibrated probabilities), otherwise its predict_proba; they sum to 1 per face.

examples:
  python -m fer_classic.predict photo.jpg holiday/
  python -m fer_classic.predict --model hog-rbfsvm.joblib --json photo.jpg
  python -m fer_classic.predict --no-detect --annotate out/ cropped_faces/
"""


def _fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value <= 10:
        raise argparse.ArgumentTypeError(f"margin must be in 0 .. 10, got {value}")
    return value


def _pixels(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of pixels, got {value}")
    return value


def build_parser():
    """The command-line parser (exposed for tests and docs)."""
    p = argparse.ArgumentParser(
        prog="python -m fer_classic.predict",
        description="Find faces in images and predict their FER2013 expression (Angry, "
                    "Disgust, Fear, Happy, Sad, Surprise, Neutral) with a saved model.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="*", metavar="IMAGE_OR_DIR",
                   help="image files (JPEG, PNG, BMP, TIFF, WebP, ...) or directories")
    p.add_argument("--model", metavar="FILE_OR_DIR",
                   help="model file, or a folder of them to choose from (default: the best "
                        f"model in {model_dir()}, else the installed one)")
    p.add_argument("--no-detect", action="store_true",
                   help="images are already-cropped faces: resize each whole image to 48x48")
    p.add_argument("--margin", type=_fraction, default=0.1, metavar="F",
                   help="context around each detected face, fraction of its size "
                        "(default %(default)s)")
    p.add_argument("--min-face", type=_pixels, default=30, metavar="PX",
                   help="smallest face side to detect, in pixels (default %(default)s)")
    p.add_argument("-r", "--recursive", action="store_true",
                   help="also read images in sub-directories")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--annotate", metavar="DIR",
                   help="write copies of the images with boxes and labels drawn into DIR")
    p.add_argument("--model-info", action="store_true",
                   help="print a summary of the model (checked, not unpickled) and exit; "
                        "with --json, all its metadata")
    p.add_argument("--strict-versions", action="store_true",
                   help="refuse models saved with other fer_classic/scikit-learn versions "
                        "(default: warn)")
    p.add_argument("--version", action="version", version=f"fer_classic {__version__}")
    return p


def _print_table(rows, label_names, out):
    header = ["file", "box (x,y,w,h)", "label"] + list(label_names)
    table = []
    for r in rows:
        if r.error is not None:
            continue  # reported on stderr
        if r.box is None:
            table.append([r.file, "-", "no face found"] + [""] * len(label_names))
        else:
            table.append([r.file, ",".join(str(v) for v in r.box), r.label]
                         + [f"{r.scores.get(n, 0.0):.3f}" for n in label_names])
    widths = [max(len(str(row[i])) for row in [header] + table) for i in range(len(header))]
    for row in [header] + table:
        cells = [str(c).ljust(w) if i < 3 else str(c).rjust(w)
                 for i, (c, w) in enumerate(zip(row, widths))]
        print("  ".join(cells).rstrip(), file=out)


def main(argv=None):
    """Entry point; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.paths and not args.model_info:
        parser.error("give at least one IMAGE_OR_DIR")

    from .faces import ExpressionPredictor
    from .persist import (ModelFileError, NoModelError, describe_model, find_default_model,
                          read_model_info, run_kind)

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if args.model and os.path.isdir(args.model):
                model, reason = find_default_model(args.model, shipped=None, return_reason=True)
            elif args.model:
                model, reason = args.model, "given with --model"
            else:
                model, reason = find_default_model(return_reason=True)
            if args.model_info:
                info = read_model_info(model)
                print(json.dumps(info, indent=2) if args.json else describe_model(info))
                return 0
            predictor = ExpressionPredictor(model, detect=not args.no_detect,
                                            margin=args.margin, min_face_size=args.min_face,
                                            strict=args.strict_versions)
    except (NoModelError, ModelFileError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        for w in caught:
            print(f"warning: {w.message}", file=sys.stderr)
    info = predictor.info or {}
    kind = run_kind(info)
    print(f"model: {model} ({info.get('name') or 'unnamed'}; PrivateTest accuracy "
          f"{_accuracy(info)}{'; ' + kind if kind else ''}; scores: {predictor.score_method}); "
          f"chosen: {reason}", file=sys.stderr)

    rows = predictor.predict_files(args.paths, recursive=args.recursive,
                                   annotate_dir=args.annotate)
    for r in rows:
        if r.error is not None:
            print(f"error: {r.error}", file=sys.stderr)
    if args.json:
        print(json.dumps({"model": str(model), "model_name": info.get("name"),
                          "score_method": predictor.score_method,
                          "predictions": [r.to_dict() for r in rows]}, indent=2))
    else:
        _print_table(rows, predictor.label_names, sys.stdout)
    return 1 if any(r.error is not None for r in rows) else 0


def _accuracy(info):
    try:
        return f"{100 * info['scores']['PrivateTest']['accuracy']:.2f} %"
    except (KeyError, TypeError):
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
