"""``KEY=VALUE`` options (``--tag``, ``--env``): one parser, one error."""

from __future__ import annotations

from collections.abc import Iterable

from modelport.errors import InvalidRequest

__all__ = ["parse_pairs"]


def parse_pairs(items: Iterable[str], option: str) -> dict[str, str]:
    """``["a=1", "b=x=y"]`` → ``{"a": "1", "b": "x=y"}``; an item without ``=`` or key is refused."""
    parsed: dict[str, str] = {}
    bad: list[str] = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            bad.append(item)
        else:
            parsed[key] = value
    if bad:
        raise InvalidRequest(
            f"invalid {option} {bad[0]!r}: use KEY=VALUE", details=[{option.lstrip("-"): item} for item in bad]
        )
    return parsed
