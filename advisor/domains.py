"""Domain vocabulary and matching of a user's `--domain` text against what a model was trained on.

A user types "chest x-ray", "satellite imagery", "plant leaves", "legal contracts" or "tweets";
a model card carries domain tags (`medical-imaging`, `remote-sensing`, ...), pretraining datasets
(`chexpert`, `eurosat`, `plantvillage`, ...) and free text. Matching is by vocabulary first (a
typed phrase names a known domain, whose tags and datasets are then looked for on the model),
and by the typed words in card text as a weaker signal. General-domain models (ImageNet, COCO,
Wikipedia) matched against a specialised domain get a domain-shift warning, not a silent pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Domain:
    name: str  # the catalog's domain tag, e.g. "medical-imaging"
    title: str
    phrases: tuple[str, ...]  # what people type; matched as whole words / word sequences
    tags: tuple[str, ...]  # domain tags on model cards that mean in-domain
    datasets: tuple[str, ...]  # pretraining / fine-tuning dataset names (prefix match)
    specialised: bool = True  # general domains never trigger a domain-shift warning


DOMAINS: tuple[Domain, ...] = (
    Domain("medical-imaging", "Medical imaging",
           ("x-ray", "xray", "x ray", "radiograph", "radiology", "cxr", "chest", "ct", "mri", "medical",
            "medical imaging", "ultrasound", "histopathology", "pathology", "dermatology", "retina",
            "fundus", "mammography", "tumor", "tumour", "organ", "lung", "brain scan"),
           ("medical-imaging", "radiology", "chest-x-ray", "health", "pathology"),
           ("chexpert", "nih-chest-x-ray", "chest-x-ray", "chestx-ray", "mimic-cxr", "padchest", "brats", "btcv",
            "msd-", "isic", "camelyon", "kvasir", "luna16", "radimagenet", "medmnist", "chexmask")),
    Domain("remote-sensing", "Satellite and aerial imagery",
           ("satellite", "aerial", "remote sensing", "earth observation", "sentinel", "landsat", "drone",
            "land cover", "landcover", "geospatial", "flood", "crop map"),
           ("remote-sensing", "satellite", "earth-observation", "geospatial"),
           ("eurosat", "hls", "sen1floods11", "bigearthnet", "ucmerced", "resisc45", "fmow", "so2sat",
            "multi-temporal-crop", "sentinel", "landsat", "xview", "dota", "spacenet")),
    Domain("agriculture", "Plants and agriculture",
           ("plant", "plants", "leaf", "leaves", "crop", "crops", "agriculture", "farm", "weed", "plant disease",
            "fruit"),
           ("agriculture", "plant-disease", "plants"),
           ("plantvillage", "plantdoc", "plant-", "deepweeds", "cassava", "ip102")),
    Domain("legal", "Legal text",
           ("legal", "law", "contract", "contracts", "court", "case law", "statute", "clause", "clauses"),
           ("legal",),
           ("cuad", "lex_glue", "lexglue", "lex-glue", "ledgar", "eurlex", "case_hold", "casehold", "pile-of-law")),
    Domain("social-media", "Social media text",
           ("tweet", "tweets", "twitter", "social media", "reddit", "posts", "x.com"),
           ("social-media", "twitter"),
           ("tweet_eval", "tweeteval", "tweet-eval", "tweets", "sentiment140", "semeval-2017", "go_emotions",
            "goemotions", "reddit")),
    Domain("biomedical-text", "Biomedical and clinical text",
           ("clinical", "clinical notes", "biomedical", "pubmed", "ehr", "medical text", "patient notes"),
           ("biomedical-text", "clinical", "health"),
           ("pubmed", "mimic-iii", "mimic-iv", "bc5cdr", "ncbi-disease", "i2b2", "blurb")),
    Domain("finance", "Financial text",
           ("finance", "financial", "stock", "earnings", "banking"),
           ("finance",),
           ("financial_phrasebank", "financial-phrasebank", "fiqa", "finer")),
    Domain("documents", "Scanned documents and forms",
           ("document", "documents", "invoice", "invoices", "receipt", "receipts", "form", "forms", "scanned",
            "pdf"),
           ("documents", "ocr"),
           ("iit-cdip", "rvl-cdip", "funsd", "cord", "sroie", "docvqa", "publaynet", "doclaynet", "mp-docvqa")),
    Domain("faces", "Faces", ("face", "faces", "facial", "selfie", "selfies"),
           ("faces",), ("wider-face", "vggface2", "ms1m", "casia-webface", "glint360k", "webface", "lfw", "celeba")),
    Domain("industrial-inspection", "Industrial inspection",
           ("defect", "defects", "manufacturing", "industrial", "inspection", "factory", "surface"),
           ("industrial-inspection", "defect-detection"), ("mvtec", "visa", "btad")),
    Domain("license-plates", "License plates", ("license plate", "licence plate", "number plate", "plates", "alpr", "anpr"),
           ("license-plates", "alpr"), ("keremberke-license-plate", "ccpd", "openalpr")),
    Domain("hands", "Hands and gestures", ("hand", "hands", "gesture", "gestures", "sign language"),
           ("hands", "gesture"), ("hagrid", "onehand10k", "coco-wholebody-hand", "egohands", "freihand")),
    Domain("driving", "Driving scenes", ("driving", "street", "streets", "road", "traffic", "autonomous", "dashcam"),
           ("driving", "autonomous-driving"), ("cityscapes", "kitti", "bdd100k", "nuscenes", "mapillary")),
    Domain("protein", "Proteins", ("protein", "proteins", "amino acid", "folding"), ("protein",),
           ("pdb", "uniref", "uniprot", "casp")),
    Domain("code", "Source code", ("code", "source code", "programming"), ("code",),
           ("the-stack", "codesearchnet", "humaneval")),
    Domain("speech", "Speech", ("speech", "spoken", "voice", "audio"), ("speech", "audio"),
           ("librispeech", "common_voice", "common-voice", "gigaspeech"), specialised=False),
    Domain("general-vision", "General photos", ("photo", "photos", "images", "general", "natural images", "everyday objects"),
           ("vision",), ("imagenet", "coco", "open-images", "objects365"), specialised=False),
    Domain("general-text", "General text", ("text", "news", "wikipedia", "web text", "reviews", "movie reviews"),
           ("nlp",), ("wikipedia", "bookcorpus", "c4", "sst2", "imdb"), specialised=False),
)

# Datasets that say "trained on general data": a specialised request against a model trained
# only on these gets a domain-shift warning.
GENERAL_DATASETS = ("imagenet", "coco", "objects365", "open-images", "lvd-", "laion", "wikipedia", "bookcorpus",
                    "c4", "openwebtext", "cc-", "conceptual", "jft", "sa-1b", "sa-v", "librispeech", "ade20k",
                    "pascal-voc", "kinetics", "audioset", "common_voice", "common-voice", "glue", "sst2", "imdb",
                    "squad", "mnli", "webvid", "the-pile", "pile", "redpajama", "fineweb")


@dataclass(frozen=True)
class DomainQuery:
    """What `--domain TEXT` asked for: the known domains it names and its content words."""

    text: str
    domains: tuple[Domain, ...]
    words: tuple[str, ...]

    @property
    def specialised(self) -> bool:
        """True when the user's data is unlike the general pretraining corpora (ImageNet, COCO, web text)."""
        if self.domains:
            return any(d.specialised for d in self.domains)
        return bool(self.words)  # an unknown phrase: assume specialised and say so

    @property
    def title(self) -> str:
        return self.text.strip()

    def facet_values(self) -> tuple[list[str], list[str]]:
        """(domain tags, dataset names) to look up in the facet index for in-domain candidates."""
        tags = sorted({t for d in self.domains for t in d.tags if d.specialised})
        datasets = sorted({s.rstrip("-") for d in self.domains for s in d.datasets if d.specialised})
        return tags, datasets


@dataclass(frozen=True)
class DomainMatch:
    score: float  # 0 (nothing) .. 1 (domain tag or pretraining dataset of the named domain)
    evidence: str | None  # "pretrained on chexpert", "tagged medical-imaging", "card mentions 'satellite'"
    general: bool  # trained only on general corpora as far as the card says
    specific: bool = False  # the user's own words ("chest", "x-ray") appear on the card, not just the domain's

    @property
    def in_domain(self) -> bool:
        return self.score >= 0.5


# Words that name the kind of data, not the domain: "satellite imagery" is specific by "satellite".
_GENERIC = frozenset({"x", "ray", "scan", "scans", "imaging", "imagery", "medical", "text", "texts", "documents"})
_STOP = frozenset({"a", "an", "the", "of", "and", "or", "for", "in", "on", "with", "my", "our", "data", "images",
                   "image", "text", "pictures", "photos", "imagery", "dataset", "from", "to", "set"})


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("-", " ").replace("_", " "))


def _contains_phrase(words: Sequence[str], phrase: str) -> bool:
    target = _words(phrase)
    if not target:
        return False
    n = len(target)
    return any(list(words[i : i + n]) == target for i in range(len(words) - n + 1))


def parse_domain(text: str | None) -> DomainQuery | None:
    """Turn `--domain` text into a DomainQuery; None for empty text."""
    if not text or not text.strip():
        return None
    words = _words(text)
    joined = "-".join(words)
    found = [d for d in DOMAINS
             if d.name == joined or joined in d.tags or any(_contains_phrase(words, p) for p in d.phrases)]
    # "chest x-ray" must not also pull in general vision just because of a generic word.
    if any(d.specialised for d in found):
        found = [d for d in found if d.specialised]
    content = tuple(w for w in words if w not in _STOP and len(w) > 1)
    return DomainQuery(text=text, domains=tuple(found), words=content)


def _dataset_hit(datasets: Iterable[str], wanted: Sequence[str]) -> str | None:
    for name in datasets:
        lowered = name.lower()
        for w in wanted:
            if lowered == w.rstrip("-") or lowered.startswith(w):
                return name
    return None


def is_general(datasets: Sequence[str], tags: Sequence[str]) -> bool:
    """Trained on general corpora only, as far as the card tells (no specialised tag or dataset)."""
    specialised_tags = {t for d in DOMAINS if d.specialised for t in d.tags} - {"health", "ocr"}
    if any(t.lower() in specialised_tags for t in tags):
        return False
    if not datasets:
        return True
    return all(any(ds.lower().startswith(g) for g in GENERAL_DATASETS) for ds in datasets)


def match_model(query: DomainQuery, tags: Sequence[str], datasets: Sequence[str], text: str) -> DomainMatch:
    """How well one model's tags, pretraining datasets and card text fit the queried domain."""
    general = is_general(datasets, tags)
    lowered_tags = [t.lower() for t in tags]
    words = _words(text)
    card_words = set(words) | {w for item in (*tags, *datasets) for w in _words(item)}
    specific = bool(query.words) and all(w in card_words for w in query.words if w not in _GENERIC)
    for domain in query.domains:
        if not domain.specialised:
            continue
        hit = _dataset_hit(datasets, domain.datasets)
        if hit:
            return DomainMatch(1.0, f"pretrained on {hit}", general, specific)
        tag = next((t for t in domain.tags if t in lowered_tags and t != "health"), None)
        if tag:
            return DomainMatch(0.9, f"tagged {tag}", general, specific)
    phrases = [p for d in query.domains if d.specialised for p in d.phrases]
    hit_phrase = next((p for p in phrases if len(p) > 2 and _contains_phrase(words, p)), None)
    if hit_phrase:
        return DomainMatch(0.6, f"card mentions '{hit_phrase}'", general)
    if not query.domains and query.words:
        hits = [w for w in query.words if w in words]
        if hits and len(hits) * 2 >= len(query.words):
            return DomainMatch(0.5, f"card mentions '{' '.join(hits)}'", general)
    return DomainMatch(0.0, None, general)
