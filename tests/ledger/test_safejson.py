"""Deeply nested JSON is refused before the parser recurses, and the recursion limit is sane again."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ledger import safejson


def test_nesting_ignores_brackets_inside_strings() -> None:
    assert safejson.nesting(b'{"a": [1, {"b": "[[[[{{{"}]}') == 3
    assert safejson.nesting(b'"\\"[[["') == 0


@pytest.mark.parametrize("depth", [65, 80_000])
def test_too_deep_is_refused(depth: int) -> None:
    with pytest.raises(safejson.JsonRejected, match="deeper"):
        safejson.loads("[" * depth + "]" * depth)


def test_within_limits_parses() -> None:
    assert safejson.loads("[" * 64 + "]" * 64) is not None
    with pytest.raises(safejson.JsonRejected, match="larger"):
        safejson.loads(b"[" + b"1," * 600_000 + b"1]")
    with pytest.raises(safejson.JsonRejected, match="not valid JSON"):
        safejson.loads(b"{'a': 1}")


def test_importing_the_platform_brings_the_recursion_limit_back_down() -> None:
    """py_ecc raises the limit to 100,000, and then json.loads of 80,000 levels in a thread kills the process."""
    script = (
        "import sys, json, threading; import marketplace.platform; "
        "assert sys.getrecursionlimit() <= 12288, sys.getrecursionlimit(); "
        "errors = []\n"
        "def parse():\n"
        "    try: json.loads('[' * 80000 + ']' * 80000)\n"
        "    except RecursionError: errors.append('refused')\n"
        "t = threading.Thread(target=parse); t.start(); t.join(); print(errors[0])"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "refused"


def test_a_number_with_too_many_digits_is_refused() -> None:
    with pytest.raises(safejson.JsonRejected, match="too many digits"):
        safejson.loads('{"moq": 1' + "0" * 5000 + "}")
