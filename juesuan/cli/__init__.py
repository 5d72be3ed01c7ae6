"""Command line: argument parsing only; each command is one call into the library.

Each command lives in ``juesuan/cli/<name>.py`` with ``add_parser(subparsers)`` and ``run(args) -> int``.
Modules are imported only for the command that runs (and all of them for ``--help``), so startup stays fast.

Conventions (tests/cli/test_conventions.py): results on stdout, logs and errors on stderr (plain lines, never
wrapped, when stderr is not a terminal); ``-q``/``-v`` work before or after the subcommand; ``-o`` is always where
the output goes. Exit codes: 0 all good, 1 some input failed (or is missing), 2 usage or configuration error,
3 extracted (or re-validated) but validation found errors (``--fail-on warning|error|never`` moves that line).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from juesuan import __version__
from juesuan.errors import InputError, JuesuanError

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


EXIT_OK = 0
EXIT_INPUT_FAILED = 1
EXIT_USAGE = 2
EXIT_VALIDATION = 3


def _setup_logging(verbose: int) -> None:
    """Logs go to stderr: rich on a terminal, plain unwrapped lines when piped or redirected."""
    level = logging.WARNING if verbose < 0 else logging.INFO if verbose == 0 else logging.DEBUG
    handler: logging.Handler
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.logging import RichHandler

        handler = RichHandler(console=Console(stderr=True), show_path=False, markup=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)


def add_common_options(parser: argparse.ArgumentParser, top: bool = False) -> None:
    """-v/-q and the data-folder flags, on the main parser and again on every subcommand (so order does not matter).

    On subcommands the defaults are SUPPRESS, so a flag given before the subcommand is not reset by the subparser.
    """

    def default(value: object) -> object:
        return value if top else argparse.SUPPRESS

    parser.add_argument("-v", "--verbose", action="count", default=default(0), help="more log output (-vv: debug)")
    parser.add_argument("-q", "--quiet", action="store_true", default=default(False), help="warnings and errors only")
    parser.add_argument(
        "--config-dir",
        default=default(None),
        metavar="DIR",
        help="configs folder (pipeline.yaml, tables/, codes/); default $JUESUAN_CONFIG_DIR or the shipped one",
    )
    parser.add_argument(
        "--models-dir",
        default=default(None),
        metavar="DIR",
        help="models folder (token-classifier/); default $JUESUAN_MODELS_DIR or the shipped one",
    )


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    out: list[argparse.ArgumentParser] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                out += [child, *_subparsers(child)]
    return out


def validation_exit_code(counts: Sequence[tuple[int, int]], fail_on: str) -> int:
    """3 when any document has errors (``fail_on=error``) or errors or warnings (``warning``); else 0.

    ``counts`` holds (errors, warnings) per document.
    """
    if fail_on == "never":
        return EXIT_OK
    bad = any(e > 0 or (fail_on == "warning" and w > 0) for e, w in counts)
    return EXIT_VALIDATION if bad else EXIT_OK


def add_fail_on(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fail-on",
        choices=["error", "warning", "never"],
        default="error",
        help="exit 3 when validation finds errors (default), errors or warnings, or never",
    )


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="juesuan", description="Scanned fiscal disclosures → validated tables.")
    parser.add_argument("--version", action="version", version=f"juesuan {__version__}")
    add_common_options(parser, top=True)
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
    for child in _subparsers(parser):
        if not any("--quiet" in a.option_strings for a in child._actions):
            add_common_options(child)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(args_list)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    _setup_logging(-1 if args.quiet else args.verbose)
    if args.config_dir or args.models_dir:
        from juesuan import settings

        settings.configure(args.config_dir, args.models_dir)
    try:
        return int(args.run(args))
    except InputError as exc:
        print(f"juesuan {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_INPUT_FAILED
    except JuesuanError as exc:
        print(f"juesuan {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
