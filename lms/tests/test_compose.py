"""The deployment files agree with each other and with the settings.

No Docker engine is needed (none runs here): compose.yaml is read with PyYAML, which
resolves anchors and merge keys as Compose does, and `${VAR:-default}` is replaced by its
default; deploy/nginx.conf and the Dockerfile are parsed by the small readers below.
"""

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
DJANGO_SERVICES = ("migrate", "api", "ws", "worker", "beat")
LONG_RUNNING = ("proxy", "api", "ws", "worker", "beat", "postgres", "redis")


# --- compose.yaml --------------------------------------------------------------------------
def _interpolate(value: Any) -> Any:
    """Compose's interpolation with an empty environment: defaults win, `$$` is `$`."""
    if isinstance(value, str):
        value = re.sub(r"\$\{(\w+):?-([^}]*)\}", r"\2", value)
        value = re.sub(r"\$\{(\w+):?\?[^}]*\}", r"<\1>", value)
        return value.replace("$$", "$")
    if isinstance(value, list):
        return [_interpolate(item) for item in value]
    if isinstance(value, dict):
        return {key: _interpolate(item) for key, item in value.items()}
    return value


@pytest.fixture(scope="module")
def compose_text() -> str:
    return (ROOT / "compose.yaml").read_text()


@pytest.fixture(scope="module")
def compose(compose_text: str) -> dict[str, Any]:
    return _interpolate(yaml.safe_load(compose_text))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def _command(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(arg) for arg in command]


def _option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_compose_spec_file_with_every_service(compose: dict[str, Any]) -> None:
    assert "version" not in compose  # obsolete in the Compose spec
    assert set(LONG_RUNNING) | {"migrate"} <= set(compose["services"])


def test_backing_services_images(services: dict[str, Any]) -> None:
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    assert services["proxy"]["image"].startswith("nginx:")


def test_django_services_share_the_x_django_anchor(
    compose_text: str, compose: dict[str, Any], services: dict[str, Any]
) -> None:
    assert re.search(r"^x-django: &django\s*$", compose_text, re.MULTILINE)
    base = compose["x-django"]
    assert base["environment"]["DATABASE_URL"].startswith("postgres://")
    assert "@postgres:5432/" in base["environment"]["DATABASE_URL"]
    assert base["environment"]["REDIS_URL"].startswith("redis://redis:6379/")
    assert base["environment"]["DJANGO_SETTINGS_MODULE"] == "lms.settings.prod"
    for name in DJANGO_SERVICES:
        service = services[name]
        assert service["build"] == base["build"], name
        assert service["image"] == base["image"], name
        # Every shared variable arrives, with the same value (a service may add its own).
        assert base["environment"].items() <= service["environment"].items(), name


def test_secret_key_is_required_not_defaulted(compose: dict[str, Any]) -> None:
    assert compose["x-django"]["environment"]["SECRET_KEY"] == "<SECRET_KEY>"


def test_django_services_wait_for_healthy_backends_and_migrations(
    services: dict[str, Any],
) -> None:
    for name in DJANGO_SERVICES:
        depends_on = services[name]["depends_on"]
        assert depends_on["postgres"]["condition"] == "service_healthy", name
        if name == "migrate":
            assert "migrate" not in depends_on
        else:
            assert depends_on["redis"]["condition"] == "service_healthy", name
            assert depends_on["migrate"]["condition"] == "service_completed_successfully", name


def test_migrate_is_a_one_shot(services: dict[str, Any]) -> None:
    migrate = services["migrate"]
    assert _command(migrate) == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate.get("restart", "no") == "no"  # unless-stopped would re-run it forever
    assert migrate["healthcheck"] == {"disable": True}


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_services_restart_and_have_a_healthcheck(
    services: dict[str, Any], name: str
) -> None:
    service = services[name]
    assert service["restart"] == "unless-stopped"
    healthcheck = service["healthcheck"]
    assert not healthcheck.get("disable")
    assert healthcheck["test"][0] in ("CMD", "CMD-SHELL")


def test_api_is_granian_wsgi_on_8000(services: dict[str, Any]) -> None:
    argv = _command(services["api"])
    assert argv[0] == "granian"
    assert _option(argv, "--interface") == "wsgi"
    assert _option(argv, "--port") == "8000"
    assert _option(argv, "--workers") == "2"
    assert _option(argv, "--blocking-threads") == "1"
    assert argv[-1] == "lms.wsgi:application"
    assert "8000/health/live" in " ".join(services["api"]["healthcheck"]["test"])


def test_api_metrics_add_up_across_workers(services: dict[str, Any]) -> None:
    api = services["api"]
    directory = api["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    assert directory in api["tmpfs"]  # empty at every start, as prometheus_client requires


def test_ws_is_granian_asgi_with_websockets_on_8001(services: dict[str, Any]) -> None:
    argv = _command(services["ws"])
    assert argv[0] == "granian"
    assert _option(argv, "--interface") in ("asgi", "asginl")
    assert "--no-ws" not in argv
    assert _option(argv, "--port") == "8001"
    assert argv[-1] == "lms.asgi:application"
    assert "8001/health/live" in " ".join(services["ws"]["healthcheck"]["test"])


def test_worker_consumes_every_queue_in_settings(services: dict[str, Any]) -> None:
    argv = _command(services["worker"])
    assert argv[:4] == ["celery", "-A", "lms", "worker"]
    queues = set(_option(argv, "-Q").split(","))
    assert queues == {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])


def test_beat_uses_the_database_scheduler_once(services: dict[str, Any]) -> None:
    beat = services["beat"]
    argv = _command(beat)
    assert argv[:4] == ["celery", "-A", "lms", "beat"]
    assert _option(argv, "--scheduler") == settings.CELERY_BEAT_SCHEDULER
    assert beat.get("deploy", {}).get("replicas", 1) == 1


def test_proxy_mounts_the_nginx_config_and_waits_for_both_servers(
    services: dict[str, Any],
) -> None:
    proxy = services["proxy"]
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    assert any(str(port).endswith(":80") for port in proxy["ports"])
    for upstream in ("api", "ws"):
        assert proxy["depends_on"][upstream]["condition"] == "service_healthy"


# --- deploy/nginx.conf -----------------------------------------------------------------------
Directive = tuple[str, list[str], list[Any]]


def _nginx_tokens(text: str) -> list[str]:
    tokens: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char == "#":
            end = text.find("\n", i)
            i = len(text) if end == -1 else end
        elif char in "{};":
            tokens.append(char)
            i += 1
        elif char in "'\"":
            end = text.index(char, i + 1)
            tokens.append(text[i + 1 : end])
            i = end + 1
        else:
            match = re.compile(r"[^\s{};]+").match(text, i)
            assert match is not None
            tokens.append(match.group())
            i = match.end()
    return tokens


def _nginx_parse(tokens: list[str], pos: int = 0) -> tuple[list[Directive], int]:
    block: list[Directive] = []
    words: list[str] = []
    while pos < len(tokens):
        token = tokens[pos]
        pos += 1
        if token == ";":
            block.append((words[0], words[1:], []))
            words = []
        elif token == "{":
            children, pos = _nginx_parse(tokens, pos)
            block.append((words[0], words[1:], children))
            words = []
        elif token == "}":
            return block, pos
        else:
            words.append(token)
    return block, pos


@pytest.fixture(scope="module")
def nginx() -> list[Directive]:
    tree, _ = _nginx_parse(_nginx_tokens((ROOT / "deploy" / "nginx.conf").read_text()))
    return tree


def _find(block: list[Directive], name: str, *args: str) -> list[Directive]:
    return [d for d in block if d[0] == name and tuple(d[1][: len(args)]) == args]


def _one(block: list[Directive], name: str, *args: str) -> Directive:
    found = _find(block, name, *args)
    assert len(found) == 1, f"expected one `{name} {' '.join(args)}`, found {len(found)}"
    return found[0]


def _headers(location: Directive) -> dict[str, str]:
    return {d[1][0].lower(): " ".join(d[1][1:]) for d in _find(location[2], "proxy_set_header")}


def _server(nginx: list[Directive]) -> list[Directive]:
    return _one(nginx, "server")[2]


def _size_in_bytes(size: str) -> int:
    units = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
    match = re.fullmatch(r"(\d+)([kmg]?)", size.lower())
    assert match, size
    return int(match.group(1)) * units[match.group(2)]


def test_nginx_upstreams_match_the_compose_ports(
    nginx: list[Directive], services: dict[str, Any]
) -> None:
    for name in ("api", "ws"):
        upstream = _one(nginx, "upstream", name)
        (server,) = _find(upstream[2], "server")
        port = _option(_command(services[name]), "--port")
        assert server[1][0] == f"{name}:{port}"


def test_nginx_routes_websockets_to_ws_with_upgrade_headers(nginx: list[Directive]) -> None:
    location = _one(_server(nginx), "location", "/ws/")
    assert _one(location[2], "proxy_pass")[1] == ["http://ws"]
    assert _one(location[2], "proxy_http_version")[1] == ["1.1"]
    headers = _headers(location)
    assert headers["upgrade"] == "$http_upgrade"
    connection_map = _one(nginx, "map", "$http_upgrade", headers["connection"])
    assert ("default", ["upgrade"], []) in connection_map[2]
    read_timeout = _one(location[2], "proxy_read_timeout")[1][0]
    assert read_timeout not in ("60", "60s")  # nginx's default would drop quiet sockets


def test_nginx_sends_everything_else_to_api(nginx: list[Directive]) -> None:
    location = _one(_server(nginx), "location", "/")
    assert _one(location[2], "proxy_pass")[1] == ["http://api"]


def test_every_proxied_location_forwards_client_and_request_id(nginx: list[Directive]) -> None:
    # A location that sets any proxy_set_header inherits none from the server block.
    locations = [d for d in _find(_server(nginx), "location") if _find(d[2], "proxy_pass")]
    assert len(locations) >= 2
    for location in locations:
        headers = _headers(location)
        assert headers["x-forwarded-for"] == "$proxy_add_x_forwarded_for", location[1]
        assert "x-forwarded-proto" in headers, location[1]
        assert "host" in headers, location[1]
        request_id = headers["x-request-id"]
        request_id_map = _one(nginx, "map", "$http_x_request_id", request_id)
        assert ("", ["$request_id"], []) in request_id_map[2]


def test_nginx_body_limit_is_not_below_djangos(nginx: list[Directive]) -> None:
    (directive,) = _find(_server(nginx), "client_max_body_size")
    assert _size_in_bytes(directive[1][0]) >= settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def test_nginx_hides_metrics_from_outside(nginx: list[Directive]) -> None:
    location = _one(_server(nginx), "location", "=", "/metrics")
    body = location[2]
    assert _find(body, "return", "404") or _find(body, "deny", "all")
    assert not _find(body, "proxy_pass")


def test_nginx_compresses_json(nginx: list[Directive]) -> None:
    assert _one(nginx, "gzip")[1] == ["on"]
    assert "application/json" in _one(nginx, "gzip_types")[1]


# --- Dockerfile and .dockerignore --------------------------------------------------------------
@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def _args(dockerfile: list[tuple[str, str]], keyword: str) -> list[str]:
    return [rest for kw, rest in dockerfile if kw == keyword]


def test_dockerfile_is_multi_stage_on_python_311(dockerfile: list[tuple[str, str]]) -> None:
    stages = _args(dockerfile, "FROM")
    assert len(stages) >= 2
    assert all(stage.startswith("python:3.11-slim") for stage in stages)
    assert any(rest.startswith("--from=") for rest in _args(dockerfile, "COPY"))


def test_dockerfile_installs_requirements_before_copying_the_source(
    dockerfile: list[tuple[str, str]],
) -> None:
    copies = _args(dockerfile, "COPY")
    assert copies[0].startswith("requirements/")
    assert any("pip install -r" in run and "prod.txt" in run for run in _args(dockerfile, "RUN"))
    prod = (ROOT / "requirements" / "prod.txt").read_text()
    assert re.search(r"^granian==", prod, re.MULTILINE)


def test_dockerfile_runs_as_a_non_root_user(dockerfile: list[tuple[str, str]]) -> None:
    users = _args(dockerfile, "USER")
    assert users
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    last_user = max(i for i, (kw, _) in enumerate(dockerfile) if kw == "USER")
    last_from = max(i for i, (kw, _) in enumerate(dockerfile) if kw == "FROM")
    assert last_user > last_from  # set in the final stage, not only in the builder


def test_dockerfile_has_a_healthcheck_on_liveness(dockerfile: list[tuple[str, str]]) -> None:
    (healthcheck,) = _args(dockerfile, "HEALTHCHECK")
    assert "/health/live" in healthcheck


def test_dockerfile_keeps_build_only_secrets_out_of_the_image(
    dockerfile: list[tuple[str, str]],
) -> None:
    for keyword in ("ENV", "ARG"):
        for rest in _args(dockerfile, keyword):
            assert "SECRET_KEY" not in rest
    (collectstatic,) = [run for run in _args(dockerfile, "RUN") if "collectstatic" in run]
    assert "SECRET_KEY=" in collectstatic
    assert "--noinput" in collectstatic


def test_dockerfile_default_command_is_the_api_command(
    dockerfile: list[tuple[str, str]], services: dict[str, Any]
) -> None:
    (cmd,) = _args(dockerfile, "CMD")
    assert yaml.safe_load(cmd) == _command(services["api"])
    assert "8000" in " ".join(_args(dockerfile, "EXPOSE"))


def test_dockerignore_keeps_local_state_and_secrets_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".venv", ".git", "db.sqlite3"} <= ignored
