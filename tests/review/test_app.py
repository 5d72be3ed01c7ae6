"""The review HTTP API: listing, live check, save; nothing outside OUT served; the token when bound elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from juesuan.datamodel.document import Document
from juesuan.review.app import create_app, needs_token

FIX = {"table": "t1", "row": 2, "col": 2, "text": "84.65"}


@pytest.fixture()
def client(review_out: Path) -> TestClient:
    return TestClient(create_app(review_out))


def test_index_static_and_listing(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text and "http" not in page.text.split("<body>")[1]
    assert "keydown" in client.get("/static/app.js").text
    listing = client.get("/api/documents").json()
    assert [d["id"] for d in listing["documents"]] == ["finance"]
    assert listing["documents"][0]["tables"][0]["errors"] == 2
    assert "AMOUNT" in listing["labels"]
    png = client.get("/api/page", params={"id": "finance", "page": 0})
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_check_then_save_through_http(client: TestClient, review_out: Path) -> None:
    checked = client.post("/api/check", params={"id": "finance"}, json={"edits": [FIX]}).json()
    assert checked["tables"][0]["errors"] == 0
    assert Document.load(review_out / "finance" / "document.json").tables[0].rows[2].cell(2).text == "94.65"
    saved = client.post("/api/save", params={"id": "finance"}, json={"edits": [FIX], "confirm_tables": ["t1"]})
    assert saved.status_code == 200 and saved.json()["recorded"] == 2
    cell = Document.load(review_out / "finance" / "document.json").tables[0].rows[2].cell(2)
    assert (cell.text, cell.source) == ("84.65", "human")


def test_bad_edits_are_400_not_500(client: TestClient) -> None:
    bad = client.post("/api/check", params={"id": "finance"}, json={"edits": [{**FIX, "row": 99}]})
    assert bad.status_code == 400 and "no row 99" in bad.json()["error"]
    extra = client.post("/api/save", params={"id": "finance"}, json={"edits": [{**FIX, "path": "/etc"}]})
    assert extra.status_code == 400
    assert client.get("/api/page", params={"id": "finance", "page": "x"}).status_code == 400
    assert client.get("/api/page", params={"id": "finance", "page": 7}).status_code == 404


@pytest.mark.parametrize(
    "doc_id",
    ["../finance", "..%2ffinance", "finance/../..", "/etc", "/etc/passwd", "..", ".", "finance/..", "%2e%2e"],
)
def test_no_document_outside_the_listed_ones(client: TestClient, doc_id: str, review_out: Path) -> None:
    assert client.get("/api/doc", params={"id": doc_id}).status_code == 404
    assert client.get("/api/page", params={"id": doc_id, "page": 0}).status_code == 404
    assert client.post("/api/save", params={"id": doc_id}, json={"edits": [FIX]}).status_code == 404
    assert Document.load(review_out / "finance" / "document.json").tables[0].rows[2].cell(2).text == "94.65"


@pytest.mark.parametrize(
    "path",
    [
        "/static/../app.py",
        "/static/..%2fapp.py",
        "/static/%2e%2e%2fstore.py",
        "/static/..%2f..%2f..%2fetc%2fpasswd",
        "/static//etc/passwd",
        "/static/store.py",
        "/../../etc/passwd",
        "/finance/document.json",
    ],
)
def test_no_file_outside_the_static_set(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "import" not in response.text and "root:" not in response.text


def test_token_required_when_given(review_out: Path) -> None:
    client = TestClient(create_app(review_out, token="s3cret"))
    assert client.get("/api/documents").status_code == 401
    assert client.get("/api/documents", headers={"X-Juesuan-Token": "wrong"}).status_code == 401
    assert client.get("/api/documents", headers={"X-Juesuan-Token": "s3cret"}).status_code == 200
    first = client.get("/", params={"token": "s3cret"})
    assert first.status_code == 200 and "juesuan_review_token" in first.headers["set-cookie"]
    assert client.get("/api/documents").status_code == 200  # the cookie from the first page view
    assert needs_token("0.0.0.0") and needs_token("192.168.1.5") and not needs_token("127.0.0.1")


def test_serve_makes_a_token_when_bound_elsewhere(
    review_out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    from juesuan.review.app import serve

    served: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    serve(review_out, host="0.0.0.0", port=9999)
    url = capsys.readouterr().out
    token = url.split("?token=")[1].split()[0]
    assert len(token) >= 24 and served["host"] == "0.0.0.0"
    client = TestClient(served["app"])  # type: ignore[arg-type]
    assert client.get("/api/documents").status_code == 401
    assert client.get("/api/documents", headers={"X-Juesuan-Token": token}).status_code == 200
    serve(review_out)  # 127.0.0.1: no token
    assert "?token=" not in capsys.readouterr().out and served["host"] == "127.0.0.1"
    assert TestClient(served["app"]).get("/api/documents").status_code == 200  # type: ignore[arg-type]


def test_page_image_rendered_from_the_source_without_previews(client: TestClient, review_out: Path) -> None:
    import io
    import shutil

    from PIL import Image

    shutil.rmtree(review_out / "finance" / "pages")  # extract --no-previews
    png = client.get("/api/page", params={"id": "finance", "page": 0})
    assert png.status_code == 200
    with Image.open(io.BytesIO(png.content)) as img:
        assert img.size == (1000, 1000)  # document.json's page pixels, so cell boxes line up
