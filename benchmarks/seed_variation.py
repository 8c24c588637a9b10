"""How much a run varies with its seed: mean and spread of bench records of several seeds.

The seed draws the descriptors that codebooks and mixtures are fitted on,
their initialisations and the quick subsample. This script reads the
``results.json`` of bench run folders that differ only in ``--seed`` (and
perhaps the machine) and tabulates, for every pipeline they share, the
PublicTest and PrivateTest accuracy of each seed, their mean and their
standard deviation (ddof=1).

Usage::

    python benchmarks/seed_variation.py benchmarks/results/full \\
        benchmarks/results/seeds/seed1 benchmarks/results/seeds/seed2 \\
        --out benchmarks/results/seeds/variation.md
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def _shown(path):
    path = Path(path).resolve()
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def _load(folder):
    doc = json.loads((Path(folder) / "results.json").read_text())
    records = {r["name"]: r for r in doc["results"]}
    seeds = {r["config"]["seed"] for r in records.values()}
    if len(seeds) != 1:
        sys.exit(f"error: {folder} holds runs of several seeds {sorted(seeds)}")
    run = Path(folder) / "RUN.md"
    machines = [line.split("machine: ", 1)[1] for line in run.read_text().splitlines()
                if "machine: " in line] if run.exists() else []
    return seeds.pop(), records, machines[0].split(";")[0] if machines else "not recorded"


def variation_table(folders, runs):
    """Markdown lines: one row per pipeline present in every folder (``runs``: their ``_load``)."""
    if len({seed for seed, _, _ in runs}) != len(runs):
        sys.exit("error: two folders hold the same seed")
    names = [n for n in runs[0][1] if all(n in r for _, r, _ in runs)]
    seeds = [seed for seed, _, _ in runs]
    head = (["Pipeline", "split"] + [f"seed {s}" for s in seeds] + ["mean", "std", "max - min"])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in names:
        for split, key in (("PrivateTest", "private"), ("PublicTest", "public")):
            accs = np.array([100 * r[name][key]["accuracy"] for _, r, _ in runs])
            cells = [f"`{name}`", split, *(f"{a:.2f}" for a in accs), f"{accs.mean():.2f}",
                     f"{accs.std(ddof=1):.2f}", f"{accs.max() - accs.min():.2f}"]
            lines.append("| " + " | ".join(cells) + " |")
    sources = [f"- seed {seed}: `{_shown(f)}` ({machine})"
               for f, (seed, _, machine) in zip(folders, runs)]
    return sources, lines


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folders", nargs="+", help="bench run folders (results.json), one per seed")
    p.add_argument("--out", help="write the Markdown record here")
    args = p.parse_args(argv)
    if len(args.folders) < 2:
        p.error("give at least two run folders")
    runs = [_load(f) for f in args.folders]
    sources, table = variation_table(args.folders, runs)
    name, rec = next(iter(runs[0][1].items()))
    n = int(np.sum(rec["private"]["confusion"]))
    acc = rec["private"]["accuracy"]
    se = 100 * np.sqrt(acc * (1 - acc) / n)
    shown = [_shown(f) for f in args.folders]
    text = "\n".join([
        "# Seed variation",
        "",
        f"- command: `python benchmarks/seed_variation.py {' '.join(shown)}"
        + (f" --out {_shown(args.out)}`" if args.out else "`"),
        "- each seed's run, with its machine (the runs' own RUN.md give the commands):",
        *sources,
        f"- std: standard deviation over the seeds (ddof=1). For scale: the sampling "
        f"error of one accuracy of `{name}` ({100 * acc:.2f} % of {n:,} PrivateTest faces), "
        f"sqrt(p (1 - p) / n), is {se:.2f} points; the seed's spread comes on top of it",
        "",
        *table,
    ]) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
