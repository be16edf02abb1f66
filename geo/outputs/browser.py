"""Open the maps as a person would: in headless Chromium, with the network blocked.

Used by the tests, the map benchmark and ``chengyu maps --screenshots``. Needs Playwright's
Python package and a Chromium binary (Debian's ``chromium``); Playwright's own browser
download is not used.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo.errors import ChengyuError

#: Flags that keep Chromium from reaching for the network on its own (updates, sync, …).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    """Path of the system Chromium.

    Raises
    ------
    ChengyuError
        If no Chromium is installed (``apt-get install chromium``).
    """
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise ChengyuError("no Chromium found: install Debian's chromium package")


@dataclass
class PageReport:
    """What happened while a page was open."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


#: The browsers of the ``shared_browser`` blocks now open, innermost last.
_SHARED: list[Any] = []


@contextmanager
def shared_browser() -> Iterator[None]:
    """Keep one Chromium running for every ``open_page`` inside the block.

    Starting Chromium takes most of the time of opening a page; a block that opens many
    (the browser tests, ``chengyu maps --screenshots``) starts it once. Each page still gets
    a fresh browser context: no cookies, storage or routes carry over from one to the next.
    """
    with _launched() as browser:
        _SHARED.append(browser)
        try:
            yield
        finally:
            _SHARED.pop()


@contextmanager
def _launched() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        raise ChengyuError("opening maps in a browser needs the playwright package") from error
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def _browser() -> Iterator[Any]:
    if _SHARED:
        yield _SHARED[-1]
        return
    with _launched() as browser:
        yield browser


@contextmanager
def open_page(
    html: Path,
    *,
    width: int = 1400,
    height: int = 900,
    block_network: bool = True,
    local_assets: Mapping[str, Path] | None = None,
) -> Iterator[tuple[Any, PageReport]]:
    """Open a local HTML file in headless Chromium; yield the Playwright page and a report.

    Inside a ``shared_browser`` block the page opens in that block's Chromium; otherwise
    Chromium is started for this page alone.

    Parameters
    ----------
    html
        The page, opened by its ``file://`` URL.
    width, height
        Viewport size in CSS pixels.
    block_network
        Abort every request that is not for a local file, and record it.
    local_assets
        URLs answered from local files instead (a CDN's Leaflet, say), network blocked or not.
    """
    report = PageReport()
    with _browser() as browser:
        context = browser.new_context(viewport={"width": width, "height": height})
        try:
            page = context.new_page()
            if block_network:

                def block(route: Any) -> None:
                    url = route.request.url
                    if local_assets and url in local_assets:
                        route.fulfill(path=str(local_assets[url]))
                    elif url.startswith(("file:", "data:", "about:")):
                        route.continue_()
                    else:
                        report.blocked_requests.append(url)
                        route.abort()

                page.route("**/*", block)

            def console(message: Any) -> None:
                if message.type == "error":
                    report.console_errors.append(message.text)

            def page_error(error: Any) -> None:
                report.page_errors.append(str(error))

            page.on("console", console)
            page.on("pageerror", page_error)

            def dismiss(dialog: Any) -> None:
                report.dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", dismiss)
            page.goto(html.resolve().as_uri(), wait_until="load")
            yield page, report
        finally:
            context.close()


def screenshot(html: Path, png: Path, *, width: int = 1400, height: int = 900) -> PageReport:
    """Save a screenshot of a map once it has loaded; return what happened on the page.

    The network stays blocked: every map carries Leaflet itself, so only an online map's
    tiles are missing. Waits until every group is drawn (deferred ones included).
    """
    png.parent.mkdir(parents=True, exist_ok=True)
    with open_page(html, width=width, height=height) as (page, report):
        page.wait_for_function("window.chengyuReady", timeout=15_000)
        page.wait_for_timeout(300)
        page.screenshot(path=str(png))
    return report
