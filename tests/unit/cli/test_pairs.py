from __future__ import annotations

import pytest

from modelport.cli.pairs import parse_pairs
from modelport.errors import InvalidRequest


def test_key_value_options_parse_and_refuse_clearly() -> None:
    assert parse_pairs(["team=risk", "url=a=b", "empty="], "--tag") == {"team": "risk", "url": "a=b", "empty": ""}
    with pytest.raises(InvalidRequest, match="invalid --env 'NOEQUALS': use KEY=VALUE") as caught:
        parse_pairs(["A=1", "NOEQUALS", "=x"], "--env")
    assert caught.value.details == [{"env": "NOEQUALS"}, {"env": "=x"}]
