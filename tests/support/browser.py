"""Playwright for Python driving Debian's Chromium (/usr/bin/chromium) headless, for the chat page and
the staff console. Both are part of the install: Playwright is pinned in requirements/project.lock and
Chromium is installed by `scripts/system_deps.sh chromium`, which `make test` runs. A missing one is
therefore a broken install and fails the test instead of skipping it; `make test-fast` does not
select the browser tests (they are marked `system`)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def sync_playwright():
    """Playwright's sync context manager, once Playwright and Chromium are known to be there."""
    try:
        from playwright.sync_api import sync_playwright as playwright
    except ImportError as error:
        pytest.fail(f"Playwright is not installed ({error}): `make install` installs it from requirements/project.lock",
                    pytrace=False)
    installed = subprocess.run([str(ROOT / "scripts" / "system_deps.sh"), "chromium"], capture_output=True, text=True)
    if installed.returncode != 0 or not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is needed for the browser tests (scripts/system_deps.sh chromium): "
                    f"{installed.stderr.strip() or CHROMIUM + ' is missing'}", pytrace=False)
    return playwright()


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)
