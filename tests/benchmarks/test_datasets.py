"""Dataset reading: class folders, given and seeded splits, text files, skip-and-count reports."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import pytest

from benchmarks.datasets import load_dataset
from benchmarks.synthetic import draw_image_dataset
from catalog.errors import UsageError


@pytest.fixture
def shapes(tmp_path):
    return draw_image_dataset(tmp_path / "shapes", classes=3, per_class=10)


def test_seeded_split_is_stratified_deterministic_and_fingerprinted(shapes):
    first = load_dataset(shapes, val_fraction=0.2, seed=3)
    again = load_dataset(shapes, val_fraction=0.2, seed=3)
    other_seed = load_dataset(shapes, val_fraction=0.2, seed=4)
    assert first.classes == ["circles", "squares", "triangles"]
    assert first.samples == 30 and len(first.val) == 6
    assert Counter(s.label for s in first.val) == {0: 2, 1: 2, 2: 2}
    assert [s.item for s in first.val] == [s.item for s in again.val]
    assert [s.item for s in first.val] != [s.item for s in other_seed.val]
    assert first.fingerprint == again.fingerprint == other_seed.fingerprint
    assert first.split == "seeded:0.2:3"
    assert not set(s.item for s in first.train) & set(s.item for s in first.val)


def test_fingerprint_follows_file_list_and_sizes(shapes, tmp_path):
    before = load_dataset(shapes).fingerprint
    copy = tmp_path / "copy"
    shutil.copytree(shapes, copy)
    assert load_dataset(copy).fingerprint == before  # same names and sizes, another place
    extra = next((copy / "circles").iterdir())
    shutil.copy(extra, copy / "circles" / "another.png")
    assert load_dataset(copy).fingerprint != before


def test_given_train_val_split_is_used(tmp_path):
    draw_image_dataset(tmp_path / "d" / "train", classes=2, per_class=6)
    draw_image_dataset(tmp_path / "d" / "val", classes=2, per_class=3, seed=1)
    ds = load_dataset(tmp_path / "d")
    assert ds.split == "given" and ds.classes == ["circles", "squares"]
    assert len(ds.train) == 12 and len(ds.val) == 6
    assert all("/val/" in s.item for s in ds.val)


def test_corrupt_image_empty_class_and_non_image_file_are_reported_and_skipped(shapes):
    (shapes / "circles" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    (shapes / "squares" / "notes.txt").write_text("not an image")
    (shapes / "empty_class").mkdir()
    (shapes / "README.md").write_text("stray file at the top")
    ds = load_dataset(shapes)
    report = ds.report
    assert ds.classes == ["circles", "squares", "triangles"]  # the empty class is left out
    assert ds.samples == 30
    assert report.skipped_counts == {"corrupt or unreadable images": 1, "non-image files": 1,
                                     "files outside a class folder": 1}
    assert report.empty_classes == ["empty_class"]
    text = " ".join(report.warnings())
    assert "broken.png" in text and "notes.txt" in text and "empty_class" in text
    assert json.dumps(ds.summary())  # the report is part of the JSON document


def test_tiny_classes_and_imbalance_are_reported(tmp_path):
    draw_image_dataset(tmp_path / "d", classes=2, per_class=20)
    for path in sorted((tmp_path / "d" / "squares").iterdir())[3:]:
        path.unlink()
    report = load_dataset(tmp_path / "d").report
    assert report.tiny_classes == ["squares"]
    assert report.imbalance_ratio == pytest.approx(20 / 3, rel=1e-2)
    assert any("imbalanced" in w for w in report.warnings())


def test_text_csv_and_jsonl(tmp_path):
    csv_path = tmp_path / "reviews.csv"
    rows = ["text,label"] + [f'"great product number {i}",pos' for i in range(8)] + \
           [f'"awful, broke after {i} days",neg' for i in range(8)] + ['"no label here",', ',pos']
    csv_path.write_text("\n".join(rows) + "\n")
    ds = load_dataset(csv_path)
    assert ds.kind == "text" and ds.classes == ["neg", "pos"] and ds.samples == 16
    assert ds.report.skipped_counts == {"rows without text or label": 2}
    jsonl = tmp_path / "reviews.jsonl"
    jsonl.write_text("\n".join(json.dumps({"text": f"sample {i}", "label": i % 2}) for i in range(10)) + "\n{oops\n")
    ds2 = load_dataset(jsonl)
    assert ds2.classes == ["0", "1"] and ds2.samples == 10
    assert ds2.report.skipped_counts == {"unreadable rows": 1}
    assert ds.fingerprint != ds2.fingerprint


def test_unusable_inputs_raise_one_sentence(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        load_dataset(tmp_path / "nowhere")
    (tmp_path / "bad.csv").write_text("sentence,target\nhello,a\n")
    with pytest.raises(UsageError, match="'text' and 'label' columns"):
        load_dataset(tmp_path / "bad.csv")
    draw_image_dataset(tmp_path / "one", classes=1, per_class=4)
    with pytest.raises(UsageError, match="at least two classes"):
        load_dataset(tmp_path / "one")
