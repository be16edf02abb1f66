"""Opening pages in headless Chromium: one browser for many pages, a fresh context each."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from geo.outputs import browser
from geo.outputs.browser import open_page, shared_browser


def test_pages_in_a_shared_block_use_one_chromium_and_share_no_state(tmp_path, monkeypatch):
    page_file = tmp_path / "page.html"
    page_file.write_text("<!doctype html><title>t</title><p>page</p>", encoding="utf-8")
    launches = []
    launch = browser._launched

    @contextmanager
    def counted():
        launches.append(True)
        with launch() as chromium:
            yield chromium

    monkeypatch.setattr(browser, "_launched", counted)
    with shared_browser():
        with open_page(page_file) as (page, _):
            page.evaluate("localStorage.setItem('seen', '1')")
            assert page.evaluate("localStorage.getItem('seen')") == "1"
        with open_page(Path(page_file), width=800, height=600) as (page, _):
            assert page.evaluate("localStorage.getItem('seen')") is None  # a fresh context
            assert page.evaluate("window.innerWidth") == 800
    assert len(launches) == 1
    with open_page(page_file) as (page, _):  # outside the block: a browser of its own
        assert page.evaluate("document.title") == "t"
    assert len(launches) == 2
