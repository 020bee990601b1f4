"""Every ```python block of README.md and docs/**/*.md runs as pasted.

The rule for snippets: **every block is standalone.** Each block runs alone, in
a fresh Python process, so it imports everything it uses and defines every
name it reads; it never relies on an earlier block of its page. That is what a
reader gets who pastes one block into a new interpreter.

Each block runs with the current directory a fresh ``tmp_path``, so relative
paths in the docs (``exported/...``, ``runs/...``) land there and never in the
repository; ``kerasgen`` is imported from this checkout. The block is written
to a file and executed by a small shim (``SHIM`` below) that keeps the run
fast and offline without changing the block's text:

- ``keras.Model.fit`` is wrapped to train 1 epoch of 1 step (``epochs=10``
  or ``epochs=200`` in a snippet is still a real ``fit`` call through the
  model's own ``train_step``, callbacks and all, just short: one step of a
  128 px CycleGAN already takes most of a minute on two cores);
- downloads fail: ``keras.utils.get_file`` raises, and a ``"tfds:NAME"``
  source is served by ``tensorflow_datasets.testing.mock_data`` (a few random
  examples with the dataset's real feature spec, generated from the builder's
  code: nothing is fetched), so recipes for tfds data run their real
  ``kerasgen.data`` code path;
- image folders that a snippet names as the reader's own data
  (``PLACEHOLDER_FOLDERS``: "path/to/images", "photos/", "horses/",
  "zebras/") are created in the temporary directory with a few small PNGs
  written with Pillow, when the block mentions them.

The environment variable ``KERASGEN_DOCS_TEST=1`` marks these runs. Shell
blocks (```bash) are not executed. Zoo entries load their shipped weights
(no download).
"""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
TIMEOUT = 600  # seconds per block; the slowest (a 128 px CycleGAN step and export) takes about a minute

# Folders that snippets use as "your own images": created with a few PNGs when mentioned.
PLACEHOLDER_FOLDERS = {
    "path/to/images": (40, 52, "RGB"),
    "photos": (80, 72, "RGB"),
    "horses": (40, 36, "RGB"),
    "zebras": (36, 40, "RGB"),
}
IMAGES_PER_FOLDER = 4

SHIM = textwrap.dedent(
    '''
    """Runs one docs snippet with small settings (see tests/test_docs.py)."""
    import inspect
    import os
    import runpy
    import sys

    os.environ["KERASGEN_DOCS_TEST"] = "1"
    import keras  # noqa: E402

    # -- fit: one epoch of one step ---------------------------------------------
    _fit = keras.Model.fit
    _fit_signature = inspect.signature(_fit)


    def _short_fit(self, *args, **kwargs):
        bound = _fit_signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        arguments = bound.arguments
        initial_epoch = int(arguments.get("initial_epoch") or 0)
        arguments["epochs"] = initial_epoch + 1
        arguments["steps_per_epoch"] = 1
        arguments["verbose"] = 2
        return _fit(*bound.args, **bound.kwargs)


    keras.Model.fit = _short_fit


    # -- no downloads ----------------------------------------------------------
    def _no_download(*args, **kwargs):
        raise RuntimeError("docs test: a snippet tried to download a file (keras.utils.get_file)")


    keras.utils.get_file = _no_download
    try:
        import keras.src.utils.file_utils as _file_utils

        _file_utils.get_file = _no_download
    except ImportError:
        pass

    snippet = sys.argv[1]
    with open(snippet, encoding="utf-8") as f:
        source = f.read()
    if "tfds:" in source:
        import tensorflow_datasets as tfds

        # Keep a reference: a collected context manager would undo the patches.
        _tfds_mock = tfds.testing.mock_data(num_examples=4, policy=tfds.testing.MockPolicy.USE_CODE)
        _tfds_mock.__enter__()

    runpy.run_path(snippet, run_name="__main__")
    if "kerasgen" in sys.modules:
        print("DOCS-KERASGEN-FILE", sys.modules["kerasgen"].__file__)
    print("DOCS-SNIPPET-OK")
    '''
)


def python_blocks(path):
    """(index, first line number, source) of each ```python block of a Markdown file."""
    blocks, lines, start = [], None, None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if lines is None:
            if re.fullmatch(r"```python", stripped):
                lines, start = [], number + 1
        elif stripped == "```":
            blocks.append((len(blocks), start, "\n".join(lines) + "\n"))
            lines = None
        else:
            lines.append(line)
    assert lines is None, f"{path}: unclosed ```python block starting at line {start}"
    return blocks


BLOCKS = [
    pytest.param(path, index, line, source, id=f"{path.relative_to(ROOT).as_posix()}[{index}]")
    for path in DOC_FILES
    for index, line, source in python_blocks(path)
]


def make_placeholder_folders(cwd, source):
    from PIL import Image

    made = []
    for folder, (height, width, mode) in PLACEHOLDER_FOLDERS.items():
        if not re.search(rf"[\"']{re.escape(folder)}/?[\"']", source):
            continue
        directory = cwd / folder
        directory.mkdir(parents=True)
        for i in range(IMAGES_PER_FOLDER):
            pixels = bytes((x * 7 + y * 3 + i * 50) % 256 for y in range(height) for x in range(width))
            image = Image.frombytes("L", (width, height), pixels).convert(mode)
            image.save(directory / f"image_{i}.png")
        made.append(folder)
    return made


def test_blocks_are_collected():
    files = {param.values[0].relative_to(ROOT).as_posix() for param in BLOCKS}
    assert "README.md" in files
    assert "docs/guides/export.md" in files
    assert len(BLOCKS) >= 15


def test_export_folders_are_distinct():
    """Pasting every block into one directory must not export twice to the same folder."""
    seen = {}
    for param in BLOCKS:
        path, index, _, source = param.values
        for folder in re.findall(r"\.export\(\s*[\"']([^\"']+)[\"']", source):
            where = f"{path.relative_to(ROOT).as_posix()}[{index}]"
            assert folder not in seen, f"{where} and {seen[folder]} both export to {folder!r}"
            seen[folder] = where


@pytest.mark.parametrize(("path", "index", "line", "source"), BLOCKS)
def test_snippet_runs(path, index, line, source, tmp_path):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    shim = tmp_path / "docs_shim.py"
    shim.write_text(SHIM, encoding="utf-8")
    name = f"{path.relative_to(ROOT).as_posix().replace('/', '_')}_block{index}_line{line}.py"
    snippet = tmp_path / name
    snippet.write_text(source, encoding="utf-8")
    make_placeholder_folders(cwd, source)

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["KERASGEN_DOCS_TEST"] = "1"
    env["CUDA_VISIBLE_DEVICES"] = ""
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["HOME"] = str(tmp_path / "home")  # "~/tensorflow_datasets" and caches resolve inside tmp_path
    (tmp_path / "home").mkdir()
    result = subprocess.run(
        [sys.executable, str(shim), str(snippet)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    output = result.stdout[-4000:] + "\n" + result.stderr[-6000:]
    assert result.returncode == 0 and "DOCS-SNIPPET-OK" in result.stdout, (
        f"{path.relative_to(ROOT)} block {index} (line {line}) failed:\n{output}"
    )
    # The snippet must have used this checkout's kerasgen, not another installed copy.
    for used in re.findall(r"^DOCS-KERASGEN-FILE (.*)$", result.stdout, flags=re.M):
        assert Path(used).resolve().is_relative_to(ROOT), f"kerasgen imported from {used}, not from {ROOT}"
