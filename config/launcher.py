"""Run web, Celery worker and Celery beat together for `make run`.

Ctrl-C stops all three; if one of them dies the others are stopped too, so a broken
process is never hidden behind a running web server.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def main() -> int:
    port = os.environ.get("PORT", "8000")
    host = os.environ.get("HOST", "127.0.0.1")
    python = sys.executable
    var = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
    var.mkdir(exist_ok=True)
    commands = {
        "web": [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
        "worker": [
            python, "-m", "celery", "-A", "config", "worker",
            "-Q", "default,gpu", "--concurrency", os.environ.get("WORKER_CONCURRENCY", "2"),
            "--loglevel", "INFO", "-n", "worker@%h",
        ],
        "beat": [
            python, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
            "--schedule", str(var / "celerybeat-schedule"),
        ],
    }  # fmt: skip
    processes = {
        name: subprocess.Popen(command, cwd=BASE_DIR)  # noqa: S603 - fixed argument lists
        for name, command in commands.items()
    }
    base = f"http://{host}:{port}"
    print(
        "\n"
        f"  Back office   {base}/admin/\n"
        f"  Jobs          {base}/admin/ml/job/\n"
        f"  API           {base}/api/v1/products/\n"
        f"  API docs      {base}/api/docs/\n"
        f"  Support chat  {base}/support/chat/  (as 'shopper', var/shopper-password.txt)\n"
        f"  Log in with the admin account printed above (var/admin-password.txt).\n"
        "  Ctrl-C stops web, worker and beat.\n",
        flush=True,
    )
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                print(f"{name} exited with {process.returncode}; stopping the others", flush=True)
                exit_code = process.returncode or 1
                stopping = True
        time.sleep(0.5)
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
