"""What ``modelport serve`` prints: the bound URL first, and a curl line that really is one."""

from __future__ import annotations

import shlex

import orjson

from modelport.cli.serve import announcement


def test_first_line_names_the_url_and_the_curl_line_is_valid_shell_and_json() -> None:
    example = {"age": 35.0, "employer": "O'Brien & Sons", "income": 52000}
    lines = announcement("http://127.0.0.1:8123", "credit", example)
    assert lines[0].startswith("modelport serving on http://127.0.0.1:8123 ")
    assert any("/v2/models/credit/infer" in line for line in lines)
    argv = shlex.split(lines[-1])
    assert argv[:3] == ["curl", "-s", "http://127.0.0.1:8123/predict"]
    assert orjson.loads(argv[argv.index("-d") + 1]) == {"features": [example]}


def test_without_an_example_there_is_no_curl_line() -> None:
    assert not any("curl" in line for line in announcement("http://h:1", None, None))
