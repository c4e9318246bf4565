"""Pictures that can be read: a compiled model's text never runs into its heatmaps and a layer
without heads takes no panel row; ticks name token and position; one evaluation still shows."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from rasplab.compiler import compile_program
from rasplab.lang.library import get_program
from rasplab.viz.compiled import plot_compiled
from rasplab.viz.distill_plots import selector_vs_head
from rasplab.viz.learning_curve import plot_learning_curve


@pytest.fixture
def figures(monkeypatch):
    """The figures the plotting functions close, kept open for inspection."""
    kept: list = []
    close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig=None: kept.append(fig))
    yield kept
    for fig in kept:
        close(fig)


def _boxes(fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [t.get_window_extent(renderer) for t in fig.texts if t.get_text()
             and t is not fig._suptitle]
    axes = [ax.get_tightbbox(renderer) for ax in fig.axes]
    return texts, axes, fig._suptitle.get_window_extent(renderer)


def test_compiled_picture_has_no_overlaps_and_one_panel_per_head(tmp_path, figures):
    model = compile_program(get_program("most_freq"), list("abc"), 5)  # 6 layers, 2 without heads
    plot_compiled(model, tmp_path / "m.png")
    fig = figures[-1]
    heads = sum(1 for r in model.cfg.layout if r["block"] == "attn")
    assert len(fig.axes) == heads  # layers without heads add no empty panels
    texts, axes, title = _boxes(fig)
    assert len(texts) == model.cfg.n_layers
    for box in texts + [title]:
        assert not any(box.overlaps(a) for a in axes)
    for i, a in enumerate(axes):
        assert not any(a.overlaps(b) for b in axes[i + 1:])
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[:3] == ["BOS", "a 0", "b 1"]
    assert (tmp_path / "m.png").stat().st_size > 0


def test_one_evaluation_is_drawn_as_markers(tmp_path, figures):
    plot_learning_curve([{"step": 250, "loss": 0.5, "val_accuracy": 0.4,
                          "val_sequence_accuracy": 0.1}], tmp_path / "c.png")
    fig = figures[-1]
    lines = [line for ax in fig.axes for line in ax.get_lines()]
    assert len(lines) == 3 and all(line.get_marker() not in (None, "", "None", ".")
                                   for line in lines)


def test_selector_pictures_name_token_and_position(tmp_path, figures):
    tokens = list("hello")
    sel = np.array([[a == b for b in tokens] for a in tokens])
    selector_vs_head(sel, sel / sel.sum(1, keepdims=True), tokens, "select", "L0H0",
                     tmp_path / "s.png")
    ax = figures[-1].axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["h 0", "e 1", "l 2", "l 3", "o 4"]
