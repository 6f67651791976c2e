import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_the_engine_imports_no_django():
    check = "import sys; print(any(m.split('.')[0] == 'django' for m in sys.modules))"
    completed = subprocess.run(  # noqa: S603 - fixed interpreter and code
        [sys.executable, "-c", f"import recommendations.engine.blender; {check}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert completed.stdout.strip() == "False"
