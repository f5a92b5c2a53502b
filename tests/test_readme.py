"""The README's commands, run in the order written, as a newcomer runs them."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from ledger.localnode import chain_id_at
from marketplace.demo import BUYER
from tests.conftest import ROOT
from tests.servers import free_port, fund_a_new_trade, running

README = ROOT / "README.md"
TRADEWIND = ".venv/bin/tradewind"


def section_commands(heading: str) -> list[str]:
    """The commands of the first `sh` block under `heading`, comments dropped, continuation lines joined."""
    text = README.read_text()
    start = text.index(f"\n{heading}\n")
    block = re.search(r"```sh\n(.*?)```", text[start:], re.DOTALL)
    assert block, f"no sh block under {heading}"
    lines = block.group(1).replace("\\\n", " ").splitlines()
    return [" ".join(words) for words in (shlex.split(line, comments=True) for line in lines) if words]


def wait_for_node(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while chain_id_at(url) is None:
        assert proc.poll() is None and time.monotonic() < deadline, "the README's Anvil did not start"
        time.sleep(0.1)


def background(stack: ExitStack, words: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A command run with `&`: stopped with SIGINT when the test ends."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(words, env=env, cwd=ROOT, stdout=out, stderr=out)

    def stop() -> None:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)

    stack.callback(stop)
    return proc


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as processes:
        yield processes


@pytest.mark.anvil
@pytest.mark.postgres
def test_the_postgresql_section_works_in_the_order_written(
    tmp_path: Path, postgres_url: str, anvil_installed: None, stack: ExitStack
) -> None:
    """demo --database, then serve and worker on that database: serve opens the keys the demo sealed (it
    failed with 'wrong master key' when the demo sealed them with a throw-away key), and a new trade goes
    through the worker process."""
    commands = section_commands("## Against PostgreSQL and a node of your own (Anvil for development)")
    chain_port, web_port = free_port(), free_port()
    readme_port = re.search(r"anvil --port (\d+)", " ".join(commands)).group(1)  # type: ignore[union-attr]

    def local(command: str) -> str:
        """The command on this machine: free ports, a fresh database, this interpreter's tradewind."""
        command = command.replace(f"127.0.0.1:{readme_port}", f"127.0.0.1:{chain_port}")
        command = command.replace(f"--port {readme_port}", f"--port {chain_port}")
        command = re.sub(r"postgresql\+psycopg://\S+", postgres_url, command)
        command = command.replace("anvil-state.json", str(tmp_path / "anvil-state.json"))
        return command.replace(TRADEWIND, f"{shlex.quote(sys.executable)} -m marketplace.cli")

    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CHAIN_RPC_URL", "TRADEWIND_MASTER_KEY"}}
    env["TRADEWIND_INSTANCE"] = str(tmp_path / "instance")
    seen = []
    for command in map(local, commands):
        words = shlex.split(command)
        if words[:2] == ["npm", "ci"]:
            assert (ROOT / "node_modules" / ".bin" / "anvil").exists()  # installed already, as `make install-node` does
            seen.append("npm")
        elif words[0] == "export":
            name, _, value = words[1].partition("=")
            env[name] = value
        elif words[0].endswith("anvil"):
            assert command.endswith("&")
            node = background(stack, words[:-1], tmp_path / "anvil.log", env)
            wait_for_node(f"http://127.0.0.1:{chain_port}", node)
            seen.append("anvil")
        elif "demo" in words:
            shell = subprocess.run(command, shell=True, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
            assert shell.returncode == 0, shell.stderr[-3000:]
            assert shell.stdout.strip().endswith("VERIFIED"), shell.stdout[-2000:]
            seen.append("demo")
        elif "serve" in words:
            server = stack.enter_context(
                running([*words, "--port", str(web_port)], env, web_port, tmp_path / "serve.log", signal.SIGINT)
            )
            assert server.token(BUYER)  # the demo's users, keys and contracts are there for serve
            seen.append("serve")
        elif "worker" in words:
            worker = background(stack, words, tmp_path / "worker.log", env)
            seen.append("worker")
        else:
            pytest.fail(f"the README's PostgreSQL section has a command this test does not know: {command}")
    assert seen == ["npm", "anvil", "demo", "serve", "worker"]

    # serve relays nothing itself with CHAIN_RPC_URL set: the worker process funds the new trade on chain.
    trade = fund_a_new_trade(server)
    assert trade["transactions"]["open"]
    assert worker.poll() is None


def fill_in(path: Path) -> None:
    """The template with its example row replaced by a product of the exporter's."""
    from marketplace.catalog.table import read_table, write_table

    table = read_table(path)
    product = dict(zip(table.header, table.rows[0][1], strict=True))
    product |= {"sku": "BRG-6204", "title_en": "Deep groove ball bearing 6204-2RS", "title_de": "Rillenkugellager"}
    write_table(path, path.name, table.header, [[product[name] for name in table.header]])


def test_the_catalog_import_section_works_in_the_order_written(tmp_path: Path, platform) -> None:  # type: ignore[no-untyped-def]
    """Template, dry run, import, import again (unchanged), export: on a fresh database holding the demo's
    exporter, each command's comment says what it prints."""
    from marketplace.accounts.service import create_organization
    from marketplace.config import Config
    from marketplace.platform import start

    fresh = start(Config(instance_dir=tmp_path / "instance", testing=True).resolved(), w3=platform.w3)
    try:
        with fresh.db.session() as s:
            create_organization(
                s,
                fresh.keybox,
                fresh.ctx,
                name="Hanseatic Bearings GmbH",
                kind="exporter",
                country="DE",
                currency="EUR",
                locale="de",
            )
        env = {
            **os.environ,
            "DATABASE_URL": fresh.config.database_url,
            "TRADEWIND_INSTANCE": str(tmp_path / "instance"),
        }
        commands = section_commands("## Catalog import")
        text = README.read_text()
        block = re.search(r"```sh\n(.*?)```", text[text.index("\n## Catalog import\n") :], re.DOTALL)
        comments = [line.split("#", 1)[1].strip() for line in block.group(1).splitlines()]  # type: ignore[union-attr]
        assert len(commands) == len(comments) == 5
        filled = False
        for command, said in zip(commands, comments, strict=True):
            words = shlex.split(command.replace(TRADEWIND, f"{shlex.quote(sys.executable)} -m marketplace.cli"))
            done = subprocess.run(words, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
            if "import" in words and not filled:  # the template as written: its example row is refused
                assert done.returncode == 1 and "row 2, column sku: this is the template's example row" in done.stderr
                fill_in(tmp_path / "catalog.csv")  # the exporter replaces it, as the comment says
                filled = True
                done = subprocess.run(words, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, (command, done.stderr[-2000:])
            if "created" in said:
                assert done.stdout.strip() == said
            elif "--dry-run" in words:
                assert "nothing written" in done.stdout
        assert (tmp_path / "catalog.xlsx").exists()
    finally:
        fresh.close()
