"""The review app in a real browser (Playwright driving Debian's chromium): fix a planted value, see the identity
turn green, save, reload, find it saved. scripts/setup.sh installs chromium; a missing one fails, it is not skipped."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from juesuan.datamodel.document import Document

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    for name in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(name).is_file():
            return name
    found = shutil.which("chromium")
    if not found:
        pytest.fail("no chromium: apt-get install chromium (scripts/setup.sh does this as root)")
    return found


@pytest.fixture()
def server(review_out: Path) -> Iterator[str]:
    import uvicorn

    from juesuan.review.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(review_out), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline:
            pytest.fail("review server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.mark.slow  # a browser start: 3-10 s
def test_fix_a_planted_value_in_the_browser(server: str, review_out: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            page.goto(server)
            status = page.locator("#status")
            expect(status).to_have_text("2 identities fail", timeout=15000)
            expect(status).to_have_class("badge fail")
            expect(page.locator("#overlay .box.bad")).to_have_count(2)  # both failing cells outlined on the page
            page.keyboard.press("n")  # next failing cell: 20805's total (row 1)
            page.keyboard.press("ArrowDown")  # the planted cell below it (row 2, col 2)
            expect(page.locator("#grid td.sel")).to_have_text("94.65")
            page.keyboard.press("Enter")
            page.keyboard.press("Control+A")
            page.keyboard.type("84.65")
            page.keyboard.press("Enter")
            expect(status).to_have_text("identities pass", timeout=15000)
            expect(status).to_have_class("badge pass")
            expect(page.locator("#violations li.fixed")).to_have_count(2)
            page.keyboard.press("s")
            expect(page.locator("#message")).to_contain_text("saved", timeout=15000)
            page.reload()
            expect(status).to_have_text("identities pass", timeout=15000)
            cell = page.locator('#grid td[data-row="2"][data-col="2"]')
            expect(cell).to_have_text("84.65")
            expect(cell).to_have_class("human")
        finally:
            browser.close()
    saved = Document.load(review_out / "finance" / "document.json").tables[0].rows[2].cell(2)
    assert (saved.text, saved.source) == ("84.65", "human")
