"""Task vocabulary: Hugging Face pipeline tags, the aliases people type, and each task's canonical
accuracy benchmark, so models are compared on the same footing.

A task's `benchmarks` are (dataset, metric) pairs in order of preference; the ranking engine
compares candidates on one of them and shows a model without it as unrated.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from catalog.errors import UsageError


@dataclass(frozen=True)
class Benchmark:
    dataset: str
    metric: str
    higher_is_better: bool = True
    label: str = ""  # what a person calls it: "ImageNet-1k top-1"


@dataclass(frozen=True)
class Task:
    name: str  # HF pipeline tag, or a project task where the Hub has none
    title: str
    modality: str
    benchmarks: tuple[Benchmark, ...] = ()
    hf: bool = True  # a Hugging Face pipeline tag
    note: str | None = None  # privacy/bias or other caveat every recommendation carries


def _b(dataset: str, metric: str, label: str, higher: bool = True) -> Benchmark:
    return Benchmark(dataset, metric, higher, label)


FACE_NOTE = (
    "Face and person recognition carries privacy and bias risks: check consent and the law where "
    "you deploy, and measure error rates across demographic groups before use."
)

TASKS: dict[str, Task] = {
    t.name: t
    for t in (
        Task("image-classification", "Image classification", "vision",
             (_b("imagenet-1k", "top1", "ImageNet-1k top-1 (%)"),)),
        Task("object-detection", "Object detection", "vision",
             (_b("coco-val2017", "box_map", "COCO val2017 box mAP@[.5:.95]"),
              _b("pascal-voc-2007", "box_map50", "Pascal VOC 2007 mAP@0.5"))),
        Task("image-segmentation", "Image segmentation", "vision",
             (_b("ade20k", "miou", "ADE20K mIoU (%)"),
              _b("cityscapes-val", "miou", "Cityscapes val mIoU (%)"),
              _b("pascal-voc-2012-val", "miou", "Pascal VOC 2012 val mIoU (%)"),
              _b("coco-val2017-voc-labels", "miou", "COCO val2017 (VOC labels) mIoU (%)"),
              _b("coco-val2017", "mask_map", "COCO val2017 mask mAP"))),
        Task("mask-generation", "Promptable mask generation", "vision",
             (_b("coco-val2017", "mask_map", "COCO val2017 mask mAP"),)),
        Task("keypoint-detection", "Keypoints, pose and gestures", "vision",
             (_b("coco-val2017", "kp_map", "COCO val2017 keypoint AP"),)),
        Task("face-recognition", "Face recognition", "vision",
             (_b("lfw", "accuracy", "LFW verification accuracy (%)"),), hf=False, note=FACE_NOTE),
        Task("ocr", "Optical character recognition", "vision",
             (_b("iam", "cer", "IAM character error rate (%)", higher=False),), hf=False),
        Task("text-detection", "Scene-text detection", "vision",
             (_b("icdar2015", "f1", "ICDAR 2015 F-measure (%)"),), hf=False),
        Task("image-to-text", "Image captioning and OCR", "multimodal",
             (_b("coco-karpathy-test", "cider", "COCO Karpathy test CIDEr"),)),
        Task("visual-question-answering", "Visual question answering", "multimodal",
             (_b("vqav2-test-dev", "accuracy", "VQAv2 test-dev accuracy (%)"),)),
        Task("image-text-to-text", "Vision-language chat", "multimodal",
             (_b("vqav2-test-dev", "accuracy", "VQAv2 test-dev accuracy (%)"),)),
        Task("zero-shot-image-classification", "Zero-shot image classification (CLIP-style)", "multimodal",
             (_b("imagenet-1k", "top1", "ImageNet-1k zero-shot top-1 (%)"),)),
        Task("image-feature-extraction", "Image embeddings", "vision",
             (_b("imagenet-1k", "top1", "ImageNet-1k top-1 (%)"),)),
        Task("document-question-answering", "Document understanding", "multimodal",
             (_b("docvqa", "anls", "DocVQA ANLS"), _b("funsd", "f1", "FUNSD F1 (%)"),
              _b("rvl-cdip", "accuracy", "RVL-CDIP accuracy (%)"))),
        Task("anomaly-detection", "Anomaly and defect detection", "vision",
             (_b("mvtec-ad", "image_auroc", "MVTec AD image AUROC (%)"),), hf=False),
        Task("video-classification", "Video classification", "vision",
             (_b("kinetics-400", "top1", "Kinetics-400 top-1 (%)"),)),
        Task("optical-flow", "Optical flow", "vision",
             (_b("sintel-train-cleanpass", "epe", "Sintel clean EPE", higher=False),), hf=False),
        Task("depth-estimation", "Depth estimation", "vision", ()),
        Task("text-classification", "Text classification (sentiment, emotion, topics)", "text",
             (_b("sst2", "accuracy", "SST-2 accuracy (%)"), _b("glue", "score", "GLUE score"))),
        Task("token-classification", "Token classification (NER)", "text",
             (_b("conll2003", "f1", "CoNLL-2003 F1"),)),
        Task("question-answering", "Extractive question answering", "text",
             (_b("squad-v1.1", "f1", "SQuAD v1.1 F1"),)),
        Task("fill-mask", "Masked language modelling", "text", (_b("glue", "score", "GLUE score"),)),
        Task("translation", "Machine translation", "text",
             (_b("wmt14-en-de", "bleu", "WMT14 En-De BLEU"), _b("wmt16-en-ro", "bleu", "WMT16 En-Ro BLEU"))),
        Task("summarization", "Summarization", "text", (_b("cnn-dailymail", "rouge2", "CNN/DM ROUGE-2"),)),
        Task("text-generation", "Text generation", "text",
             (_b("mmlu", "accuracy", "MMLU accuracy (%)"),
              _b("wikitext-103", "perplexity", "WikiText-103 perplexity", higher=False))),
        Task("text2text-generation", "Text-to-text generation", "text", (_b("glue", "score", "GLUE score"),)),
        Task("feature-extraction", "Text embeddings", "text", (_b("sts-b", "spearman", "STS-B Spearman"),)),
        Task("sentence-similarity", "Sentence similarity", "text", (_b("sts-b", "spearman", "STS-B Spearman"),)),
        Task("zero-shot-classification", "Zero-shot text classification", "text", (_b("xnli", "accuracy", "XNLI accuracy (%)"),)),
        Task("automatic-speech-recognition", "Speech recognition", "audio",
             (_b("librispeech-test-clean", "wer", "LibriSpeech test-clean WER (%)", higher=False),
              _b("librispeech-test-other", "wer", "LibriSpeech test-other WER (%)", higher=False))),
        Task("audio-classification", "Audio, sound-event and music classification", "audio",
             (_b("audioset", "map", "AudioSet mAP"), _b("esc-50", "accuracy", "ESC-50 accuracy (%)"))),
        Task("speaker-verification", "Speaker recognition", "audio",
             (_b("voxceleb1", "eer", "VoxCeleb1 EER (%)", higher=False),), hf=False, note=FACE_NOTE.replace("Face and person", "Voice")),
        Task("text-to-speech", "Text to speech", "audio", ()),
        Task("text-to-image", "Image generation", "multimodal",
             (_b("coco-30k", "fid", "COCO 30k FID", higher=False),)),
        Task("unconditional-image-generation", "Unconditional image generation", "vision",
             (_b("ffhq", "fid", "FFHQ FID", higher=False),)),
        Task("image-to-image", "Image-to-image (inpainting, style transfer)", "vision", ()),
        Task("protein-structure-prediction", "Protein structure prediction", "protein",
             (_b("casp14", "gdt_ts", "CASP14 GDT-TS"), _b("casp14", "lddt", "CASP14 lDDT")), hf=False),
    )
}


@dataclass(frozen=True)
class Alias:
    tasks: tuple[str, ...]  # one task, or the choices of an ambiguous alias
    note: str | None = None  # shown whenever the alias resolves with an assumption
    terms: tuple[str, ...] = ()  # narrowing terms matched against card text and datasets


PLATE_TERMS = ("license-plate", "license plate", "licence plate", "number plate", "alpr", "anpr")

ALIASES: dict[str, Alias] = {
    "detection": Alias(("object-detection",)),
    "detector": Alias(("object-detection",)),
    "classification": Alias(("image-classification", "text-classification", "audio-classification")),
    "image-classification": Alias(("image-classification",)),
    "plant-disease": Alias(("image-classification",), "plant disease detection is treated as image classification", ("plant", "leaf", "agriculture")),
    "segmentation": Alias(("image-segmentation",)),
    "semantic-segmentation": Alias(("image-segmentation",)),
    "instance-segmentation": Alias(("image-segmentation",)),
    "sentiment": Alias(("text-classification",), "sentiment analysis is text classification", ("sentiment", "sst2", "imdb", "tweet")),
    "sentiment-analysis": Alias(("text-classification",), "sentiment analysis is text classification", ("sentiment", "sst2", "imdb", "tweet")),
    "emotion": Alias(("text-classification",), "emotion from text; use audio-classification for speech emotion", ("emotion",)),
    "emotion-detection": Alias(("text-classification",), "emotion from text; use audio-classification for speech emotion", ("emotion",)),
    "face": Alias(("face-recognition",)),
    "face-verification": Alias(("face-recognition",)),
    "license-plate": Alias(("object-detection", "ocr"), None, PLATE_TERMS),
    "licence-plate": Alias(("object-detection", "ocr"), None, PLATE_TERMS),
    "number-plate": Alias(("object-detection", "ocr"), None, PLATE_TERMS),
    "alpr": Alias(("object-detection", "ocr"), None, PLATE_TERMS),
    "anpr": Alias(("object-detection", "ocr"), None, PLATE_TERMS),
    "face-detection": Alias(("object-detection",), "face detection is object detection of faces", ("face", "wider-face")),
    "image-recognition": Alias(("image-classification",)),
    "object-recognition": Alias(("image-classification",)),
    "text-classifier": Alias(("text-classification",)),
    "topic-classification": Alias(("text-classification",)),
    "text-recognition": Alias(("ocr",)),
    "scene-text": Alias(("text-detection",)),
    "gesture": Alias(("keypoint-detection",), "gestures are recognised from hand keypoints", ("hand",)),
    "hand-gesture": Alias(("keypoint-detection",), "gestures are recognised from hand keypoints", ("hand",)),
    "pose": Alias(("keypoint-detection",)),
    "pose-estimation": Alias(("keypoint-detection",)),
    "keypoints": Alias(("keypoint-detection",)),
    "asr": Alias(("automatic-speech-recognition",)),
    "speech-recognition": Alias(("automatic-speech-recognition",)),
    "speech-to-text": Alias(("automatic-speech-recognition",)),
    "stt": Alias(("automatic-speech-recognition",)),
    "speaker-recognition": Alias(("speaker-verification",)),
    "mt": Alias(("translation",)),
    "machine-translation": Alias(("translation",)),
    "captioning": Alias(("image-to-text",)),
    "image-captioning": Alias(("image-to-text",)),
    "vqa": Alias(("visual-question-answering",)),
    "embeddings": Alias(("feature-extraction", "image-feature-extraction", "zero-shot-image-classification")),
    "embedding": Alias(("feature-extraction", "image-feature-extraction", "zero-shot-image-classification")),
    "text-embeddings": Alias(("feature-extraction",)),
    "image-embeddings": Alias(("image-feature-extraction",)),
    "multimodal-embeddings": Alias(("zero-shot-image-classification",)),
    "anomaly": Alias(("anomaly-detection",)),
    "defect-detection": Alias(("anomaly-detection",)),
    "document-understanding": Alias(("document-question-answering",)),
    "document-ai": Alias(("document-question-answering",)),
    "documents": Alias(("document-question-answering",)),
    "generation": Alias(("text-generation", "text-to-image")),
    "image-generation": Alias(("text-to-image",)),
    "diffusion": Alias(("text-to-image",)),
    "llm": Alias(("text-generation",)),
    "chat": Alias(("text-generation",)),
    "protein": Alias(("protein-structure-prediction",)),
    "protein-folding": Alias(("protein-structure-prediction",)),
    "protein-structure": Alias(("protein-structure-prediction",)),
    "ner": Alias(("token-classification",)),
    "qa": Alias(("question-answering",)),
    "sound-event-detection": Alias(("audio-classification",)),
    "music-genre": Alias(("audio-classification",), None, ("music", "genre")),
    "inpainting": Alias(("image-to-image",)),
    "style-transfer": Alias(("image-to-image",)),
    "recommendation": Alias(("feature-extraction",), "recommendation uses retrieval embeddings", ("recommendation", "retrieval")),
}


@dataclass(frozen=True)
class ResolvedTask:
    task: Task
    typed: str
    note: str | None = None
    terms: tuple[str, ...] = field(default_factory=tuple)
    also: tuple[str, ...] = ()  # further tasks an alias covers (license-plate: detection + OCR)


def normalise(text: str) -> str:
    return "-".join(text.strip().lower().replace("_", " ").replace("/", " ").split())


def resolve_task(text: str) -> ResolvedTask:
    """Resolve a typed task name or alias; ambiguous or unknown names raise a UsageError."""
    key = normalise(text)
    if key in TASKS:
        return ResolvedTask(TASKS[key], text)
    alias = ALIASES.get(key) or ALIASES.get(key.removesuffix("s"))
    if alias is None:
        choices = list(TASKS) + list(ALIASES)
        near = difflib.get_close_matches(key, choices, n=3, cutoff=0.6)
        hint = f" Did you mean {' or '.join(near)}?" if near else " Run `advisor search --help` for the task list."
        raise UsageError(f"Unknown task '{text}'.{hint}")
    if len(alias.tasks) > 1 and alias.terms != PLATE_TERMS:
        raise UsageError(
            f"'{text}' is ambiguous: say --task {' or --task '.join(alias.tasks)}."
        )
    main, *rest = alias.tasks
    note = alias.note
    if rest:
        note = f"'{text}' covers {' and '.join(alias.tasks)}; showing {main} (add --task {rest[0]} for the reading step)"
    return ResolvedTask(TASKS[main], text, note, alias.terms, tuple(rest))


def task_names() -> list[str]:
    return sorted(TASKS)
