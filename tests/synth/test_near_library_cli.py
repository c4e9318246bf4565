"""NEAR with learned abstractions as productions, and `rasplab synth --method near`."""
import json
from types import SimpleNamespace

from rasplab.cli.main import main
from rasplab.synth.near.abstractions import library_productions
from rasplab.synth.near.grammar import holes, show
from rasplab.synth.near.holes import SelectorHole, SOpHole


def test_abstractions_become_productions_with_typed_holes() -> None:
    lib = [SimpleNamespace(name="fn_0", body="(selector_width (select #1 #1 #0))"),
           SimpleNamespace(name="fn_6", body="(selector_width (and (select #1 #1 le) #0))"),
           SimpleNamespace(name="fn_c", body="(aggregate (select indices indices le) "
                                             "(indicator (eq tokens #0)))"),
           SimpleNamespace(name="fn_t", body="(map (fn add %0 #0) tokens)")]
    prods = {p.name: p for p in library_productions(lib)}
    assert "fn_0[lt]" in prods and "fn_0[eq]" in prods  # predicate holes are specialised
    built = prods["fn_0[lt]"].build(None)
    assert show(built) == "(selector_width (select ?sop ?sop <))"
    found = list(holes(built))
    assert found[0] is found[1]  # #1 twice is one hole
    kinds = [type(h) for h in holes(prods["fn_6"].build(None))]
    assert kinds == [SOpHole, SOpHole, SelectorHole]
    assert "fn_t" not in prods  # a literal argument has no hole type
    a, b = prods["fn_c"].build(None), prods["fn_c"].build(None)
    assert next(holes(a)) is not next(holes(b))  # each use gets fresh holes


def test_cli_synth_near_json_and_plot(tmp_path, capsys) -> None:
    examples = tmp_path / "ex.jsonl"
    rows = [{"input": list("abcde"[:n]), "output": [n] * n} for n in range(1, 6)]
    examples.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    plot = tmp_path / "near.png"
    code = main(["synth", "--examples", str(examples), "--method", "near", "--timeout", "30",
                 "--json", "--plot", str(plot)])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["solved"] and doc["method"] == "near"
    assert {"program", "sexpr", "accuracy", "seconds", "candidates"} <= set(doc)
    assert plot.stat().st_size > 1000
