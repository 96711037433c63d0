"""The shape we keep (issue 20): the core (reports, events, areas, accounts) never imports a
feature; features (relief, SMS, maps, …) build on the core and register what the core
must know (derived figures, signals). Read from the source, so a new import is caught
before it runs."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "coordination"
CORE = {"reports", "areas", "auth", "events", "indicators", "numbers", "fields", "errors",
        "database", "derived", "idempotency", "phones", "formatting", "timeutil", "extensions",
        "selection", "http", "guard", "security", "config", "settings"}
FEATURES = {"relief", "sms", "maps", "dashboard", "exports", "deadlines", "admin", "offline",
            "backup", "situation", "review", "drill", "audit", "metrics"}


def _package(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return parts[0]


def imports_of(path: Path) -> set[str]:
    """The top-level coordination packages a module imports (absolute or relative)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    depth = len(path.relative_to(ROOT).parts) - 1  # folders below coordination/
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: climb to coordination/ and read the first name
                climb = node.level - 1
                if climb > depth:
                    continue
                here = list(path.relative_to(ROOT).parts[:depth - climb])
                target = here + (node.module.split(".") if node.module else [])
                if not target:  # from .. import fields
                    found.update(alias.name for alias in node.names)
                else:
                    found.add(target[0])
            elif node.module and node.module.startswith("coordination."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names
                         if a.name.startswith("coordination."))
    return found


def test_no_module_of_reports_imports_relief():
    offenders = {str(p.relative_to(ROOT)): imports_of(p) & {"relief"}
                 for p in (ROOT / "reports").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_core_imports_no_feature():
    offenders = {}
    for path in ROOT.rglob("*.py"):
        if _package(path) in CORE:
            bad = imports_of(path) & FEATURES
            if bad:
                offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_the_import_reader_sees_relative_imports():
    """The reader itself must be able to fail: a module that imports relief is seen."""
    assert imports_of(ROOT / "dashboard" / "board.py") >= {"reports", "auth"}
    assert "reports" in imports_of(ROOT / "sms" / "inbound.py")


def test_roles_are_named_only_by_the_access_rule():
    """`git grep -n "role ==\\|role in\\|\\.role" coordination` shows auth/ only (issue 20)."""
    pattern = re.compile(r"role ==|role in|\.role\b")
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in ROOT.rglob("*.py")
                 if _package(p) != "auth"
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if pattern.search(line)]
    templates = ROOT.parent / "templates"
    offenders += [f"templates/{p.relative_to(templates)}:{n}" for p in templates.rglob("*.html")
                  for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                  if pattern.search(line)]
    assert offenders == []
