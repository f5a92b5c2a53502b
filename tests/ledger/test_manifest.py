"""The deployment manifest: strict parsing, and fetching that fails clearly."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from ledger.deployment import Contracts
from ledger.manifest import Manifest, ManifestUnavailable, load_manifest

ESCROW, REGISTRY, TOKEN, OPERATOR = ("0x" + c * 40 for c in "abcd")
MANIFEST = Manifest.of(Contracts(31337, ESCROW, REGISTRY, TOKEN, start_block=7), [OPERATOR])


def test_the_published_form_reads_back() -> None:
    data = MANIFEST.as_json()
    assert set(data) == {"chain_id", "escrow", "registry", "token", "anchorers", "start_block"}
    assert data["start_block"] == 7 and data["anchorers"] == [MANIFEST.anchorers[0]]
    assert Manifest.from_json(json.loads(json.dumps(data))) == MANIFEST


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"chain_id": "31337"}, "chain_id is not a non-negative integer"),
        ({"chain_id": True}, "chain_id is not a non-negative integer"),
        ({"chain_id": 0}, "chain_id is zero"),
        ({"escrow": "0x12"}, "escrow is not an Ethereum address"),
        ({"token": None}, "token is not an Ethereum address"),
        ({"anchorers": []}, "anchorers is not a non-empty list"),
        ({"anchorers": OPERATOR}, "anchorers is not a non-empty list"),
        ({"anchorers": [42]}, "an anchorer is not an Ethereum address"),
        ({"start_block": -1}, "start_block is not a non-negative integer"),
    ],
)
def test_a_malformed_manifest_says_what_is_wrong(change: dict[str, object], message: str) -> None:
    with pytest.raises(ManifestUnavailable, match=message):
        Manifest.from_json({**MANIFEST.as_json(), **change})


def test_missing_fields_are_named() -> None:
    data = MANIFEST.as_json()
    del data["registry"], data["start_block"]
    with pytest.raises(ManifestUnavailable, match="lacks registry, start_block"):
        Manifest.from_json(data)
    with pytest.raises(ManifestUnavailable, match="is a JSON object"):
        Manifest.from_json([data])


def test_files_are_read_with_limits(tmp_path: Path) -> None:
    good = tmp_path / "tradewind.json"
    good.write_text(json.dumps(MANIFEST.as_json()))
    assert load_manifest(str(good)) == MANIFEST
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 1000 + "]" * 1000)
    with pytest.raises(ManifestUnavailable, match="nests deeper"):
        load_manifest(str(deep))
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps({**MANIFEST.as_json(), "pad": "a" * 100_000}))
    with pytest.raises(ManifestUnavailable, match="larger than"):
        load_manifest(str(huge))
    with pytest.raises(ManifestUnavailable, match="cannot read"):
        load_manifest(str(tmp_path / "missing.json"))


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as listener:  # accepts connections, never replies
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/.well-known/tradewind.json"
        started = time.monotonic()
        with pytest.raises(ManifestUnavailable, match="does not answer: timed out"):
            load_manifest(url, timeout=0.5)
        assert time.monotonic() - started < 5
