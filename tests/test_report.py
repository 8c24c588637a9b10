import json

import numpy as np
import pandas as pd
import pytest

from fer_classic.report import (
    atomic_write, markdown_table, plot_accuracies, plot_confusion, write_json, write_tables,
)


def _record(name, acc):
    scores = {"accuracy": acc, "macro_f1": acc - 0.05,
              "per_class_recall": [0.5, None, 0.4, 0.9, 0.5, 0.8, 0.6],
              "confusion": np.eye(7, dtype=int).tolist()}
    return {"name": name, "published": "ionescu2013" if name == "b" else None,
            "best_params": {"svm__C": 0.1, "hog__pixels_per_cell": (8, 8)},
            "public": scores, "private": scores, "n_train": 100,
            "timings": {"features": 1.0, "fit": 2.0, "predict": 0.5, "search": 3.0}}


def test_atomic_write_keeps_old_content_on_error(tmp_path):
    p = tmp_path / "r.txt"
    p.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(p) as f:
            f.write("half")
            raise RuntimeError("boom")
    assert p.read_text() == "old"
    assert [q.name for q in tmp_path.iterdir()] == ["r.txt"]  # no temp file left


def test_write_tables(tmp_path):
    recs = [_record("a", 0.5), _record("b", 0.66)]
    frame = write_tables(recs, tmp_path, dataset={"source": "synthetic", "description": "x"})
    csv = pd.read_csv(tmp_path / "results.csv")
    assert list(csv["pipeline"]) == ["a", "b"]
    assert csv["private_accuracy"].tolist() == [0.5, 0.66]
    assert csv["published_accuracy"].isna().tolist() == [True, False]
    assert csv.loc[1, "published_accuracy"] == pytest.approx(0.67484)
    assert len(frame) == 2
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["results"][0]["best_params"]["hog__pixels_per_cell"] == [8, 8]
    md = (tmp_path / "results.md").read_text()
    assert "SYNTHETIC DATA" in md
    assert "| `b` | 66.00 |" in md
    assert "67.484" not in md  # synthetic faces are not set beside the published figures


def test_markdown_real_data_has_no_banner():
    md = markdown_table([_record("a", 0.5), _record("b", 0.66)],
                        dataset={"source": "folder", "description": "d"})
    assert "SYNTHETIC" not in md
    assert "67.484 (Ionescu" in md and "- 71.162 %: Tang" in md


def test_other_labels_get_their_class_names_and_no_published_figures(tmp_path):
    classes = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
               "contempt"]
    rec = _record("b", 0.66)
    rec["private"] = {**rec["private"], "per_class_recall": [0.5] * 8,
                      "confusion": np.eye(8, dtype=int).tolist()}
    dataset = {"source": "csv+ferplus", "description": "d", "classes": classes}
    write_tables([rec], tmp_path, dataset=dataset)
    md = (tmp_path / "results.md").read_text()
    assert "Con rec %" in md and "Ang rec %" in md
    assert "67.484" not in md and "not FER2013's" in md
    csv = pd.read_csv(tmp_path / "results.csv")
    assert "recall_contempt" in csv.columns


def test_write_json_rejects_nothing_and_maps_nan(tmp_path):
    write_json({"x": float("nan"), "y": np.float32(1.5), "z": (1, 2)}, tmp_path / "a.json")
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": None, "y": 1.5, "z": [1, 2]}


def test_plots_are_pngs(tmp_path):
    plot_confusion(np.arange(49).reshape(7, 7), tmp_path / "c.png", title="t")
    plot_accuracies([_record("a", 0.5), _record("b", 0.6)], tmp_path / "a.png")
    for name in ("c.png", "a.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_accuracy_plot_is_legible():
    # legend below the axes (covering no bar), distinct reference colours,
    # text of at least 9 points, and an interval on every bar
    import matplotlib.pyplot as plt
    from fer_classic.report import accuracy_figure

    rng = np.random.default_rng(0)
    records = []
    for i in range(4):
        confusion = np.diag(rng.integers(50, 100, 7)) + rng.integers(0, 20, (7, 7))
        acc = np.trace(confusion) / confusion.sum()
        records.append({"name": f"p{i}", "private": {"accuracy": acc,
                                                     "confusion": confusion.tolist()}})
    fig = accuracy_figure(records)
    try:
        fig.canvas.draw()
        (ax,) = fig.axes
        renderer = fig.canvas.get_renderer()
        legend = ax.get_legend().get_window_extent(renderer)
        assert legend.y1 < ax.get_window_extent(renderer).y0
        colours = {line.get_color() for line in ax.get_lines() if line.get_linestyle() == "--"}
        assert len(colours) == 4
        sizes = [t.get_fontsize() for t in fig.findobj(plt.Text) if t.get_text()]
        assert min(sizes) >= 9
        from matplotlib.container import ErrorbarContainer

        (bars,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
        assert len(bars.lines[2][0].get_segments()) == 4
    finally:
        plt.close(fig)
