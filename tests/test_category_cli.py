"""`tradewind category`: operators list the tree and add subcategories; a refusal is one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.cli import main


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRADEWIND_INSTANCE", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


def test_add_then_list(instance: Path, capsys: pytest.CaptureFixture[str]) -> None:
    names = ["--name", "en=Ball bearings", "--name", "de=Kugellager", "--name", "ja=玉軸受"]
    assert main(["category", "add", "--parent", "XVI", "--code", "ball-bearings", *names]) == 0
    assert main(["category", "add", "--parent", "ball-bearings", "--code", "ceramic", "--name", "en=Ceramic"]) == 0
    capsys.readouterr()
    assert main(["category", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len([line for line in lines if not line.startswith(" ")]) == 21  # the HS sections
    at = next(i for i, line in enumerate(lines) if line.startswith("  ball-bearings\t"))
    assert lines[at].endswith("de=Kugellager | en=Ball bearings | ja=玉軸受")
    assert lines[at - 1].startswith("XVI\t") and lines[at + 1].startswith("    ceramic\t")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--parent", "XVI", "--code", "XVI", "--name", "en=Again"], "there is already a category XVI"),
        (["--parent", "nope", "--code", "x1", "--name", "en=X"], "there is no category nope"),
        (["--parent", "XVI", "--code", "bad code", "--name", "en=X"], "a category code is letters, digits"),
        (["--parent", "XVI", "--code", "x2", "--name", "de=Nur Deutsch"], "a category needs an English name"),
        (["--parent", "XVI", "--code", "x3", "--name", "en"], "write each name as LOCALE=NAME"),
        (["--parent", "XVI", "--code", "x4", "--name", "en=X", "--name", "!!=Y"], "is not a locale"),
    ],
)
def test_refusals_are_one_line_and_change_nothing(
    instance: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["category", "list"]) == 0
    before = capsys.readouterr().out
    assert main(["category", "add", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tradewind: error: ") and message in err and err.count("\n") == 1
    main(["category", "list"])
    assert capsys.readouterr().out == before
