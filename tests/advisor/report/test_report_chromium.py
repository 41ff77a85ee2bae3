"""The HTML report in a real headless Chromium (Debian's chromium package): it loads with no
console errors and no network requests, hostile catalog text stays inert, and the charts are
drawn. Skipped, with the reason shown, when no Chromium is installed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from report_chromium import HeadlessChromium, find_chromium
from report_fixture_document import hostile_document, probe_document, recommend_document

from advisor.report import write_report

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Chromium: apt-get install -y chromium (or set CHROMIUM=/path)"
)

PAGE_FACTS = """(() => {
  const scatter = document.querySelector('#chart-accuracy-latency');
  const sizes = document.querySelector('#chart-size-params');
  const box = scatter ? scatter.getBoundingClientRect() : null;
  return {
    title: document.title,
    scripts: document.scripts.length,
    iframes: document.querySelectorAll('iframe, img, object, embed').length,
    pwned: typeof window.__pwned !== 'undefined',
    rows: [...document.querySelectorAll('table.candidates tr.candidate td.id')].map(td => td.textContent),
    points: scatter ? scatter.querySelectorAll('g.point circle').length : 0,
    pareto_points: scatter ? scatter.querySelectorAll('g.point.pareto').length : 0,
    front: scatter ? scatter.querySelectorAll('polyline.pareto-front').length : 0,
    budget: scatter ? scatter.querySelectorAll('line.budget').length : 0,
    scatter_size: box ? [box.width, box.height] : null,
    bars: sizes ? sizes.querySelectorAll('rect.bar').length : 0,
    provenance_rows: document.querySelectorAll('table.provenance tr.figure').length,
    provenance_models: document.querySelectorAll('table.provenance tr.model').length,
    per_class: document.querySelectorAll('details.per-class').length,
    body_visible: getComputedStyle(document.body).display !== 'none',
  };
})()"""


@pytest.fixture(scope="module")
def browser():
    with HeadlessChromium(CHROMIUM) as chromium:
        yield chromium


def _keep_screenshot(shot: Path) -> None:
    # CI or a reviewer can ask for the screenshots to look at: ADVISOR_REPORT_SCREENSHOTS=DIR.
    folder = os.environ.get("ADVISOR_REPORT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(folder) / shot.name)


def test_report_loads_offline_without_errors_and_draws_its_charts(browser, tmp_path):
    document = recommend_document()
    page = write_report(document, "html", tmp_path / "report.html")[0]
    outcome = browser.load(page.as_uri())
    assert outcome.console_errors == [] and outcome.exceptions == []
    assert outcome.requests == [page.as_uri()], "the page fetched something besides itself"
    facts = browser.evaluate(PAGE_FACTS)
    assert facts["rows"] == [c["id"] for c in document["candidates"]]
    assert facts["points"] == 6 and facts["pareto_points"] == 4
    assert facts["front"] == 1 and facts["budget"] == 1
    assert facts["scatter_size"][0] > 400 and facts["scatter_size"][1] > 200
    assert facts["bars"] == 12  # params and size for six candidates
    assert facts["provenance_rows"] == len(document["provenance"])
    assert facts["provenance_models"] == len(document["candidates"])
    assert facts["scripts"] == 0
    shot = browser.screenshot(tmp_path / "report.png")
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank
    _keep_screenshot(shot)


def test_hostile_catalog_text_stays_inert_in_the_browser(browser, tmp_path):
    page = write_report(hostile_document(), "html", tmp_path / "hostile.html")[0]
    outcome = browser.load(page.as_uri())
    # An escape that failed would run the script (console error, __pwned) or fetch evil.example,
    # and the page's Content-Security-Policy would log a violation as a console error.
    assert outcome.console_errors == [] and outcome.exceptions == []
    assert outcome.requests == [page.as_uri()]
    facts = browser.evaluate(PAGE_FACTS)
    assert not facts["pwned"] and facts["scripts"] == 0 and facts["iframes"] == 0 and facts["body_visible"]
    assert facts["rows"][0].startswith("cards:<script>")  # shown as the text it is


def test_probe_run_report_renders_per_class_tables(browser, tmp_path):
    page = write_report(probe_document(), "html", tmp_path / "probe.html")[0]
    outcome = browser.load(page.as_uri())
    assert outcome.console_errors == [] and outcome.requests == [page.as_uri()]
    facts = browser.evaluate(PAGE_FACTS)
    assert facts["per_class"] == 2 and facts["points"] == 3
    _keep_screenshot(browser.screenshot(tmp_path / "probe.png"))


def test_the_harness_sees_requests_and_console_errors(browser, tmp_path):
    """The checks above could pass vacuously if the driver saw nothing; it does see both."""
    page = tmp_path / "noisy.html"
    page.write_text(
        '<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png">'
        '<script>console.error("deliberate")</script></body></html>',
        encoding="utf-8",
    )
    outcome = browser.load(page.as_uri())
    assert "http://127.0.0.1:9/x.png" in outcome.requests
    assert any("deliberate" in line for line in outcome.console_errors)
