"""``python -m fer_classic.bench``: run the baseline pipelines, write the table.

This module only parses arguments and calls the library
(:func:`fer_classic.runner.run_benchmark`). Run with ``--help`` for the options.
"""

import argparse
import os
import sys
import time
from pathlib import Path

from . import __version__
from .utils.paths import model_dir

#: Faces per class of the synthetic data set used when no FER2013 is given.
SYNTHETIC_PER_CLASS = 100

EPILOG = """\
data: --data PATH (or the FER2013_PATH environment variable) names fer2013.csv,
icml_face_data.csv, the image-folder release (train/ and test/) or a folder
holding one of them. With neither, the bench runs on synthetic faces (with the
--quick grids, a demonstration that takes under a minute) and says so.

examples:
  python -m fer_classic.bench                                  # synthetic, all pipelines
  python -m fer_classic.bench --data ~/fer2013 --quick         # a fast look at real data
  python -m fer_classic.bench --data ~/fer2013 --pipelines hog-linearsvm hog-rbfsvm
"""


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1 and value != -1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or -1, got {value}")
    return value


def _seed(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer seed, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"seed must be in 0 .. 2**32 - 1, got {value}")
    return value


def _nonempty(text):
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a non-empty value")
    return text


def build_parser():
    """The command-line parser (exposed for tests and docs)."""
    p = argparse.ArgumentParser(
        prog="python -m fer_classic.bench",
        description="Score fer_classic's named pipelines with the FER2013 challenge protocol "
                    "(grid search on PublicTest, accuracy on PrivateTest).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", metavar="PATH", type=_nonempty,
                   help="FER2013 CSV or image folder (default: $FER2013_PATH, else synthetic)")
    p.add_argument("--synthetic", action="store_true",
                   help="use synthetic faces even if FER2013_PATH is set")
    p.add_argument("--ferplus", metavar="CSV", type=_nonempty,
                   help="score on the FER+ majority labels of this fer2013new.csv (8 classes; "
                        "faces without a majority are dropped) instead of FER2013's; needs "
                        "--data to be fer2013.csv, whose rows the file follows")
    p.add_argument("--pipelines", nargs="+", metavar="NAME",
                   help="pipelines to run (default: all; see --list)")
    p.add_argument("--list", action="store_true", help="list the pipelines and exit")
    p.add_argument("--out", default="bench-out", metavar="DIR",
                   help="output directory (default: %(default)s)")
    p.add_argument("--n-jobs", type=_positive_int, default=1, metavar="N",
                   help="grid candidates fitted side by side (-1: all cores; default 1). "
                        "It speeds up only pipelines with several candidates (none in --quick "
                        "runs); feature extraction and the large classifiers use their own "
                        "threads, set in the registry")
    p.add_argument("--quick", action="store_true",
                   help="subsample Training and use small grids, for a fast look")
    p.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    p.add_argument("--resume", action="store_true",
                   help="skip pipelines already finished in --out with the same settings")
    p.add_argument("--scheduler", metavar="ADDRESS", type=_nonempty,
                   help="run the grid searches on this Dask scheduler, e.g. tcp://HOST:8786 "
                        '(needs: pip install "fer_classic[dask]"; --n-jobs is then ignored)')
    p.add_argument("--no-cache", action="store_true",
                   help="do not cache features or fitted classifiers on disk")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress messages, only errors and the final table")
    p.add_argument("--save-models", metavar="DIR", nargs="?", const=str(model_dir()),
                   help="save each fitted pipeline with its metadata into DIR (without DIR: "
                        f"{model_dir()}, where predict looks for a model)")
    p.add_argument("--version", action="version", version=f"fer_classic {__version__}")
    return p


def main(argv=None):
    """Entry point; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)

    from .registry import REGISTRY

    if args.list:
        from .registry import describe_registry

        print(describe_registry())
        return 0
    names = args.pipelines or list(REGISTRY)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        parser.error(f"unknown pipeline(s) {', '.join(unknown)}; "
                     f"choose from: {', '.join(REGISTRY)}")

    if os.path.exists(args.out) and not os.path.isdir(args.out):
        parser.error(f"--out {args.out!r} exists and is not a directory")
    if args.scheduler:
        from .distributed import check_scheduler

        try:  # dask installed, scheduler reachable: checked before loading any data
            check_scheduler(args.scheduler)
        except (ImportError, OSError, ValueError) as exc:
            print(f"error: --scheduler: {exc}", file=sys.stderr)
            return 2

    from .datasets import (FER2013FormatError, get_cache_dir, load_fer2013, make_synthetic_faces,
                           with_ferplus_labels)
    from .report import compact_table
    from .runner import BenchmarkError, run_benchmark

    path = None if args.synthetic else (args.data or os.environ.get("FER2013_PATH"))
    if args.ferplus and not path:
        parser.error("--ferplus needs real faces: pass --data fer2013.csv")
    if args.ferplus and args.save_models:
        # saved models name FER2013's seven emotions; FER+ has eight classes
        parser.error("--save-models does not yet save models of FER+ labels; drop one of them")
    try:
        if path:
            data = load_fer2013(path, verbose=not args.quiet)
        else:
            data = make_synthetic_faces(n_per_class=SYNTHETIC_PER_CLASS, random_state=args.seed)
        if args.ferplus:
            data = with_ferplus_labels(data, args.ferplus)
    except (FER2013FormatError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    t0 = time.perf_counter()
    try:
        records = run_benchmark(
            names, data, args.out, quick=args.quick or data.is_synthetic, seed=args.seed,
            n_jobs=args.n_jobs, resume=args.resume,
            cache_dir=None if args.no_cache else Path(get_cache_dir()) / "features",
            save_models=args.save_models, scheduler=args.scheduler, verbose=not args.quiet,
        )
        code = 0
    except BenchmarkError as exc:
        print(f"error: some pipelines failed: {exc}", file=sys.stderr)
        records, code = exc.records, 1
    except OSError as exc:  # e.g. the scheduler went away, the disk is full
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished pipelines are in "
              f"{args.out}/runs; re-run with --resume to continue", file=sys.stderr)
        return 130
    if not records:
        print(f"wrote no results: no pipeline finished ({args.out} is unchanged)",
              file=sys.stderr)
        return code
    print(compact_table(records))
    print(f"wrote {args.out}/results.{{csv,json,md}}, {args.out}/accuracy.png, "
          f"{args.out}/confusion/*.png ({len(records)} pipeline(s)) "
          f"in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
