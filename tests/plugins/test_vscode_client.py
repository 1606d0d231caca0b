"""The VS Code extension's client tests (node's test runner on the compiled TypeScript):
unit tests, a local fake server for 401/421/503/dropped connections, and a real
``fireside serve`` with the embedded model. Skipped, with the reason, without node or
without ``npm ci`` having been run in plugins/vscode."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.model]

ROOT = Path(__file__).resolve().parents[2]
EXT = ROOT / "plugins" / "vscode"


def _node_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRESIDE_")}
    env["FIRESIDE_BIN"] = str(Path(sys.executable).with_name("fireside"))
    return env


def test_vscode_extension_client() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not found: VS Code extension tests skipped (install Node.js 20+)")
    tsc = EXT / "node_modules" / ".bin" / "tsc"
    if not tsc.exists():
        pytest.skip("plugins/vscode/node_modules missing: run `make plugins` (npm ci) first")
    compiled = subprocess.run(
        [str(tsc), "-p", str(EXT)], capture_output=True, text=True, timeout=300
    )
    assert compiled.returncode == 0, f"tsc failed:\n{compiled.stdout}\n{compiled.stderr}"
    tests = sorted(str(p) for p in (EXT / "out" / "test").glob("*.test.js"))
    assert tests, "no compiled tests in plugins/vscode/out/test"
    run = subprocess.run(
        [node, "--test", *tests],
        cwd=EXT,
        env=_node_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    tail = "\n".join((run.stdout + run.stderr).splitlines()[-80:])
    assert run.returncode == 0, f"node --test failed:\n{tail}"
    assert "# fail 0" in run.stdout, tail
    assert "# skipped 0" in run.stdout, f"real-server tests were skipped:\n{tail}"
