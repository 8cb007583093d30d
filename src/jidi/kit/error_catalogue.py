"""The error-code reference, generated from the code itself: every `AppError("code", N_("message"), status)` written
anywhere in jidi (jidi.errors and the features' own), found by reading the source, so a new error is listed without
anyone keeping a list. The /api/errors page shows it in the reader's language; messages are gettext ids, and their
{placeholders} are filled at run time with numbers or field names, never a value someone sent."""
from __future__ import annotations

import ast
import dataclasses
import functools
from pathlib import Path

import jidi
from jidi.errors import AppError
from jidi.i18n import N_


@dataclasses.dataclass(frozen=True)
class ErrorCode:
    code: str
    status: int
    messages: tuple[str, ...]  # gettext ids, as written
    modules: tuple[str, ...]  # where it is raised, e.g. jidi.shipping.service


# Errors whose message is built at run time rather than written as one literal.
BUILT = {
    "invalid_input": (422, N_("The request's fields that are missing or invalid are named (never the values sent).")),
}


def _literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "N_" and node.args:
        return _literal(node.args[0])
    return None


def _app_errors(tree: ast.AST):
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name != "AppError" or not node.args:
            continue
        code = _literal(node.args[0])
        if code is None:
            continue
        message = _literal(node.args[1]) if len(node.args) > 1 and isinstance(node.args[1], ast.Call) else None
        status = AppError.status
        status_node = node.args[2] if len(node.args) > 2 else next((k.value for k in node.keywords if k.arg == "status"), None)
        if isinstance(status_node, ast.Constant) and isinstance(status_node.value, int):
            status = status_node.value
        yield code, message, status


@functools.cache
def catalogue() -> tuple[ErrorCode, ...]:
    """Every error code, sorted: its status, its messages and the modules that raise it."""
    root = Path(jidi.__file__).parent
    found: dict[str, dict] = {}
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = ".".join(("jidi", *path.relative_to(root).with_suffix("").parts)).removesuffix(".__init__")
        for code, message, status in _app_errors(ast.parse(path.read_text(encoding="utf-8"))):
            entry = found.setdefault(code, {"status": status, "messages": [], "modules": []})
            if message and message not in entry["messages"]:
                entry["messages"].append(message)
            if module not in entry["modules"]:
                entry["modules"].append(module)
    for code, (status, message) in BUILT.items():
        entry = found.setdefault(code, {"status": status, "messages": [], "modules": []})
        entry["messages"] = [message]
    return tuple(ErrorCode(code, e["status"], tuple(e["messages"]), tuple(e["modules"])) for code, e in sorted(found.items()))
