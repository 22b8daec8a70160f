"""The arrows between the three packages go one way (docs/architecture.md):

    dashboard → prism_client → (HTTP) → prism_sandbox or the real Prism API

prism_client imports no Django; prism_sandbox imports neither of the others; the
dashboard reaches the sandbox only over HTTP (settings and URLs may name it as text).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "prism_client": ("django", "dashboard", "prism_sandbox"),
    "prism_sandbox": ("dashboard", "prism_client"),
    "dashboard": ("prism_sandbox",),
}


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", list(FORBIDDEN))
def test_a_package_imports_nothing_its_arrows_forbid(package):
    offences = []
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    for path in files:
        for module in imported_modules(path):
            top = module.split(".")[0]
            if top in FORBIDDEN[package]:
                offences.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offences == []


def test_the_check_would_catch_an_offence(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import django.db\nfrom prism_sandbox.models import Record\nfrom . import sibling\n")
    assert imported_modules(bad) == {"django.db", "prism_sandbox.models"}
