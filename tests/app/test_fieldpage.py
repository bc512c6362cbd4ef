"""The field page's files: the page and its service worker at their exact paths without a key,
everything the worker keeps for offline use served, the QR decoder vendored as published, and
no code from another origin."""

from __future__ import annotations

import hashlib
import posixpath
import re

from fastapi.testclient import TestClient

from app.field.page import STATIC

# jsQR 1.4.0 as published on npm (https://registry.npmjs.org/jsqr/-/jsqr-1.4.0.tgz), dist/jsQR.js
JSQR_SHA256 = "bc40c8a15196236b2314db0856f72ca0b49980cd5413b8c852a7349f5fee0859"
OWN_FILES = (
    "field.html",
    "field.js",
    "field.css",
    "field-sw.js",
    *(f"{p.parent.name}/{p.name}" for p in sorted((STATIC / "shared").glob("*.js"))),
    *(f"{p.parent.name}/{p.name}" for p in sorted((STATIC / "field").glob("*.js"))),
)
IMPORT = re.compile(r'^import [^;]* from "(\.\.?/[\w/.-]+\.js)";$', re.M)


def imported_modules(name: str) -> set[str]:
    """The static files a module script imports, its imports' imports with them (paths under
    ``/static/``; ``./`` and ``../`` relative to the importing module)."""
    found: set[str] = set()
    todo = [name]
    while todo:
        here = todo.pop()
        folder = here.rpartition("/")[0]
        for target in IMPORT.findall((STATIC / here).read_text(encoding="utf-8")):
            path = posixpath.normpath(posixpath.join(folder, target))
            if path not in found:
                found.add(path)
                todo.append(path)
    return found


def test_the_page_and_its_service_worker_need_no_key(client: TestClient) -> None:
    client.headers.pop("X-API-Key")
    page = client.get("/field")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/static/field.js">' in page.text
    worker = client.get("/field/sw.js")
    assert worker.status_code == 200
    assert worker.headers["content-type"].startswith("text/javascript")
    # Its scope, /field, is above its own folder (/field/): the header allows it.
    assert worker.headers["service-worker-allowed"] == "/field"
    api = client.get("/openapi.json").json()["paths"]
    assert "/field" not in api and "/field/sw.js" not in api  # pages, not API operations
    assert client.get("/field/voyage").status_code == 401  # the data needs the crew's key


def test_what_the_service_worker_keeps_is_served(client: TestClient) -> None:
    client.headers.pop("X-API-Key")
    worker = (STATIC / "field-sw.js").read_text(encoding="utf-8")
    shell = re.search(r"const SHELL = \[([^\]]*)\]", worker)
    assert shell is not None
    paths = re.findall(r'"([^"]+)"', shell.group(1))
    assert {"/field", "/static/field.js", "/static/field.css", "/static/vendor/jsQR.js"} <= set(
        paths
    )
    # the modules the page imports and the words they read: without them it does not start
    modules = imported_modules("field.js")
    assert {"shared/text.js", "shared/time.js", "shared/api.js", "shared/dom.js"} <= modules
    parts = ("form", "qr", "queue", "scan", "send", "state", "voyage", "words")
    assert {f"field/{part}.js" for part in parts} <= modules
    assert {f"/static/{m}" for m in modules} | {"/static/text/catalogue.json"} <= set(paths)
    assert re.search(r'const SHELL_CACHE = "ballot-field-shell-v3"', worker)  # the new list
    for path in paths:
        assert client.get(path).status_code == 200, path


def test_the_qr_decoder_is_vendored_as_published_with_its_licence() -> None:
    vendored = (STATIC / "vendor" / "jsQR.js").read_bytes()
    assert hashlib.sha256(vendored).hexdigest() == JSQR_SHA256
    licence = (STATIC / "vendor" / "jsQR.LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0" in licence


def test_the_page_loads_nothing_from_another_origin() -> None:
    for name in OWN_FILES:
        text = (STATIC / name).read_text(encoding="utf-8")
        text = text.replace('"http://www.w3.org/2000/svg"', "")  # a namespace, not an address
        assert not re.search(r"https?://", text), name


def test_the_text_catalogue_is_served_to_the_pages_without_a_key(client: TestClient) -> None:
    from routing.text import catalogue

    client.headers.pop("X-API-Key")
    r = client.get("/static/text/catalogue.json")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == catalogue()
    assert "/static/text/catalogue.json" not in client.get("/openapi.json").json()["paths"]
