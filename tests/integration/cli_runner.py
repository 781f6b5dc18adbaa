"""Running the real CLI in-process (typer's runner) and reading its JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from typer.testing import CliRunner

from modelport.cli import app


class Cli:
    def __init__(self, home: Path, env: dict[str, str] | None = None) -> None:
        self.home = home
        self.env = env or {}
        self._runner = CliRunner()

    def __call__(self, *args: str, expect: int = 0) -> Any:
        result = self._runner.invoke(app, ["--home", str(self.home), *args], env=self.env, catch_exceptions=False)
        assert result.exit_code == expect, f"exit {result.exit_code}: {result.stdout}\n{result.stderr}"
        self.last = result
        return result

    def json(self, *args: str) -> Any:
        return orjson.loads(self(*args, "--json").stdout)
