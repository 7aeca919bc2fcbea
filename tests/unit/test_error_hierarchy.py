"""One error hierarchy (shared/errors.py): every error class of the services and of shared/
derives from it, and the services map none of them themselves: HTTP answers are mapped once in
shared/web/http_errors.py and dead letters once in shared/messaging/delivery.py."""

import ast
import importlib
from pathlib import Path

from shared.errors import ProjectError, RejectedError

ROOT = Path(__file__).resolve().parents[2]
# a handler of its own: its answer carries the dossier's state and the steps it allows
OWN_ANSWERS = {"IllegalStepError"}


def error_classes() -> list[tuple[str, str]]:
    found = []
    for folder in ("services", "shared"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for node in ast.parse(path.read_text()).body:
                if isinstance(node, ast.ClassDef) and node.name.endswith("Error"):
                    found.append((module, node.name))
    return found


def test_every_error_class_derives_from_the_projects_base() -> None:
    outside = [
        f"{module}.{name}"
        for module, name in error_classes()
        if not issubclass(getattr(importlib.import_module(module), name), ProjectError)
    ]
    assert outside == []
    assert len(error_classes()) >= 25


def test_the_services_map_no_error_themselves() -> None:
    own = []
    for path in sorted((ROOT / "services").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            call = node if isinstance(node, ast.Call) else None
            if call is None or not isinstance(call.func, ast.Attribute):
                continue
            if call.func.attr == "add_exception_handler" and call.args:
                handled = ast.unparse(call.args[0])
                if handled not in OWN_ANSWERS:
                    own.append(f"{path.relative_to(ROOT)} answers {handled} itself")
            if ast.unparse(call.func).endswith("RejectedMessageError"):
                own.append(f"{path.relative_to(ROOT)} translates to a dead letter itself")
    assert own == []


def test_a_rejection_carries_its_answer_and_its_dead_letter_reason() -> None:
    from services.intake.service.desk import DossierNotFoundError
    from shared.web.api_keys import AccessDeniedError

    missing = DossierNotFoundError("no dossier UBND.Q1-260302-0001")
    assert isinstance(missing, RejectedError)
    assert (missing.http_status, missing.dead_letter_reason) == (
        404,
        "no dossier UBND.Q1-260302-0001",
    )
    denied = AccessDeniedError("client desk may not act for UBND.Q1")
    assert (denied.http_status, denied.dead_letter_reason) == (
        403,
        "forbidden: client desk may not act for UBND.Q1",
    )
