"""A batch run's summary carries the drift of what it scored against the version's sample."""

from __future__ import annotations

from pathlib import Path

import orjson
import pandas as pd
import pytest

from tests.integration.cli_runner import Cli


@pytest.fixture
def cli(demo_home: Path) -> Cli:
    return Cli(demo_home)


def test_a_shifted_column_is_the_only_drifted_one_in_the_summary(cli: Cli, demo_home: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(demo_home / "demo" / "credit_to_score.csv")
    frame["credit_score"] += 5 * 70.0  # five standard deviations
    frame.to_parquet(tmp_path / "in.parquet")

    summary = cli.json("batch", "score", "credit_risk@production", "in.parquet", "out.parquet")

    drift = summary["drift"]
    assert drift["drifted"] == ["credit_score"]
    assert drift["window"]["rows"] == len(frame)
    assert drift["window"]["reference_rows"] == 1000
    assert (drift["model"], drift["version"]) == ("credit_risk", "1")
    written = orjson.loads((tmp_path / "out.parquet.summary.json").read_bytes())
    assert written["drift"] == drift


def test_unshifted_data_drifts_nowhere(cli: Cli, demo_home: Path, tmp_path: Path) -> None:
    summary = cli.json("batch", "score", "credit_risk/2", str(demo_home / "demo" / "credit_to_score.csv"), "o.csv")
    assert summary["drift"]["drifted"] == []
    assert summary["drift"]["enough_data"]
