"""timm source: one ModelRecord per pretrained tag the installed timm knows.

Identity and metadata come from timm's pretrained cfgs; params, GMACs and activations are counted
by this tool on the meta device (`catalog.sources.model_profile`), once per distinct
(architecture, input size, head size), in parallel worker processes. timm is imported inside
functions only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from catalog.records import FigureKind, ModelRecord, Provenance, SourceReport
from catalog.sources import register_source

log = logging.getLogger(__name__)

# Tag token -> pretraining dataset slug (Hugging Face dataset names where one exists). Tokens are
# the "_"-separated parts of the tag after the dot; "ft" separates training stages, so
# "in22k_ft_in1k" yields both datasets in training order.
DATASET_TOKENS: dict[str, str] = {
    "in1k": "imagenet-1k",
    "in12k": "imagenet-12k",
    "in21k": "imagenet-21k",
    "in22k": "imagenet-22k",
    "inw21k": "imagenet-21k",  # the winter-2021 release of ImageNet-21k
    "laion2b": "laion-2b",
    "laion400m": "laion-400m",
    "laiona": "laion-aesthetics",
    "openai": "wit-400m",  # OpenAI CLIP's WebImageText
    "dfn2b": "dfn-2b",
    "dfn5b": "dfn-5b",
    "dfndr2b": "dfndr-2b",
    "merged2b": "merged-2b",  # EVA-CLIP: LAION-2B + COYO-700M
    "m38m": "merged-38m",  # EVA-02 MIM data
    "m30m": "merged-30m",
    "datacomp1b": "datacomp-1b",
    "datacompxl": "datacomp-xl",
    "lvd142m": "lvd-142m",  # DINOv2
    "lvd1689m": "lvd-1689m",  # DINOv3
    "sat493m": "sat-493m",
    "ig1b": "instagram-1b",
    "ig3b": "instagram-3b",
    "swsl": "instagram-1b",  # semi-weakly supervised on IG-1B
    "ssl": "yfcc-100m",  # semi-supervised on YFCC100M
    "swag": "instagram-3.6b",
    "seer": "instagram-1b",
    "jft": "jft-300m",
    "jft300m": "jft-300m",
    "webli": "webli",
    "yfcc15m": "yfcc-15m",
    "yfcc100m": "yfcc-100m",
    "cc12m": "cc12m",
    "sa1b": "sa-1b",
    "bamboo": "bamboo",
    "docci": "docci",
    "ocrvqa": "ocr-vqa",
    "refcoco": "refcoco",
}
# Two-token datasets, checked before single tokens.
DATASET_PAIRS: dict[tuple[str, str], str] = {
    ("metaclip", "2pt5b"): "metaclip-2.5b",
    ("metaclip", "400m"): "metaclip-400m",
    ("metaclip", "altogether"): "metaclip-altogether",
    ("metaclip2", "worldwide"): "metaclip-2-worldwide",
}
# Tokens that name a publisher, a recipe or a variant rather than data; anything neither here nor
# in the dataset tables is kept verbatim, so a new dataset shows up instead of vanishing.
RECIPE_TOKENS = frozenset(
    "fb goog ms msft apple nv naver nav sail bd paddle gluon tv tv2 timm miil pycls cvnets idstcv "
    "deepseek qwen qwen3 gemma3n gemma4 pali pali2 robbyant snap mx dm tf augreg augreg2 ra ra2 ra3 "
    "ra4 a1 a1h a2 a2h a3 aa ah am ap adv ens bt c c1 c2 c3 c2ns ch d d1 d1h d2 dist distilled deit "
    "lamb lion rmsp nadamuon sbb sbb2 sw ssld stage1 stage2 orig clip mim mae fcmae dino dinov3 ijepa "
    "eupe sam ns usi racm ram rvgg green teacher soup rewind plus ltt lt it vl flash next exp drive "
    "vision tiling ogvl pt wsl mclip mclip2 tinyclip ix pd ad aug indomain patch16 patch30 mix seg "
    "radio florence2 i18n worldwide altogether rsb metaclip metaclip2 lc agc b1k b2k ft".split()
)
# Variant tokens: resolutions (r224, 384), epochs (e300, 300ep), versions (v2), model sizes (8b,
# a22b, 2pt5b, s39b) and the like.
_VARIANT = re.compile(r"^(r?\d+|e\d+|\d+e|\d+ep|v\d+|s\d+|a?\d+(pt\d+)?[bm]|e\d+b|\d+pt\d+|[a-z]\d+[a-z]?\d*b)$")
# Datasets whose classes are labels: a head trained last on one of these is a classifier.
_LABELLED = {"imagenet-1k", "imagenet-12k", "imagenet-21k", "imagenet-22k", "jft-300m", "bamboo"}
# Image-text (contrastive) datasets: a head trained last on one of these is an embedding projection.
_IMAGE_TEXT = {
    "laion-2b", "laion-400m", "laion-aesthetics", "wit-400m", "dfn-2b", "dfn-5b", "dfndr-2b", "merged-2b",
    "datacomp-1b", "datacomp-xl", "webli", "yfcc-15m", "cc12m", "metaclip-2.5b", "metaclip-400m",
    "metaclip-altogether", "metaclip-2-worldwide",
}
_ARXIV = re.compile(r"^(?:arxiv:)?(\d{4}\.\d{4,5})(?:v\d+)?$", re.IGNORECASE)


def pretrain_datasets_from_tag(tag: str) -> tuple[str, ...]:
    """Infer the training datasets named by a timm pretrained tag, in training order.

    >>> pretrain_datasets_from_tag("augreg2_in21k_ft_in1k")
    ('imagenet-21k', 'imagenet-1k')
    """
    tokens = [t for t in tag.lower().split("_") if t]
    found: list[str] = []
    i = 0
    while i < len(tokens):
        pair = DATASET_PAIRS.get((tokens[i], tokens[i + 1])) if i + 1 < len(tokens) else None
        if pair:
            found.append(pair)
            i += 2
            continue
        token = tokens[i]
        if token in DATASET_TOKENS:
            found.append(DATASET_TOKENS[token])
        elif token not in RECIPE_TOKENS and not _VARIANT.match(token):
            found.append(token)
        i += 1
    return tuple(dict.fromkeys(found))


def tasks_for(tag: str, architecture: str, num_classes: int | None) -> tuple[str, ...]:
    """image-classification for a label head, image-feature-extraction otherwise.

    CLIP-style towers carry a non-zero num_classes that is their embedding projection (512, 768,
    ...), not labels: a head is a classifier only if the last training stage used labelled data
    or the model is no image-text tower.
    """
    if not num_classes:
        return ("image-feature-extraction",)
    last_stage = tag.lower().split("_ft_")[-1]
    if set(pretrain_datasets_from_tag(last_stage)) & _LABELLED:
        return ("image-classification",)
    tokens = set(last_stage.split("_"))
    if (set(pretrain_datasets_from_tag(last_stage)) & _IMAGE_TEXT or tokens & {"mclip", "mclip2", "tinyclip", "clip"}
            or "clip" in architecture or "_pe_core" in architecture):
        return ("image-feature-extraction",)
    return ("image-classification",)


def normalise_paper_ids(raw: Any) -> tuple[str, ...] | None:
    """'arXiv:2110.00476' -> '2110.00476' (version dropped); other ids are kept as given."""
    if raw is None:
        return ()
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, (list, tuple)) or not all(isinstance(i, str) for i in items):
        return None
    papers = []
    for item in (i.strip() for i in items):
        match = _ARXIV.match(item)
        papers.append(match.group(1) if match else item)
    return tuple(dict.fromkeys(p for p in papers if p))


def _size(value: Any) -> tuple[int, ...] | None:
    if isinstance(value, (list, tuple)) and len(value) == 3 and all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value
    ):
        return tuple(value)
    return None


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _timm_record(
    name: str, cfg: Any, family: str | None, profile: Any, timm_version: str, stamp: datetime, report: SourceReport
) -> ModelRecord:
    """Turn one timm pretrained cfg (+ this tool's profile of its architecture) into a ModelRecord.

    The only place timm fields are interpreted; a malformed field is dropped and counted.
    """
    architecture, _, tag = name.partition(".")
    extra: dict[str, Any] = {"tag": tag}

    input_size = _size(getattr(cfg, "input_size", None))
    if input_size is None:
        report.drop("input_size")
    raw_test = getattr(cfg, "test_input_size", None)
    test_input_size = _size(raw_test)
    if raw_test is not None and test_input_size is None:
        report.drop("test_input_size")
    num_classes = getattr(cfg, "num_classes", None)
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 0:
        if num_classes is not None:
            report.drop("num_classes")
        num_classes = None
    license_ = getattr(cfg, "license", None)
    if license_ is not None and not isinstance(license_, str):
        report.drop("license")
        license_ = None
    if license_ in ("", "unknown", "other"):
        extra["license_note"] = license_ or "empty"
        license_ = None
    papers = normalise_paper_ids(getattr(cfg, "paper_ids", None))
    if papers is None:
        report.drop("papers")
        papers = ()
    hub = getattr(cfg, "hf_hub_id", None)
    if hub is not None and not (isinstance(hub, str) and re.match(r"^[\w.-]+/[\w.-]+$", hub)):
        report.drop("hub_repo")
        hub = None
    for key in ("origin_url", "paper_name", "notes", "crop_pct", "crop_mode", "test_crop_pct", "mean", "std",
                "interpolation"):
        value = getattr(cfg, key, None)
        if value is not None:
            extra[key] = _jsonable(value)

    fields: dict[str, Any] = {}
    provenance: dict[str, Provenance] = {}
    if profile is not None and input_size is not None:
        c, h, w = input_size
        where = "the meta device" if profile.method == "meta" else "CPU (meta forward failed)"
        counted = f"torch.utils.flop_counter on {where}, timm {timm_version}, input {c}x{h}x{w}"
        if profile.params is not None:
            fields["params"] = profile.params
            source = counted if profile.gmacs is not None else f"parameter count of the meta-device model, timm {timm_version}"
            provenance["params"] = Provenance(FigureKind.COMPUTED, source, stamp)
        if profile.gmacs is not None:
            fields["gmacs"] = round(profile.gmacs, 4)
            fields["activations_m"] = round(profile.activations_m, 4)
            provenance["gmacs"] = Provenance(FigureKind.COMPUTED, counted, stamp)
            provenance["activations_m"] = Provenance(FigureKind.COMPUTED, counted, stamp)
            # timm's published (fvcore) GMACs miss fused attention; keep its share to compare.
            extra["attention_gmacs"] = round(profile.attention_gmacs or 0.0, 4)
        if profile.error:
            extra["profile_error"] = profile.error
        for key in ("params", "gmacs", "activations_m"):
            if key not in fields:
                report.drop(key)

    description = getattr(cfg, "description", None)
    return ModelRecord(
        source="timm",
        name=name,
        tasks=tasks_for(tag, architecture, num_classes),
        domains=("vision",),
        modality="vision",
        family=family,
        architecture=architecture,
        params=fields.get("params"),
        gmacs=fields.get("gmacs"),
        activations_m=fields.get("activations_m"),
        input_size=input_size,
        test_input_size=test_input_size,
        license=license_,
        pretrain_datasets=pretrain_datasets_from_tag(tag),
        papers=papers,
        hub_repo=hub,
        homepage=f"https://huggingface.co/{hub}" if hub else None,
        origin="timm",
        library="timm",
        summary=" ".join(description.split()) if isinstance(description, str) and description.strip() else None,
        num_classes=num_classes,
        provenance=provenance,
        extra=extra,
    )


def _resolve(names: Sequence[str] | None, report: SourceReport) -> list[tuple[str, Any]]:
    """(full tag, pretrained cfg) for every requested name; unknown names are skipped."""
    import timm
    from timm.models import get_pretrained_cfg

    known = timm.list_pretrained()
    if names is None:
        wanted = known
    else:
        known_set = set(known)
        wanted = []
        for name in names:
            if "." not in name:  # a bare architecture means its default pretrained tag
                cfg = get_pretrained_cfg(name) if timm.is_model(name) else None
                name = f"{name}.{cfg.tag}" if cfg is not None and getattr(cfg, "tag", None) else name
            if name in known_set:
                wanted.append(name)
            else:
                report.skip("not a pretrained tag of the installed timm")
    resolved = []
    for name in wanted:
        try:
            cfg = get_pretrained_cfg(name)
        except Exception:  # a broken cfg entry in timm must not stop the other 1,800
            cfg = None
        if cfg is None:
            report.skip("no pretrained cfg")
            continue
        resolved.append((name, cfg))
    return resolved


@register_source("timm", "every pretrained tag the installed timm knows")
def load_timm(workers: int = 2, names: list[str] | None = None) -> SourceReport:
    """One ModelRecord per pretrained timm tag (all of `timm.list_pretrained()`, or `names`).

    Params, GMACs and activations are counted on the meta device once per distinct
    (architecture, input size, num_classes), over `workers` processes (in-process when <= 1).
    """
    import timm
    from timm.models import _registry

    from catalog.sources.model_profile import ProfileJob, profile_many

    report = SourceReport(name="timm")
    stamp = datetime.now(timezone.utc)
    entries = _resolve(names, report)

    jobs: dict[tuple, ProfileJob] = {}
    keys: dict[str, tuple] = {}
    for name, cfg in entries:
        input_size = _size(getattr(cfg, "input_size", None))
        num_classes = getattr(cfg, "num_classes", None)
        if input_size is None or not isinstance(num_classes, int) or num_classes < 0:
            continue  # no figures without a valid input and head; the record still says why
        # The head size changes params, so it is part of the key. The tag itself is what gets
        # built: its cfg sets model kwargs such as img_size for the "_384" fine-tunes.
        key = (name.partition(".")[0], input_size, num_classes)
        keys[name] = key
        jobs.setdefault(key, ProfileJob(key, name, input_size, num_classes))
    profiles = profile_many(list(jobs.values()), workers=workers)
    for key, profile in profiles.items():
        if profile.error:
            log.info("timm %s: %s (%s)", key[0], profile.error, profile.method)

    module_of = getattr(_registry, "_model_to_module", {})
    for name, cfg in entries:
        try:
            architecture = name.partition(".")[0]
            record = _timm_record(
                name, cfg, module_of.get(architecture), profiles.get(keys.get(name)), timm.__version__, stamp, report
            )
        except Exception as exc:  # one odd cfg is a skipped record, never an aborted build
            report.skip(f"malformed pretrained cfg ({type(exc).__name__})")
            continue
        report.records.append(record)
    return report
