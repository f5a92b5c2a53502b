"""Canonical JSON: one byte string per value, so that hashes of documents are reproducible."""

from __future__ import annotations

import json
from typing import Any

from eth_utils import keccak


def _check(value: Any, path: str = "$") -> None:
    if isinstance(value, float):
        raise TypeError(f"{path}: floats are not allowed in canonical documents; use a decimal string")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: keys must be strings")
            _check(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
    elif not isinstance(value, str | int | bool | type(None)):
        raise TypeError(f"{path}: {type(value).__name__} is not a canonical JSON type")


def canonical_json(value: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no insignificant white space. Floats are refused."""
    _check(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def document_hash(value: Any) -> bytes:
    """keccak256 of the canonical JSON of `value`."""
    return keccak(canonical_json(value))
