"""What a newcomer and an operator meet first: the Dockerfile, the CLI, the quick start."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_the_dockerfile_passes_hadolint() -> None:
    result = subprocess.run([str(BIN / "hadolint"), "Dockerfile"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_cli_lists_the_administrative_commands() -> None:
    result = subprocess.run([str(BIN / "grassroots"), "--help"], capture_output=True,
                            text=True, check=True)
    for command in ("serve", "tenants", "keys", "import-divisions"):
        assert command in result.stdout


def test_serve_runs_on_the_embedded_store_with_nothing_configured(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRASSROOTS_")}
    server = subprocess.Popen(
        [str(BIN / "grassroots"), "serve", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.2)
        assert (tmp_path / "var" / "platform.db").exists()
    finally:
        server.terminate()
        server.wait(timeout=20)
