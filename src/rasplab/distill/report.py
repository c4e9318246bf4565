"""The distillation report: an output folder with the program (.rasp), a JSON summary, and a
Markdown report with pictures (selectors beside their heads, agreement per length)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rasplab.distill.guidance import selector_target
from rasplab.jsonio import to_jsonable
from rasplab.lang import evaluate

if TYPE_CHECKING:
    from rasplab.distill.result import DistillResult


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


_WEIGHTS = {"inputs": "each input counted once",
            "task": "lengths weighed as the task's inputs are distributed",
            "given": "lengths weighed by the given proportions",
            "distinct": "each length weighed by its number of distinct inputs, capped at the "
                        "number checked there"}


def _method(v: Any) -> str:
    """How the agreement was measured, in words (exhaustive, or stratified by length)."""
    weights = _WEIGHTS.get(v.weights, v.weights)
    if v.method == "exhaustive":
        return f"checked exhaustively: all {v.n} inputs up to the model's length ({weights})"
    most = max(v.n_by_length.values(), default=0)
    return (f"checked on {v.n} inputs stratified by length (up to {most} per length; "
            f"{weights})")


def write_report(result: "DistillResult", out_dir: str | Path,
                 example_input: list[Any] | None = None) -> Path:
    """Write program.rasp, summary.json, report.md and its PNGs into `out_dir`; returns the .md."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "program.rasp").write_text(result.source)
    (out / "summary.json").write_text(json.dumps(to_jsonable(result.summary()), indent=2) + "\n")
    v = result.verification
    pictures = not result.interrupted  # after Ctrl-C the user waits for the program, not plots
    if pictures:  # late: matplotlib loads only when pictures are drawn
        from rasplab.viz.distill_plots import agreement_by_length, selector_vs_head

        agreement_by_length(v.agreement_by_length, v.longer_program_correct,
                            v.longer_model_correct, out / "agreement_by_length.png")

    lines = [f"# Distillation of {result.model_description}", "",
             f"Task: `{result.task or 'unknown'}` · queries: {result.n_queries} · "
             f"search rounds: {result.rounds} · time: {result.seconds:.1f} s", "",
             "## Program", "", "```", result.source.rstrip(), "```", "",
             "## Agreement with the model", "",
             f"- {_method(v)}; exact agreement **{_pct(v.agreement)}** "
             f"(per token {_pct(v.token_agreement)})"]
    if v.program_correct is not None:
        lines += [f"- against the task's ground truth: program {_pct(v.program_correct)}, "
                  f"model {_pct(v.model_correct)}",
                  f"- inputs where the model is wrong and the program right: "
                  f"{v.model_wrong_program_right}; program wrong and model right: "
                  f"{v.program_wrong_model_right}"]
    if v.longer_program_correct:
        lines.append("- longer than trained: " + ", ".join(
            f"n={k}: program {_pct(p)} / model {_pct(v.longer_model_correct.get(k))}"
            for k, p in v.longer_program_correct.items()))
    lines += ["", "| length | inputs checked | weight | agreement |", "| --- | --- | --- | --- |"]
    lines += [f"| {k} | {v.n_by_length.get(k, '–')} | {_pct(v.weight_by_length.get(k))} | "
              f"{_pct(a)} |" for k, a in v.agreement_by_length.items()]
    lines += ["", "![agreement per length](agreement_by_length.png)" if pictures else
              "(pictures skipped: the run was interrupted)", ""]
    if v.examples_of_disagreement:
        lines += ["Inputs where they differ (first few):", ""]
        lines += [f"- `{''.join(map(str, d['input']))}`: model {d['model']}, "
                  f"program {d['program']}" for d in v.examples_of_disagreement]
        lines.append("")

    if result.head_matches:
        lines += ["## Selectors and the heads that implement them", "",
                  "| selector | head | similarity |", "| --- | --- | --- |"]
        patterns = result.example_patterns
        for i, m in enumerate(result.head_matches):
            lines.append(f"| `{m['selector']}` | `{m['head']}` | {m['score']:.3f} |")
        lines.append("")
        if pictures and example_input is not None and patterns is not None:
            for i, m in enumerate(result.head_matches):
                sel_mat = evaluate(m["node"], [example_input])[0]
                head_mat = patterns[m["head"]][0]
                png = f"selector_{i}.png"
                selector_vs_head(selector_target(sel_mat), head_mat, example_input,
                                 m["selector"][:60], f"{m['head']} ({m['score']:.2f})", out / png)
                lines += [f"![selector {i} vs {m['head']}]({png})", ""]
    else:
        lines += ["## Selectors and heads", "", "The model exposes no attention (black box), or "
                  "the program uses no selector.", ""]
    md = out / "report.md"
    md.write_text("\n".join(lines) + "\n")
    return md
