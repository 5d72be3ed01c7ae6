"""Find inputs: files as given, folders recursively; anything else is a one-line input error."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

PDF_SUFFIXES = {".pdf"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}
SUPPORTED = PDF_SUFFIXES | IMAGE_SUFFIXES


def find_inputs(paths: Iterable[Path | str]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Return (documents, problems). A folder contributes its PDFs and images (recursive, sorted); a file named
    explicitly is always tried (the rasterizer sniffs its bytes), so a mislabelled suffix still gets a clear error."""
    found: list[Path] = []
    problems: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for child in sorted(p.rglob("*")):
                if child.is_file() and child.suffix.lower() in SUPPORTED and not child.name.startswith("."):
                    rp = child.resolve()
                    if rp not in seen:
                        seen.add(rp)
                        found.append(child)
        elif p.is_file():
            rp = p.resolve()
            if rp not in seen:
                seen.add(rp)
                found.append(p)
        else:
            problems.append((p, "no such file or folder"))
    return found, problems


def output_names(paths: list[Path]) -> dict[Path, str]:
    """Output folder name per input: the file stem, made unique when two inputs share a stem."""
    names: dict[Path, str] = {}
    used: dict[str, int] = {}
    for p in paths:
        stem = p.stem
        n = used.get(stem, 0)
        used[stem] = n + 1
        names[p] = stem if n == 0 else f"{stem}-{n + 1}"
    return names


def parse_pages(spec: str | None) -> list[int] | None:
    """``"3-9"`` / ``"1,4,6-8"`` (1-based, inclusive, as people count) → sorted 0-based indices; None = all."""
    if spec is None or spec.strip() in ("", "all"):
        return None
    out: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, _, b = part.partition("-")
            lo, hi = int(a), int(b)
            if lo < 1 or hi < lo:
                raise ValueError(f"bad page range {part!r}")
            out.update(range(lo - 1, hi))
        else:
            n = int(part)
            if n < 1:
                raise ValueError(f"bad page number {part!r}")
            out.add(n - 1)
    return sorted(out)
