"""Command line: argument parsing only; each command is one call into the library.

Each command lives in ``juesuan/cli/<name>.py`` with ``add_parser(subparsers)`` and ``run(args) -> int``.
Modules are imported only for the command that runs (and all of them for ``--help``), so startup stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from juesuan import __version__
from juesuan.errors import JuesuanError

COMMANDS: dict[str, str] = {
    "extract": "juesuan.cli.extract",
    "validate": "juesuan.cli.validate",
    "synth": "juesuan.cli.data",
    "label": "juesuan.cli.data",
    "data": "juesuan.cli.data",
    "train": "juesuan.cli.train",
    "evaluate": "juesuan.cli.evaluate",
    "review": "juesuan.cli.review",
    "models": "juesuan.cli.models",
    "report": "juesuan.cli.report",
}


def _setup_logging(verbose: int) -> None:
    from rich.logging import RichHandler

    level = logging.WARNING if verbose < 0 else logging.INFO if verbose == 0 else logging.DEBUG
    logging.basicConfig(level=level, format="%(message)s", handlers=[RichHandler(show_path=False, markup=False)])


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="juesuan", description="Scanned fiscal disclosures → validated tables.")
    parser.add_argument("--version", action="version", version=f"juesuan {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)")
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    seen: set[str] = set()
    for name, module_name in COMMANDS.items():
        if only is not None and name != only:
            continue
        if module_name in seen:
            continue
        seen.add(module_name)
        module = importlib.import_module(module_name)
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(args_list)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    _setup_logging(-1 if args.quiet else args.verbose)
    try:
        return int(args.run(args))
    except JuesuanError as exc:
        print(f"juesuan {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
