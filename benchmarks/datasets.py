"""The user's dataset for probes: an image folder of class subfolders, or a CSV / JSON Lines text file.

A dataset is read once into a plain `ProbeDataset` (file paths or texts with integer labels, a
seeded train/val split and a fingerprint). Files that cannot be used are skipped and counted,
never fatal, and class problems (empty or tiny classes, imbalance) are reported so the user
knows what the probe figures rest on.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from catalog.errors import UsageError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"})
TEXT_SUFFIXES = frozenset({".csv", ".jsonl", ".ndjson"})
TRAIN_DIRS = ("train", "training")
VAL_DIRS = ("val", "valid", "validation", "test")
TINY_CLASS = 5  # fewer samples than this make a class's figures noise
IMBALANCE_RATIO = 3.0  # largest / smallest class size above which the report warns


@dataclass(frozen=True)
class Sample:
    """One example: an image path (image datasets) or a text (text datasets), and its class index."""

    item: str
    label: int


@dataclass
class DatasetReport:
    """What was read, what was skipped and why, and the class problems worth knowing."""

    files_seen: int = 0
    skipped: dict[str, list[str]] = field(default_factory=dict)  # reason -> files (or row numbers)
    class_counts: dict[str, int] = field(default_factory=dict)
    empty_classes: list[str] = field(default_factory=list)
    tiny_classes: list[str] = field(default_factory=list)
    imbalance_ratio: float | None = None

    def skip(self, reason: str, what: str) -> None:
        self.skipped.setdefault(reason, []).append(what)

    @property
    def skipped_counts(self) -> dict[str, int]:
        return {reason: len(items) for reason, items in self.skipped.items()}

    def warnings(self) -> list[str]:
        """One sentence per problem, for people."""
        out = [f"Skipped {len(items)} {reason}: {', '.join(items[:3])}{' ...' if len(items) > 3 else ''}."
               for reason, items in self.skipped.items()]
        if self.empty_classes:
            out.append(f"Empty classes left out: {', '.join(self.empty_classes)}.")
        if self.tiny_classes:
            out.append(f"Classes with fewer than {TINY_CLASS} samples (figures for them are noisy): "
                       f"{', '.join(self.tiny_classes)}.")
        if self.imbalance_ratio and self.imbalance_ratio > IMBALANCE_RATIO:
            out.append(f"Classes are imbalanced: the largest is {self.imbalance_ratio:.1f}x the smallest; "
                       "read macro F1 beside accuracy.")
        return out

    def to_dict(self) -> dict:
        return {
            "files_seen": self.files_seen, "skipped": self.skipped_counts,
            "skipped_files": {k: v[:20] for k, v in self.skipped.items()},
            "class_counts": self.class_counts, "empty_classes": self.empty_classes,
            "tiny_classes": self.tiny_classes, "imbalance_ratio": self.imbalance_ratio,
            "warnings": self.warnings(),
        }


@dataclass
class ProbeDataset:
    """A classification dataset ready for probes."""

    path: str
    kind: str  # "image" | "text"
    classes: list[str]
    train: list[Sample]
    val: list[Sample]
    fingerprint: str
    split: str  # "given" (train/ and val/ folders) or "seeded:<fraction>:<seed>"
    report: DatasetReport

    @property
    def samples(self) -> int:
        return len(self.train) + len(self.val)

    def summary(self) -> dict:
        return {"path": self.path, "kind": self.kind, "fingerprint": self.fingerprint, "classes": self.classes,
                "samples": self.samples, "train": len(self.train), "val": len(self.val), "split": self.split,
                "report": self.report.to_dict()}


def load_dataset(path: str | Path, *, val_fraction: float = 0.2, seed: int = 0, verify_images: bool = True) -> ProbeDataset:
    """Read an image folder or a text file into a ProbeDataset; UsageError when nothing usable is there."""
    root = Path(path).expanduser()
    if not root.exists():
        raise UsageError(f"The dataset path {root} does not exist.")
    if not 0.0 < val_fraction < 1.0:
        raise UsageError(f"The validation fraction must be between 0 and 1, not {val_fraction}.")
    if root.is_file():
        if root.suffix.lower() not in TEXT_SUFFIXES:
            raise UsageError(f"{root.name} is not a dataset: give a folder of class subfolders, or a .csv / .jsonl file.")
        return _load_text(root, val_fraction, seed)
    return _load_image_folder(root, val_fraction, seed, verify_images)


# ---------------------------------------------------------------- images


def _class_dirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _usable_image(path: Path, report: DatasetReport, root: Path, verify: bool) -> bool:
    rel = str(path.relative_to(root))
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        report.skip("non-image files", rel)
        return False
    if not verify:
        return True
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.verify()  # reads the whole file without decoding pixels: catches truncation and garbage
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        report.skip("corrupt or unreadable images", f"{rel} ({type(exc).__name__})")
        return False
    return True


def _scan_classes(folder: Path, root: Path, report: DatasetReport, verify: bool,
                  hasher: hashlib._Hash) -> dict[str, list[str]]:
    by_class: dict[str, list[str]] = {}
    for class_dir in _class_dirs(folder):
        files = sorted(p for p in class_dir.rglob("*") if p.is_file() and not p.name.startswith("."))
        kept: list[str] = []
        for file in files:
            report.files_seen += 1
            # The fingerprint covers every file, usable or not: fixing a corrupt file changes the data.
            hasher.update(f"{file.relative_to(root).as_posix()}\0{file.stat().st_size}\n".encode())
            if _usable_image(file, report, root, verify):
                kept.append(str(file))
        by_class[class_dir.name] = kept
    for stray in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        report.files_seen += 1
        report.skip("files outside a class folder", str(stray.relative_to(root)))
    return by_class


def _load_image_folder(root: Path, val_fraction: float, seed: int, verify: bool) -> ProbeDataset:
    report = DatasetReport()
    hasher = hashlib.sha256(b"image-folder\n")
    subdirs = {p.name.lower(): p for p in _class_dirs(root)}
    train_dir = next((subdirs[n] for n in TRAIN_DIRS if n in subdirs), None)
    val_dir = next((subdirs[n] for n in VAL_DIRS if n in subdirs), None)
    if train_dir is not None and val_dir is not None:
        train_files = _scan_classes(train_dir, root, report, verify, hasher)
        val_files = _scan_classes(val_dir, root, report, verify, hasher)
        names = sorted(set(train_files) | set(val_files))
        per_class = {n: train_files.get(n, []) + val_files.get(n, []) for n in names}
        split = "given"
    else:
        per_class = _scan_classes(root, root, report, verify, hasher)
        train_files = val_files = {}
        split = f"seeded:{val_fraction:g}:{seed}"
    if not per_class:
        raise UsageError(f"{root} has no class subfolders; arrange images as {root}/<class>/<image>.")
    classes = _usable_classes(per_class, report)
    index = {name: i for i, name in enumerate(classes)}
    if split == "given":
        train = [Sample(f, index[c]) for c in classes for f in train_files.get(c, [])]
        val = [Sample(f, index[c]) for c in classes for f in val_files.get(c, [])]
        if not train or not val:
            raise UsageError(f"{root} has train/ and val/ folders but one of them holds no usable images.")
    else:
        train, val = stratified_split([Sample(f, index[c]) for c in classes for f in per_class[c]], val_fraction, seed)
    return ProbeDataset(str(root), "image", classes, train, val, hasher.hexdigest()[:24], split, report)


def _usable_classes(per_class: dict[str, list], report: DatasetReport) -> list[str]:
    report.class_counts = {name: len(items) for name, items in per_class.items()}
    report.empty_classes = [name for name, items in per_class.items() if not items]
    classes = [name for name, items in per_class.items() if items]
    report.tiny_classes = [name for name in classes if len(per_class[name]) < TINY_CLASS]
    if len(classes) < 2:
        raise UsageError(f"A classification probe needs at least two classes with usable samples; found {len(classes)}.")
    sizes = [len(per_class[name]) for name in classes]
    report.imbalance_ratio = round(max(sizes) / min(sizes), 2)
    return classes


def stratified_split(samples: list[Sample], val_fraction: float, seed: int) -> tuple[list[Sample], list[Sample]]:
    """Seeded per-class split; every class with two or more samples gets at least one in each part."""
    rng = random.Random(seed)
    by_label: dict[int, list[Sample]] = {}
    for s in samples:
        by_label.setdefault(s.label, []).append(s)
    train: list[Sample] = []
    val: list[Sample] = []
    for label in sorted(by_label):
        items = sorted(by_label[label], key=lambda s: s.item)
        rng.shuffle(items)
        n_val = 0 if len(items) < 2 else min(len(items) - 1, max(1, round(len(items) * val_fraction)))
        val.extend(items[:n_val])
        train.extend(items[n_val:])
    return train, val


# ---------------------------------------------------------------- text


def _text_rows(path: Path, report: DatasetReport) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        if path.suffix.lower() == ".csv":
            reader = csv.DictReader(handle)
            fields = {f.strip().lower(): f for f in (reader.fieldnames or [])}
            if "text" not in fields or "label" not in fields:
                raise UsageError(f"{path.name} needs 'text' and 'label' columns; it has: {', '.join(fields) or 'none'}.")
            records = ((n + 2, r.get(fields["text"]), r.get(fields["label"])) for n, r in enumerate(reader))
        else:
            records = []
            for n, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    report.skip("unreadable rows", f"line {n}")
                    continue
                if not isinstance(obj, dict):
                    report.skip("unreadable rows", f"line {n}")
                    continue
                records.append((n, obj.get("text"), obj.get("label")))
        for n, text, label in records:
            report.files_seen += 1
            if not isinstance(text, str) or not text.strip() or label is None or str(label).strip() == "":
                report.skip("rows without text or label", f"line {n}")
                continue
            rows.append((text, str(label).strip()))
    return rows


def _load_text(path: Path, val_fraction: float, seed: int) -> ProbeDataset:
    report = DatasetReport()
    rows = _text_rows(path, report)
    if not rows:
        raise UsageError(f"{path.name} has no rows with both text and label.")
    counts = Counter(label for _, label in rows)
    classes = _usable_classes({c: [None] * counts[c] for c in sorted(counts)}, report)
    index = {name: i for i, name in enumerate(classes)}
    train, val = stratified_split([Sample(t, index[l]) for t, l in rows], val_fraction, seed)
    digest = hashlib.sha256(b"text-file\n" + path.read_bytes()).hexdigest()[:24]
    return ProbeDataset(str(path), "text", classes, train, val, digest, f"seeded:{val_fraction:g}:{seed}", report)
