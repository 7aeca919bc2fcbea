"""Services never import each other; they share only `shared`."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "deadline", "survey", "reporting", "exchange")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def cross_service_imports() -> list[str]:
    problems = []
    for service in SERVICES:
        for path in (ROOT / "services" / service).rglob("*.py"):
            for module in imported_modules(path):
                parts = module.split(".")
                if parts[0] == "services" and len(parts) > 1 and parts[1] != service:
                    problems.append(f"{path.relative_to(ROOT)} imports {module}")
    return problems


def shared_imports_of_services() -> list[str]:
    return [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in (ROOT / "shared").rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] == "services"
    ]


def test_no_service_imports_another_service() -> None:
    assert cross_service_imports() == []


def test_shared_does_not_import_services() -> None:
    assert shared_imports_of_services() == []


def test_the_scan_catches_a_cross_import(tmp_path: Path) -> None:
    offender = tmp_path / "x.py"
    offender.write_text("from services.deadline.store import X\nimport services.survey.app\n")
    assert imported_modules(offender) == {"services.deadline.store", "services.survey.app"}
