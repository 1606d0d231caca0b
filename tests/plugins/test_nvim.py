"""The Neovim plugin's headless tests (plugins/nvim/tests/run.lua) against a real
``fireside serve`` with the embedded model. Skipped, with the reason, without nvim or curl."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.model]

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "plugins" / "nvim" / "tests" / "run.lua"


def test_nvim_plugin() -> None:
    nvim = shutil.which("nvim")
    if nvim is None:
        pytest.skip("nvim not found: Neovim plugin tests skipped (apt-get install neovim)")
    if shutil.which("curl") is None:
        pytest.skip("curl not found: the Neovim plugin needs it")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRESIDE_")}
    env["FIRESIDE_BIN"] = str(Path(sys.executable).with_name("fireside"))
    run = subprocess.run(
        [nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", f"luafile {RUNNER}"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 0, f"nvim tests failed:\n{out[-6000:]}"
    assert " 0 failed" in out, out[-6000:]
    assert "SKIP" not in out, out[-2000:]
