"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, for end-to-end tests.

Missing Chromium skips these tests on a developer's machine, but fails them when
PFSENSE_REQUIRE_BROWSER=1 (CI sets it): a browser test must never pass by not running.
"""

import os
import shutil
import tempfile
from contextlib import contextmanager

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def chromium_path() -> str:
    path = (
        os.environ.get("PFSENSE_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if path:
        return path
    if os.environ.get("PFSENSE_REQUIRE_BROWSER") == "1":
        pytest.fail(
            "Chromium is required (PFSENSE_REQUIRE_BROWSER=1) but not installed: "
            "apt-get install chromium"
        )
    pytest.skip("Chromium not installed (apt-get install chromium); CI requires it")


@contextmanager
def browser_page(executable: str | None = None):
    """A page in a fresh headless Chromium profile; `executable` defaults to chromium_path()."""
    from playwright.sync_api import sync_playwright

    executable = executable or chromium_path()
    with (
        tempfile.TemporaryDirectory(prefix="pfsense-chromium-") as profile,
        sync_playwright() as playwright,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 420, "height": 860},
        )
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()
