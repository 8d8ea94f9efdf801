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


# Every visible piece of text on the page whose contrast with the background behind it is under
# `least` (WCAG 2 ratios): [text, ratio] pairs. Text on a translucent colour or with opacity
# below 1 counts as failing: what it is drawn over cannot be told from here.
LOW_CONTRAST_JS = """(least) => {
  const rgb = (css) => (css.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
      if (c.length === 4 && c[3] > 0) return null;
    }
    return [255, 255, 255];
  };
  const bad = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!own || !box.width || !box.height || style.visibility === "hidden") continue;
    let opaque = true;
    for (let e = el; e; e = e.parentElement) {
      if (Number(getComputedStyle(e).opacity) < 1) opaque = false;
    }
    const fg = rgb(style.color);
    const bg = background(el);
    const text = el.textContent.trim().slice(0, 40);
    if (!opaque || !bg || (fg.length === 4 && fg[3] < 1)) { bad.push([text, 0]); continue; }
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < least) bad.push([text, Math.round(ratio * 100) / 100]);
  }
  return bad;
}"""

# Buttons, inputs, selects and links shorter than `least` px: [what, height] pairs.
SMALL_TARGETS_JS = """(least) => [...document.querySelectorAll("button, input, select, a")]
  .map((el) => [el, el.getBoundingClientRect()])
  .filter(([el, b]) => b.width && b.height && b.height < least)
  .map(([el, b]) => [el.id || el.textContent.trim().slice(0, 30) || el.outerHTML.slice(0, 40),
                     b.height])"""

SIDEWAYS_SCROLL_JS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
