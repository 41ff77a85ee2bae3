"""Browse-table responsiveness on a big catalog (issue 8: "smooth with 1M catalog entries").

Two measurements against an existing store (build the 1M one with scripts/bench_scale.py):

1. The browse data layer (`advisor.tui.data.browse_page`, what each table page runs in its
   worker): the first page of a filter (with its total count), then page after page by cursor as
   a user scrolling down would load them, to a depth of --pages pages of 100 rows.
2. The real app, headless at 160x45: time from choosing a task in the filter to its rows on
   screen, and from the end of the loaded rows to the next page on screen.

    .venv/bin/python scripts/bench_tui_paging.py --db sqlite:////tmp/advisor-scale/catalog.db [--pages 300] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FILTERS = [
    {"label": "no filter, most downloaded first", "changes": {}},
    {"label": "task text-generation (22% of the Hub)", "changes": {"task": "text-generation"}},
    {"label": "task object-detection (2%)", "changes": {"task": "object-detection"}},
    {"label": "task image-classification, smallest first", "changes": {"task": "image-classification", "sort": "params"}},
    {"label": "task text-classification, commercial licences", "changes": {"task": "text-classification", "license": "commercial"}},
]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def data_layer(store, pages: int) -> list[dict]:
    from advisor.tui.data import PAGE_SIZE, BrowseFilters, browse_page

    out = []
    for f in FILTERS:
        filters = BrowseFilters().with_(**f["changes"])
        with store.session() as session:
            t0 = time.perf_counter()
            page = browse_page(session, filters, 0, PAGE_SIZE)
            first = time.perf_counter() - t0
            times, rows = [], len(page.rows)
            while page.next_page is not None and len(times) < pages:
                t0 = time.perf_counter()
                page = browse_page(session, filters, rows, PAGE_SIZE, page.next_page)
                times.append(time.perf_counter() - t0)
                rows += len(page.rows)
        out.append({"filter": f["label"], "total": page.total if not times else None, "first_page_ms": ms(first),
                    "next_pages": len(times), "rows_reached": rows,
                    "next_page_p50_ms": ms(statistics.median(times)) if times else None,
                    "next_page_max_ms": ms(max(times)) if times else None,
                    "last_page_ms": ms(times[-1]) if times else None})
    return out


async def app_timings(store) -> dict:
    from textual.widgets import DataTable

    from advisor.tui.app import AdvisorApp
    from advisor.tui.browse import BrowsePane

    app = AdvisorApp(store=store)
    async with app.run_test(size=(160, 45)) as pilot:
        table = app.query_one("#models", DataTable)
        pane = app.query_one(BrowsePane)

        async def until(condition, timeout: float = 60.0) -> float:
            t0 = time.perf_counter()
            while not condition():
                if time.perf_counter() - t0 > timeout:
                    raise TimeoutError("the table did not update")
                await pilot.pause(0.005)
            return time.perf_counter() - t0

        await until(lambda: table.row_count > 0)
        await pilot.pause(0.5)
        results = {}
        for task in ("text-generation", "object-detection"):
            generation = pane.generation
            t0 = time.perf_counter()
            pane.apply(task=task)
            # reload() holds off "more" until the new filter's first page is on screen
            await until(lambda: pane.generation > generation and not pane.loading_more and table.row_count > 0)
            results[f"task filter {task}: rows on screen"] = ms(time.perf_counter() - t0)
        times = []
        for _ in range(20):
            before = table.row_count
            t0 = time.perf_counter()
            pane.load_more()
            await until(lambda: table.row_count > before)
            times.append(time.perf_counter() - t0)
        results["next page on screen p50 ms"] = ms(statistics.median(times))
        results["next page on screen max ms"] = ms(max(times))
        results["rows loaded"] = table.row_count
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from catalog.store import open_store

    store = open_store(args.db, load_snapshot=False)
    with store.session() as session:
        from catalog.queries import catalog_size
        from catalog.reader import SessionReader

        size = catalog_size(SessionReader(session))
    report = {"models": size, "load_avg": [round(x, 1) for x in os.getloadavg()],
              "data_layer": data_layer(store, args.pages), "app": asyncio.run(app_timings(store))}
    report["load_avg_after"] = [round(x, 1) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{size:,} models; load average {report['load_avg']} -> {report['load_avg_after']}")
    for row in report["data_layer"]:
        print(f"  {row['filter']}: first page {row['first_page_ms']} ms; next pages p50 {row['next_page_p50_ms']} ms, "
              f"max {row['next_page_max_ms']} ms, last {row['last_page_ms']} ms, {row['rows_reached']:,} rows reached")
    for key, value in report["app"].items():
        print(f"  app: {key}: {value}")


if __name__ == "__main__":
    main()
