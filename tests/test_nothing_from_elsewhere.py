"""Nothing is fetched from elsewhere: no page references another host.

The pages: every GET page of the URLconf without path parameters (the admin's, the dashboard,
the print page, the API's docs, schema and browsable lists, the login and password pages) and
every page the admin index, the dashboard and those pages link to (one level, first query
string per path), as a superuser on the demo; the login page also anonymously. In each HTML
page the test reads ``src``, ``href``, ``srcset`` and the other URL attributes, inline styles
and scripts; then the JavaScript and CSS files the pages load from our own static files, where
it looks for the same attributes written from script (``src:"…"``, ``href="…"``), ``url(…)``,
``@import`` and configuration defaults named ``…Url``. A default of a library is excused only
when the page's own configuration overrides it with a local value (Swagger UI's
``validatorUrl``). Any absolute URL to a host other than the server's fails the test.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

pytestmark = pytest.mark.django_db

HOST = "testserver"
URL_ATTRIBUTES = {"src", "href", "srcset", "action", "formaction", "poster", "data", "background"}
CSS_URL = re.compile(r"""url\(\s*["']?([^"')\s]+)""", re.IGNORECASE)
CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)""", re.IGNORECASE)
# In script: an element's URL property or attribute set from a string literal …
JS_ATTRIBUTE = re.compile(
    r"""\b(src|href|srcset|action|formaction|poster)\s*[:=]\s*\\?["'`]([^"'`\\\s]*)""",
    re.IGNORECASE,
)
# … and configuration defaults such as Swagger UI's validatorUrl:"https://…".
JS_CONFIG_URL = re.compile(r"""\b(\w*(?:Url|URL))["']?\s*:\s*["'`]([^"'`\s]*)""")
# The value a page's inline script gives a configuration key ("validatorUrl": "none").
INLINE_SETTING = re.compile(r"""["']?(\w+)["']?\s*:\s*["']([^"']*)["']""")


def is_external(url: str) -> bool:
    parts = urlsplit(url.strip())
    if parts.scheme and parts.scheme not in {"http", "https", "ws", "wss", "ftp"}:
        return False  # data:, blob:, mailto:, javascript:
    return bool(parts.netloc) and parts.hostname != HOST


class References(HTMLParser):
    """The URLs an HTML page refers to, its inline styles and its inline scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.styles: list[str] = []
        self.scripts: list[str] = []
        self._inside: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if not value:
                continue
            if name in URL_ATTRIBUTES:
                if name == "srcset":
                    self.urls += [part.split()[0] for part in value.split(",") if part.strip()]
                else:
                    self.urls.append(value)
            elif name == "style":
                self.styles.append(value)
        if tag in {"script", "style"}:
            self._inside = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._inside:
            self._inside = None

    def handle_data(self, data: str) -> None:
        if self._inside == "script":
            self.scripts.append(data)
        elif self._inside == "style":
            self.styles.append(data)


def css_urls(text: str) -> list[str]:
    return CSS_URL.findall(text) + CSS_IMPORT.findall(text)


def script_references(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """URLs a script loads (attributes, CSS in JS) and its ``…Url`` defaults as (key, url)."""
    urls = [url for _name, url in JS_ATTRIBUTE.findall(text)] + css_urls(text)
    return urls, JS_CONFIG_URL.findall(text)


def static_file(url: str) -> str | None:
    """The text of one of our static files, by its URL (None for other URLs)."""
    path = urlsplit(url).path
    prefix = "/" + settings.STATIC_URL.lstrip("/")
    if not path.startswith(prefix) or not path.endswith((".js", ".css")):
        return None
    found = finders.find(path[len(prefix) :])
    assert found, f"{url} is referenced but not among the static files"
    with open(found, encoding="utf-8") as file:
        return file.read()


def get_pages() -> list[str]:
    """Every GET route of the URLconf without path parameters."""
    pages: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            matcher = pattern.pattern
            if getattr(matcher, "converters", None) or matcher.regex.groups:
                continue
            route = str(matcher).lstrip("^").rstrip("$").replace("\\", "")
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern):
                pages.append("/" + prefix + route)

    walk(get_resolver().url_patterns, "")
    return pages


def local_links(page_url: str, refs: References) -> list[str]:
    links = []
    for url in refs.urls:
        target = urlsplit(urljoin(page_url, url))
        if target.netloc in ("", HOST) and target.path.startswith(("/admin/", "/api/")):
            links.append(target.path + (f"?{target.query}" if target.query else ""))
    return links


class Scan:
    """Pages and the static files they load, with every external reference found."""

    def __init__(self, client) -> None:
        self.client = client
        self.found: list[str] = []
        self.pages_seen: set[str] = set()
        self.routes_seen: set[str] = set()
        self.assets: dict[str, str] = {}  # URL → text

    def page(self, url: str) -> References | None:
        path = urlsplit(url).path
        try:
            route = resolve(path).route  # one page per route: one goal's change form, …
        except Resolver404:
            return None
        if route in self.routes_seen or path.endswith("/logout/"):
            return None
        self.routes_seen.add(route)
        self.pages_seen.add(path)
        response = self.client.get(url, HTTP_ACCEPT="text/html")
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            return None
        refs = References()
        refs.feed(response.content.decode())
        overridden = {
            key
            for script in refs.scripts
            for key, value in INLINE_SETTING.findall(script)
            if not is_external(value)
        }
        self.found += [f"{url}: {u}" for u in refs.urls if is_external(u)]
        for style in refs.styles:
            self.found += [f"{url} (style): {u}" for u in css_urls(style) if is_external(u)]
        for script in refs.scripts:
            urls, _defaults = script_references(script)
            urls += [value for _key, value in INLINE_SETTING.findall(script)]
            self.found += [f"{url} (script): {u}" for u in urls if is_external(u)]
        for asset in refs.urls:
            self.asset(urljoin(url, asset), url, overridden)
        return refs

    def asset(self, url: str, page: str, overridden: set[str]) -> None:
        if url not in self.assets:
            text = static_file(url)
            if text is None:
                return
            self.assets[url] = text
            if url.endswith(".css"):
                for imported in css_urls(text):
                    self.asset(urljoin(url, imported), page, overridden)
        text = self.assets[url]
        if url.endswith(".css"):
            urls, config = css_urls(text), []
        else:
            urls, config = script_references(text)
        self.found += [f"{page} → {url}: {u}" for u in urls if is_external(u)]
        self.found += [
            f"{page} → {url}: {key} {u}"
            for key, u in config
            if is_external(u) and key not in overridden
        ]


def test_no_page_references_another_host(client, superuser):
    scan = Scan(client)
    scan.page("/admin/login/")  # as the anonymous visitor sees it
    client.force_login(superuser)
    seeds = ["/admin/", "/admin/dashboard/", *get_pages()]
    linked: list[str] = []
    for url in seeds:
        refs = scan.page(url)
        if refs is not None:
            linked += local_links(url, refs)
    for url in linked:
        scan.page(url)
    for expected in ("/admin/", "/admin/dashboard/", "/admin/print/", "/api/docs/", "/api/redoc/"):
        assert expected in scan.pages_seen
    assert len(scan.pages_seen) > 40, sorted(scan.pages_seen)
    assert any("redoc.standalone" in url for url in scan.assets), sorted(scan.assets)
    assert any("swagger-ui-bundle" in url for url in scan.assets), sorted(scan.assets)
    assert not scan.found, "\n".join(sorted(set(scan.found)))


def test_the_scan_finds_what_it_looks_for():
    refs = References()
    refs.feed(
        '<link href="//cdn.example.com/a.css"><img srcset="/a.png 1x, https://x.org/b.png 2x">'
        "<div style=\"background: url('https://x.org/c.png')\"></div>"
        '<script>const s = {"validatorUrl": "none"};</script>'
        '<a href="/admin/">local</a><img src="data:,">'
    )
    assert [u for u in refs.urls if is_external(u)] == [
        "//cdn.example.com/a.css",
        "https://x.org/b.png",
    ]
    assert [u for s in refs.styles for u in css_urls(s) if is_external(u)] == [
        "https://x.org/c.png"
    ]
    urls, config = script_references(
        'e.createElement("img",{src:"https://cdn.example.com/logo.svg"});'
        "x.innerHTML='<a href=\"https://example.org/\">';"
        'const d={validatorUrl:"https://validator.example.org/v"};'
        '@import "https://fonts.example.com/css";'
    )
    assert [u for u in urls if is_external(u)] == [
        "https://cdn.example.com/logo.svg",
        "https://example.org/",
        "https://fonts.example.com/css",
    ]
    assert config == [("validatorUrl", "https://validator.example.org/v")]
    assert INLINE_SETTING.findall(refs.scripts[0]) == [("validatorUrl", "none")]


def test_a_changed_redoc_bundle_fails_the_check_instead_of_serving_the_cdn_again():
    from django.core.exceptions import ImproperlyConfigured

    from performance.api import docs_assets

    assert docs_assets.LocalRedocFinder().check() == []
    served = finders.find(docs_assets.BUNDLE)
    assert served == str(docs_assets.patched_path())
    assert finders.find(docs_assets.BUNDLE, find_all=True)[0] == served
    with pytest.raises(ImproperlyConfigured, match="docs_assets"):
        docs_assets.patched_bundle(b'src:"https://cdn.example.com/other-logo.svg"')
