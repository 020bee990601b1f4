"""The zoo folder must reach users from a built wheel, not only from a checkout."""

import os
import subprocess
import sys

from tests.helpers import REPO


def test_wheel_installs_and_loads_a_zoo_entry(tmp_path):
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", REPO, "--no-deps", "--no-build-isolation", "-w", str(wheel_dir), "-q"],
        check=True,
        timeout=600,
        cwd=str(tmp_path),
    )
    (wheel,) = list(wheel_dir.glob("kerasgen-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=300)
    py = str(venv / "bin" / "python")
    subprocess.run([py, "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], check=True, timeout=300)
    code = (
        "import kerasgen, os; print(kerasgen.__file__); print(kerasgen.zoo.zoo_root()); "
        "m = kerasgen.zoo.load('vae'); print(m.generate(2, seed=0).shape)"
    )
    # Run outside the checkout, with the editable install hidden, so only the wheel can answer.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [py, "-I", "-c", code], capture_output=True, text=True, timeout=300, cwd=str(tmp_path), env=env
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert str(venv) in lines[0], lines  # the wheel's copy, not the checkout
    assert str(venv) in lines[1] and not lines[1].startswith(REPO)
    assert lines[2] == "(2, 28, 28, 1)"
