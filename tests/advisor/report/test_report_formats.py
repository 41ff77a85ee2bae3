"""The four report formats from one hand-made engine document: same rows, round trips,
determinism, escaping of hostile catalog text, probe-run sections."""

from __future__ import annotations

import json
import math
import re

import pandas as pd
import pytest
from report_fixture_document import HOSTILE_NAME, hostile_document, probe_document, recommend_document
from report_parsing import ids_in_csv, ids_in_html, ids_in_json, ids_in_markdown, markdown_table, markdown_why

from advisor.report import FORMATS, write_report
from advisor.report.document import candidate_rows
from catalog.errors import UsageError
from catalog.units import parse_count


def write_all(document: dict, folder, stem: str = "report") -> dict[str, list]:
    folder.mkdir(parents=True, exist_ok=True)
    return {fmt: write_report(document, fmt, folder / f"{stem}.{fmt}") for fmt in FORMATS}


def test_every_format_lists_the_same_candidates_in_the_same_order(tmp_path):
    document = recommend_document()
    expected = [c["id"] for c in document["candidates"]]
    files = write_all(document, tmp_path)
    assert ids_in_csv(files["csv"][0]) == expected
    assert ids_in_json(files["json"][0]) == expected
    assert ids_in_markdown(files["md"][0]) == expected
    assert ids_in_html(files["html"][0]) == expected


def _clean(value):
    return None if isinstance(value, float) and math.isnan(value) else value


def test_csv_round_trips_to_the_rows(tmp_path):
    document = recommend_document()
    path = write_report(document, "csv", tmp_path / "r.csv")[0]
    frame = pd.read_csv(path)
    rows = candidate_rows(document)
    assert list(frame.columns) == list(rows[0])
    for got, want in zip(frame.to_dict(orient="records"), rows, strict=True):
        for key, value in want.items():
            assert _clean(got[key]) == value, key


def test_json_rows_equal_csv_rows(tmp_path):
    files = write_all(recommend_document(), tmp_path)
    from_csv = pd.read_csv(files["csv"][0]).astype(object).where(lambda f: f.notna(), None).to_dict(orient="records")
    report = json.loads(files["json"][0].read_text())
    assert report["rows"] == from_csv
    assert report["columns"] == list(from_csv[0])
    assert report["provenance"] and report["environment"]["catalog_snapshot_sha256"]


def test_markdown_table_round_trips_to_the_rows(tmp_path):
    document = recommend_document()
    text = write_report(document, "md", tmp_path / "r.md")[0].read_text()
    headers, cells = markdown_table(text, "Comparison")
    rows = candidate_rows(document)
    assert len(cells) == len(rows)
    for cell_row, row in zip(cells, rows, strict=True):
        got = dict(zip(headers, cell_row, strict=True))
        assert int(got["Rank"]) == row["rank"]
        assert got["Model"] == row["id"]
        assert got["Pareto"] == ("yes" if row["pareto"] else "no")
        assert float(
            got["COCO val2017 box mAP@[.5:.95]" if "COCO val2017 box mAP@[.5:.95]" in got else "box_map (coco-val2017)"]
        ) == pytest.approx(row["accuracy"], abs=0.005)
        assert float(got["Latency (ms)"]) == pytest.approx(row["latency_ms"], abs=0.05)
        assert parse_count(got["Params"]) == pytest.approx(row["params"], rel=0.01)
    # Explanations and warnings are a list under the table; shared warnings are said once.
    why = markdown_why(text)
    assert list(why) == [row["id"] for row in rows]
    for candidate in document["candidates"]:
        assert why[candidate["id"]] == (candidate["explanation"], candidate["warnings"])
    # The charts are files beside the Markdown, linked relatively.
    assert "![Accuracy versus latency with the Pareto front](r-accuracy-latency.svg)" in text
    assert (tmp_path / "r-accuracy-latency.svg").read_text().startswith("<svg xmlns=")


def test_same_inputs_same_bytes_apart_from_the_timestamp_line(tmp_path):
    first, second = recommend_document(), recommend_document()
    second["generated_at"] = "2031-01-01T00:00:00Z"
    a, b = write_all(first, tmp_path / "a"), write_all(second, tmp_path / "b")
    for fmt in FORMATS:
        for path_a, path_b in zip(a[fmt], b[fmt], strict=True):
            lines_a, lines_b = path_a.read_text().splitlines(), path_b.read_text().splitlines()
            assert len(lines_a) == len(lines_b)
            differing = [(x, y) for x, y in zip(lines_a, lines_b) if x != y]
            if fmt == "csv" or path_a.suffix == ".svg":
                assert differing == [], path_a.name
            else:
                assert len(differing) == 1, (path_a.name, differing)
                assert "2031-01-01T00:00:00Z" in differing[0][1]
    # And a rerun with the same timestamp is byte-identical.
    again = write_all(recommend_document(), tmp_path / "c")
    for fmt in FORMATS:
        assert [p.read_bytes() for p in a[fmt]] == [p.read_bytes() for p in again[fmt]]


def test_hostile_catalog_text_is_escaped_everywhere(tmp_path):
    files = write_all(hostile_document(), tmp_path)
    page = files["html"][0].read_text()
    assert "<script" not in page.lower()
    assert "<iframe" not in page.lower() and "<img" not in page.lower() and "<style>body" not in page
    assert 'href="javascript:' not in page and 'href="http://evil.example/"' not in page
    assert "&lt;script&gt;window.__pwned=1" in page  # shown as text, not dropped
    assert 'class="badge kind-other"' in page  # a hostile "kind" never becomes a class name
    for svg in re.findall(r"<svg.*?</svg>", page, re.S):
        assert "<script" not in svg and "<img" not in svg
    markdown = files["md"][0].read_text()
    assert "<script" not in markdown and "<iframe" not in markdown and "<style" not in markdown
    assert not re.search(r"(?<!\\)\]\(javascript:", markdown)  # a link needs an unescaped "]("
    assert ids_in_markdown(files["md"][0])[0] == HOSTILE_NAME  # escaped reversibly, not mangled
    for chart in files["md"][1:]:
        assert "<script" not in chart.read_text()
    assert ids_in_csv(files["csv"][0])[0] == HOSTILE_NAME
    assert ids_in_json(files["json"][0])[0] == HOSTILE_NAME


def test_probe_run_report_has_run_columns_and_per_class_tables(tmp_path):
    files = write_all(probe_document(), tmp_path)
    frame = pd.read_csv(files["csv"][0])
    assert list(frame["id"]) == ["cards:rtdetr-r18", "cards:yolov8s", "cards:yolov8n", "cards:unplaced"]
    assert {"run_accuracy", "run_macro_f1", "run_status", "run_score"} <= set(frame.columns)
    assert frame.loc[0, "run_accuracy"] == pytest.approx(0.91)
    assert frame.loc[3, "run_status"] == "failed"
    markdown = files["md"][0].read_text()
    assert "### Per-class metrics: cards:rtdetr-r18 (linear)" in markdown
    headers, rows = markdown_table(
        markdown.replace("### Per-class metrics: cards:rtdetr-r18 (linear)", "## Per-class rtdetr"), "Per-class rtdetr"
    )
    assert headers == ["class", "precision", "recall", "f1", "support"]
    assert rows[0][0] == "bolt" and float(rows[0][3]) == pytest.approx(0.92)
    page = files["html"][0].read_text()
    assert page.count('<details class="per-class"') == 2  # the failed result has no per-class figures
    assert "weights not in the local cache" in page
    # The model with no catalog figures is said to be missing from the chart, not silently dropped.
    assert "Not plotted, for want of an accuracy or a latency figure: cards:unplaced." in page
    assert "Not plotted, for want of an accuracy or a latency figure: cards:unplaced." in markdown
    assert "Not plotted" not in write_report(recommend_document(), "html", tmp_path / "all.html")[0].read_text()


def test_bad_format_and_missing_folder_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="--format"):
        write_report(recommend_document(), "pdf", tmp_path / "r.pdf")
    with pytest.raises(UsageError, match="does not exist"):
        write_report(recommend_document(), "html", tmp_path / "missing" / "r.html")


def test_a_warning_every_candidate_shares_is_said_once(tmp_path):
    document = recommend_document()
    for candidate in document["candidates"]:
        candidate["warnings"].append("size estimated from the parameter count at fp32")
    files = write_all(document, tmp_path)
    markdown = files["md"][0].read_text()
    assert markdown.count("size estimated from the parameter count at fp32") == 2  # the summary line and once
    assert all("size estimated" not in " ".join(w) for _, w in markdown_why(markdown).values())
    page = files["html"][0].read_text()
    assert page.count("size estimated from the parameter count at fp32") == 1
    # The data formats keep every row's full warnings.
    assert all("size estimated" in w for w in pd.read_csv(files["csv"][0])["warnings"])
