"""timm's published `results/` tables as reported figures on `timm:<tag>` entries.

Accuracy tables (`results-imagenet.csv`, `-real`, `v2-matched-frequency`, `-sketch`, `-a`, `-r`):
one row per pretrained tag; each becomes top-1 and top-5 metric rows on that evaluation set, with
the published text kept in `extra["published"]` so it can be shown verbatim.

Benchmark tables (`benchmark-{infer|train}-{precision}-{layout}-pt{ver}-{device}[-dynamo].csv`)
name architectures without tags, often at several image sizes. Decision: a benchmark row applies
to every tag of that architecture whose input size equals the row's image size (the figure was
measured on exactly that network at exactly that resolution; tags differ only in weights). A row
whose size no tag uses is counted as unmatched rather than attached to a tag at another size.
Train-phase rows are stored under device "<device>/train" so nothing reads them as inference latency.

Rows are written with origin "timm-results"; re-importing a table replaces exactly the rows that
table wrote (same origin, same evaluation set or benchmark file) and nothing else. The source of
every figure is the table's GitHub URL.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from catalog.errors import SourceError, UsageError
from catalog.records import BenchmarkRecord, FigureKind, MetricRecord
from catalog.schema import Benchmark, Metric, Model
from catalog.writer import benchmark_row, metric_row

ORIGIN = "timm-results"
REPO_URL = "https://github.com/huggingface/pytorch-image-models"
RAW_URL = "https://raw.githubusercontent.com/huggingface/pytorch-image-models/main/results/"
# The commit of the tables shipped in data/reference/timm-results (see the README there).
REFERENCE_COMMIT = "0173a139a2c66db3a41ebfe1d8ac4fb02483642e"

# results file -> evaluation-set id used in the catalog (imagenet-1k is the canonical one).
EVAL_SETS = {
    "results-imagenet.csv": "imagenet-1k",
    "results-imagenet-real.csv": "imagenet-real",
    "results-imagenetv2-matched-frequency.csv": "imagenetv2-matched-frequency",
    "results-sketch.csv": "imagenet-sketch",
    "results-imagenet-a.csv": "imagenet-a",
    "results-imagenet-r.csv": "imagenet-r",
    "results-imagenet-a-clean.csv": "imagenet-a-clean",
    "results-imagenet-r-clean.csv": "imagenet-r-clean",
}
DEFAULT_TABLES = (
    "results-imagenet.csv", "results-imagenet-real.csv", "results-imagenetv2-matched-frequency.csv",
    "results-sketch.csv", "results-imagenet-a.csv", "results-imagenet-r.csv",
    "benchmark-infer-fp32-nchw-pt240-cpu-i7_12700h-dynamo.csv",
)
_BENCH_NAME = re.compile(
    r"^benchmark-(?P<phase>infer|train)-(?P<precision>[a-z0-9_]+)-(?P<layout>nchw|nhwc)-pt(?P<torch>\d+)-"
    r"(?P<device>.+?)(?P<dynamo>-dynamo)?\.csv$"
)


@dataclass
class FileSummary:
    name: str
    kind: str  # "accuracy" | "benchmark"
    source: str
    rows: int = 0
    matched: int = 0
    unmatched: int = 0
    figures: int = 0
    bad_rows: int = 0
    unmatched_examples: list[str] = field(default_factory=list)

    def unmatch(self, example: str) -> None:
        """Count a row no catalog entry takes, keeping a few examples for the summary."""
        self.unmatched += 1
        if len(self.unmatched_examples) < 3:
            self.unmatched_examples.append(example)


def _replace_rows(session: Session, table, stale, rows: list[dict]) -> None:
    """Delete this table's previous import (`stale`) and insert its rows in chunks."""
    session.execute(delete(table).where(*stale))
    for start in range(0, len(rows), 1000):
        session.execute(insert(table), rows[start : start + 1000])


@dataclass
class ImportSummary:
    files: list[FileSummary] = field(default_factory=list)
    models_updated: int = 0
    metrics: int = 0
    benchmarks: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def github_url(name: str, commit: str = "main") -> str:
    """The page of a timm results table on GitHub."""
    return f"{REPO_URL}/blob/{commit}/results/{name}"


def _float(text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def parse_accuracy_table(text: str, name: str, source: str) -> tuple[dict[str, tuple[MetricRecord, ...]], int]:
    """A results-*.csv table -> ({tag: (top1, top5) metric rows}, bad row count)."""
    dataset = EVAL_SETS.get(name) or "imagenet-" + name.removeprefix("results-").removesuffix(".csv")
    reader = csv.DictReader(io.StringIO(text))
    missing = {"model", "top1", "top5"} - set(reader.fieldnames or ())
    if missing:
        raise UsageError(f"{name} is not a timm results table (no {', '.join(sorted(missing))} column).")
    found: dict[str, tuple[MetricRecord, ...]] = {}
    bad = 0
    for row in reader:
        tag = (row.get("model") or "").strip()
        top1, top5 = _float(row.get("top1")), _float(row.get("top5"))
        if not tag or top1 is None or top5 is None or not (0 <= top1 <= 100 and 0 <= top5 <= 100):
            bad += 1
            continue
        img_size = _float(row.get("img_size"))
        setting = {
            "img_size": int(img_size) if img_size else None, "crop_pct": _float(row.get("crop_pct")),
            "interpolation": row.get("interpolation") or None, "param_count_m": _float(row.get("param_count")),
        }
        found[tag] = tuple(
            MetricRecord(task="image-classification", dataset=dataset, metric=metric, value=value,
                         kind=FigureKind.REPORTED, source=source, split="val" if dataset == "imagenet-1k" else None,
                         extra={**setting, "published": row[metric].strip()})
            for metric, value in (("top1", top1), ("top5", top5))
        )
    return found, bad


def parse_benchmark_table(text: str, name: str, source: str) -> tuple[list[tuple[str, BenchmarkRecord]], int]:
    """A benchmark-*.csv table -> ([(architecture, benchmark row)], bad row count)."""
    match = _BENCH_NAME.match(name)
    if not match:
        raise UsageError(f"{name} does not follow timm's benchmark-{{infer|train}}-{{precision}}-{{layout}}-pt{{ver}}-{{device}}.csv naming.")
    phase, precision = match["phase"], match["precision"]
    device = match["device"] + ("/train" if phase == "train" else "")
    rows: list[tuple[str, BenchmarkRecord]] = []
    bad = 0
    for row in csv.DictReader(io.StringIO(text)):
        arch = (row.get("model") or "").strip()
        step_ms = _float(row.get(f"{phase}_step_time"))
        batch = _float(row.get(f"{phase}_batch_size"))
        size = _float(row.get(f"{phase}_img_size"))
        if not arch or step_ms is None or not batch or step_ms <= 0:
            bad += 1
            continue
        rows.append((arch, BenchmarkRecord(
            device=device, batch_size=int(batch), precision=precision, latency_ms=step_ms, kind=FigureKind.REPORTED,
            source=source, throughput_per_s=_float(row.get(f"{phase}_samples_per_sec")),
            img_size=int(size) if size else None, layout=match["layout"],
            extra={"phase": phase, "pytorch": "pt" + match["torch"], "compiled": bool(match["dynamo"]),
                   "gmacs": _float(row.get(f"{phase}_gmacs")), "macts_m": _float(row.get(f"{phase}_macts")),
                   "param_count_m": _float(row.get("param_count"))},
        )))
    return rows, bad


def _read(path_or_url: str) -> tuple[str, str, str]:
    """(file name, text, source URL) of a local file or an http(s) URL."""
    if path_or_url.startswith(("http://", "https://")):
        import httpx

        try:
            response = httpx.get(path_or_url, timeout=30, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            raise SourceError(f"{path_or_url} answered HTTP {exc.response.status_code}.") from None
        except httpx.HTTPError:
            raise SourceError(f"Cannot download {path_or_url} (offline?); pass local copies of timm's results tables instead.") from None
        name = path_or_url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
        source = github_url(name) if path_or_url.startswith(RAW_URL) else path_or_url
        return name, response.text, source
    path = Path(path_or_url).expanduser()
    if not path.is_file():
        raise UsageError(f"{path} is not a file; give timm results-*.csv or benchmark-*.csv files or their URLs.")
    # A shipped reference copy cites the exact commit it came from; any other copy of a timm table
    # cites the table on GitHub, where such files are published.
    commit = REFERENCE_COMMIT if path.resolve().parent == reference_dir().resolve() else "main"
    return path.name, path.read_text(encoding="utf-8-sig"), github_url(path.name, commit)


def _timm_entries(session: Session) -> tuple[set[str], dict[str, list[tuple[str, int | None]]]]:
    """(all timm tags, architecture -> [(tag, input size)]) of the catalog's timm entries."""
    tags: set[str] = set()
    by_arch: dict[str, list[tuple[str, int | None]]] = {}
    for model_id, name, arch, input_size in session.execute(
        select(Model.id, Model.name, Model.architecture, Model.input_size).where(Model.source == "timm")
    ):
        tags.add(name)
        arch = arch or name.split(".", 1)[0]
        size = input_size[-1] if isinstance(input_size, list) and input_size else None
        by_arch.setdefault(arch, []).append((name, size))
    return tags, by_arch


def import_timm_results(session: Session, inputs: list[str]) -> ImportSummary:
    """Import timm results/benchmark tables (local paths or URLs; none: timm's GitHub tables)."""
    sources = inputs or [RAW_URL + name for name in DEFAULT_TABLES]
    tags, by_arch = _timm_entries(session)
    if not tags:
        raise UsageError("The catalog has no timm entries to attach timm's results to; run `advisor catalog build` first.")
    summary = ImportSummary()
    touched: set[str] = set()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for item in sources:
        name, text, source = _read(item)
        if name.startswith("benchmark-"):
            file_summary = FileSummary(name=name, kind="benchmark", source=source)
            rows, file_summary.bad_rows = parse_benchmark_table(text, name, source)
            file_summary.rows = len(rows)
            new_rows = []
            for arch, bench in rows:
                targets = [arch] if arch in tags else [t for t, size in by_arch.get(arch, ()) if size == bench.img_size]
                if not targets:
                    file_summary.unmatch(f"{arch}@{bench.img_size}")
                    continue
                file_summary.matched += 1
                new_rows += [benchmark_row(f"timm:{t}", bench, ORIGIN, now) for t in targets]
            _replace_rows(session, Benchmark, (Benchmark.origin == ORIGIN, Benchmark.source == source), new_rows)
            file_summary.figures = len(new_rows)
            summary.benchmarks += len(new_rows)
            touched.update(r["model_id"] for r in new_rows)
        else:
            file_summary = FileSummary(name=name, kind="accuracy", source=source)
            found, file_summary.bad_rows = parse_accuracy_table(text, name, source)
            file_summary.rows = len(found)
            dataset = next((m[0].dataset for m in found.values()), EVAL_SETS.get(name))
            new_rows = []
            for tag, metrics in found.items():
                # timm's names are lower-case; a few published rows capitalise them (SelecSls60b).
                tag = tag if tag in tags else tag.lower()
                if tag not in tags:
                    file_summary.unmatch(tag)
                    continue
                file_summary.matched += 1
                new_rows += [metric_row(f"timm:{tag}", m, ORIGIN, now) for m in metrics]
            _replace_rows(session, Metric, (Metric.origin == ORIGIN, Metric.dataset == dataset), new_rows)
            file_summary.figures = len(new_rows)
            summary.metrics += len(new_rows)
            touched.update(r["model_id"] for r in new_rows)
        summary.files.append(file_summary)
    summary.models_updated = len(touched)
    return summary


def reference_dir() -> Path:
    """data/reference/timm-results: timm's tables as published, shipped with the package."""
    from catalog.snapshot import embedded_data_dir

    return embedded_data_dir() / "reference" / "timm-results"


def load_reference_metrics(directory: Path | None = None) -> dict[str, tuple[MetricRecord, ...]]:
    """tag -> every top-1/top-5 metric row in the shipped accuracy tables (for the embedded catalog)."""
    directory = directory or reference_dir()
    merged: dict[str, list[MetricRecord]] = {}
    for path in sorted(directory.glob("results-*.csv")):
        found, _ = parse_accuracy_table(path.read_text(encoding="utf-8-sig"), path.name, github_url(path.name, REFERENCE_COMMIT))
        for tag, metrics in found.items():
            merged.setdefault(tag.lower(), []).extend(metrics)  # timm tags are lower-case
    return {tag: tuple(metrics) for tag, metrics in merged.items()}
