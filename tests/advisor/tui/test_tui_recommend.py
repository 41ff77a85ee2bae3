"""Recommend, compare and export: the ranked list reacts to the controls; export writes a file."""

from __future__ import annotations

import json

import pytest
from textual.widgets import DataTable, Input, Select, Static
from tui_pilot import SIZE, row_ids, settle, static_text

from advisor.tui.app import AdvisorApp
from advisor.tui.compare import ComparePane
from advisor.tui.export import ExportScreen
from advisor.tui.recommend import RecommendPane

pytestmark = pytest.mark.anyio


async def open_recommend(pilot) -> RecommendPane:
    await settle(pilot)
    await pilot.press("r")
    await settle(pilot)
    return pilot.app.query_one(RecommendPane)


async def test_recommend_ranks_image_classifiers_for_the_edge_and_draws_the_chart(store):
    app = AdvisorApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_recommend(pilot)
        assert app.query_one("#tabs").active == "recommend"
        assert app.focused is app.query_one("#ranked", DataTable)
        candidates = pane.document["candidates"]
        assert pane.document["target"]["device"] == "jetson-orin-nano"
        assert row_ids(app.query_one("#ranked", DataTable)) == [c["id"] for c in candidates]
        assert all(c["id"].startswith(("timm:", "torchvision:")) for c in candidates)
        assert any(c["pareto"] for c in candidates)
        explain = static_text(app.query_one("#r-explain-body", Static))
        assert candidates[0]["id"] in explain and f"{len(candidates)} plotted" in explain


async def test_recommend_list_reacts_to_a_latency_constraint(store):
    app = AdvisorApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_recommend(pilot)
        before = pane.document["candidates"]
        slow = [c for c in before if c["latency_ms"] > 2.0]
        assert slow, "the fixture needs candidates slower than the budget"
        app.query_one("#r-max-latency", Input).value = "2"
        await settle(pilot)
        after = pane.document["candidates"]
        assert after and all(c["latency_ms"] <= 2.0 for c in after)
        assert not {c["id"] for c in slow} & {c["id"] for c in after}
        assert row_ids(app.query_one("#ranked", DataTable)) == [c["id"] for c in after]

        app.query_one("#r-max-latency", Input).value = "0.5"  # nothing is that fast: the engine says why
        await settle(pilot)
        assert pane.document is None and app.query_one("#ranked", DataTable).row_count == 0
        summary = static_text(app.query_one("#r-summary", Static))
        assert "No image classification model fits the 0.5 ms latency budget" in summary


async def test_recommend_follows_task_and_preference(store):
    app = AdvisorApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_recommend(pilot)
        app.query_one("#r-task", Select).value = "object-detection"
        await settle(pilot)
        ids = [c["id"] for c in pane.document["candidates"]]
        assert ids and all(i.startswith("cards:yolov8") for i in ids)
        app.query_one("#r-prefer", Select).value = "speed"
        await settle(pilot)
        first = pane.document["candidates"][0]
        assert first["latency_ms"] == min(c["latency_ms"] for c in pane.document["candidates"])


async def test_space_picks_models_and_c_compares_them(store):
    app = AdvisorApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"resnet", "enter")
        await settle(pilot)
        table = app.query_one("#models", DataTable)
        first, second = row_ids(table)[:2]
        await pilot.press("space", "down", "space")
        assert app.picked == [first, second]
        assert str(table.get_cell(first, "sel")) == "●"
        await pilot.press("c")
        await settle(pilot)
        pane = app.query_one(ComparePane)
        assert app.query_one("#tabs").active == "compare"
        assert [c["id"] for c in pane.document["candidates"]] == [first, second] or {
            c["id"] for c in pane.document["candidates"]} == {first, second}
        compare_table = app.query_one("#compare-table", DataTable)
        assert [str(k.value) for k in compare_table.columns][1:] == [c["id"] for c in pane.document["candidates"]]


async def test_export_writes_the_recommendation_as_a_report(store, tmp_path):
    app = AdvisorApp(store=store)
    target = tmp_path / "edge-pick.json"
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_recommend(pilot)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        app.screen.query_one("#export-format", Select).value = "json"
        await pilot.pause()
        app.screen.query_one("#export-path", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, ExportScreen)
        written = json.loads(target.read_text())
        assert pane.document["candidates"][0]["id"] in json.dumps(written)
