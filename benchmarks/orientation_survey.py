"""Orientation step alone over every table page of the shared PDFs (issue 12): is any upright page turned?

Each page with at least 10 amounts in its text layer is rendered at ``--dpi`` and degraded with ``--preset`` (seed
7 per document and page, as ``juesuan evaluate`` does), then only :func:`juesuan.inference.preprocess.detect_rotation`
runs on it. Every ``--turn-every``-th page is also turned by 90, 180 or 270 (in turn) to check that a truly turned
page is still turned back. One JSON line per reading goes to ``--out``; the summary goes to stdout.

    OMP_NUM_THREADS=1 python benchmarks/orientation_survey.py --out out/orientation.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
import time
import zlib
from pathlib import Path

import numpy as np


def table_pages(pdf: Path, min_amounts: int = 10) -> list[int]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    out = []
    for i in range(len(doc)):
        text = doc[i].get_textpage().get_text_range()
        if len(re.findall(r"\d[\d,]*\.\d{2}\b|\d{1,3}(?:,\d{3})+", text)) >= min_amounts:
            out.append(i)
    doc.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="*", type=Path, help="PDFs (default: ../shared/data/real{,-wide}/*.pdf)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--preset", default="scan")
    parser.add_argument("--turn-every", type=int, default=4, help="also turn every N-th page (0: never)")
    args = parser.parse_args()

    import pypdfium2 as pdfium

    from juesuan.datasets.synth.degrade import degrade
    from juesuan.inference import preprocess

    shared = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    pdfs = args.inputs or sorted((shared / "real").glob("*.pdf")) + sorted((shared / "real-wide").glob("*.pdf"))
    classifier = preprocess.TextDirectionClassifier()
    upright = upright_turned = turned = turned_ok = 0
    wrong: list[str] = []
    n = 0
    t0 = time.process_time()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as out:
        for pdf in pdfs:
            doc = pdfium.PdfDocument(str(pdf))
            for i in table_pages(pdf):
                image = doc[i].render(scale=args.dpi / 72).to_numpy()[:, :, :3].copy()
                rng = np.random.default_rng([7, zlib.crc32(pdf.name.encode()), i])
                image = degrade(image, rng, args.preset)
                turns = [0]
                if args.turn_every and n % args.turn_every == 0:
                    turns.append([90, 180, 270][(n // args.turn_every) % 3])
                for turn in turns:
                    # turned clockwise by `turn`: the counter-clockwise correction is `turn`
                    seen = preprocess.rotate(image, (360 - turn) % 360) if turn else image
                    rotation = preprocess.detect_rotation(seen, classifier)
                    ok = rotation % 360 == turn
                    if turn == 0:
                        upright += 1
                        upright_turned += not ok
                    else:
                        turned += 1
                        turned_ok += ok
                    if not ok:
                        wrong.append(f"{pdf.name} page {i + 1} turned {turn}: read {rotation}")
                    record = {"doc": pdf.name, "page": i, "turned": turn, "rotation": rotation, "ok": ok}
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                n += 1
            doc.close()
    seconds = time.process_time() - t0
    print(f"{len(pdfs)} documents, {upright} upright table pages at {args.dpi} dpi ({args.preset})")
    print(f"upright pages turned: {upright_turned}; turned pages turned back: {turned_ok}/{turned}")
    print(f"CPU seconds: {seconds:.0f} ({seconds / max(upright + turned, 1):.2f} per reading)")
    for line in wrong:
        print("  " + line)


if __name__ == "__main__":
    main()
