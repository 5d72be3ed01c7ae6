"""Rasterize stage: PDF text layer, rendering, images, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from juesuan.datamodel.page import Token
from juesuan.inference.rasterize import Rasterizer, rotate_box, text_layer_tokens
from juesuan.options import RasterizeOptions

INCOME_PAGE = 7  # 收入决算表 of the finance bureau 决算 (landscape)


def _ink_fraction(image: np.ndarray, box: tuple[float, float, float, float]) -> float:
    x0, y0, x1, y1 = (round(v) for v in box)
    crop = image[y0:y1, x0:x1].mean(axis=2)
    return float((crop < 128).mean())


def _find(tokens: tuple[Token, ...], text: str) -> Token:
    hits = [t for t in tokens if t.text == text]
    assert len(hits) >= 1, f"{text!r} not among {[t.text for t in tokens][:40]}"
    return hits[0]


def test_text_layer_number_is_one_token_over_its_ink(finance_pdf: Path) -> None:
    page = Rasterizer(RasterizeOptions(text_layer="auto"))([(finance_pdf, INCOME_PAGE)])[0]
    assert page.text_layer is not None
    assert (page.width, page.height) == (2339, 1653)  # landscape A4 at 200 dpi
    token = _find(page.text_layer, "2,946.25")
    x0, y0, x1, y1 = token.bbox_px
    assert 80 < x1 - x0 < 160 and 15 < y1 - y0 < 45  # one number, not a row or a char
    assert _ink_fraction(page.image, token.bbox_px) > 0.1
    # the box holds the number's ink: a margin of 4 px around it adds almost no dark pixels
    grown = (x0 - 4, y0 - 4, x1 + 4, y1 + 4)
    inner = _ink_fraction(page.image, token.bbox_px) * (x1 - x0) * (y1 - y0)
    outer = _ink_fraction(page.image, grown) * (x1 - x0 + 8) * (y1 - y0 + 8)
    assert outer - inner < 0.1 * inner
    # the public function gives the same tokens
    assert text_layer_tokens(finance_pdf, INCOME_PAGE, 200) == page.text_layer


def test_text_layer_cjk_run_and_row(finance_pdf: Path) -> None:
    tokens = text_layer_tokens(finance_pdf, INCOME_PAGE, 200)
    title = _find(tokens, "收入决算表")
    total = _find(tokens, "合计")
    amount = _find(tokens, "2,946.25")
    assert title.bbox_px[3] < total.bbox_px[1]  # y grows downwards
    assert abs((total.bbox_px[1] + total.bbox_px[3]) / 2 - (amount.bbox_px[1] + amount.bbox_px[3]) / 2) < 6
    assert _find(tokens, "一般公共服务支出").bbox_px[0] < amount.bbox_px[0]


def test_text_layer_text_dpi_scales_boxes(finance_pdf: Path) -> None:
    at200 = _find(text_layer_tokens(finance_pdf, INCOME_PAGE, 200), "2,946.25").bbox_px
    at100 = _find(text_layer_tokens(finance_pdf, INCOME_PAGE, 100), "2,946.25").bbox_px
    assert np.allclose(np.array(at100) * 2, at200, atol=1.5)


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_text_layer_follows_page_rotate(finance_pdf: Path, tmp_path: Path, rotation: int) -> None:
    """A /Rotate over upright content: the page is turned back upright and the words still sit on their ink."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(finance_pdf))
    pdf[INCOME_PAGE].set_rotation(rotation)
    rotated = tmp_path / "rotated.pdf"
    pdf.save(str(rotated))
    pdf.close()
    plain = text_layer_tokens(finance_pdf, INCOME_PAGE, 200)
    page = Rasterizer(RasterizeOptions(text_layer="auto"))([(rotated, INCOME_PAGE)])[0]
    assert page.text_layer is not None
    assert page.rotation == rotation  # /Rotate turns clockwise; we turn counter-clockwise by the same amount
    assert (page.width, page.height) == (2339, 1653)
    assert sorted(t.text for t in page.text_layer) == sorted(t.text for t in plain)  # pdfium may reorder
    token = _find(page.text_layer, "2,946.25")
    assert np.allclose(token.bbox_px, _find(plain, "2,946.25").bbox_px, atol=1.5)
    assert _ink_fraction(page.image, token.bbox_px) > 0.1


def test_rotate_box_round_trip() -> None:
    box = (10.0, 20.0, 30.0, 60.0)
    w, h = 100, 200
    assert rotate_box(rotate_box(box, 90, w, h), 270, h, w) == box
    assert rotate_box(rotate_box(box, 180, w, h), 180, w, h) == box
    image = np.zeros((h, w), dtype=np.uint8)
    image[20:60, 10:30] = 1
    from juesuan.inference.preprocess import rotate

    for degrees in (90, 180, 270):
        turned = rotate(image, degrees)
        ys, xs = np.nonzero(turned)
        assert rotate_box(box, degrees, w, h) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)


# --------------------------------------------------------------------------------------------------------------
# rendering and images


def test_render_pdf_page_size_and_preprocessing_record(finance_pdf: Path) -> None:
    raster = Rasterizer(RasterizeOptions())
    assert raster.page_count(finance_pdf) == 25
    pages = raster([(finance_pdf, 0), (finance_pdf, INCOME_PAGE)])
    assert [p.ref.index for p in pages] == [0, INCOME_PAGE]
    assert (pages[0].width, pages[0].height) == (1653, 2339)  # portrait A4 (595 x 842 pt) at 200 dpi
    assert (pages[1].width, pages[1].height) == (2339, 1653)
    assert pages[1].image.dtype == np.uint8 and pages[1].image.shape == (1653, 2339)  # black on white: one channel
    (rgb,) = Rasterizer(RasterizeOptions(grey=False))([(finance_pdf, INCOME_PAGE)])
    assert rgb.image.shape == (1653, 2339, 3) and np.array_equal(rgb.image[:, :, 1], pages[1].image)
    assert pages[1].ref.dpi == 200
    assert pages[1].rotation == 0 and pages[1].skew_deg == 0.0  # a digital table page is upright and level
    assert pages[1].text_layer is None  # text_layer defaults to "never"


def test_scanned_page_is_turned_upright_and_deskewed(finance_pdf: Path, tmp_path: Path) -> None:
    """A landscape table scanned sideways and slightly tilted, saved as an image."""
    import cv2
    from PIL import Image

    clean = Rasterizer(RasterizeOptions(rotate=False, deskew=False))([(finance_pdf, INCOME_PAGE)])[0].image
    h, w = clean.shape[:2]
    tilted = cv2.warpAffine(clean, cv2.getRotationMatrix2D((w / 2, h / 2), 1.5, 1.0), (w, h), borderValue=(255,) * 3)
    scanned = np.ascontiguousarray(np.rot90(tilted, k=-1))  # turned clockwise: portrait sheet
    path = tmp_path / "scan.png"
    Image.fromarray(scanned).save(path, dpi=(200, 200))
    page = Rasterizer(RasterizeOptions())([(path, 0)])[0]
    assert page.rotation == 90
    assert abs(page.skew_deg - 1.5) <= 0.1
    assert (page.width, page.height) == (w, h)
    diff = np.abs(page.image.astype(int) - clean.astype(int)).mean()
    assert diff < 6  # back where it started, up to interpolation blur


def test_image_dpi_from_metadata_else_assumed(tmp_path: Path) -> None:
    from PIL import Image

    img = Image.new("RGB", (300, 400), "white")
    with_dpi, without = tmp_path / "a.png", tmp_path / "b.png"
    img.save(with_dpi, dpi=(300, 300))
    img.save(without)
    raster = Rasterizer(RasterizeOptions(rotate=False, deskew=False))
    a, b = raster([(with_dpi, 0), (without, 0)])
    assert (a.ref.dpi, b.ref.dpi) == (300, 200)
    assert a.image.shape == (400, 300)  # a white RGB image is achromatic: read as one grey channel


def test_multipage_tiff(tmp_path: Path) -> None:
    from PIL import Image

    frames = [Image.new("L", (120, 80), shade) for shade in (10, 128, 250)]
    path = tmp_path / "scan.tiff"
    frames[0].save(path, save_all=True, append_images=frames[1:], dpi=(150, 150))
    raster = Rasterizer(RasterizeOptions(rotate=False, deskew=False))
    assert raster.page_count(path) == 3
    pages = raster([(path, 2), (path, 0)])
    assert [int(p.image[0, 0]) for p in pages] == [250, 10]
    assert pages[0].ref.dpi == 150 and pages[0].ref.index == 2


# --------------------------------------------------------------------------------------------------------------
# bad input: one clear line, InputError naming the file (and page)

BAD = Path(__file__).resolve().parent.parent / "fixtures" / "bad"


def _problem(path: Path, index: int = 0, **options: object) -> str:
    from juesuan.errors import InputError

    raster = Rasterizer(RasterizeOptions(**options))  # type: ignore[arg-type]
    with pytest.raises(InputError) as info:
        raster([(path, index)])
    assert info.value.path == str(path)
    assert "\n" not in str(info.value)
    return info.value.problem


def test_bad_not_a_pdf_despite_suffix(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_text("<html><body>404 Not Found</body></html>", encoding="utf-8")
    assert _problem(path) == "not a PDF or image (unrecognised file content)"
    from juesuan.errors import InputError

    with pytest.raises(InputError, match="not a PDF or image"):
        Rasterizer().page_count(path)


def test_bad_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    assert _problem(path) == "empty file (0 bytes)"


def test_bad_truncated_pdf(finance_pdf: Path, tmp_path: Path) -> None:
    path = tmp_path / "truncated.pdf"
    path.write_bytes(finance_pdf.read_bytes()[:5000])
    assert _problem(path).startswith("corrupt or truncated PDF")


def test_bad_encrypted_pdf() -> None:
    assert _problem(BAD / "encrypted.pdf") == "encrypted; remove the password first"


def test_bad_zero_pages(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    path = tmp_path / "nopages.pdf"
    doc = pdfium.PdfDocument.new()
    doc.save(str(path))
    doc.close()
    assert "0 pages" in _problem(path)


def test_bad_gigantic_pdf_page(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    path = tmp_path / "poster.pdf"
    doc = pdfium.PdfDocument.new()
    doc.new_page(14400, 14400)  # 5 m square: the largest page the PDF spec allows
    doc.save(str(path))
    doc.close()
    from juesuan.errors import InputError

    with pytest.raises(InputError) as info:
        Rasterizer()([(path, 0)])
    assert info.value.page == 0
    assert info.value.problem.startswith("gigantic page (5080 x 5080 mm")
    assert str(info.value).startswith(f"{path}, page 1: gigantic page")


def test_bad_gigantic_image(tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "huge.png"
    Image.new("L", (1100, 1000), 255).save(path)
    assert _problem(path, max_pixels=1_000_000).startswith("gigantic image (1100 x 1000 pixels")


def test_bad_unreadable_image(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20)
    assert _problem(path).startswith("unreadable image")
    truncated = tmp_path / "cut.jpg"
    from PIL import Image

    Image.new("RGB", (400, 300), "white").save(tmp_path / "whole.jpg", quality=90)
    truncated.write_bytes((tmp_path / "whole.jpg").read_bytes()[:300])
    assert _problem(truncated).startswith("unreadable image")


def test_bad_page_index(finance_pdf: Path, tmp_path: Path) -> None:
    from PIL import Image

    assert _problem(finance_pdf, 25) == "page index out of range (document has 25 pages)"
    image = tmp_path / "one.png"
    Image.new("L", (50, 50), 255).save(image)
    assert _problem(image, 1) == "page index out of range (image has 1 pages)"
    from juesuan.errors import InputError

    with pytest.raises(InputError, match="out of range"):
        text_layer_tokens(finance_pdf, -1, 200)


def test_missing_file(tmp_path: Path) -> None:
    assert _problem(tmp_path / "nowhere.pdf") == "file not found"


def test_number_with_wide_comma_advance_is_one_token(shared_real: Path) -> None:
    """Bug: commerce 2025 sets amounts in a font whose comma and point advance far past their ink, so gaps
    between tight glyph boxes split ``21,601,733.00`` into four tokens; gaps now use advance boxes."""
    tokens = text_layer_tokens(shared_real / "shanghai-putuo-commerce_2025_部门预算.pdf", 9, 200)
    texts = [t.text for t in tokens]
    assert texts.count("21,601,733.00") == 4
    assert "21," not in texts
    assert "一般公共服务支出" in texts and "201" in texts  # neighbouring cells stay apart


def test_text_layer_auto_ignores_text_on_a_scanned_page(tmp_path: Path) -> None:
    """A scan with a stamped page number: its pixels are the page, so no text layer (OCR must run)."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    doc = pdfium.PdfDocument.new()
    page = doc.new_page(595, 842)
    bitmap = pdfium.PdfBitmap.new_native(400, 566, raw.FPDFBitmap_BGR)
    bitmap.fill_rect((255, 255, 255, 255), 0, 0, 400, 566)
    image = pdfium.PdfImage.new(doc)
    image.set_bitmap(bitmap)
    image.set_matrix(pdfium.PdfMatrix().scale(595, 842))
    page.insert_obj(image)
    text = raw.FPDFPageObj_NewTextObj(doc.raw, b"Helvetica", 12.0)
    wide = ctypes.create_string_buffer("- 3 -".encode("utf-16-le") + b"\x00\x00")
    raw.FPDFText_SetText(text, ctypes.cast(wide, ctypes.POINTER(ctypes.c_ushort)))
    raw.FPDFPageObj_Transform(text, 1, 0, 0, 1, 280, 30)
    raw.FPDFPage_InsertObject(page.raw, text)
    page.gen_content()
    path = tmp_path / "scan.pdf"
    doc.save(str(path))
    doc.close()
    assert [t.text for t in text_layer_tokens(path, 0, 100)] == ["-", "3", "-"]  # the text is there
    result = Rasterizer(RasterizeOptions(text_layer="auto", rotate=False, deskew=False))([(path, 0)])[0]
    assert result.text_layer is None


def test_exif_orientation_is_applied_and_recorded(tmp_path: Path) -> None:
    from PIL import Image

    img = Image.new("RGB", (300, 200), "white")
    img.putpixel((299, 0), (0, 0, 0))  # top-right corner as stored
    exif = Image.Exif()
    exif[0x0112] = 8  # the camera was turned: show it turned 90 degrees counter-clockwise
    path = tmp_path / "photo.jpg"
    img.save(path, exif=exif, quality=100)
    page = Rasterizer(RasterizeOptions(rotate=False, deskew=False))([(path, 0)])[0]
    assert (page.width, page.height) == (200, 300)
    assert page.rotation == 90
    assert page.image[0, 0].max() < 100  # the stored top-right corner is now top-left
    assert page.image[0, -1].min() > 200
