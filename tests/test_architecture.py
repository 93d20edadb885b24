"""The architecture's boundaries hold: the import contract in pyproject.toml, on every run."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def test_every_import_contract_is_kept() -> None:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    names = [contract["name"] for contract in contracts["contracts"]]
    checked = subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = " ".join(checked.stdout.split())
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"Contracts: {len(names)} kept, 0 broken." in report
    for name in names:
        assert f"{name} KEPT" in report, f"not checked: {name}"
