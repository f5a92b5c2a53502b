"""JSON from outside (request bodies, proof bundle files), parsed with limits on size and nesting.

Python's `json` module parses nested arrays and objects recursively in C: very deep input overflows the
stack and kills the process. The nesting is measured first, without recursion."""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

MAX_DEPTH = 64
MAX_BYTES = 1024 * 1024
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class JsonRejected(ValueError):
    """The input is not JSON within the limits; the message says why, for a person."""


def nesting(data: bytes) -> int:
    """The deepest nesting of arrays and objects in `data` (brackets inside strings do not count)."""
    brackets = _BRACKET.findall(_STRING.sub(b'""', data))
    return max(accumulate(_STEP[b[0]] for b in brackets), default=0)


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES) -> Any:
    """Parse `data`; raise JsonRejected if it is too large, too deep or not JSON."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise JsonRejected(f"the JSON document is larger than {max_bytes} bytes")
    if nesting(raw) > max_depth:
        raise JsonRejected(f"the JSON document nests deeper than {max_depth} levels")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JsonRejected(f"not valid JSON: {exc}") from exc
    except ValueError as exc:  # an integer beyond Python's digit limit for conversions
        raise JsonRejected("the JSON document holds a number with too many digits") from exc
