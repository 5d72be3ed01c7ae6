"""``python tests/batch/slow_extract.py extract ...``: the juesuan CLI with ``JUESUAN_TEST_SLOW`` applied."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import tests.batch.slow_stage  # noqa: F401  (installs JUESUAN_TEST_SLOW, in spawned workers too)

if __name__ == "__main__":
    from juesuan.cli import main

    raise SystemExit(main(sys.argv[1:]))
