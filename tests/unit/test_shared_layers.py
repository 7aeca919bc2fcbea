"""shared/ by role, and the rule between the roles, read from the code's imports:

- `domain` and `events` import only each other and `shared/errors.py` (pure: no Kafka, no
  Redis, no HTTP);
- `messaging` and `persistence` never import `runtime` or `web`;
- no two modules of shared/ import each other, directly or around a circle;
- every module of shared/ is in one of the role packages (or is `shared/errors.py`).

Beside tests/unit/test_service_boundaries.py, which keeps the services apart."""

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "shared"
ROLES = ("domain", "events", "messaging", "persistence", "web", "runtime")
PURE = {"domain", "events", "errors"}
ALLOWED = {
    "domain": PURE,
    "events": PURE,
    "messaging": set(ROLES) - {"runtime", "web"} | {"errors"},
    "persistence": set(ROLES) - {"runtime", "web"} | {"errors"},
    "web": set(ROLES) | {"errors"},
    "runtime": set(ROLES) | {"errors"},
    "errors": set(),
}

Graph = dict[str, set[str]]


def module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> Graph:
    """Each module of shared/ and the modules of shared/ it imports (anywhere in the file,
    under TYPE_CHECKING too)."""
    modules = {module_of(path): path for path in SHARED.rglob("*.py")}
    graph: Graph = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    targets.add(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
        graph[name] = {t for t in targets if t in modules and t != name and t != "shared"}
    return graph


def role_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "shared"


def layer_violations(graph: Graph) -> list[str]:
    found = []
    for module, targets in sorted(graph.items()):
        role = role_of(module)
        if role not in ALLOWED:
            continue
        for target in sorted(targets):
            if role_of(target) != role and role_of(target) not in ALLOWED[role]:
                found.append(f"{module} ({role}) imports {target} ({role_of(target)})")
    return found


def circles(graph: Graph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def outside_the_roles() -> Iterator[str]:
    for path in sorted(SHARED.rglob("*.py")):
        module = module_of(path)
        if module not in ("shared", "shared.errors") and role_of(module) not in ROLES:
            yield module


def test_every_module_of_shared_is_in_a_role_package() -> None:
    assert list(outside_the_roles()) == []


def test_the_layer_rule_holds() -> None:
    assert layer_violations(import_graph()) == []


def test_no_modules_of_shared_import_each_other_around_a_circle() -> None:
    assert circles(import_graph()) == []


def test_a_domain_module_importing_messaging_breaks_the_rule() -> None:
    """The check itself: give the domain's catalogue an import of the delivery rules, and of
    it back, and both the rule and the circle are reported."""
    graph = import_graph()
    graph["shared.domain.catalogue"].add("shared.messaging.delivery")
    graph["shared.messaging.delivery"].add("shared.domain.catalogue")
    assert layer_violations(graph) == [
        "shared.domain.catalogue (domain) imports shared.messaging.delivery (messaging)"
    ]
    assert any("shared.domain.catalogue" in circle for circle in circles(graph))
