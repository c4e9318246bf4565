"""The import contract: imports run one way along the pipeline
`lang -> tasks -> compiler | models -> synth -> distill -> cli`; `parallel`, `viz` and the
top-level modules are infrastructure. Every `rasplab.*` import counts, top-level or inside a
function, so a late import cannot hide a back arrow."""
from __future__ import annotations

import ast
from pathlib import Path

import rasplab

SRC = Path(rasplab.__file__).resolve().parent

#: a stage may import its own package and stages of lower rank; equal ranks are siblings
RANK = {"lang": 0, "tasks": 1, "compiler": 2, "models": 2, "synth": 3, "distill": 4, "cli": 5}
#: infrastructure packages and the stages each may not import
INFRA_FORBIDS = {"parallel": set(RANK), "viz": {"synth", "distill", "cli"}}
#: top-level modules (errors, jsonio, ...) are neutral ground: they import no package


def _module_name(path: Path) -> str:
    parts = ("rasplab",) + path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_in(source: str, module: str, is_init: bool = False) -> list[tuple[str, int]]:
    """Every `rasplab.*` module that `source` (the text of `module`) imports, anywhere in the
    file, with its line; relative imports are resolved."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name.startswith("rasplab")]
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                package = module.split(".") if is_init else module.split(".")[:-1]
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([target] if target else []))
            if target.startswith("rasplab"):
                found.append((target, node.lineno))
    return found


def _unit(module: str) -> str:
    """The package a module belongs to (`rasplab.synth.api` -> synth), or the top-level
    module's own name (`rasplab.errors` -> errors)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "rasplab"


def _is_package(unit: str) -> bool:
    return (SRC / unit).is_dir()


def why_forbidden(src: str, dst: str) -> str | None:
    """The rule an import from unit `src` to unit `dst` breaks, or None."""
    if src == dst or dst == "rasplab":
        return None
    if dst == "cli":
        return "nothing outside cli imports cli"
    if not _is_package(src) and _is_package(dst):
        return f"top-level module {src} is neutral ground and imports no package"
    if src in INFRA_FORBIDS and dst in INFRA_FORBIDS[src]:
        return f"{src} is infrastructure and imports no {dst}"
    if src in RANK and dst in RANK:
        if RANK[dst] == RANK[src]:
            return f"{src} and {dst} are siblings and import neither each other"
        if RANK[dst] > RANK[src]:
            return f"{dst} comes after {src} in the pipeline"
    return None


def back_arrows() -> list[str]:
    arrows = []
    for path in sorted(SRC.rglob("*.py")):
        src = _unit(_module_name(path))
        for target, line in imports_in(path.read_text(), _module_name(path),
                                       path.name == "__init__.py"):
            reason = why_forbidden(src, _unit(target))
            if reason:
                arrows.append(f"{path.relative_to(SRC.parent)}:{line} imports {target} ({reason})")
    return arrows


def test_imports_run_one_way_along_the_pipeline():
    arrows = back_arrows()
    assert not arrows, "back arrows in the import graph:\n  " + "\n  ".join(arrows)


def test_the_contract_catches_back_arrows():
    assert why_forbidden("lang", "synth") and why_forbidden("compiler", "models")
    assert why_forbidden("parallel", "synth") and why_forbidden("viz", "distill")
    assert why_forbidden("distill", "cli") and why_forbidden("errors", "lang")
    assert not why_forbidden("distill", "synth") and not why_forbidden("synth", "parallel")
    assert not why_forbidden("cli", "jsonio") and not why_forbidden("lang", "errors")


def test_late_and_relative_imports_are_seen():
    source = ("import numpy\nfrom rasplab.lang import ast\n\n\ndef f():\n"
              "    from rasplab.synth import synthesize\n    from ..cli import common\n")
    found = imports_in(source, "rasplab.parallel.local")
    assert found == [("rasplab.lang", 2), ("rasplab.synth", 6), ("rasplab.cli", 7)]
    assert [why_forbidden("parallel", _unit(t)) is not None for t, _ in found] == [
        True, True, True]
