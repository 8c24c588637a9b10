import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from fer_classic.datasets import make_synthetic_faces
from fer_classic.features import Pixels
from fer_classic.registry import (
    PUBLISHED, REGISTRY, PipelineSpec, get_spec, list_specs, register, unregister,
)

REQUIRED = ["pixels-linearsvm", "hog-linearsvm", "hog-rbfsvm", "lbp-linearsvm",
            "lbp-randomforest", "hog+lbp-linearsvm"]


def test_required_pipelines_are_registered():
    assert set(REQUIRED) <= set(REGISTRY)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_spec_builds_and_its_grids_fit_the_pipeline(name):
    spec = get_spec(name)
    pipe = spec.build(0)
    assert isinstance(pipe, Pipeline)
    params = pipe.get_params()
    for quick in (False, True):
        grid = spec.get_grid(quick)
        for g in grid if isinstance(grid, list) else [grid]:
            unknown = set(g) - set(params)
            assert not unknown, f"{name}: grid names unknown parameters {unknown}"
    if spec.published:
        assert spec.published in PUBLISHED


def test_register_user_pipeline_and_errors():
    spec = PipelineSpec("test-pixels-logreg", lambda rs: Pipeline(
        [("px", Pixels()), ("clf", LogisticRegression(max_iter=50))]), {"clf__C": [1.0]})
    try:
        register(spec)
        assert get_spec("test-pixels-logreg") is spec
        assert spec in list_specs()
        with pytest.raises(ValueError, match="already registered"):
            register(spec)
        register(spec, overwrite=True)
    finally:
        unregister("test-pixels-logreg")
    with pytest.raises(KeyError, match="no pipeline named"):
        get_spec("test-pixels-logreg")
    with pytest.raises(ValueError, match="unknown published"):
        register(PipelineSpec("x", spec.build, published="nobody2099"))
    with pytest.raises(TypeError):
        register({"name": "x"})


def test_quick_grid_defaults_to_first_values():
    spec = PipelineSpec("x", None, grid={"a__b": [3, 4], "c__d": [5]})
    assert spec.get_grid(quick=True) == {"a__b": [3], "c__d": [5]}
    assert spec.get_grid(quick=False) == {"a__b": [3, 4], "c__d": [5]}


def test_baseline_pipelines_learn_synthetic_faces():
    data = make_synthetic_faces(n_per_class=100, random_state=0)
    X, y = data.get_split("Training")
    Xt, yt = data.get_split("PrivateTest")
    # chance is 1/7; HOG sees the mouth and brow shapes well, raw pixels less so
    for name, floor in [("hog-linearsvm", 3 / 7), ("pixels-linearsvm", 2 / 7)]:
        pipe = get_spec(name).build(0).fit(X, y)
        assert (pipe.predict(Xt) == yt).mean() > floor, name


def test_quick_mirror_turns_mirror_images_off_in_quick_runs_only():
    spec = PipelineSpec("x", None, mirror_train=True, mirror_test=True, quick_mirror=False)
    assert spec.get_mirror(quick=False) == (True, True)
    assert spec.get_mirror(quick=True) == (False, False)
    kept = PipelineSpec("x", None, mirror_train=True, mirror_test=False)
    assert kept.get_mirror(quick=True) == (True, False)


def test_every_why_link_of_the_registry_names_a_section_of_choices_md():
    """Why a setting was chosen lives in benchmarks/results/CHOICES.md, one section a setting."""
    import re
    from pathlib import Path

    import fer_classic.registry

    root = Path(__file__).resolve().parents[1]
    links = re.findall(r"benchmarks/results/CHOICES\.md#([\w-]+)",
                       Path(fer_classic.registry.__file__).read_text())
    sections = re.findall(r"^## ([\w-]+)$", (root / "benchmarks/results/CHOICES.md").read_text(),
                          flags=re.M)
    assert links, "the registry links no setting to its reasons"
    assert set(links) <= set(sections), sorted(set(links) - set(sections))
    assert set(sections) <= set(links), sorted(set(sections) - set(links))


def _equalize_index(pipeline):
    """Where a registry pipeline equalises: first, or after a training-only contrast jitter."""
    from fer_classic.features import ContrastJitter, HistogramEqualization

    steps = [step for _, step in pipeline.steps]
    start = 1 if isinstance(steps[0], ContrastJitter) else 0
    assert isinstance(steps[start], HistogramEqualization), pipeline
    return start


def test_every_registry_pipeline_equalises_each_face_first():
    # raw fer2013.csv pixels and the equalised image-folder copy reach the
    # features alike (benchmarks/results/CHOICES.md#equalize); a contrast
    # jitter before it changes Training faces only, so predictions see the
    # equalised faces first all the same
    from fer_classic.registry import REGISTRY
    for spec in REGISTRY.values():
        _equalize_index(spec.build(0))


#: Codebooks and mixtures small enough for a few faces (the pixels are the point).
SMALL_ENCODERS = {"bovw__n_words": 8, "bovw__n_coarse_words": 2, "bovw__n_samples": 2000,
                  "fisher__n_components": 2, "fisher__n_samples": 2000}


def test_registry_features_ignore_strictly_increasing_changes_of_the_pixels():
    # what equalising first buys: a face and the same face with another
    # contrast, brightness or gamma (levels kept apart) give the same
    # features in every pipeline, so CSV pixels and the equalised copy meet
    faces = make_synthetic_faces(n_per_class=4, random_state=0).images // 2  # 128 levels
    levels = np.arange(128)
    lut = (30 + levels + np.round(90 * (levels / 127) ** 2)).astype(np.uint8)  # gamma-like
    assert np.all(np.diff(lut.astype(int)) > 0)  # strictly increasing: no level merged
    changed = lut[faces]
    y = np.arange(len(faces)) % 7
    for name, spec in REGISTRY.items():
        pipe = spec.build(0).set_params(**{k: v[0] for k, v in spec.get_grid(True).items()})
        small = {k: v for k, v in SMALL_ENCODERS.items() if k in pipe.get_params()}
        end = _equalize_index(pipe) + 2
        # equalise, extract
        features = Pipeline(pipe.set_params(**small).steps[:end]).fit(faces, y)
        a, b = features.transform(faces), features.transform(changed)
        a, b = (m.toarray() if hasattr(m, "toarray") else np.asarray(m) for m in (a, b))
        np.testing.assert_array_equal(a, b, err_msg=name)
