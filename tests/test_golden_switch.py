import os


def test_golden_regeneration_is_off_in_ci() -> None:
    """CI must never rewrite its own expectations."""
    if os.environ.get("CI"):
        assert os.environ.get("JUESUAN_REGEN_GOLDEN") in (None, "", "0")
