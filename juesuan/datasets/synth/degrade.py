"""Scan simulation: make a clean rendered page look scanned, faxed or photographed.

``degrade(image, rng, level)`` returns the degraded image with the same height and width. Only rotation and
perspective move pixels; every other effect (blur, noise, JPEG, binarisation, low-dpi resampling, light,
seals, show-through, pen marks) keeps geometry. :func:`degrade_with_transform` also returns the 3x3 matrix
that maps source pixel coordinates to output pixel coordinates (a homography; affine when there is no
perspective, identity when nothing moved), and :func:`transform_boxes` maps token boxes with it, so labels
stay exact. Presets (``PRESETS``): ``clean``, ``scan`` (issue 3's acceptance: rotation <= 1 degree, blur,
noise, JPEG q 60-75), ``fax`` (issue 12: meant for a page *rendered* at 150 dpi, ``DegradeOptions.dpi``; 1-bit,
black speckle, white drop-outs that break 1-px rules and strokes), ``fax_resampled`` (the older 150-dpi look made
by resampling a 200-dpi page; kept for the synthetic generator's mix), ``photo`` (issue 12: a phone photo of a
stamped copy: perspective, uneven light, a red seal over the middle of the page where the table is,
show-through, JPEG), ``photo_stamp`` (the older, milder photo), ``heavy`` (everything, for robustness).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class DegradeOptions(BaseModel):
    """Strength of each effect; ranges are sampled uniformly per page, probabilities decide whether it runs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rotation_deg: float = Field(0.0, ge=0, le=10, description="max |rotation| in degrees (skew of a scan)")
    perspective: float = Field(0.0, ge=0, le=0.05, description="max corner shift as a fraction of page size")
    blur_sigma: tuple[float, float] = Field((0.0, 0.0), description="Gaussian blur sigma range, px")
    noise_sigma: tuple[float, float] = Field((0.0, 0.0), description="Gaussian noise sigma range, grey levels")
    jpeg_quality: tuple[int, int] | None = Field(None, description="JPEG quality range; None: no JPEG cycle")
    resample_factor: tuple[float, float] = Field(
        (1.0, 1.0), description="down-then-up sampling factor range (0.5: half the dpi), keeps size"
    )
    binarize: bool = Field(False, description="threshold to black/white (fax)")
    uneven_light: float = Field(0.0, ge=0, le=0.6, description="max darkening of the light gradient")
    show_through: float = Field(0.0, ge=0, le=0.3, description="max alpha of the mirrored back side")
    seal_probability: float = Field(0.0, ge=0, le=1, description="chance of a red official seal 公章")
    pen_probability: float = Field(0.0, ge=0, le=1, description="chance of pen marks")
    contrast: tuple[float, float] = Field((1.0, 1.0), description="contrast factor range (ink fading)")
    speckle_density: tuple[float, float] = Field(
        (0.0, 0.0), description="black specks (1-2 px dots) per page pixel, range; fax line noise"
    )
    dropout_density: tuple[float, float] = Field(
        (0.0, 0.0), description="white 1-3 px drop-outs per ink pixel, range; they break 1-px rules and strokes"
    )
    dropout_lines: tuple[float, float] = Field(
        (0.0, 0.0), description="share of pixel rows lost whole (white), range; a fax's skipped scan lines"
    )
    binarize_threshold: tuple[int, int] = Field((150, 200), description="grey level below which a pixel is ink")
    seal_region: Literal["lower", "centre"] = Field(
        "lower", description="where the seal lands: lower half (signature block) or centre (over the table)"
    )
    dpi: int | None = Field(
        None, ge=72, le=600, description="dpi to render the page at for this preset (evaluate's default --dpi)"
    )


PRESETS: dict[str, DegradeOptions] = {
    "clean": DegradeOptions(),
    "scan": DegradeOptions(
        rotation_deg=1.0,
        blur_sigma=(0.3, 0.9),
        noise_sigma=(2.0, 7.0),
        jpeg_quality=(60, 75),
        show_through=0.05,
        contrast=(0.85, 1.0),
    ),
    "fax": DegradeOptions(
        # Rendered at a true 150 dpi (no resampling): a 0.5-pt rule is one pixel wide, so drop-outs cut it.
        dpi=150,
        rotation_deg=0.8,
        blur_sigma=(0.2, 0.5),
        noise_sigma=(4.0, 10.0),
        binarize=True,
        binarize_threshold=(140, 185),
        speckle_density=(2e-4, 8e-4),
        dropout_density=(0.01, 0.03),
        dropout_lines=(0.002, 0.008),
        pen_probability=0.1,
    ),
    "fax_resampled": DegradeOptions(
        rotation_deg=0.8,
        blur_sigma=(0.2, 0.6),
        noise_sigma=(4.0, 10.0),
        resample_factor=(0.55, 0.75),
        binarize=True,
        pen_probability=0.1,
    ),
    "photo": DegradeOptions(
        dpi=200,
        rotation_deg=2.0,
        perspective=0.03,
        blur_sigma=(0.5, 1.2),
        noise_sigma=(3.0, 8.0),
        jpeg_quality=(55, 80),
        uneven_light=0.45,
        show_through=0.12,
        seal_probability=1.0,
        seal_region="centre",
        contrast=(0.75, 0.95),
    ),
    "photo_stamp": DegradeOptions(
        rotation_deg=1.5,
        perspective=0.012,
        blur_sigma=(0.4, 1.2),
        noise_sigma=(3.0, 8.0),
        jpeg_quality=(65, 85),
        uneven_light=0.35,
        seal_probability=1.0,
        contrast=(0.75, 0.95),
    ),
    "heavy": DegradeOptions(
        rotation_deg=2.0,
        perspective=0.015,
        blur_sigma=(0.6, 1.4),
        noise_sigma=(6.0, 14.0),
        jpeg_quality=(45, 65),
        resample_factor=(0.6, 0.85),
        uneven_light=0.3,
        show_through=0.12,
        seal_probability=0.5,
        pen_probability=0.4,
        contrast=(0.6, 0.9),
    ),
}

_SEAL_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
_SEAL_TEXTS = ("财政局专用章", "预算管理专用章", "人民政府办公室", "街道办事处", "决算公开专用章", "财务专用章")


@dataclass(frozen=True, slots=True, eq=False)
class Degraded:
    """A degraded page and the 3x3 matrix from source to output pixel coordinates."""

    image: np.ndarray
    matrix: np.ndarray  # 3x3 float64; apply with transform_points / transform_boxes
    preset: str
    jpeg_quality: int | None = None


def resolve(level: str | DegradeOptions) -> tuple[str, DegradeOptions]:
    if isinstance(level, DegradeOptions):
        return "custom", level
    if level not in PRESETS:
        raise ValueError(f"unknown degrade preset {level!r}; known: {', '.join(sorted(PRESETS))}")
    return level, PRESETS[level]


def degrade(image: np.ndarray, rng: np.random.Generator, level: str | DegradeOptions = "scan") -> np.ndarray:
    """Degraded copy of ``image`` (H x W x 3 or H x W uint8), same H and W; the input is not modified.

    Use :func:`degrade_with_transform` when the page has boxes: rotation and perspective move them.
    """
    return degrade_with_transform(image, rng, level).image


def degrade_with_transform(
    image: np.ndarray, rng: np.random.Generator, level: str | DegradeOptions = "scan"
) -> Degraded:
    """Degrade and return the source→output matrix. A grey input comes back grey unless a seal adds colour."""
    import cv2

    name, opt = resolve(level)
    img = np.ascontiguousarray(image)
    if img.dtype != np.uint8:
        raise ValueError(f"degrade expects uint8 pixels, got {img.dtype}")
    h, w = img.shape[:2]
    matrix = np.eye(3)

    if opt.show_through > 0:
        alpha = rng.uniform(0.3, 1.0) * opt.show_through
        # Blur at quarter size: the back side is a soft ghost, and this keeps the preset fast.
        small = cv2.resize(np.ascontiguousarray(img[:, ::-1]), (max(1, w // 4), max(1, h // 4)), cv2.INTER_AREA)
        back = cv2.resize(cv2.GaussianBlur(small, (0, 0), 0.7), (w, h), interpolation=cv2.INTER_LINEAR)
        back = 255 - ((255 - back.astype(np.float32)) * alpha)
        img = np.minimum(img, back.astype(np.uint8))

    if opt.pen_probability > 0 and rng.random() < opt.pen_probability:
        img = _pen_marks(img, rng)

    if opt.seal_probability > 0 and rng.random() < opt.seal_probability:
        img = _red_seal(img, rng, opt.seal_region)

    # Geometry: rotation about the page centre (+ optional perspective), white fill outside the page.
    angle = rng.uniform(-opt.rotation_deg, opt.rotation_deg) if opt.rotation_deg > 0 else 0.0
    if angle != 0.0 or opt.perspective > 0:
        rot = np.vstack([cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0), [0.0, 0.0, 1.0]])
        persp = np.eye(3)
        if opt.perspective > 0:
            src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
            shift = rng.uniform(-opt.perspective, opt.perspective, size=(4, 2)) * np.array([w, h])
            persp = cv2.getPerspectiveTransform(src, (src + shift).astype(np.float32)).astype(np.float64)
        matrix = persp @ rot
        border = (255, 255, 255) if img.ndim == 3 else 255
        if opt.perspective > 0:
            img = cv2.warpPerspective(img, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=border)
        else:
            img = cv2.warpAffine(img, matrix[:2], (w, h), flags=cv2.INTER_LINEAR, borderValue=border)

    if opt.uneven_light > 0:
        img = _uneven_light(img, rng, opt.uneven_light)

    lo, hi = opt.contrast
    if hi < 1.0 or lo < 1.0:
        c = rng.uniform(lo, hi)
        img = (255 - (255 - img.astype(np.float32)) * c).astype(np.uint8)

    lo, hi = opt.resample_factor
    if lo < 1.0:
        f = rng.uniform(lo, hi)
        small = cv2.resize(img, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA)
        img = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)

    lo, hi = opt.blur_sigma
    if hi > 0:
        sigma = rng.uniform(lo, hi)
        if sigma > 0.05:
            img = cv2.GaussianBlur(img, (0, 0), sigma)

    lo, hi = opt.noise_sigma
    if hi > 0:
        sigma = rng.uniform(lo, hi)
        noise = rng.standard_normal((h, w), dtype=np.float32) * sigma
        if img.ndim == 3:
            noise = noise[:, :, None]
        img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)

    if opt.binarize:
        grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) if img.ndim == 3 else img
        thr = int(rng.integers(opt.binarize_threshold[0], opt.binarize_threshold[1]))
        bw = np.where(grey < thr, 0, 255).astype(np.uint8)
        bw = _fax_artefacts(bw, rng, opt)
        img = np.repeat(bw[:, :, None], 3, axis=2) if img.ndim == 3 else bw

    quality: int | None = None
    if opt.jpeg_quality is not None:
        quality = int(rng.integers(opt.jpeg_quality[0], opt.jpeg_quality[1] + 1))
        img = jpeg_cycle(img, quality)

    return Degraded(image=img, matrix=matrix, preset=name, jpeg_quality=quality)


def _fax_artefacts(bw: np.ndarray, rng: np.random.Generator, opt: DegradeOptions) -> np.ndarray:
    """Black speckle, white drop-outs on ink and lost scan lines on a 0/255 page (geometry unchanged).

    Drop-outs are placed on ink pixels (a random share of them, each whitening a 1-3 px square), so a 1-px rule
    of length L gets about ``density * L`` gaps whatever the page's ink coverage.
    """
    h, w = bw.shape
    out = bw.copy()
    lo, hi = opt.dropout_density
    if hi > 0:
        ys, xs = np.nonzero(out == 0)
        if len(ys):
            n = int(len(ys) * rng.uniform(lo, hi))
            pick = rng.choice(len(ys), size=n, replace=False) if n else np.empty(0, dtype=np.int64)
            sizes = rng.integers(1, 4, size=n)
            for y, x, k in zip(ys[pick], xs[pick], sizes, strict=True):
                y0, x0 = max(0, y - k // 2), max(0, x - k // 2)
                out[y0 : y0 + k, x0 : x0 + k] = 255
    lo, hi = opt.dropout_lines
    if hi > 0:
        n = int(h * rng.uniform(lo, hi))
        if n:
            out[rng.choice(h, size=n, replace=False)] = 255
    lo, hi = opt.speckle_density
    if hi > 0:
        n = int(h * w * rng.uniform(lo, hi))
        ys, xs = rng.integers(0, h, size=n), rng.integers(0, w, size=n)
        big = rng.random(n) < 0.3
        out[ys, xs] = 0
        out[np.minimum(ys[big] + 1, h - 1), xs[big]] = 0
        out[ys[big], np.minimum(xs[big] + 1, w - 1)] = 0
    return out


def jpeg_cycle(img: np.ndarray, quality: int) -> np.ndarray:
    """Encode and decode as JPEG, so the artefacts are in the pixels whatever format is written later."""
    import cv2

    code = cv2.COLOR_RGB2BGR if img.ndim == 3 else None
    src = cv2.cvtColor(img, code) if code is not None else img
    ok, buf = cv2.imencode(".jpg", src, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:  # pragma: no cover - cv2 encodes any uint8 image
        raise RuntimeError("JPEG encoding failed")
    flag = cv2.IMREAD_COLOR if img.ndim == 3 else cv2.IMREAD_GRAYSCALE
    out = cv2.imdecode(buf, flag)
    return cv2.cvtColor(out, cv2.COLOR_BGR2RGB) if img.ndim == 3 else out


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Map N x 2 source points to output coordinates with a 3x3 matrix."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    hom = np.hstack([pts, np.ones((len(pts), 1))]) @ np.asarray(matrix, dtype=np.float64).T
    return hom[:, :2] / hom[:, 2:3]


def transform_boxes(boxes: np.ndarray | list, matrix: np.ndarray, width: int, height: int) -> np.ndarray:
    """Axis-aligned boxes enclosing the four mapped corners of each (x0, y0, x1, y1) box, clipped to the page.

    At <= 1 degree a 30-px-tall line box grows by under 1 % of its width in height, so boxes stay tight.
    """
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if np.allclose(matrix, np.eye(3)):
        return b.copy()
    corners = np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [2, 3]], b[:, [0, 3]]], axis=1).reshape(-1, 2)
    mapped = transform_points(corners, matrix).reshape(-1, 4, 2)
    out = np.concatenate([mapped.min(axis=1), mapped.max(axis=1)], axis=1)
    out[:, [0, 2]] = out[:, [0, 2]].clip(0, width)
    out[:, [1, 3]] = out[:, [1, 3]].clip(0, height)
    return out


def _uneven_light(img: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    import cv2

    h, w = img.shape[:2]
    field = rng.uniform(0, 1, size=(3, 3)).astype(np.float32)
    field = cv2.resize(field, (w, h), interpolation=cv2.INTER_CUBIC)
    field = 1.0 - strength * rng.uniform(0.4, 1.0) * (field - field.min()) / max(1e-6, float(np.ptp(field)))
    if img.ndim == 3:
        field = field[:, :, None]
    return np.clip(img.astype(np.float32) * field, 0, 255).astype(np.uint8)


@lru_cache(maxsize=8)
def _seal_font(size: int):  # type: ignore[no-untyped-def]
    from PIL import ImageFont

    for path in _SEAL_FONTS:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return None


def _red_seal(img: np.ndarray, rng: np.random.Generator, region: str = "lower") -> np.ndarray:
    """Multiply-blend a red round seal (ring, star, text on an arc) in the lower half of the page, or (``centre``)
    over its middle, where a table page's table is: ink under the seal turns dark red, not black."""
    from PIL import Image, ImageDraw

    h, w = img.shape[:2]
    radius = int(min(h, w) * rng.uniform(0.07, 0.10))
    size = 2 * radius + 4
    stamp = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(stamp)
    c = size / 2
    ring = max(3, radius // 14)
    draw.ellipse([c - radius, c - radius, c + radius, c + radius], outline=255, width=ring)
    star_r = radius * 0.28
    pts = []
    for k in range(10):
        r = star_r if k % 2 == 0 else star_r * 0.4
        a = -math.pi / 2 + k * math.pi / 5
        pts.append((c + r * math.cos(a), c + r * math.sin(a)))
    draw.polygon(pts, fill=255)
    text = _SEAL_TEXTS[int(rng.integers(len(_SEAL_TEXTS)))]
    font = _seal_font(max(8, int(radius * 0.26)))
    if font is not None:
        n = len(text)
        span = math.radians(200)
        for k, ch in enumerate(text):
            a = -math.pi / 2 - span / 2 + span * (k + 0.5) / n
            rr = radius * 0.72
            glyph = Image.new("L", (font.size * 2, font.size * 2), 0)
            ImageDraw.Draw(glyph).text((font.size // 2, font.size // 2), ch, fill=255, font=font)
            glyph = glyph.rotate(-math.degrees(a) - 90, resample=Image.BILINEAR)
            gx = int(c + rr * math.cos(a) - glyph.width / 2)
            gy = int(c + rr * math.sin(a) - glyph.height / 2)
            stamp.paste(255, (gx, gy), glyph)
    alpha = np.asarray(stamp, dtype=np.float32) / 255.0 * rng.uniform(0.55, 0.9)
    if region == "centre":
        cx = int(rng.uniform(0.3, 0.7) * w) - size // 2
        cy = int(rng.uniform(0.3, 0.7) * h) - size // 2
    else:
        cx = int(rng.uniform(0.45, 0.85) * w) - size // 2
        cy = int(rng.uniform(0.5, 0.9) * h) - size // 2
    cx, cy = max(0, min(cx, w - size)), max(0, min(cy, h - size))
    out = img if img.ndim == 3 else np.repeat(img[:, :, None], 3, axis=2)
    out = out.copy()
    patch = out[cy : cy + size, cx : cx + size].astype(np.float32)
    red = np.array([220.0, 30.0, 40.0], dtype=np.float32) / 255.0
    patch *= 1.0 - alpha[:, :, None] * (1.0 - red)
    out[cy : cy + size, cx : cx + size] = patch.astype(np.uint8)
    return out


def _pen_marks(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A few hand-drawn strokes (ticks, underlines) in blue or black ink."""
    import cv2

    h, w = img.shape[:2]
    out = img.copy() if img.ndim == 3 else np.repeat(img[:, :, None], 3, axis=2)
    colour = (30, 50, 160) if rng.random() < 0.6 else (30, 30, 30)
    for _ in range(int(rng.integers(1, 4))):
        x0, y0 = rng.uniform(0.05, 0.9) * w, rng.uniform(0.05, 0.95) * h
        length = rng.uniform(0.05, 0.25) * w
        t = np.linspace(0, 1, 24)
        xs = x0 + t * length
        ys = y0 + np.sin(t * math.pi * rng.uniform(0.5, 2)) * rng.uniform(2, 15) + t * rng.uniform(-20, 20)
        pts = np.stack([xs, ys], axis=1).astype(np.int32)
        cv2.polylines(out, [pts], False, colour, thickness=int(rng.integers(2, 5)), lineType=cv2.LINE_AA)
    return out
