"""Pictures for a distillation report: a program's selectors beside the heads that match them,
and the program's agreement with the model per input length."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

import rasplab.viz  # noqa: F401  (Agg backend)


def selector_vs_head(selector: np.ndarray, head: np.ndarray, tokens: list[Any], title_sel: str,
                     title_head: str, path: str | Path) -> None:
    """Two heatmaps side by side: a selector (as the caller wants it shown, e.g. row-normalised
    to the attention a head implementing it would show) and the head's attention.

    Rows and columns are labelled with token and position ("a 3"): letters repeat."""
    n = len(tokens)
    fig, axes = plt.subplots(1, 2, figsize=(2.2 + 0.45 * 2 * n, 1.2 + 0.45 * n))
    labels = [f"{t} {i}" for i, t in enumerate(tokens)]
    for ax, mat, title in ((axes[0], selector, title_sel),
                           (axes[1], head, title_head)):
        ax.imshow(mat, vmin=0, vmax=1, cmap="Blues")
        ax.set_title(title, fontsize=8)
        ax.set_xticks(range(n), labels, fontsize=7, rotation=90)
        ax.set_yticks(range(n), labels, fontsize=7)
        ax.set_xlabel("key", fontsize=7)
        ax.set_ylabel("query", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def agreement_by_length(by_length: dict[int, float], longer_program: dict[int, float],
                        longer_model: dict[int, float], path: str | Path) -> None:
    """Bars: agreement with the model per length; beyond training lengths, accuracy of each."""
    fig, ax = plt.subplots(figsize=(6, 3))
    ks = sorted(by_length)
    ax.bar(ks, [by_length[k] for k in ks], color="tab:blue", label="program = model")
    if longer_program:
        ls = sorted(longer_program)
        ax.bar([k - 0.2 for k in ls], [longer_program[k] for k in ls], width=0.4,
               color="tab:green", label="program correct (longer)")
        lm = sorted(longer_model)
        ax.bar([k + 0.2 for k in lm], [longer_model[k] for k in lm], width=0.4,
               color="tab:orange", label="model correct (longer)")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("input length")
    ax.set_ylabel("fraction of inputs")
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
