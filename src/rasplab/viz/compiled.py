"""Picture of a compiled transformer: which program node lives in which head or MLP of which
layer, and each head's attention pattern on an example input (PNG)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

#: characters of layout text per line (the text column is sized for this many)
TEXT_CHARS = 56
#: inches: a line of 8-point monospace text (height, character width), a heatmap, the room
#: around a heatmap for its title (above), tick labels (left) and tick labels and axis name
#: (below), and the title of the whole picture
LINE_H, CHAR_W, PANEL = 0.16, 0.07, 2.4
ABOVE, LEFT, BELOW, TOP = 0.3, 0.75, 0.75, 0.5


def _default_input(model: Any) -> list[Any]:
    vocab, n = model.cfg.vocab, model.cfg.max_len
    return [vocab[i % len(vocab)] for i in range(n)]


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _layer_text(layer: int, entries: list[dict]) -> list[str]:
    """What a layer computes: its heads, its MLPs, and how many clearing MLPs it has."""
    lines = [f"layer {layer}"]
    for r in entries:
        if r["block"] == "attn":
            lines.append(f"  head {r['head']}: {r['label'].split('#')[0]} ({r['kind']})")
    cleared = 0
    for r in entries:
        if r["block"] == "mlp" and r["kind"] == "clear":
            cleared += 1
        elif r["block"] == "mlp":
            lines.append(f"  mlp: {r['label'].split('#')[0]} ({r['units']} units)")
    if cleared:
        lines.append(f"  + {cleared} clearing MLP{'s' if cleared > 1 else ''}")
    return [_short(line, TEXT_CHARS) for line in lines]


def plot_compiled(model: Any, path: str | os.PathLike[str],
                  example: Sequence[Any] | None = None) -> Path:
    """Draw the layer layout and the attention of every head on `example`; returns the path.

    One band per layer: its text on the left, its heads' patterns to the right; a layer with no
    head takes only the height of its text. Places are computed in inches, so text, titles and
    tick labels never run into each other."""
    path = Path(path)
    cfg = model.cfg
    x = list(example) if example is not None else _default_input(model)
    outputs, patterns = model.predict([x], return_patterns=True)
    layers = list(range(max(cfg.n_layers, 1)))
    entries = {i: [r for r in cfg.layout if r["layer"] == i] for i in layers}
    heads = {i: [r for r in entries[i] if r["block"] == "attn"] for i in layers}
    texts = {i: _layer_text(i, entries[i]) for i in layers}
    cols = max([len(h) for h in heads.values()] + [1])
    text_w = TEXT_CHARS * CHAR_W + 0.2
    band = {i: max(LINE_H * len(texts[i]) + 0.25,
                   ABOVE + PANEL + BELOW if heads[i] else 0.0) for i in layers}
    width, height = text_w + cols * (LEFT + PANEL + 0.15), TOP + sum(band.values())
    fig = plt.figure(figsize=(width, height), dpi=100)
    labels = ["BOS"] + [f"{t} {i}" for i, t in enumerate(x)]
    top = TOP  # inches from the top of the figure to the current band
    for i in layers:
        fig.text(0.1 / width, 1 - top / height, "\n".join(texts[i]), va="top", ha="left",
                 family="monospace", fontsize=8)
        for col, r in enumerate(heads[i]):
            left = text_w + col * (LEFT + PANEL + 0.15) + LEFT
            ax = fig.add_axes((left / width, 1 - (top + ABOVE + PANEL) / height,
                               PANEL / width, PANEL / height))
            pattern = patterns[0][f"blocks.{i}.attn.hook_pattern"][r["head"]]
            ax.imshow(pattern, vmin=0.0, vmax=1.0, cmap="Blues", aspect="auto")
            ax.set_title(_short(f"L{i}H{r['head']}: {r['label'].split('#')[0]}", 34),
                         fontsize=8)
            ax.set_xticks(range(len(labels)), labels, fontsize=6, rotation=90)
            ax.set_yticks(range(len(labels)), labels, fontsize=6)
            ax.set_xlabel("key", fontsize=7)
            ax.set_ylabel("query", fontsize=7)
        top += band[i]
    shown = " ".join(map(str, outputs[0]))
    fig.suptitle(_short(f"compiled: {cfg.n_layers} layers, d_model {cfg.d_model}; input "
                        f"{' '.join(map(str, x))} -> {shown}", 120), fontsize=9,
                 y=1 - 0.15 / height, va="top")
    fig.savefig(path, bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)
    return path
