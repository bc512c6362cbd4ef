"""The API's documentation pages (/docs, /redoc) work without internet: everything they load
comes from the service itself (app/static/vendor/), with the licences of what is vendored."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from app.main import STATIC
from testkit import localserver

PAGES = ("/docs", "/redoc")
# What a reference's name says it is, and the type the service must answer it with.
TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
    ".json": ("application/json",),
}
# Hosts the stock FastAPI pages and the bundles' usual setups load from.
CDN_HOSTS = ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com", "fonts.googleapis.com")
QUOTED = re.compile(r"""["']((?:https?:)?//[^"'\s]+|/[^"'\s/][^"'\s]*)["']""")
SAFE_SOURCES = {"'self'", "'none'", "'unsafe-inline'", "data:", "blob:"}
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)""")


class _References(HTMLParser):
    """Every ``src`` and ``href`` of a page, and the URLs quoted in its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.scripts: list[str] = []  # the external scripts, in order
        self._inline = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (name in ("src", "href") or name.endswith("-url")):
                self.found.append(value)
                if tag == "script" and name == "src":
                    self.scripts.append(value)
        self._inline = tag == "script" and not dict(attrs).get("src")

    def handle_endtag(self, tag: str) -> None:
        self._inline = False

    def handle_data(self, data: str) -> None:
        if self._inline:
            self.found += QUOTED.findall(data)


def _references(html: str) -> _References:
    parser = _References()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("page", PAGES)
def test_a_docs_page_loads_only_from_the_service(client: TestClient, page: str) -> None:
    r = client.get(page, headers={"X-API-Key": ""})  # public: no key needed
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    policy = dict(d.strip().split(" ", 1) for d in r.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'self'"
    for directive, sources in policy.items():  # nothing from another host, whatever loads it
        assert set(sources.split()) <= SAFE_SOURCES, directive
    refs = _references(r.text)
    assert refs.scripts, "the page loads its viewer's script"
    base = str(r.url)
    own = urlsplit(base).netloc
    for ref in refs.found:
        absolute = urlsplit(urljoin(base, ref))
        assert absolute.scheme in ("http", "https") and absolute.netloc == own, ref
        answer = client.get(absolute.path, headers={"X-API-Key": ""})
        assert answer.status_code == 200, (ref, answer.status_code)
        wanted = TYPES[Path(absolute.path).suffix or ".json"]
        assert answer.headers["content-type"].startswith(wanted), (ref, answer.headers)
        if absolute.path.endswith(".css"):  # what the style sheet loads in turn
            for url in CSS_URL.findall(answer.text):
                assert url.startswith("data:") or not urlsplit(url).netloc, (ref, url)
        if absolute.path.endswith(".js"):
            assert not [h for h in CDN_HOSTS if h in answer.text], ref


def test_the_vendored_viewers_carry_their_licences() -> None:
    vendor = STATIC / "vendor"
    for bundle, licence in [
        ("swagger-ui-bundle.js", "swagger-ui.LICENSE"),
        ("swagger-ui.css", "swagger-ui.LICENSE"),
        ("redoc.standalone.js", "redoc.LICENSE"),
    ]:
        assert (vendor / bundle).stat().st_size > 10_000
        assert (vendor / licence).read_text().strip(), licence
        # A bundle's first line names the file of its bundled libraries' licences.
        named = re.search(r"please see (\S+?\.LICENSE\.txt)", (vendor / bundle).read_text()[:300])
        if named:
            assert (vendor / named.group(1)).read_text().strip(), named.group(1)
    assert "Apache License" in (vendor / "swagger-ui.LICENSE").read_text()
    assert (vendor / "swagger-ui.NOTICE").read_text().strip()  # Apache-2.0 asks for it
    assert "MIT License" in (vendor / "redoc.LICENSE").read_text()


def test_the_docs_render_every_operation_with_other_hosts_blocked(
    tmp_path: Path, network_cache: Path
) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser.common import launch, server_env

    with localserver.serving(server_env(tmp_path, network_cache)) as base:
        spec = httpx.get(f"{base}/openapi.json", timeout=30).json()
        summaries = sorted(
            {op["summary"] for item in spec["paths"].values() for op in item.values()}
        )
        own = urlsplit(base).netloc
        elsewhere: list[str] = []

        def only_the_service(route) -> None:
            url = route.request.url
            if urlsplit(url).netloc == own or url.startswith("data:"):
                route.continue_()
            else:
                elsewhere.append(url)
                route.abort()

        with sync_playwright() as pw:
            browser = launch(pw)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.route("**/*", only_the_service)
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.goto(f"{base}/docs")
                page.wait_for_selector(".opblock-summary-description", timeout=60_000)
                shown = page.locator(".opblock-summary-description").all_inner_texts()
                assert sorted(set(shown)) == summaries
                assert len(shown) == sum(len(item) for item in spec["paths"].values())
                page.goto(f"{base}/redoc")
                page.wait_for_selector("[role=menuitem]", timeout=60_000)
                menu = page.locator("[role=menuitem]").all_inner_texts()
                listed = " ".join(menu)
                assert [s for s in summaries if s not in listed] == []
            finally:
                browser.close()
    assert elsewhere == []
    # What a bundle asks for from elsewhere by itself (ReDoc's sidebar logo) the page's policy
    # refuses before any request; it refuses nothing of the service's own.
    refused = [e for e in errors if "Content Security Policy" in e]
    assert [e for e in errors if e not in refused] == []
    for refusal in refused:
        url = re.search(r"'(https?://[^']+)'", refusal)
        assert url and urlsplit(url.group(1)).netloc != own, refusal
