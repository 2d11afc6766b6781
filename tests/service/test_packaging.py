"""What a newcomer and an operator meet first: the Dockerfile, the CLI, the quick start."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

import click
import yaml

from conftest import county_code, create_tenant, free_port, service_env
from interfaces.cli import main

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_the_dockerfile_passes_hadolint() -> None:
    result = subprocess.run([str(BIN / "hadolint"), "Dockerfile"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_cli_lists_the_administrative_commands_and_only_them() -> None:
    result = subprocess.run([str(BIN / "grassroots"), "--help"], capture_output=True,
                            text=True, check=True)
    commands = result.stdout.split("Commands:")[1]
    assert sorted(line.split()[0] for line in commands.strip().splitlines()) == [
        "audit", "history", "import-divisions", "keys", "reconcile", "relay", "releases",
        "serve", "tenants"]
    for flasks in ("--env-file", "--app", "--debug", "openapi"):
        assert flasks not in result.stdout
    version = subprocess.run([str(BIN / "grassroots"), "--version"], capture_output=True,
                             text=True, check=True)
    assert version.stdout.split()[-1] == importlib.metadata.version("grassroots-ledger")


def test_every_option_of_the_cli_says_what_it_does() -> None:
    def undocumented(command: click.Command, path: str) -> Iterator[str]:
        for parameter in command.params:
            if isinstance(parameter, click.Option) and not parameter.help:
                yield f"{path} {parameter.opts[0]}"
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from undocumented(sub, f"{path} {name}")

    assert list(undocumented(main, "grassroots")) == []


def test_progress_bars_stay_off_a_pipe(tmp_path: Path) -> None:
    env = service_env(GRASSROOTS_DATABASE_URL=f"sqlite:///{tmp_path / 'var'}")
    code = county_code()
    create_tenant(env, code)
    verified = subprocess.run([str(BIN / "grassroots"), "audit", "verify", code], env=env,
                              capture_output=True, text=True, check=True)
    assert verified.stderr == ""
    assert json.loads(verified.stdout)["ok"] is True


def test_the_wheel_ships_the_releases(tmp_path: Path) -> None:
    """An installed service (the Dockerfile installs the wheel) reads the releases
    it ships, with no file outside the package."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True)
    [wheel] = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = {name for name in archive.namelist() if "/release_data/" in name}
    for year in range(2016, 2024):
        for part in ("areas", "streets", "villages"):
            assert f"infra/release_data/cn-divisions-{year}-{part}.csv.gz" in shipped
    assert {"infra/release_data/LICENSE.txt", "infra/release_data/manifest.json"} <= shipped
    # And the explorer's page and Swagger UI (/docs offline), served from the package.
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {f"interfaces/web/static/{name}" for name in ("index.html", "app.js", "style.css")} \
        <= names
    assert {"interfaces/http/swagger_ui/swagger-ui-bundle.js",
            "interfaces/http/swagger_ui/LICENSE"} <= names


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


def test_the_build_context_leaves_out_the_virtualenv_and_keeps_what_the_image_copies() -> None:
    ignored = [line for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line and not line.startswith("#")]
    for heavy in (".venv", "var", ".git", "**/__pycache__", ".pytest_cache", ".hypothesis", "bench"):
        assert heavy in ignored
    copied = [word for line in (ROOT / "Dockerfile").read_text().splitlines()
              if line.startswith("COPY ") and "--from" not in line for word in line.split()[1:-1]]
    assert copied and all((ROOT / path).exists() for path in copied)
    assert not [path for path in copied for pattern in ignored if fnmatch(path, pattern)]


def test_the_compose_file_follows_the_compose_specification(tmp_path: Path) -> None:
    def check(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
                               str(path)], capture_output=True, text=True, check=False)

    result = check(ROOT / "compose.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "nats", "service", "proxy", "relay"}
    assert all("healthcheck" in service for service in services.values())
    assert services["relay"]["command"] == ["grassroots", "relay", "nats"]
    assert "--jetstream" in services["nats"]["command"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in services["proxy"]["volumes"]
    assert set(compose["volumes"]) == {"pgdata", "natsdata"}
    # The check is not vacuous: a misspelt key is refused.
    services["proxy"]["healthchek"] = services["proxy"].pop("healthcheck")
    broken = tmp_path / "compose.yaml"
    broken.write_text(yaml.safe_dump(compose))
    assert check(broken).returncode != 0


def test_the_proxy_configuration_passes_nginx_t(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is not installed (.ci/run installs it)"
    result = subprocess.run([nginx, "-t", "-c", str(ROOT / "deploy" / "nginx.conf"),
                             "-p", str(tmp_path), "-e", "stderr"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
