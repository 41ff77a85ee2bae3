"""Probe from the TUI: pick models, give a dataset folder, watch results arrive, export the run.

The models are timm `test_*` architectures with LOCALLY INITIALISED weights (not pretrained),
loaded offline through the real timm loader (tests/probe_support.py); the scores say nothing
about pretrained quality, only that the TUI drives a real probe and shows what it stores.
"""

from __future__ import annotations

import json

import pytest
from textual.widgets import DataTable, Input, Label, Select
from tui_pilot import SIZE, settle

from advisor.tui.app import AdvisorApp
from advisor.tui.export import ExportScreen
from advisor.tui.probe import ProbePane
from tests.probe_support import MODEL_IDS

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def test_probe_results_arrive_and_the_run_exports(store, offline_hub, shapes_dataset, tmp_path):
    app = AdvisorApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        pane = app.query_one(ProbePane)
        for model_id in MODEL_IDS[:2]:
            app.toggle_picked(model_id)
        app.query_one("#p-mode", Select).value = "knn"
        app.query_one("#p-path", Input).value = str(shapes_dataset)
        app.query_one("#p-path", Input).focus()
        await pilot.pause()  # let the focus land before the key (a loaded machine delivered Enter elsewhere)
        await pilot.press("enter")  # Enter in the path box starts the probe
        await pilot.pause()
        assert pane.running or pane.results  # started (a fast worker may already be done)
        await app.workers.wait_for_complete()
        await settle(pilot, rounds=1)
        assert str(app.query_one("#p-state", Label).render()) == "done"
        assert {r["id"] for r in pane.results} == set(MODEL_IDS[:2])
        assert all(r["status"] == "ok" and r["mode"] == "knn" for r in pane.results)
        assert app.query_one("#p-results", DataTable).row_count == 2
        run_id = pane.run_document["run_id"]

        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        app.screen.query_one("#export-format", Select).value = "json"
        await pilot.pause()
        target = tmp_path / "probe-run.json"
        app.screen.query_one("#export-path", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        text = target.read_text()
        assert run_id in text and MODEL_IDS[0] in text
        json.loads(text)
