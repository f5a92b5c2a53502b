"""Browser tests: Debian's Chromium driven by Playwright, against the real app served on a free local port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.platform import Platform
from marketplace.worker import Worker
from tests.conftest import unavailable

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; skipped locally when missing, a failure in CI."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def serving(platform: Platform) -> Iterator[str]:
    """The real app on a free local port, with a worker thread confirming chain steps as `serve` does."""
    server = make_server("127.0.0.1", 0, create_app(platform=platform), threaded=True)
    worker = Worker(platform)
    threads = [
        threading.Thread(target=server.serve_forever, daemon=True),
        threading.Thread(target=worker.run_forever, args=(0.2,), daemon=True),
    ]
    for thread in threads:
        thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        worker.stop()
        for thread in threads:
            thread.join(timeout=30)


@pytest.fixture
def site(platform: Platform) -> Iterator[str]:
    with serving(platform) as base:
        yield base
