"""Snapshots of the main screens at 160x45 against the fixture catalog.

Deterministic by construction: a fixed catalog, datasheet-only latency estimates (see the
`store` fixture), no clock in the header, and every worker finished before the picture.
Update after an intended UI change with `pytest tests/advisor/tui --snapshot-update`.
"""

from __future__ import annotations

from tui_pilot import SIZE, settle

from advisor.tui.app import AdvisorApp


def test_browse_screen(snap_compare, store):
    assert snap_compare(AdvisorApp(store=store), terminal_size=SIZE, run_before=settle)


def test_browse_search_for_mobilenet(snap_compare, store):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("slash", *"mobilenet", "escape")
        await settle(pilot)

    assert snap_compare(AdvisorApp(store=store), terminal_size=SIZE, run_before=run_before)


def test_recommend_screen(snap_compare, store):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("down", "down")  # highlight the third candidate: chart marker and explanation follow
        await settle(pilot, rounds=1)

    assert snap_compare(AdvisorApp(store=store), terminal_size=SIZE, run_before=run_before)


def test_compare_screen(snap_compare, store):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("slash", *"yolov8", "enter")
        await settle(pilot)
        await pilot.press("space", "down", "space", "down", "space", "c")
        await settle(pilot)

    assert snap_compare(AdvisorApp(store=store), terminal_size=SIZE, run_before=run_before)
