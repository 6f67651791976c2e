"""Browser tests: Playwright (Python) driving Debian's Chromium against Django's live server.

No browser is ever downloaded: the tests launch /usr/bin/chromium (`apt-get install
chromium`; `.ci/run` does it) and are skipped, with the reason, when it or the playwright
package is missing. Each flow saves screenshots to var/screenshots/; a failing test also
saves the page's HTML, its console log and a screenshot there, named after the test.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PASSWORD = "e2e-password-1"


def _skip_reason() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "needs the playwright package (pip install playwright; no `playwright install`)"
    if not CHROMIUM.exists():
        return f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    if reason is None:
        return
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def browser() -> Iterator[object]:
    """Chromium for one test (headless, no sandbox: it runs as root in CI).

    Started after the test's database set-up and stopped before its tear-down: with a
    browser kept across tests (Playwright's sync API holds an asyncio loop on this thread),
    the next test's serialized-rollback set-up restored nothing (no groups, no permissions).
    """
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop on this thread, which makes Django refuse
    # ORM calls as if they came from async code; the tests' own calls are synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
            )
            yield chromium
            chromium.close()
            # The test's own database connection, opened while Playwright ran; left open,
            # it would keep the test database from being dropped at the end of the session.
            connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _artefact_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1])[:120]


def _open_page(browser, live_server, request: pytest.FixtureRequest, **options) -> Iterator[object]:
    """A fresh browser context on the live server; its console is recorded, and saved with
    the page's HTML and a screenshot when the test fails."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, **options
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"[{message.type}] {message.text}"))
    page.on("pageerror", lambda error: console.append(f"[pageerror] {error}"))
    page.console_messages = console
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        stem = SCREENSHOTS / f"FAILED-{_artefact_name(request.node.nodeid)}"
        try:
            stem.with_suffix(".html").write_text(page.content())
            page.screenshot(path=str(stem.with_suffix(".png")), full_page=True)
        except Exception as exc:  # the page may be gone: keep the console log anyway
            console.append(f"[e2e] could not save the page: {exc}")
        stem.with_suffix(".console.log").write_text(f"{page.url}\n" + "\n".join(console) + "\n")
    context.close()


@pytest.fixture
def page(browser, live_server, request: pytest.FixtureRequest) -> Iterator[object]:
    """A page in a fresh browser context (see `_open_page`)."""
    yield from _open_page(browser, live_server, request)


@pytest.fixture
def page_without_javascript(browser, live_server, request) -> Iterator[object]:
    """A page whose browser runs no JavaScript."""
    yield from _open_page(browser, live_server, request, java_script_enabled=False)


@pytest.fixture
def shot(page) -> Callable[[str], Path]:
    """Save a full-page screenshot as var/screenshots/<name>.png."""

    def _shot(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot


@pytest.fixture
def log_in(page, live_server) -> Callable[[str], None]:
    """Log in through the admin's login page as `username` (password PASSWORD)."""

    def _log_in(username: str, password: str = PASSWORD) -> None:
        page.goto("/admin/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")

    return _log_in
