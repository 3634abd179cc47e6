"""The package layout is the design (docs/rules.md §3): lower layers never import higher ones.

Every import counts, including the ones made inside a function, so a cycle cannot hide
behind a lazy import.
"""

import ast
from pathlib import Path

import pytest

import lautex_registry

PACKAGE = Path(lautex_registry.__file__).parent
# From the bottom up; a module may import its own layer and the ones below it.
LAYERS = ("platform", "records", "statement", "rights", "marketing", "erasure", "setup", "demo")
FRONT_ENDS = ("cli", "__main__")
DOMAIN = LAYERS[:-2]  # the layers that hold the register's rules


def layer_of(module: str) -> str:
    """`lautex_registry.records.customers` -> `records`; a top-level module is its own name."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    return ".".join(part for part in relative.parts if part != "__init__")


def imports(path: Path) -> list[str]:
    """Every module named by an import in the file, at any depth."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return found


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_sits_in_a_layer() -> None:
    stray = [
        module_name(path)
        for path in SOURCES
        if layer_of(module_name(path)) not in (*LAYERS, *FRONT_ENDS, "")
    ]
    assert stray == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: module_name(path))
def test_no_module_imports_a_higher_layer(path: Path) -> None:
    own = layer_of(module_name(path))
    if own in FRONT_ENDS or own == "":
        return
    allowed = set(LAYERS[: LAYERS.index(own) + 1])
    upward = [
        name
        for name in imports(path)
        if name.startswith("lautex_registry.")
        and layer_of(name) in (*LAYERS, *FRONT_ENDS)
        and layer_of(name) not in allowed
    ]
    assert upward == [], f"{module_name(path)} ({own}) imports {upward}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: module_name(path))
def test_the_domain_never_imports_the_terminal(path: Path) -> None:
    if layer_of(module_name(path)) not in DOMAIN:
        return
    terminal = [name for name in imports(path) if name.split(".")[0] in ("typer", "rich", "click")]
    assert terminal == []


@pytest.mark.parametrize("layer", LAYERS[:-1])
def test_each_package_says_what_it_may_import(layer: str) -> None:
    """The docstring a maintainer reads first names exactly the layers below."""
    doc = ast.get_docstring(ast.parse((PACKAGE / layer / "__init__.py").read_text())) or ""
    assert "May import:" in doc
    said = doc.split("May import:", 1)[1]
    for lower in LAYERS[: LAYERS.index(layer)]:
        assert f"`{lower}`" in said or "every domain package" in said, (layer, lower)
    for higher in LAYERS[LAYERS.index(layer) + 1 : -1]:
        assert f"`{higher}`" not in said, (layer, higher)


def test_commands_get_their_write_transaction_from_the_workspace() -> None:
    """A command never opens a transaction of its own: `open_workspace(ctx, write=True)` or
    `ws.writing()` does (docs/rules.md §3), so every command writes the same way."""
    own = [
        module_name(path)
        for path in SOURCES
        if layer_of(module_name(path)) == "cli"
        and path.name != "context.py"
        and "lautex_registry.platform.db.transaction" in imports(path)
    ]
    assert own == []


def test_no_import_cycle_hides_behind_a_lazy_import() -> None:
    """Within a layer too, modules form no cycle, counting imports made inside functions:
    a lazy import is for start-up speed, never a way around a cycle (docs/rules.md §3)."""
    modules = {module_name(path): path for path in SOURCES}
    graph = {
        name: sorted({target for target in imports(path) if target in modules} - {name})
        for name, path in modules.items()
    }
    done: set[str] = set()

    def cycle_from(start: str, trail: list[str]) -> list[str] | None:
        if start in trail:
            return [*trail[trail.index(start) :], start]
        if start in done:
            return None
        for target in graph[start]:
            found = cycle_from(target, [*trail, start])
            if found:
                return found
        done.add(start)
        return None

    cycles = [cycle for name in sorted(graph) if (cycle := cycle_from(name, []))]
    assert cycles == []
