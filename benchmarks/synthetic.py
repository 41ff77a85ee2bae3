"""Small real inputs for tests, demos and the benchmark script.

`draw_image_dataset` paints a class-folder image dataset with PIL (shapes, colours and textures
that differ by class). `write_local_timm_weights` writes a timm model's *locally initialised*
weights (not pretrained ones) into the standard Hugging Face cache layout, so the real loaders can
be exercised offline; anything measured with them says nothing about pretrained quality.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

CLASS_STYLES = {
    "circles": ((220, 40, 40), "ellipse"),
    "squares": ((40, 180, 60), "rectangle"),
    "triangles": ((50, 80, 220), "polygon"),
    "stripes": ((230, 200, 40), "stripes"),
    "dots": ((200, 60, 200), "dots"),
    "rings": ((40, 200, 200), "ring"),
}
LOCAL_REVISION = "0" * 40  # a made-up commit hash: these snapshots never came from the Hub


def _draw(kind: str, colour: tuple[int, int, int], size: int, rng: random.Random):
    from PIL import Image, ImageDraw

    background = tuple(rng.randint(0, 70) for _ in range(3))
    image = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(image)
    jitter = tuple(max(0, min(255, c + rng.randint(-30, 30))) for c in colour)
    lo, hi = size // 6, size - size // 6
    x0, y0 = rng.randint(lo // 2, size // 3), rng.randint(lo // 2, size // 3)
    x1, y1 = rng.randint(2 * size // 3, hi), rng.randint(2 * size // 3, hi)
    if kind == "ellipse":
        draw.ellipse((x0, y0, x1, y1), fill=jitter)
    elif kind == "rectangle":
        draw.rectangle((x0, y0, x1, y1), fill=jitter)
    elif kind == "polygon":
        draw.polygon([((x0 + x1) // 2, y0), (x0, y1), (x1, y1)], fill=jitter)
    elif kind == "stripes":
        step = rng.randint(4, 8)
        for x in range(0, size, step * 2):
            draw.rectangle((x, 0, x + step - 1, size), fill=jitter)
    elif kind == "dots":
        for _ in range(rng.randint(8, 16)):
            cx, cy, r = rng.randint(0, size), rng.randint(0, size), rng.randint(2, 5)
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=jitter)
    else:
        draw.ellipse((x0, y0, x1, y1), outline=jitter, width=max(2, size // 12))
    return image


def draw_image_dataset(root: str | Path, classes: int = 4, per_class: int = 12, size: int = 64, seed: int = 0,
                       fmt: str = "PNG") -> Path:
    """Write `classes` folders of `per_class` procedurally drawn images under `root`."""
    root = Path(root)
    rng = random.Random(seed)
    for name, (colour, kind) in list(CLASS_STYLES.items())[:classes]:
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            _draw(kind, colour, size, rng).save(folder / f"{name}_{i:03d}.{fmt.lower().replace('jpeg', 'jpg')}", fmt)
    return root


def write_local_timm_weights(name: str, hub_cache: str | Path, seed: int = 0) -> Path:
    """Write locally initialised weights of timm model `name` (e.g. test_resnet.r160_in1k) as the Hub
    snapshot `timm/<name>` in `hub_cache` (huggingface_hub's layout: models--timm--<name>/
    {refs/main, snapshots/<rev>/model.safetensors, config.json}). Returns the snapshot folder."""
    import timm
    import torch
    from safetensors.torch import save_file

    torch.manual_seed(seed)
    model = timm.create_model(name, pretrained=False)
    repo = Path(hub_cache) / f"models--timm--{name}"
    snapshot = repo / "snapshots" / LOCAL_REVISION
    snapshot.mkdir(parents=True, exist_ok=True)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(LOCAL_REVISION)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(snapshot / "model.safetensors"))
    config = {"architecture": name.split(".")[0], "num_classes": model.num_classes,
              "pretrained_cfg": {k: v for k, v in model.pretrained_cfg.items() if isinstance(v, (str, int, float, list, tuple))},
              "note": "locally initialised weights written for tests; not pretrained"}
    (snapshot / "config.json").write_text(json.dumps(config, default=list))
    return snapshot


def write_local_bert(repo_id: str, hub_cache: str | Path, words: list[str], seed: int = 0) -> Path:
    """Write a tiny BERT encoder with LOCALLY INITIALISED weights (not pretrained) and a word-level
    vocabulary as the Hub snapshot `repo_id` in `hub_cache`, for offline text-probe tests."""
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(seed)
    repo = Path(hub_cache) / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / LOCAL_REVISION
    snapshot.mkdir(parents=True, exist_ok=True)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(LOCAL_REVISION)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(set(words))]
    (snapshot / "vocab.txt").write_text("\n".join(vocab) + "\n")
    (snapshot / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": 64}))
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64)
    BertModel(config).save_pretrained(snapshot, safe_serialization=True)
    return snapshot
