"""Shared fixtures: throwaway stores (SQLite, and PostgreSQL when CI provides one) and a small
real catalog of ~200 models written through the same writer the sources use."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.records import (
    BenchmarkRecord,
    FigureKind,
    MetricRecord,
    ModelRecord,
    Provenance,
)

PG_URL_ENV = "ADVISOR_TEST_PG_URL"


# The probe tests' fixtures (a drawn image folder, locally written timm weights, an offline Hub cache).
pytest_plugins = ("tests.probe_support",)


def pytest_collection_modifyitems(config, items):
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except Exception:  # noqa: BLE001 - torch missing or broken: no GPU either way
        has_cuda = False
    skip_gpu = pytest.mark.skip(reason="needs a CUDA GPU; none on this machine")
    skip_online = pytest.mark.skip(reason="needs the internet; set ADVISOR_TEST_ONLINE=1 to run")
    skip_pg = pytest.mark.skip(reason=f"needs a PostgreSQL server: set {PG_URL_ENV} (CI does)")
    for item in items:
        if "gpu" in item.keywords and not has_cuda:
            item.add_marker(skip_gpu)
        if "online" in item.keywords and not os.environ.get("ADVISOR_TEST_ONLINE"):
            item.add_marker(skip_online)
        if "postgres" in item.keywords and not os.environ.get(PG_URL_ENV):
            item.add_marker(skip_pg)


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Never touch the developer's real catalog, caches or Hub login from a test."""
    base = tmp_path_factory.mktemp("userdirs")
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(base / "cache"))
    monkeypatch.delenv("ADVISOR_DB_URL", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)


def _pg_database_url() -> Iterator[str]:
    """A fresh PostgreSQL database per test, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = make_url(os.environ[PG_URL_ENV]).set(drivername="postgresql+psycopg")
    name = f"advisor_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request, tmp_path) -> Iterator[str]:
    """A database URL for an empty store, on SQLite and (in CI) on a real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalog.db'}"
    else:
        yield from _pg_database_url()


@pytest.fixture
def empty_store(store_url):
    from catalog.store import open_store

    store = open_store(store_url, load_snapshot=False)
    yield store
    store.engine.dispose()


def make_record(source: str, name: str, **fields) -> ModelRecord:
    """A ModelRecord with sensible defaults for tests."""
    fields.setdefault("tasks", ("image-classification",))
    fields.setdefault("domains", ("vision",))
    return ModelRecord(source=source, name=name, **fields)


SOURCE = "https://example.org/fixture"  # fixture figures are test data, labelled as such


def fixture_records() -> list[ModelRecord]:
    """~200 models across the seed tasks with metrics, sizes and a few reported latencies."""
    records: list[ModelRecord] = []
    families = [
        ("resnet", 11e6, 1.8), ("mobilenetv3", 5.4e6, 0.22), ("efficientnet", 5.3e6, 0.39),
        ("vit", 86e6, 16.9), ("convnext", 28e6, 4.5), ("densenet", 8e6, 2.9), ("regnet", 20e6, 3.2),
        ("mobilevit", 5.6e6, 2.0),
    ]
    for f_index, (family, params, gmacs) in enumerate(families):
        for i in range(20):
            scale = 1 + i * 0.35
            top1 = 70.0 + f_index * 1.1 + i * 0.9
            records.append(make_record(
                "timm", f"{family}{i}.fixture_in1k",
                family=family, architecture=f"{family}{i}", params=int(params * scale), gmacs=gmacs * scale,
                activations_m=gmacs * scale * 3, input_size=(3, 224, 224), size_mb=params * scale * 4 / 1e6,
                license="apache-2.0", pretrain_datasets=("imagenet-1k",), origin="timm", library="timm",
                hub_repo=f"timm/{family}{i}.fixture_in1k",
                provenance={"params": Provenance(FigureKind.COMPUTED, "fixture"), "gmacs": Provenance(FigureKind.COMPUTED, "fixture")},
                metrics=(MetricRecord("image-classification", "imagenet-1k", "top1", round(top1, 2), source=SOURCE),
                         MetricRecord("image-classification", "imagenet-1k", "top5", round(min(top1 + 15, 99.5), 2), source=SOURCE)),
            ))
    for i, (name, params, gflops, box_map, lic) in enumerate([
        ("yolov8n", 3.2e6, 8.7, 37.3, "agpl-3.0"), ("yolov8s", 11.2e6, 28.6, 44.9, "agpl-3.0"),
        ("yolov8m", 25.9e6, 78.9, 50.2, "agpl-3.0"), ("yolov8l", 43.7e6, 165.2, 52.9, "agpl-3.0"),
        ("detr-resnet-50", 41e6, 172.0, 42.0, "apache-2.0"), ("rtdetr-r18", 20e6, 60.0, 46.5, "apache-2.0"),
        ("ssdlite-mobilenet", 3.4e6, 1.2, 21.3, "bsd-3-clause"), ("efficientdet-d0", 3.9e6, 5.0, 34.6, "apache-2.0"),
        ("fasterrcnn-r50", 41.8e6, 268.0, 37.0, "bsd-3-clause"), ("retinanet-r50", 34e6, 302.0, 36.4, "bsd-3-clause"),
    ]):
        records.append(make_record(
            "cards", name, tasks=("object-detection",), family=name.split("-")[0], params=int(params),
            gmacs=gflops / 2, input_size=(3, 640, 640), size_mb=params * 4 / 1e6, license=lic,
            pretrain_datasets=("coco",), origin="ultralytics" if name.startswith("yolo") else "github",
            metrics=(MetricRecord("object-detection", "coco-val2017", "box_map", box_map, source=SOURCE),),
            benchmarks=(BenchmarkRecord("Intel CPU (ONNX)", 1, "fp32", 40.0 + i * 30, source=SOURCE),),
        ))
    for i in range(8):
        records.append(make_record(
            "cards", f"seg-model-{i}", tasks=("image-segmentation",), family="deeplab", params=int(5e6 + i * 8e6),
            gmacs=5.0 + i * 10, input_size=(3, 512, 512), license="apache-2.0",
            domains=("vision", "health", "medical-imaging") if i % 4 == 0 else ("vision",),
            pretrain_datasets=("chest-x-ray14",) if i % 4 == 0 else ("ade20k",),
            metrics=(MetricRecord("image-segmentation", "ade20k", "miou", 35.0 + i * 2.0, source=SOURCE),),
        ))
    for i, name in enumerate(["whisper-tiny", "whisper-base", "whisper-small", "wav2vec2-base-960h", "hubert-large-ft", "deepspeech-0.9.3"]):
        records.append(make_record(
            "cards", name, tasks=("automatic-speech-recognition",), domains=("speech", "audio"), modality="audio",
            params=int(39e6 * (i + 1)), size_mb=39 * 4 * (i + 1), license="mit" if "whisper" in name else "apache-2.0",
            metrics=(MetricRecord("automatic-speech-recognition", "librispeech-test-clean", "wer", 7.5 - i, higher_is_better=False, source=SOURCE),),
        ))
    for i, name in enumerate(["distilbert-sst2", "bert-base-sst2", "roberta-large-sst2", "twitter-roberta-sentiment", "albert-base-sst2"]):
        records.append(make_record(
            "cards", name, tasks=("text-classification",), domains=("nlp", "social-media") if "twitter" in name else ("nlp",),
            modality="text", params=int(66e6 + i * 50e6), license="apache-2.0",
            summary="sentiment classifier fine-tuned on SST-2" if "twitter" not in name else "tweet sentiment (TweetEval)",
            pretrain_datasets=("tweets",) if "twitter" in name else ("bookcorpus", "wikipedia"),
            metrics=(MetricRecord("text-classification", "sst2", "accuracy", 91.0 + i, source=SOURCE),),
        ))
    for i, name in enumerate(["facenet", "arcface-r100", "vggface2"]):
        records.append(make_record(
            "cards", name, tasks=("face-recognition",), domains=("vision", "faces"), params=int(23e6 + i * 20e6),
            license="mit", metrics=(MetricRecord("face-recognition", "lfw", "accuracy", 99.2 + i * 0.2, source=SOURCE),),
        ))
    # Unrated entries: a model with no canonical metric must show as unrated, never ranked as rated.
    records.append(make_record("hf", "someone/unrated-detector", tasks=("object-detection",), params=int(7e6), gmacs=8.0,
                               license="apache-2.0", downloads=10))
    return records


@pytest.fixture
def fixture_catalog(empty_store):
    """An empty store filled with `fixture_records()` (no embedded snapshot)."""
    from catalog.writer import write_records

    records = fixture_records()
    by_source: dict[str, list[ModelRecord]] = {}
    for r in records:
        by_source.setdefault(r.source, []).append(r)
    with empty_store.session() as session:
        for source, group in by_source.items():
            write_records(session, group, origin=source)
    return empty_store


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


HEAVY_MODULES = ("torch", "timm", "torchvision", "transformers", "ray")


def advisor_script(db_url: str, args: tuple[str, ...] | list[str], report_heavy: bool = False,
                   watch: tuple[str, ...] = HEAVY_MODULES) -> str:
    """Python source that runs `advisor --db URL ARGS` in a fresh interpreter, as a user would, with
    the embedded snapshot taken from ADVISOR_TEST_SNAPSHOT_DIR; with `report_heavy`, stderr ends with
    `HEAVY=[...]`, the modules of `watch` (the heavy libraries by default) the command imported."""
    return (
        "import os, sys, json\n"
        "from pathlib import Path\n"
        "import catalog.snapshot as snapshot\n"
        "snapshot.embedded_data_dir = lambda: Path(os.environ['ADVISOR_TEST_SNAPSHOT_DIR'])\n"
        "from advisor.cli import main\n"
        f"sys.argv = ['advisor', '--db', {db_url!r}, *{list(args)!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code or 0\nelse:\n    code = 0\n"
        + (f"sys.stderr.write('HEAVY=' + json.dumps(sorted(m for m in {watch!r} if m in sys.modules)))\n"
           if report_heavy else "")
        + "sys.exit(code)\n"
    )


@pytest.fixture
def fresh_cli_state(monkeypatch):
    """The CLI caches its store per process; each test must open its own (its --db), and its tiny
    fixture catalog must not be replaced by the embedded snapshot on first use."""
    from advisor.cli.context import state

    monkeypatch.setattr("catalog.snapshot.ensure_snapshot_loaded", lambda store: None)
    state._store, state.db_url = None, None
    yield
    if state._store is not None:
        state._store.engine.dispose()
    state._store = None
