"""The ranking engine on the shared fixture catalog, with a deterministic latency function injected
(latency proportional to GMACs) so the assertions do not depend on the estimator's calibration."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import select

from advisor.accuracy import canonical_metric
from advisor.constraints import NothingFitsError
from advisor.pareto import dominates, pareto_front
from advisor.ranking import RecommendRequest, compare, recommend
from advisor.tasks import FACE_NOTE
from catalog.errors import UnknownModelError, UsageError
from catalog.queries import metrics_for
from catalog.schema import Metric, Model, ModelFacet


@dataclass(frozen=True)
class FakeLatency:
    latency_ms: float
    kind: str
    range_ms: tuple[float, float]
    memory_mb: float | None
    source: str


def fake_latency(session, ids, device, batch_size=1, precision="fp32"):
    """1 ms per GMAC (+1 ms overhead); models without GMACs are absent, as in the real contract."""
    rows = session.execute(select(Model.id, Model.gmacs).where(Model.id.in_(list(ids))))
    return {mid: FakeLatency(g + 1.0, "estimated", (g * 0.8 + 1, g * 1.2 + 1), None, "fake: 1 ms per GMAC")
            for mid, g in rows if g}


def run(store, **kwargs):
    with store.session() as session:
        return recommend(session, RecommendRequest(**kwargs), latency_fn=fake_latency)


# ------------------------------------------------------------------ Pareto


def brute_force_front(points):
    return {i for i, p in enumerate(points) if not any(dominates(q, p) for j, q in enumerate(points) if j != i)}


@pytest.mark.parametrize("seed", range(5))
def test_pareto_front_matches_brute_force(seed):
    rng = random.Random(seed)
    points = [(rng.randint(0, 8), rng.randint(0, 8), rng.randint(0, 8)) for _ in range(200)]
    assert pareto_front(points) == brute_force_front(points)


def test_pareto_front_keeps_duplicates_and_drops_dominated():
    assert pareto_front([(1, 1), (1, 1), (0, 0), (2, 0)]) == {0, 1, 3}


def test_pareto_flags_in_a_recommendation_are_correct(fixture_catalog):
    rec = run(fixture_catalog, task="image-classification", device="jetson-orin-nano", top=500)
    rated = [c for c in rec.candidates if c.rated]
    assert len(rated) > 50
    points = {c.id: (c.accuracy["value"], -c.latency_ms, -c.size_mb) for c in rated}
    for c in rated:
        dominated = any(dominates(points[o], points[c.id]) for o in points if o != c.id)
        assert c.pareto == (not dominated), c.id
    assert 0 < sum(c.pareto for c in rated) < len(rated)


# ------------------------------------------------------------------ ordering


def test_prefer_accuracy_follows_canonical_accuracy_exactly(fixture_catalog):
    with fixture_catalog.session() as session:
        ids = list(session.scalars(select(ModelFacet.model_id).where(
            ModelFacet.facet == "task", ModelFacet.value == "image-classification")))
        metrics = metrics_for(session, ids)
    canonical = {i: canonical_metric("image-classification", metrics[i]) for i in ids}
    expected = [i for i, _ in sorted(((i, m.value) for i, m in canonical.items() if m), key=lambda t: (-t[1], t[0]))]
    rec = run(fixture_catalog, task="image-classification", prefer="accuracy", top=1000)
    got = [c.id for c in rec.candidates if c.rated]
    assert got == expected
    assert [c.accuracy["value"] for c in rec.candidates if c.rated] == sorted(
        (m.value for m in canonical.values() if m), reverse=True)


def test_prefer_speed_and_size_sort_on_their_axis(fixture_catalog):
    speed = run(fixture_catalog, task="detection", device="jetson-orin-nano", prefer="speed", top=50)
    lat = [c.latency_ms for c in speed.candidates if c.rated]
    assert lat == sorted(lat)
    size = run(fixture_catalog, task="detection", prefer="size", top=50)
    sizes = [c.size_mb for c in size.candidates if c.rated]
    assert sizes == sorted(sizes)


@pytest.mark.parametrize("prefer", ["balanced", "accuracy", "speed", "size"])
def test_unrated_models_are_never_ranked_among_rated_ones(fixture_catalog, prefer):
    rec = run(fixture_catalog, task="detection", device="jetson-orin-nano", prefer=prefer, top=50)
    flags = [c.rated for c in rec.candidates]
    assert flags == sorted(flags, reverse=True), "an unrated model was ranked above a rated one"
    unrated = [c for c in rec.candidates if not c.rated]
    assert [c.id for c in unrated] == ["hf:someone/unrated-detector"]
    u = unrated[0]
    assert u.score is None and u.pareto is False and u.accuracy is None
    assert u.warnings[0].startswith("unrated:") and "unrated on COCO" in u.explanation


def test_balanced_ranking_never_puts_a_dominated_model_above_its_dominator(fixture_catalog):
    rec = run(fixture_catalog, task="image-classification", device="t4", top=500)
    rated = [c for c in rec.candidates if c.rated]
    pos = {c.id: c.rank for c in rated}
    for a, b in itertools.permutations(rated, 2):
        if dominates((a.accuracy["value"], -a.latency_ms, -a.size_mb), (b.accuracy["value"], -b.latency_ms, -b.size_mb)):
            assert pos[a.id] < pos[b.id]


# ------------------------------------------------------------------ constraints and budgets


def test_edge_target_names_device_and_budget_and_every_candidate_fits(fixture_catalog):
    rec = run(fixture_catalog, task="detection", target="edge")
    assert rec.target.device == "jetson-orin-nano" and rec.target.picked_by == "--edge"
    assert rec.target.budget.max_latency_ms == pytest.approx(1000 / 30)
    assert "30 FPS" in rec.target.budget_reason
    assert len(rec.candidates) >= 3
    for c in rec.candidates:
        assert c.latency_ms <= rec.target.budget.max_latency_ms
        assert c.latency_kind == "estimated" and "latency_ms" in c.estimated
        assert "fits 30 FPS on NVIDIA Jetson Orin Nano" in c.explanation
    assert rec.excluded["latency"] > 0


def test_max_latency_on_this_machine(fixture_catalog):
    rec = run(fixture_catalog, task="image-classification", device="this", max_latency_ms=5, top=500)
    assert rec.candidates and all(c.latency_ms <= 5 for c in rec.candidates)


def test_constraint_that_empties_the_list_is_named_with_the_closest_misses(fixture_catalog):
    with pytest.raises(NothingFitsError) as err:
        run(fixture_catalog, task="detection", device="jetson-orin-nano", max_latency_ms=1.5)
    message = str(err.value)
    assert "1.5 ms latency budget" in message and "cards:ssdlite-mobilenet needs 1.6 ms" in message
    with pytest.raises(NothingFitsError, match=r"--max-params 1M.*cards:yolov8n has 3\.2M"):
        run(fixture_catalog, task="detection", max_params=1e6)
    with pytest.raises(NothingFitsError, match="--license gpl-3.0: all 11 candidates left miss it"):
        run(fixture_catalog, task="detection", license="gpl-3.0")


def test_contradictory_or_impossible_input_is_one_sentence(fixture_catalog):
    with pytest.raises(UsageError, match="Choose one target"):
        run(fixture_catalog, task="detection", target="edge", device="t4")
    with pytest.raises(UsageError, match="percentage between 0 and 100"):
        run(fixture_catalog, task="detection", min_accuracy=150)
    with pytest.raises(UsageError, match="Unknown device 'jetsn'"):
        run(fixture_catalog, task="detection", device="jetsn")
    with pytest.raises(UsageError, match="Did you mean detection"):
        run(fixture_catalog, task="detecton")


def test_min_accuracy_on_an_error_rate_keeps_lower_values(fixture_catalog):
    rec = run(fixture_catalog, task="asr", min_accuracy=4.0)
    assert {c.accuracy["value"] for c in rec.candidates} == {2.5, 3.5}
    assert any("lower is better" in n for n in rec.notes)


def test_commercial_licence_filter_and_warnings(fixture_catalog):
    rec = run(fixture_catalog, task="detection", top=50)
    yolo = next(c for c in rec.candidates if c.id == "cards:yolov8n")
    assert any("copyleft" in w for w in yolo.warnings)
    commercial = run(fixture_catalog, task="detection", license="commercial", top=50)
    assert all(not c.license.startswith("agpl") for c in commercial.candidates)
    assert commercial.excluded["license"] == 4


# ------------------------------------------------------------------ warnings, domains, probes


def test_face_recognition_carries_privacy_and_bias_warnings(fixture_catalog):
    rec = run(fixture_catalog, task="face-recognition")
    assert rec.task.note == FACE_NOTE and len(rec.candidates) == 3
    assert all(FACE_NOTE in c.warnings for c in rec.candidates)


def test_domain_match_ranks_in_domain_models_up_and_warns_the_rest(fixture_catalog):
    plain = run(fixture_catalog, task="segmentation", top=8)
    assert plain.candidates[0].id == "cards:seg-model-7"
    rec = run(fixture_catalog, task="segmentation", domain="chest x-ray", top=8)
    first_two = {c.id for c in rec.candidates[:2]}
    assert first_two == {"cards:seg-model-0", "cards:seg-model-4"}
    for c in rec.candidates[:2]:
        assert c.domain_match["in_domain"] and "in-domain: pretrained on chest-x-ray14" in c.explanation
        assert not any("domain shift" in w for w in c.warnings)
    for c in rec.candidates[2:]:
        assert any("domain shift" in w and "advisor probe" in w for w in c.warnings)
    assert rec.query["domain_matched"] == ["medical-imaging"]


def test_probe_results_rank_first_and_sit_beside_reported_figures(fixture_catalog):
    with fixture_catalog.session() as session:
        for model_id, value in (("timm:resnet0.fixture_in1k", 0.91), ("timm:vit0.fixture_in1k", 0.87)):
            session.add(Metric(model_id=model_id, task="image-classification", dataset="probe:fp123", metric="accuracy",
                               value=value, kind="probe", origin="probe", source="probe:fp123",
                               obtained_at=datetime(2026, 1, 1), extra={"mode": "knn"}))
    rec = run(fixture_catalog, task="image-classification", dataset="fp123", top=5)
    assert [c.id for c in rec.candidates[:2]] == ["timm:resnet0.fixture_in1k", "timm:vit0.fixture_in1k"]
    top = rec.candidates[0]
    assert top.probe == {"metric": "accuracy", "value": 0.91, "mode": "knn", "kind": "probe", "source": "probe:fp123"}
    assert top.accuracy["kind"] == "reported" and "on your data: 0.91 accuracy (knn)" in top.explanation
    assert rec.candidates[2].probe is None
    missing = run(fixture_catalog, task="image-classification", dataset="nothing-here", top=3)
    assert any("no probe results" in n for n in missing.notes)


# ------------------------------------------------------------------ compare and the JSON shape


def test_compare_side_by_side_with_provenance(fixture_catalog):
    with fixture_catalog.session() as session:
        rec = compare(session, ["cards:yolov8n", "cards:detr-resnet-50", "cards:rtdetr-r18"], device="t4",
                      latency_fn=fake_latency)
        with pytest.raises(UnknownModelError):
            compare(session, ["cards:no-such-model"])
    doc = rec.to_dict()
    assert {c["id"] for c in doc["candidates"]} == {"cards:yolov8n", "cards:detr-resnet-50", "cards:rtdetr-r18"}
    figures = {(p["id"], p["figure"]): p for p in doc["provenance"]}
    acc = figures[("cards:yolov8n", "object-detection/coco-val2017/box_map")]
    assert acc["kind"] == "reported" and acc["source"].startswith("https://")
    assert figures[("cards:yolov8n", "latency_ms")]["kind"] == "estimated"
    assert any(m["figure"].endswith("box_map") for m in doc["metrics"]["cards:yolov8n"])


def test_recommendation_json_has_the_design_shape(fixture_catalog):
    doc = run(fixture_catalog, task="detection", target="edge").to_dict()
    assert {"query", "target", "candidates"} <= set(doc)
    assert set(doc["target"]) >= {"device", "batch_size", "precision", "budget"}
    assert set(doc["target"]["budget"]) == {"max_latency_ms", "max_size_mb", "max_params", "max_memory_mb"}
    required = {"rank", "id", "score", "pareto", "accuracy", "latency_ms", "latency_kind", "latency_range_ms",
                "size_mb", "params", "gmacs", "license", "explanation", "warnings"}
    for c in doc["candidates"]:
        assert required <= set(c)
        if c["rated"]:
            assert {"metric", "dataset", "value", "kind"} <= set(c["accuracy"])
        else:  # no figure is shown as no figure, never as a made-up one
            assert c["accuracy"] is None and c["score"] is None
        assert c["latency_kind"] in ("measured", "estimated")
        lo, hi = c["latency_range_ms"]
        assert lo <= c["latency_ms"] <= hi
    assert {"id", "figure", "value", "kind", "source", "obtained_at", "device"} <= set(doc["provenance"][0])


def test_sentiment_alias_is_resolved_with_a_note(fixture_catalog):
    rec = run(fixture_catalog, task="sentiment")
    assert rec.query["task"] == "text-classification"
    assert any("sentiment analysis is text classification" in n for n in rec.notes)
    assert rec.candidates[0].accuracy["dataset"] == "sst2"


def test_probe_runs_are_read_through_the_probe_engine(fixture_catalog, tmp_path):
    from catalog.schema import ProbeResult, ProbeRun

    with fixture_catalog.session() as session:
        session.add(ProbeRun(id="run-1", task="image-classification", dataset_path=str(tmp_path), dataset_fingerprint="fpX",
                             mode="linear", status="done"))
        session.flush()  # no ORM relationship orders the inserts; the run must exist first
        session.add(ProbeResult(run_id="run-1", model_id="timm:densenet0.fixture_in1k", dataset_fingerprint="fpX",
                                mode="linear", status="ok", score=0.83, metrics={"accuracy": 0.83}))
        session.add(ProbeResult(run_id="run-1", model_id="timm:regnet0.fixture_in1k", dataset_fingerprint="fpX",
                                mode="linear", status="failed", error="out of memory"))
    rec = run(fixture_catalog, task="image-classification", dataset=str(tmp_path), top=3)
    first = rec.candidates[0]
    assert first.id == "timm:densenet0.fixture_in1k"
    assert first.probe["mode"] == "linear" and first.probe["metric"] == "accuracy" and first.probe["value"] == 0.83
    assert all(c.probe is None for c in rec.candidates[1:]), "a failed probe must not count as evidence"
    assert rec.query["probe_dataset"] == "probe:fpX"


def test_tweets_domain_puts_the_twitter_model_first_and_flags_the_rest(fixture_catalog):
    rec = run(fixture_catalog, task="sentiment", domain="tweets", top=5)
    first = rec.candidates[0]
    assert first.id == "cards:twitter-roberta-sentiment" and first.domain_match["in_domain"]
    assert rec.query["domain_matched"] == ["social-media"]
    assert all(any("domain shift" in w for w in c.warnings) for c in rec.candidates[1:])


def test_min_accuracy_that_nothing_meets_names_the_best_miss(fixture_catalog):
    with pytest.raises(NothingFitsError, match=r"--min-accuracy 99\.9 .*cards:vggface2 has 99\.6"):
        run(fixture_catalog, task="face-recognition", min_accuracy=99.9)
