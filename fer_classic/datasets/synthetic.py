"""Synthetic cartoon faces with FER2013's seven expressions, for tests and demos.

The faces are line drawings (face oval, hair, eyes, eyebrows, nose, mouth)
whose geometry follows the facial actions of each expression: raised or
lowered brows, wide or narrowed eyes, smiling, drooping, open or pressed
mouth, wrinkled nose. Each face blends its class prototype with the neutral
face by a random intensity and jitters every parameter, then goes through
random identity, pose, lighting, blur and noise, so the classes overlap and
a linear classifier on HOG features scores well above chance but not 100 %.
They are no substitute for FER2013: ``FER2013.is_synthetic`` is ``True`` and
the ``repr`` says so.
"""

import numbers

import cv2
import numpy as np

from .. import EMOTIONS, FACE_SIZE, SPLITS
from ..utils.validation import check_positive_int
from .fer2013 import FER2013

__all__ = ["make_synthetic_faces"]

_SHIFT = 4  # cv2 drawing with 4 fractional bits: sub-pixel coordinates
_SCALE = 1 << _SHIFT
_AA = cv2.LINE_AA

# Expression parameters. Rows follow EMOTIONS (Angry, Disgust, Fear, Happy,
# Sad, Surprise, Neutral); columns are
#   brow_in   vertical offset of the inner brow ends (px, negative = raised)
#   brow_out  vertical offset of the outer brow ends
#   eye_h     half-height of the eye opening
#   mouth_w   half-width of the mouth
#   curve     lift of the mouth corners (positive = smile, negative = droop)
#   open      opening of the mouth (0 = closed lips)
#   lip_up    one-sided raise of the upper lip (disgust)
#   wrinkle   strength of the nose wrinkles, 0..1
#   press     extra lip thickness from pressing the lips together
_PROTOTYPES = np.array([
    # brow_in brow_out eye_h mouth_w curve open lip_up wrinkle press
    [2.6, -1.4, 1.3, 4.6, -0.6, 0.0, 0.0, 0.2, 1.0],   # Angry
    [1.6, 0.2, 1.4, 5.6, -1.2, 0.4, 2.6, 1.0, 0.0],    # Disgust
    [-2.8, -1.2, 3.0, 8.2, -1.0, 1.8, 0.0, 0.0, 0.0],  # Fear
    [0.0, 0.0, 1.5, 8.0, 3.0, 1.0, 0.0, 0.0, 0.0],     # Happy
    [-2.4, 1.2, 1.6, 6.0, -2.4, 0.0, 0.0, 0.0, 0.3],   # Sad
    [-3.4, -3.4, 3.2, 3.6, 0.0, 4.6, 0.0, 0.0, 0.0],   # Surprise
    [0.0, 0.0, 2.1, 6.0, 0.0, 0.0, 0.0, 0.0, 0.0],     # Neutral
])
_JITTER = np.array([0.8, 0.8, 0.35, 0.8, 0.7, 0.5, 0.5, 0.2, 0.35])
_NEUTRAL = _PROTOTYPES[EMOTIONS.index("Neutral")]
_MOUTH_T = np.linspace(-1.0, 1.0, 13)
_MOUTH_OPENING = np.sqrt(np.clip(1.0 - _MOUTH_T**2, 0.0, 1.0))


def _pt(x, y):
    return (int(x * _SCALE + 0.5), int(y * _SCALE + 0.5))


def _poly(xs, ys):
    pts = np.empty((len(xs), 2), dtype=np.int32)
    np.rint(xs * _SCALE, out=pts[:, 0], casting="unsafe")
    np.rint(ys * _SCALE, out=pts[:, 1], casting="unsafe")
    return pts


def _draw_face(p, ident, canvas):
    """Draw one canonical (upright, centred) face on ``canvas`` in place."""
    (brow_in, brow_out, eye_h, mouth_w, curve, open_, lip_up, wrinkle, press) = p.tolist()
    (bg, skin, ink, hair, fw, fh, fy, ed, ey, my, nose_len, brow_t, hair_h, side) = ident.tolist()
    cx = FACE_SIZE / 2
    canvas[:] = int(bg)
    skin, ink, hair = int(skin), int(ink), int(hair)
    # hair behind the top of the head, then the face oval
    cv2.ellipse(canvas, _pt(cx, fy - fh * 0.35), _pt(fw + 2.0, fh * hair_h), 0, 0, 360, hair,
                -1, _AA, _SHIFT)
    cv2.ellipse(canvas, _pt(cx, fy), _pt(fw, fh), 0, 0, 360, skin, -1, _AA, _SHIFT)
    white = min(255, skin + 45)
    for s in (-1.0, 1.0):
        ex = cx + s * ed
        # eye: white, iris, outline
        cv2.ellipse(canvas, _pt(ex, ey), _pt(3.3, max(eye_h, 0.4)), 0, 0, 360, white, -1, _AA,
                    _SHIFT)
        cv2.circle(canvas, _pt(ex, ey), int(round(min(max(eye_h, 0.6), 1.8) * _SCALE)), ink, -1,
                   _AA, _SHIFT)
        cv2.ellipse(canvas, _pt(ex, ey), _pt(3.3, max(eye_h, 0.4)), 0, 0, 360, ink, 1, _AA,
                    _SHIFT)
        # eyebrow: inner end near the nose, outer end at the temple
        base = ey - 4.6
        cv2.line(canvas, _pt(cx + s * (ed - 3.2), base + brow_in),
                 _pt(cx + s * (ed + 3.6), base + brow_out), ink, int(brow_t), _AA, _SHIFT)
    # nose: bridge and base
    shade = int(0.55 * skin + 0.45 * ink)
    ny = ey + nose_len
    cv2.line(canvas, _pt(cx + 0.5, ey + 1.5), _pt(cx + 0.8, ny), shade, 1, _AA, _SHIFT)
    cv2.ellipse(canvas, _pt(cx, ny), _pt(2.6, 1.2), 0, 0, 180, shade, 1, _AA, _SHIFT)
    if wrinkle > 0.05:
        w_col = int(skin + min(wrinkle, 1.0) * (ink - skin) * 0.8)
        for k in range(3):
            yy = ey + 0.8 + 1.3 * k
            cv2.line(canvas, _pt(cx - 2.4, yy), _pt(cx + 2.4, yy + 0.4), w_col, 1, _AA, _SHIFT)
    # mouth: upper and lower lip curves around a dark opening
    w = max(mouth_w, 1.5)
    t = _MOUTH_T
    base_y = my - curve * t**2
    opening = _MOUTH_OPENING
    upper = base_y - 0.4 * max(open_, 0.0) * opening - lip_up * np.clip(side * t, 0.0, 1.0)
    lower = base_y + 0.6 * max(open_, 0.0) * opening
    xs = cx + w * t
    if (lower - upper).max() > 0.6:
        cavity = np.concatenate([_poly(xs, upper), _poly(xs, lower)[::-1]])
        cv2.fillPoly(canvas, [cavity], int(0.25 * ink), _AA, _SHIFT)
    thick = 1 + int(press > 0.5)
    cv2.polylines(canvas, [_poly(xs, upper)], False, ink, thick, _AA, _SHIFT)
    cv2.polylines(canvas, [_poly(xs, lower)], False, ink, 1, _AA, _SHIFT)


def _split_sizes(n_per_class, splits):
    """Faces per split for one class: largest remainder, each split >= 1."""
    raw = np.asarray(splits, dtype=float) * n_per_class
    sizes = np.floor(raw).astype(int)
    order = np.argsort(-(raw - sizes), kind="stable")
    sizes[order[: n_per_class - sizes.sum()]] += 1
    while (sizes == 0).any():  # take from the largest split
        sizes[np.argmax(sizes)] -= 1
        sizes[np.argmin(sizes)] += 1
    return sizes


def _check_fractions(splits):
    """Return ``splits`` as an array of 3 positive fractions summing to 1, or raise."""
    try:
        fractions = np.asarray(splits, dtype=float)
    except (TypeError, ValueError):
        fractions = None
    if (
        fractions is None
        or fractions.shape != (3,)
        or not np.isfinite(fractions).all()
        or (fractions <= 0).any()
        or abs(fractions.sum() - 1.0) > 1e-6
    ):
        raise ValueError(
            "splits must be 3 positive fractions (Training, PublicTest, PrivateTest) summing "
            f"to 1; got {splits!r}."
        )
    return fractions


def _random_state(random_state):
    """Return the RandomState for ``random_state`` (int, RandomState or None), or raise."""
    if random_state is not None and not isinstance(
        random_state, (numbers.Integral, np.random.RandomState)
    ):
        raise ValueError(
            f"random_state must be an int, RandomState or None; got {random_state!r}."
        )
    from sklearn.utils import check_random_state  # imported here: sklearn is slow to import

    return check_random_state(random_state)


def _labels(sizes):
    """Return the labels, split names and ids of the faces, ordered by split, then label."""
    target, split, ids = [], [], []
    for j, split_name in enumerate(SPLITS):
        for label, emotion in enumerate(EMOTIONS):
            for k in range(sizes[j]):
                target.append(label)
                split.append(split_name)
                ids.append(f"synthetic/{split_name}/{emotion}/{k:05d}")
    return np.asarray(target, dtype=np.int64), np.asarray(split), np.asarray(ids)


def _expressions(rng, target):
    """Return the expression parameters: neutral + intensity * (prototype - neutral) + jitter."""
    intensity = rng.uniform(0.45, 1.15, size=(len(target), 1))
    params = _NEUTRAL + intensity * (_PROTOTYPES[target] - _NEUTRAL)
    params = params + rng.normal(size=params.shape) * _JITTER
    params[:, 5:9] = np.maximum(params[:, 5:9], 0.0)  # open, lip_up, wrinkle, press
    return params


def _identities(rng, n):
    """Return the identity parameters: tones, face shape and feature placement."""
    bg = rng.uniform(10, 245, n)
    skin = rng.uniform(105, 215, n)
    ink = skin - rng.uniform(70, 100, n)
    hair = rng.uniform(10, 200, n)
    return np.column_stack([
        bg, skin, ink, hair,
        rng.uniform(14.5, 18.0, n),     # face half-width
        rng.uniform(18.5, 22.0, n),     # face half-height
        rng.uniform(25.0, 27.0, n),     # face centre y
        rng.uniform(6.2, 7.8, n),       # eye half-distance
        rng.uniform(19.5, 22.0, n),     # eye y
        rng.uniform(34.0, 37.0, n),     # mouth y
        rng.uniform(7.0, 9.5, n),       # nose length
        rng.choice([1, 2], size=n),     # brow thickness
        rng.uniform(0.45, 0.75, n),     # hair height (fraction of face height)
        rng.choice([-1.0, 1.0], size=n),  # side of a one-sided lip raise
    ])


def _nuisances(rng, n):
    """Return the pose and photometric nuisance of each face, and its pixel noise."""
    nuisance = {
        "angle": rng.uniform(-9.0, 9.0, n),
        "scale": rng.uniform(0.9, 1.1, n),
        "shift": rng.uniform(-2.5, 2.5, (n, 2)),
        "contrast": rng.uniform(0.7, 1.25, n),
        "brightness": rng.uniform(-25.0, 25.0, n),
        "ramp_dir": rng.uniform(0.0, 2 * np.pi, n),
        "ramp_amp": rng.uniform(0.0, 30.0, n),
        "blur": rng.uniform(0.3, 1.0, n),
        "noise_sd": rng.uniform(2.0, 9.0, n),
    }
    # pixel noise from a fast generator seeded by ``rng`` (still deterministic)
    noise_rng = np.random.default_rng(rng.randint(0, 2**31 - 1))
    nuisance["noise"] = noise_rng.standard_normal((n, FACE_SIZE, FACE_SIZE), dtype=np.float32)
    return nuisance


def _render(params, ident, nuisance):
    """Return the drawn faces, posed and blurred by ``nuisance``, as float32 images."""
    n = len(params)
    angle, scale, shift, blur = (nuisance[k] for k in ("angle", "scale", "shift", "blur"))
    canvas = np.empty((FACE_SIZE, FACE_SIZE), dtype=np.uint8)
    faces = np.empty((n, FACE_SIZE, FACE_SIZE), dtype=np.float32)
    centre = (FACE_SIZE / 2, FACE_SIZE / 2)
    for i in range(n):
        _draw_face(params[i], ident[i], canvas)
        M = cv2.getRotationMatrix2D(centre, float(angle[i]), float(scale[i]))
        M[:, 2] += shift[i]
        warped = cv2.warpAffine(canvas, M, (FACE_SIZE, FACE_SIZE), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REPLICATE)
        faces[i] = cv2.GaussianBlur(warped.astype(np.float32), (0, 0), float(blur[i]))
    return faces


def _light(faces, nuisance):
    """Return ``faces`` as uint8 images after the contrast, brightness, gradient and noise."""
    contrast, brightness, ramp_dir, ramp_amp, noise, noise_sd = (nuisance[k] for k in (
        "contrast", "brightness", "ramp_dir", "ramp_amp", "noise", "noise_sd"))
    f32 = np.float32
    coords = (np.arange(FACE_SIZE, dtype=f32) - FACE_SIZE / 2) / FACE_SIZE
    gx = (ramp_amp * np.cos(ramp_dir)).astype(f32)[:, None, None] * coords[None, None, :]
    gy = (ramp_amp * np.sin(ramp_dir)).astype(f32)[:, None, None] * coords[None, :, None]
    offset = (f32(128.0) * (1 - contrast) + brightness).astype(f32)[:, None, None]
    faces *= contrast.astype(f32)[:, None, None]
    faces += offset
    faces += gx
    faces += gy
    noise *= noise_sd.astype(f32)[:, None, None]
    faces += noise
    np.rint(faces, out=faces)
    return np.clip(faces, 0, 255).astype(np.uint8)


def make_synthetic_faces(n_per_class=100, *, splits=(0.8, 0.1, 0.1), random_state=0):
    """Generate cartoon faces showing the seven FER2013 expressions.

    Each face is drawn from its expression's geometry (eyebrows, eye
    opening, mouth width, curvature and opening, raised upper lip, nose
    wrinkles): Happy has an upturned, slightly open mouth; Sad a downturned
    mouth with raised inner brows; Surprise raised brows, wide eyes and an
    open round mouth; Angry brows slanted down towards the nose and a tight,
    pressed mouth; Fear raised brows, wide eyes and a stretched, slightly
    open mouth; Disgust a wrinkled nose and an upper lip raised on one side;
    Neutral relaxed features. The expression is blended with neutral by a
    random intensity and every parameter is jittered, so classes overlap;
    identity (face shape, hair, skin and background tone, feature spacing),
    pose (shift, scale, rotation), lighting (brightness, contrast,
    gradient), blur and noise vary per face.

    Parameters
    ----------
    n_per_class : int, default=100
        Faces per expression, at least 3 (every split gets every class).
    splits : tuple of 3 float, default=(0.8, 0.1, 0.1)
        Fractions of each class assigned to Training, PublicTest and
        PrivateTest; positive and summing to 1.
    random_state : int, RandomState instance or None, default=0
        Seed; the same seed gives the same faces.

    Returns
    -------
    data : FER2013
        ``source='synthetic'``, ``7 * n_per_class`` faces ordered by split,
        then label; ids are ``'synthetic/<split>/<Emotion>/<k>'``.

    Examples
    --------
    >>> from fer_classic.datasets import make_synthetic_faces
    >>> data = make_synthetic_faces(n_per_class=20, random_state=0)
    >>> data.images.shape, data.images.dtype, data.is_synthetic
    ((140, 48, 48), dtype('uint8'), True)
    >>> data.counts()["PublicTest"].tolist()
    [2, 2, 2, 2, 2, 2, 2]
    """
    n_per_class = check_positive_int(n_per_class, "n_per_class", minimum=3)
    fractions = _check_fractions(splits)
    rng = _random_state(random_state)
    target, split, ids = _labels(_split_sizes(n_per_class, fractions))
    params = _expressions(rng, target)
    ident = _identities(rng, len(target))
    nuisance = _nuisances(rng, len(target))
    images = _light(_render(params, ident, nuisance), nuisance)
    return FER2013(images, target, split, ids, source="synthetic", path=None)
