"""Stage 1: turn PDF pages and page images into upright RGB arrays (:class:`PageImage`).

PDFs render with pypdfium2 (permissive licence; no PyMuPDF). Images (png/jpg/tif/bmp/webp, multi-page TIFF) load
with Pillow at their own resolution; their dpi comes from metadata, else :data:`ASSUMED_IMAGE_DPI`.
Scanned pages then go through :mod:`juesuan.inference.preprocess` (red seal suppression, 90/180/270 rotation,
small-angle deskew). A page whose PDF text layer is used (``text_layer="auto"``) is *not* rotated or deskewed:
digital pages are upright, and leaving the pixels alone keeps the text-layer boxes exact.

The text layer (:func:`text_layer_tokens`) is also the free ground truth for auto-labelling and evaluation.
"""

from __future__ import annotations

import ctypes
import logging
import re
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from juesuan.datamodel.page import BBox, PageImage, PageRef, Token
from juesuan.errors import InputError
from juesuan.inference import preprocess
from juesuan.lexicon import is_cjk
from juesuan.options import RasterizeOptions

if TYPE_CHECKING:
    import pypdfium2

log = logging.getLogger(__name__)

ASSUMED_IMAGE_DPI = 200  # a scan without dpi metadata is most often 200 dpi (government scanner default)
_IMAGE_DPI_RANGE = (100, 1200)  # metadata outside this is a placeholder (72/96 from cameras/tools), not a scan dpi

_EXIF_ORIENTATION = 0x0112
# EXIF orientation → counter-clockwise degrees that show the photo as the camera meant (mirrored tags 2/4/5/7 are
# not produced by scanners or phones and are left alone).
_EXIF_TURN = {3: 180, 6: 270, 8: 90}

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")

# Magic bytes: the suffix may lie (a .pdf that is really HTML from a failed download is common).
_IMAGE_MAGIC: tuple[bytes, ...] = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"II*\x00",  # TIFF little-endian
    b"MM\x00*",  # TIFF big-endian
    b"BM",  # BMP
)


def sniff_kind(path: Path) -> str | None:
    """``"pdf"``, ``"image"`` or None from the first bytes of the file (not the suffix)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError:
        return None
    if b"%PDF-" in head[:1024]:  # the spec allows junk before the header
        return "pdf"
    if head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    return None


# --------------------------------------------------------------------------------------------------------------
# PDF text layer


@dataclass(frozen=True, slots=True)
class _Char:
    text: str
    box: BBox  # x0, y0, x1, y1 in page pixels (top-down), tight glyph box
    loose: BBox  # loose box (font ascent to descent): the same height for every char of a line

    @property
    def line_y(self) -> tuple[float, float]:
        return (self.loose[1], self.loose[3])


def _page_to_pixels_matrix(page: pypdfium2.PdfPage, width_px: int, height_px: int) -> np.ndarray:
    """Affine 2x3 matrix from PDF user space to rendered pixels, as pdfium itself maps it.

    pdfium applies /Rotate, the crop box origin and the bottom-up y axis; we sample its integer mapping at 64x the
    render size so the matrix is exact to 1/64 pixel instead of rounding each box.
    """
    import pypdfium2.raw as raw

    over = 64
    dx, dy = ctypes.c_int(), ctypes.c_int()
    points = ((0.0, 0.0), (1000.0, 0.0), (0.0, 1000.0))
    mapped = []
    for px, py in points:
        ok = raw.FPDF_PageToDevice(
            page.raw, 0, 0, width_px * over, height_px * over, 0, px, py, ctypes.byref(dx), ctypes.byref(dy)
        )
        if not ok:
            raise RuntimeError("FPDF_PageToDevice failed")
        mapped.append((dx.value / over, dy.value / over))
    (ox, oy), (ax, ay), (bx, by) = mapped
    return np.array([[(ax - ox) / 1000.0, (bx - ox) / 1000.0, ox], [(ay - oy) / 1000.0, (by - oy) / 1000.0, oy]])


def _map_box(matrix: np.ndarray, left: float, bottom: float, right: float, top: float) -> tuple[float, ...]:
    xs = np.array([left, right, left, right])
    ys = np.array([bottom, bottom, top, top])
    px = matrix[0, 0] * xs + matrix[0, 1] * ys + matrix[0, 2]
    py = matrix[1, 0] * xs + matrix[1, 1] * ys + matrix[1, 2]
    return (float(px.min()), float(py.min()), float(px.max()), float(py.max()))


def _page_chars(page: pypdfium2.PdfPage, dpi: int) -> tuple[list[_Char], tuple[int, int], int]:
    """Chars in pixel space of the plain render, its size, and the reading direction (0/90/180/270 degrees).

    The direction is the most common angle of the chars' text matrices mapped to pixels: 0 reads left to right,
    90 top to bottom (a page shown with /Rotate 90 over upright content), and so on.
    """
    import pypdfium2.raw as raw

    scale = dpi / 72.0
    width_px, height_px = (round(v * scale) for v in page.get_size())
    matrix = _page_to_pixels_matrix(page, width_px, height_px)
    textpage = page.get_textpage()
    try:
        n = textpage.count_chars()
        chars: list[_Char] = []
        votes = [0, 0, 0, 0]
        left, right, bottom, top = (ctypes.c_double() for _ in range(4))
        loose = raw.FS_RECTF()
        text_matrix = raw.FS_MATRIX()
        for i in range(n):
            code = raw.FPDFText_GetUnicode(textpage.raw, i)
            if code == 0:
                continue
            text = chr(code)
            if text.isspace() or raw.FPDFText_IsGenerated(textpage.raw, i) == 1:
                chars.append(_Char(" ", (0.0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 0.0)))  # a word break, no box
                continue
            raw.FPDFText_GetCharBox(
                textpage.raw, i, ctypes.byref(left), ctypes.byref(right), ctypes.byref(bottom), ctypes.byref(top)
            )
            raw.FPDFText_GetLooseCharBox(textpage.raw, i, ctypes.byref(loose))
            lbox = _map_box(matrix, loose.left, loose.bottom, loose.right, loose.top)
            tbox = _map_box(matrix, left.value, bottom.value, right.value, top.value)
            if tbox[2] - tbox[0] <= 0 or tbox[3] - tbox[1] <= 0:  # glyph without ink extent: use the loose box
                tbox = lbox
            chars.append(_Char(text, tbox, lbox))
            if raw.FPDFText_GetMatrix(textpage.raw, i, ctypes.byref(text_matrix)):
                dx = matrix[0, 0] * text_matrix.a + matrix[0, 1] * text_matrix.b
                dy = matrix[1, 0] * text_matrix.a + matrix[1, 1] * text_matrix.b
                votes[round(np.degrees(np.arctan2(dy, dx)) / 90.0) % 4] += 1
        return chars, (width_px, height_px), 90 * int(np.argmax(votes))
    finally:
        textpage.close()


def rotate_box(box: tuple[float, float, float, float], degrees: int, width: int, height: int) -> BBox:
    """Map a box through :func:`preprocess.rotate` (counter-clockwise ``degrees``) of a ``width x height`` image."""
    x0, y0, x1, y1 = box
    k = (degrees // 90) % 4
    if k == 1:
        return (y0, width - x1, y1, width - x0)
    if k == 2:
        return (width - x1, height - y1, width - x0, height - y0)
    if k == 3:
        return (height - y1, x0, height - y0, x1)
    return (x0, y0, x1, y1)


def _upright_chars(page: pypdfium2.PdfPage, dpi: int) -> tuple[list[_Char], int]:
    """Chars in the upright frame (the render turned by the reading direction) and that rotation."""
    chars, (width, height), rotation = _page_chars(page, dpi)
    if rotation == 0:
        return chars, 0
    out = []
    for c in chars:
        if c.text == " ":
            out.append(c)
            continue
        box = rotate_box(c.box, rotation, width, height)
        out.append(_Char(c.text, box, rotate_box(c.loose, rotation, width, height)))
    return out, rotation


def _group_words(chars: Sequence[_Char]) -> list[Token]:
    """Chars in text order → word tokens (OCR-line-like runs).

    A token breaks at a space, at a new line (vertical centres further apart than half a line height), when x goes
    backwards, or at a gap between advance (loose) boxes wider than 0.6 em between two CJK chars (a 表 title often
    spaces its chars a little) or 0.35 em otherwise (digits of ``2,946.25`` touch; two numbers in a row have a real
    gap). Narrative text stays one token per line, amounts included, as an OCR line would.
    """
    tokens: list[Token] = []
    run: list[_Char] = []

    def flush() -> None:
        if run:
            x0 = min(c.box[0] for c in run)
            y0 = min(c.box[1] for c in run)
            x1 = max(c.box[2] for c in run)
            y1 = max(c.box[3] for c in run)
            tokens.append(Token("".join(c.text for c in run), (x0, y0, x1, y1)))
            run.clear()

    for ch in chars:
        if ch.text == " ":
            flush()
            continue
        if run:
            prev = run[-1]
            em = max(prev.line_y[1] - prev.line_y[0], ch.line_y[1] - ch.line_y[0], 1e-6)
            prev_mid = (prev.line_y[0] + prev.line_y[1]) / 2
            mid = (ch.line_y[0] + ch.line_y[1]) / 2
            gap = ch.loose[0] - prev.loose[2]  # advance boxes: a comma's ink is narrow, its advance is not
            limit = 0.6 if (is_cjk(prev.text) and is_cjk(ch.text)) else 0.35
            if abs(mid - prev_mid) > 0.5 * em or gap > limit * em or ch.box[2] < prev.box[0]:
                flush()
        run.append(ch)
    flush()
    return tokens


def _text_layer_of_page(page: pypdfium2.PdfPage, dpi: int) -> tuple[tuple[Token, ...], int]:
    chars, rotation = _upright_chars(page, dpi)
    return tuple(_group_words(chars)), rotation


def _is_scan(page: pypdfium2.PdfPage) -> bool:
    """A page drawn by one image over most of it (>= 70 % of its area) is a scan, whatever text it carries.

    Scanners add a page number or an invisible OCR layer of unknown quality; ``text_layer="auto"`` must not let a
    stamped page number replace OCR of the tables.
    """
    import pypdfium2.raw as raw

    width, height = page.get_size()
    area = max(width * height, 1e-6)
    for obj in page.get_objects(filter=(raw.FPDF_PAGEOBJ_IMAGE,), max_depth=3):
        left, bottom, right, top = obj.get_bounds()
        if (right - left) * (top - bottom) >= 0.7 * area:
            return True
    return False


def text_layer_tokens(pdf_path: Path | str, page_index: int, dpi: int) -> tuple[Token, ...]:
    """Word-level tokens of a digital PDF page in page pixels at ``dpi`` (top-down y, /Rotate applied).

    Boxes are in the *upright* frame: when the text reads sideways on the rendered page (content drawn rotated or a
    /Rotate that turns upright content), the page is turned by a multiple of 90 degrees so text reads left to right.
    They match :class:`Rasterizer` with ``text_layer="auto"`` at the same dpi, which turns its image the same way
    (``PageImage.rotation``) and never deskews. An image-only page gives ``()``.
    """
    with _open_pdf(Path(pdf_path)) as pdf:
        if not 0 <= page_index < len(pdf):
            raise InputError(pdf_path, f"page index out of range (document has {len(pdf)} pages)", page_index)
        page = pdf[page_index]
        try:
            return _text_layer_of_page(page, dpi)[0]
        finally:
            page.close()


# --------------------------------------------------------------------------------------------------------------
# Opening inputs


@contextmanager
def _open_pdf(path: Path) -> Iterator[pypdfium2.PdfDocument]:
    import pypdfium2 as pdfium

    if sniff_kind(path) != "pdf":
        raise InputError(path, "not a PDF (no %PDF- header)")
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise InputError(path, _load_failure(path, getattr(exc, "err_code", None))) from None
    try:
        if len(pdf) == 0:
            raise InputError(path, "PDF has 0 pages")
        yield pdf
    finally:
        pdf.close()


def _load_failure(path: Path, code: int | None) -> str:
    """Why pdfium refused a PDF. Its error code is process-global and not reset by a load that fails without one
    (a PDF with 0 pages), so the file's own bytes decide where they can."""
    import pypdfium2.raw as raw

    data = path.read_bytes()
    if b"/Encrypt" in data:  # loading failed, so the password was needed (an owner-only password opens fine)
        return "encrypted; remove the password first"
    if re.search(rb"/Count\s+0\b", data) and not re.search(rb"/Count\s+[1-9]", data):
        return "PDF has 0 pages"
    if code == raw.FPDF_ERR_PASSWORD:
        return "encrypted; remove the password first"
    if code == raw.FPDF_ERR_SECURITY:
        return "unsupported PDF security handler (encrypted)"
    return "corrupt or truncated PDF (pdfium cannot parse it)"


@contextmanager
def _open_image(path: Path) -> Iterator[Any]:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
    except Image.DecompressionBombError:
        raise InputError(path, "gigantic image (decompression bomb guard)") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise InputError(path, f"unreadable image ({exc})") from None
    try:
        yield img
    finally:
        img.close()


def _image_dpi(img: Any) -> int:
    dpi = img.info.get("dpi")
    try:
        value = round(float(dpi[0]))
    except (TypeError, ValueError, IndexError):
        return ASSUMED_IMAGE_DPI
    return value if _IMAGE_DPI_RANGE[0] <= value <= _IMAGE_DPI_RANGE[1] else ASSUMED_IMAGE_DPI


class Rasterizer:
    """PDF pages or page images → upright RGB :class:`PageImage` (rasterize stage)."""

    def __init__(self, options: RasterizeOptions | None = None) -> None:
        self.options = options or RasterizeOptions()
        self._direction: preprocess.TextDirectionClassifier | None = None  # 0 vs 180, loaded on first use

    def page_count(self, path: Path | str) -> int:
        path = Path(path)
        kind = sniff_kind(path)
        if kind == "pdf":
            with _open_pdf(path) as pdf:
                return len(pdf)
        if kind == "image":
            with _open_image(path) as img:
                n = int(getattr(img, "n_frames", 1))
                if n < 1:
                    raise InputError(path, "image has 0 pages")
                return n
        raise InputError(path, _not_supported(path))

    def __call__(self, requests: Sequence[tuple[Path, int]]) -> list[PageImage]:
        out: list[PageImage | None] = [None] * len(requests)
        by_path: dict[Path, list[int]] = {}
        for i, (path, _) in enumerate(requests):
            by_path.setdefault(Path(path), []).append(i)
        for path, positions in by_path.items():  # open each file once per call
            kind = sniff_kind(path)
            if kind == "pdf":
                with _open_pdf(path) as pdf:
                    for i in positions:
                        out[i] = self._pdf_page(path, pdf, requests[i][1])
            elif kind == "image":
                with _open_image(path) as img:
                    for i in positions:
                        out[i] = self._image_page(path, img, requests[i][1])
            else:
                raise InputError(path, _not_supported(path))
        return [page for page in out if page is not None]

    # -- PDF ---------------------------------------------------------------------------------------------------

    def _pdf_page(self, path: Path, pdf: pypdfium2.PdfDocument, index: int) -> PageImage:
        import pypdfium2 as pdfium

        if not 0 <= index < len(pdf):
            raise InputError(path, f"page index out of range (document has {len(pdf)} pages)", index)
        dpi = self._working_dpi(self.options.dpi)
        try:
            page = pdf[index]
        except pdfium.PdfiumError as exc:
            raise InputError(path, f"cannot load page ({exc})", index) from None
        try:
            w_pt, h_pt = page.get_size()
            scale = dpi / 72.0
            n_pixels = round(w_pt * scale) * round(h_pt * scale)
            if n_pixels > self.options.max_pixels or w_pt <= 0 or h_pt <= 0:
                raise InputError(
                    path,
                    f"gigantic page ({w_pt / 72 * 25.4:.0f} x {h_pt / 72 * 25.4:.0f} mm = {n_pixels:,} pixels at "
                    f"{dpi} dpi; limit {self.options.max_pixels:,})",
                    index,
                )
            tokens: tuple[Token, ...] | None = None
            text_rotation = 0
            if self.options.text_layer == "auto" and not _is_scan(page):
                found, text_rotation = _text_layer_of_page(page, dpi)
                tokens = found or None
            try:
                bitmap = page.render(scale=scale, rev_byteorder=True)
            except pdfium.PdfiumError as exc:
                raise InputError(path, f"cannot render page ({exc})", index) from None
            image = np.ascontiguousarray(bitmap.to_numpy()[:, :, :3])
        finally:
            page.close()
        ref = PageRef(str(path), index, dpi)
        if tokens is not None:  # digital page: turn by the text direction only, never deskew (boxes stay exact)
            if text_rotation:
                image = preprocess.rotate(image, text_rotation)
            return PageImage(ref, image, rotation=text_rotation, text_layer=tokens)
        return self._finish(ref, image)

    # -- images ------------------------------------------------------------------------------------------------

    def _image_page(self, path: Path, img: Any, index: int) -> PageImage:
        n = int(getattr(img, "n_frames", 1))
        if not 0 <= index < n:
            raise InputError(path, f"page index out of range (image has {n} pages)", index)
        try:
            img.seek(index)
            w, h = img.size
            if w * h > self.options.max_pixels:
                raise InputError(path, f"gigantic image ({w} x {h} pixels; limit {self.options.max_pixels:,})", index)
            dpi = _image_dpi(img)
            exif_turn = _EXIF_TURN.get(int(img.getexif().get(_EXIF_ORIENTATION, 1)), 0)
            frame = img.convert("RGB")
            image = np.asarray(frame, dtype=np.uint8).copy()
        except InputError:
            raise
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise InputError(path, f"unreadable image ({exc})", index) from None
        if image.ndim != 3 or image.shape[0] < 8 or image.shape[1] < 8:
            raise InputError(path, f"unreadable image (shape {image.shape})", index)
        return self._finish(PageRef(str(path), index, dpi), preprocess.rotate(image, exif_turn), exif_turn)

    # -- preprocessing of pixel-only pages ----------------------------------------------------------------------

    def _working_dpi(self, dpi: int) -> int:
        """``upscale_to`` for a page below ``min_dpi`` (low-resolution scans or renders), else ``dpi``."""
        opts = self.options
        return max(dpi, opts.upscale_to) if opts.min_dpi and dpi < opts.min_dpi else dpi

    def _finish(self, ref: PageRef, image: np.ndarray, turned: int = 0) -> PageImage:
        """Red seals, rotation, deskew, upscaling of low-dpi scans, a photo's perspective; ``turned`` degrees were
        already applied (EXIF).

        Orientation is decided on the page as scanned (its analyses were tuned on real scans; an interpolated copy
        fooled the 0-vs-90 test), then the upscaled page is turned and deskewed the same way. An upscaled page
        reports its working dpi in ``PageRef.dpi``, so every box downstream is in its pixels."""
        opts = self.options
        working = self._working_dpi(ref.dpi)
        factor = working / ref.dpi
        image = preprocess.clean_colour(image, red=opts.suppress_red, grey=opts.grey)
        rotation, skew = 0, 0.0
        if opts.rotate or opts.deskew:
            if opts.rotate and self._direction is None:
                self._direction = preprocess.TextDirectionClassifier()
            oriented, rotation, skew = preprocess.orient(
                image,
                self._direction,
                detect_turn=opts.rotate,
                max_skew_deg=opts.max_skew_deg if opts.deskew else 0.0,
            )
            if factor == 1:
                image = oriented
            else:
                image = preprocess.rotate(preprocess.upscale(image, factor), rotation)  # 180 commutes with deskew
                if skew:
                    image = preprocess.rotate_small(image, skew)
        elif factor != 1:
            image = preprocess.upscale(image, factor)
        homography = None
        if opts.rectify:
            image, keystone, matrix = preprocess.rectify_with_matrix(image)
            if matrix is not None:
                homography = tuple(tuple(float(v) for v in row) for row in matrix)
            if keystone:
                log.debug("%s: perspective rectified (opposite rules %.2f deg apart)", ref.where(), keystone)
        if factor != 1:
            log.debug("%s: %d dpi upscaled to %d", ref.where(), ref.dpi, working)
            ref = PageRef(ref.path, ref.index, working)
        rotation = (rotation + turned) % 360
        log.debug("%s: rotation %d, skew %.2f deg", ref.where(), rotation, skew)
        return PageImage(ref, image, rotation=rotation, skew_deg=skew, homography=homography)


def _not_supported(path: Path) -> str:
    if not path.exists():
        return "file not found"
    if path.is_dir():
        return "is a folder, not a file"
    if path.stat().st_size == 0:
        return "empty file (0 bytes)"
    return "not a PDF or image (unrecognised file content)"
