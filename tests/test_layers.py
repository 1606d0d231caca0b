"""The layer rules in `.importlinter` hold, and a wrong arrow breaks them (`make lint` runs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("assistant", "providers", "indexer", "tui")


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    if not exe.exists():
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(exe), str(tree / ".importlinter")],
        cwd=tree, env=env, capture_output=True, text=True, timeout=120,
    )


def _copy_tree(dest: Path) -> Path:
    for name in PACKAGES:
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", dest / ".importlinter")
    return dest


def test_the_project_keeps_its_layer_contracts() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "wrong_import", "contract"),
    [
        ("indexer/scan.py", "import tui.app", "The indexer knows nothing of chat"),
        ("providers/base.py", "import assistant.store", "Providers know nothing"),
        ("assistant/store/db.py", "import assistant.orchestrator", "The store runs SQL"),
        (
            "assistant/orchestrator/core.py", "import assistant.server.app",
            "never import a front end",
        ),
        ("assistant/server/fireside_routes.py", "import assistant.server.app",
         "The API's routes do not import the app"),
        ("tui/session_sidebar.py", "import assistant.store", "The TUI uses the core"),
        ("tui/app.py", "from providers.router import HostedPreview", "The TUI uses the core"),
    ],
)
def test_a_planted_wrong_import_fails_the_lint(
    tmp_path: Path, module: str, wrong_import: str, contract: str
) -> None:
    tree = _copy_tree(tmp_path)
    target = tree / module
    target.write_text(target.read_text() + f"\n{wrong_import}  # planted by the test\n")
    result = _lint_imports(tree)
    assert result.returncode != 0
    assert _verdict(result.stdout, contract) == "BROKEN"


def _verdict(report: str, contract: str) -> str:
    """KEPT or BROKEN, as lint-imports printed it after the contract's (possibly wrapped) name."""
    flat = " ".join(report.split())
    start = flat.index(" ".join(contract.split()))
    words = flat[start:].split()
    return next(w for w in words if w in ("KEPT", "BROKEN"))


# What providers/ and indexer/ may take from assistant/: the shared base only.
SHARED_BASE = frozenset({
    "assistant.errors", "assistant.config", "assistant.config_file", "assistant.config_mcp",
    "assistant.paths", "assistant.secrets", "assistant.costs", "assistant.events",
})


def upward_imports(package: Path) -> list[str]:
    """Every import of an ``assistant`` module outside the shared base in ``package``'s
    files, lazy (in-function) and TYPE_CHECKING ones included, as ``file:line module``."""
    import ast

    found = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if (name == "assistant" or name.startswith("assistant.")) and not any(
                    name == base or name.startswith(base + ".") for base in SHARED_BASE
                ):
                    found.append(f"{path.relative_to(package.parent)}:{node.lineno} {name}")
    return found


@pytest.mark.parametrize("package", ["providers", "indexer"])
def test_lower_layers_take_only_the_shared_base_from_assistant(package: str) -> None:
    assert upward_imports(ROOT / package) == []


def test_an_upward_import_below_the_core_is_found(tmp_path: Path) -> None:
    pkg = tmp_path / "providers"
    pkg.mkdir()
    (pkg / "ok.py").write_text("from assistant.errors import ModelError\n", encoding="utf-8")
    (pkg / "bad.py").write_text(
        "def f():\n    from assistant.orchestrator import Orchestrator\n", encoding="utf-8"
    )
    assert upward_imports(pkg) == ["providers/bad.py:2 assistant.orchestrator"]
