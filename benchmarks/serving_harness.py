"""What the HTTP load benchmarks share: a demo store in a temporary folder, gunicorn on a free
port, and wrk runs driven by a Lua script that spreads requests over many ids.

Used by `recs_serving.py` and `load_api.py`; wrk is Debian's package `wrk`.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# One request per call: the next id of the list each time, GET or POST (with a JSON body in
# which %d is the id too).
LUA_TEMPLATE = """
local ids = {%(ids)s}
local counter = 0
request = function()
  counter = counter + 1
  local id = ids[(counter %% #ids) + 1]
  local headers = {["Authorization"] = "%(auth)s", ["Content-Type"] = "application/json"}
  local body = nil
  if "%(method)s" == "POST" then body = string.format('%(body)s', id) end
  return wrk.format("%(method)s", string.format("%(path)s", id), headers, body)
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")


def benchmark_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The web process's environment: production-like (debug off), throttles that never
    refuse the load generator (they still run, so their cost is measured)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "VAR_DIR": str(var_dir),
        "HF_HUB_OFFLINE": "1",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "API_STOREFRONT_THROTTLE": "1000000/second",
        "API_ANON_THROTTLE": "1000000/second",
        "API_EVENTS_THROTTLE": "1000000/second",
        **extra,
    }


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def run_python(env: dict, script: str) -> str:
    """Run `script` (which calls django.setup()) in the benchmark's environment; its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"setup script failed:\n{done.stderr[-3000:]}")
    return done.stdout


@contextlib.contextmanager
def gunicorn(env: dict, *, workers: int) -> Iterator[str]:
    """gunicorn serving the project on a free local port; yields its base URL once it answers."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{url}/api/v1/health/", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        else:
            sys.exit("gunicorn did not answer within 30 s")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def parse_wrk(output: str) -> dict:
    """Requests/s, latency percentiles (ms) and errors from `wrk --latency` output."""

    def to_ms(value: str, unit: str) -> float:
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    percentiles = {
        int(p): to_ms(v, u)
        for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    }
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(x) for x in socket_errors.groups())
    return {
        "rps": rps,
        "requests": requests,
        "p50_ms": percentiles.get(50),
        "p99_ms": percentiles.get(99),
        "errors": errors,
    }


def run_wrk(
    url: str,
    path_format: str,
    ids: list[int],
    *,
    auth: str,
    connections: int,
    duration: int,
    workdir: Path,
    method: str = "GET",
    body_format: str = "",
    warmup: int = 3,
    threads: int = 1,
) -> dict:
    """One wrk run (after a warm-up, so models are loaded and caches filled in every worker)."""
    script = workdir / f"script-{secrets.token_hex(4)}.lua"
    script.write_text(
        LUA_TEMPLATE
        % {
            "ids": ",".join(str(i) for i in ids),
            "path": path_format,
            "auth": auth,
            "method": method,
            "body": body_format.replace("'", "\\'"),
        }
    )
    base = ["wrk", f"-t{threads}", f"-c{connections}", "--latency", "-s", str(script), url]
    if warmup:
        subprocess.run([*base[:3], f"-d{warmup}s", *base[3:]], check=True, capture_output=True)
    done = subprocess.run(
        [*base[:3], f"-d{duration}s", *base[3:]], check=True, capture_output=True, text=True
    )
    return parse_wrk(done.stdout)
