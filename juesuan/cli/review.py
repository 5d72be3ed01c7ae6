"""``juesuan review OUT/``: correct extracted tables in a browser (juesuan/review/app.py)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "review",
        help="correct extracted tables in a local web app; saves document.json, every export and corrections.jsonl",
        description="Serve OUT (a juesuan extract output folder) at http://127.0.0.1:8765/: tables with failing "
        "identities first, the page with the table's cells drawn over it, click or Enter to correct a cell's "
        "value, label or row/column, identities re-checked live. Keys: arrows, Enter, n (next failing cell), "
        "s (save), c (confirm the table unchanged).",
    )
    p.add_argument("out", type=Path, metavar="OUT", help="output folder of juesuan extract")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1; others need the token)")
    p.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765)")
    p.add_argument("--token", default=None, help="access token (default: made up when --host is not local)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from juesuan.review.app import serve

    serve(args.out, host=args.host, port=args.port, token=args.token)
    return 0
