"""``/docs`` in a real browser with no network beyond the service: Swagger UI's files
come from the service, and the page lists the operations."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Route, sync_playwright

from conftest import gunicorn, service_env

CHROMIUM = Path("/usr/bin/chromium")  # Debian's, not Playwright's download; .ci/run installs it


def test_the_docs_page_lists_the_operations_offline(tmp_path: Path) -> None:
    env = service_env(GRASSROOTS_DATABASE_URL=f"sqlite:///{tmp_path / 'var'}")
    with gunicorn(env), sync_playwright() as playwright:
        base = f"http://127.0.0.1:{env['GRASSROOTS_PORT']}"
        refused: list[str] = []

        def offline(route: Route) -> None:
            """Anything not from the service is what a machine without internet lacks."""
            if urlsplit(route.request.url).netloc == urlsplit(base).netloc:
                route.continue_()
            else:
                refused.append(route.request.url)
                route.abort()

        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=["--no-sandbox"])  # root, in CI
        try:
            page = browser.new_page()
            page.route("**/*", offline)
            page.goto(f"{base}/docs")
            page.wait_for_selector(".opblock-summary-path", timeout=20_000)
            paths = {element.inner_text().replace("\u200b", "")
                     for element in page.query_selector_all(".opblock-summary-path")}
        finally:
            browser.close()
    assert {"/v1/tenants/{code}/tree", "/v1/tenants/{code}/changes", "/healthz"} <= paths
    assert len(paths) > 40
    assert refused == []
