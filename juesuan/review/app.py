"""``juesuan review OUT/``: a small local web app (Starlette + plain HTML/JS, no CDN) to correct extracted tables.

HTTP API (JSON; the page in static/ uses nothing else, so tests drive it the same way):

* ``GET  /api/documents`` — documents and tables, failing identities and ``needs_review`` first
* ``GET  /api/doc?id=<doc>`` — document.json plus per-table status
* ``GET  /api/page?id=<doc>&page=<0-based>`` — the page image (PNG)
* ``POST /api/check?id=<doc>`` — ``{"edits": [...]}`` → the re-checked violations; nothing written
* ``POST /api/save?id=<doc>`` — ``{"edits": [...], "confirm_tables": [...]}`` → document.json, every export and
  corrections.jsonl rewritten/appended

Document ids are looked up in the list of documents found under OUT (store.py), never joined onto a path, and static
files are a fixed set inside the package: no request can reach a file outside OUT. Bound to 127.0.0.1 by default;
bound elsewhere it needs a token (``?token=`` once, then a cookie; or the ``X-Juesuan-Token`` header).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from juesuan.errors import InputError
from juesuan.review.store import CellEdit, EditError, ReviewStore, SaveRequest, table_status

log = logging.getLogger(__name__)

STATIC = {"app.js": "text/javascript", "app.css": "text/css", "index.html": "text/html"}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
TOKEN_HEADER = "x-juesuan-token"
COOKIE = "juesuan_review_token"


def _static(name: str) -> bytes:
    return (resources.files("juesuan.review") / "static" / name).read_bytes()


class TokenMiddleware:
    """Every request carries the token (query, header or cookie); the first page view sets the cookie."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        given = (
            request.query_params.get("token") or request.headers.get(TOKEN_HEADER) or request.cookies.get(COOKIE) or ""
        )
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            await PlainTextResponse("missing or wrong token", status_code=401)(scope, receive, send)
            return
        if request.query_params.get("token"):

            async def send_with_cookie(message: Any) -> None:
                if message["type"] == "http.response.start":
                    cookie = f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict".encode()
                    message.setdefault("headers", []).append((b"set-cookie", cookie))
                await send(message)

            await self.app(scope, receive, send_with_cookie)
            return
        await self.app(scope, receive, send)


def _doc_json(doc: Any) -> dict[str, Any]:
    return {"document": doc.model_dump(mode="json"), "tables": table_status(doc)}


def create_app(root: Path, token: str | None = None) -> Starlette:
    """The review app over ``root`` (an extract output folder); ``token`` makes every request need it."""
    store = ReviewStore(root)

    def doc_id(request: Request) -> str:
        value = request.query_params.get("id")
        if value is None or value not in store.documents():
            raise KeyError(value)
        return value

    async def index(request: Request) -> Response:
        return Response(_static("index.html"), media_type="text/html; charset=utf-8")

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return PlainTextResponse("not found", status_code=404)
        return Response(_static(name), media_type=f"{STATIC[name]}; charset=utf-8")

    async def documents(request: Request) -> Response:
        from juesuan.datasets.labelled_page import load_labels

        return JSONResponse({"root": str(store.root), "documents": store.summary(), "labels": load_labels()})

    async def document(request: Request) -> Response:
        return JSONResponse(_doc_json(store.load(doc_id(request))))

    async def page(request: Request) -> Response:
        try:
            number = int(request.query_params.get("page", ""))
        except ValueError:
            return PlainTextResponse("page must be a number", status_code=400)
        png = store.page_png(doc_id(request), number)
        return Response(png, media_type="image/png", headers={"Cache-Control": "max-age=3600"})

    async def check(request: Request) -> Response:
        body = await request.json()
        edits = [CellEdit.model_validate(e) for e in body.get("edits", [])]
        return JSONResponse(_doc_json(store.check(doc_id(request), edits)))

    async def save(request: Request) -> Response:
        save_request = SaveRequest.model_validate(await request.json())
        doc, records = store.save(doc_id(request), save_request)
        return JSONResponse({**_doc_json(doc), "recorded": len(records)})

    async def not_found(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": "not found"}, status_code=404)

    async def bad_request(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc).splitlines()[0]}, status_code=400)

    async def bad_input(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=422)

    middleware = [Middleware(TokenMiddleware, token=token)] if token else []
    return Starlette(
        routes=[
            Route("/", index),
            Route("/static/{name}", static),
            Route("/api/documents", documents),
            Route("/api/doc", document),
            Route("/api/page", page),
            Route("/api/check", check, methods=["POST"]),
            Route("/api/save", save, methods=["POST"]),
        ],
        middleware=middleware,
        exception_handlers={
            KeyError: not_found,
            EditError: bad_request,
            ValidationError: bad_request,
            ValueError: bad_request,
            InputError: bad_input,
        },
    )


def needs_token(host: str) -> bool:
    return host not in LOCAL_HOSTS


def serve(root: Path, host: str = "127.0.0.1", port: int = 8765, token: str | None = None) -> None:
    """Run the app with uvicorn until interrupted; a non-local ``host`` gets a token (made up unless given)."""
    import uvicorn

    if needs_token(host) and not token:
        token = secrets.token_urlsafe(24)
    ReviewStore(root).require_documents()
    app = create_app(root, token=token if needs_token(host) or token else None)
    query = f"?token={token}" if token else ""
    print(f"juesuan review: {Path(root).resolve()} → http://{host}:{port}/{query}  (Ctrl+C stops)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
