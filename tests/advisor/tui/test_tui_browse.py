"""Browse: rows at once, `/` search, facet filters narrowing the table, paging, detail pane."""

from __future__ import annotations

import pytest
from textual.widgets import Checkbox, Input, Select, Static
from tui_fixture_catalog import fixture_records
from tui_pilot import SIZE, row_ids, settle, static_text

from advisor.tui.app import AdvisorApp
from advisor.tui.browse import ModelTable
from advisor.tui.data import FIRST_PAGE_SIZE, PAGE_SIZE

pytestmark = pytest.mark.anyio

ALL = {r.id: r for r in fixture_records()}


async def test_shows_every_fixture_model_at_once(store):
    app = AdvisorApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(ModelTable)
        assert set(row_ids(table)) == set(ALL)
        assert app.focused is table
        assert "31 of 31 models" in static_text(app.query_one("#browse-status", Static))


async def test_slash_focuses_search_and_typing_narrows_to_mobilenets(store):
    app = AdvisorApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert app.focused is app.query_one("#search", Input)
        await pilot.press(*"mobilenet")
        await settle(pilot)
        ids = row_ids(app.query_one(ModelTable))
        expected = {i for i in ALL if "mobilenet" in i}
        assert set(ids) == expected and len(expected) == 6
        await pilot.press("escape")
        assert app.focused is app.query_one(ModelTable)
        await pilot.press("q")  # back on the table, q quits
        await pilot.pause()
    assert app.return_code == 0


async def test_task_license_and_params_filters_narrow_the_table(store):
    app = AdvisorApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(ModelTable)
        app.query_one("#f-task", Select).value = "object-detection"
        await settle(pilot)
        assert set(row_ids(table)) == {i for i, r in ALL.items() if "object-detection" in r.tasks}

        app.query_one("#f-task", Select).value = "image-classification"
        app.query_one("#f-license", Select).value = "bsd-3-clause"
        await settle(pilot)
        assert set(row_ids(table)) == {
            i for i, r in ALL.items() if "image-classification" in r.tasks and r.license == "bsd-3-clause"
        }

        app.query_one("#f-license", Select).clear()
        app.query_one("#f-max-params", Input).value = "6M"
        await settle(pilot)
        assert set(row_ids(table)) == {
            i for i, r in ALL.items() if "image-classification" in r.tasks and r.params <= 6e6
        }

        app.query_one("#f-max-params", Input).value = "lots"  # invalid: flagged, filters unchanged
        await settle(pilot)
        assert app.query_one("#f-max-params", Input).has_class("-invalid")
        assert len(row_ids(table)) == sum(1 for r in ALL.values() if "image-classification" in r.tasks and r.params <= 6e6)


async def test_edge_friendly_keeps_small_models_only(store):
    app = AdvisorApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.query_one("#f-edge", Checkbox).value = True
        await settle(pilot)
        ids = set(row_ids(app.query_one(ModelTable)))
        assert ids and ids == {i for i, r in ALL.items() if r.params <= 25e6 and r.size_mb <= 100}


async def test_latency_column_follows_the_chosen_device(store):
    app = AdvisorApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(ModelTable)
        edge = str(table.get_cell("timm:resnet50.a1_in1k", "latency"))
        app.query_one("#f-device", Select).value = "t4"
        await settle(pilot)
        server = str(table.get_cell("timm:resnet50.a1_in1k", "latency"))
        assert edge.endswith(" e") and server.endswith(" e")  # estimated, and marked so
        assert float(server.split()[0]) < float(edge.split()[0])  # a T4 beats a Jetson Orin Nano


async def test_table_pages_instead_of_loading_everything(big_store):
    app = AdvisorApp(store=big_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(ModelTable)
        assert table.row_count == FIRST_PAGE_SIZE
        assert f"{FIRST_PAGE_SIZE} of 431 models" in static_text(app.query_one("#browse-status", Static))
        await pilot.press("ctrl+end")  # to the last loaded row: the next page arrives
        await settle(pilot)
        assert table.row_count == FIRST_PAGE_SIZE + PAGE_SIZE
        assert len(set(row_ids(table))) == table.row_count  # no duplicates across pages


async def test_detail_pane_shows_figures_with_kind_and_source(store):
    app = AdvisorApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"yolov8n", "enter")
        await settle(pilot)
        facts = static_text(app.query_one("#detail-facts", Static))
        figures = static_text(app.query_one("#detail-body", Static))
        assert "cards:yolov8n" in facts
        assert "box_map" in figures and "reported" in figures and "docs.ultralytics.com" in figures
        assert "cpu-onnx" in figures  # the reported latency row


async def test_header_click_sorts_by_params(store):
    app = AdvisorApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(ModelTable)
        table.post_message(ModelTable.HeaderSelected(table, table.columns["params"].key, 5, table.columns["params"].label))
        await settle(pilot)
        params = [ALL[i].params for i in row_ids(table)]
        assert params == sorted(params)


async def test_an_empty_catalog_says_how_to_fill_it(tmp_path):
    from catalog.store import open_store

    empty = open_store(f"sqlite:///{tmp_path / 'empty.db'}", load_snapshot=False)
    app = AdvisorApp(store=empty)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.query_one(ModelTable).row_count == 0
        assert "advisor catalog build" in static_text(app.query_one("#detail-facts", Static))
    empty.engine.dispose()
