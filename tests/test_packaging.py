"""The zoo folder must reach users from a built wheel, not only from a checkout."""

import os
import site
import subprocess
import sys

from tests.helpers import REPO


def _outer_site_packages():
    """The site-packages folders of the interpreter running the tests.

    In a virtualenv these hold keras and TensorFlow; the base Python that
    `venv --system-site-packages` would expose may have neither.
    """
    folders = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        folders.append(site.getusersitepackages())
    return [folder for folder in folders if os.path.isdir(folder)]


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
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = str(venv / "bin" / "python")
    # -I: a PYTHONPATH pointing at the checkout (with its build's egg-info) must not
    # make pip believe kerasgen is installed already.
    subprocess.run(
        [py, "-I", "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        timeout=300,
        cwd=str(tmp_path),
    )
    # The dependencies come from the running interpreter's site-packages, listed
    # in a .pth file: plain folder lines go on sys.path after the venv's own
    # site-packages (so the wheel's kerasgen comes first), and the .pth files
    # inside them are not run (so the outer editable install of kerasgen is not).
    outer = _outer_site_packages()
    (site_packages,) = (venv / "lib").glob("python*/site-packages")
    (site_packages / "outer-site-packages.pth").write_text("".join(f"{folder}\n" for folder in outer))
    code = (
        "import kerasgen, keras; print(kerasgen.__file__); print(kerasgen.zoo.zoo_root()); print(keras.__file__); "
        "m = kerasgen.zoo.load('vae'); print(m.generate(2, seed=0).shape)"
    )
    # Isolated (-I: no PYTHONPATH, no user site, no current folder) and outside
    # the checkout, so only the wheel can answer for kerasgen.
    proc = subprocess.run([py, "-I", "-c", code], capture_output=True, text=True, timeout=300, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith(str(site_packages)), lines  # the wheel's copy, not the checkout
    assert lines[1].startswith(str(site_packages)) and not lines[1].startswith(REPO), lines
    assert any(lines[2].startswith(folder) for folder in outer), (lines, outer)  # keras of the running interpreter
    assert lines[3] == "(2, 28, 28, 1)"
