import os
import shutil
import subprocess

import numpy as np
import tensorflow as tf

from kerasgen import cli


def _tree(path):
    out = {}
    for root, _, files in os.walk(path):
        for f in files:
            p = os.path.join(root, f)
            out[os.path.relpath(p, path)] = (os.path.getsize(p), os.path.getmtime(p))
    return out


def test_train_writes_grid_checkpoint_and_saved_model_then_refuses_to_overwrite(tmp_path, capsys):
    out = str(tmp_path / "run")
    args = ["train", "vae", "--epochs", "1", "--steps-per-epoch", "5", "--out", out, "--verbose", "0"]
    assert cli.main(args) == 0
    files = _tree(out)
    assert "samples/samples_epoch_0001.png" in files
    assert "samples/reconstructions_epoch_0001.png" in files
    assert "checkpoints/current/state.weights.h5" in files and "model.keras" in files
    assert "export/saved_model.pb" in files
    loaded = tf.saved_model.load(os.path.join(out, "export"))
    images = loaded.signatures["decode"](latents=tf.zeros((3, 16)))["images"]
    assert images.shape == (3, 28, 28, 1)

    assert cli.main(args) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert _tree(out) == files  # nothing changed


def test_resume_without_backup_is_refused(tmp_path, capsys):
    assert cli.main(["train", "vae", "--resume", "--out", str(tmp_path / "none")]) == 2
    assert "no checkpoint" in capsys.readouterr().err


def test_list_sample_and_export(tmp_path, capsys):
    assert cli.main(["list"]) == 0
    listing = capsys.readouterr().out
    assert "vae" in listing and "pretrained" in listing
    grid = str(tmp_path / "grid.png")
    assert cli.main(["sample", "vae", "-n", "16", "-o", grid]) == 0
    from PIL import Image

    assert Image.open(grid).size == (4 * 30 + 2, 4 * 30 + 2)
    assert cli.main(["export", "vae", str(tmp_path / "exp")]) == 0
    assert os.path.isfile(tmp_path / "exp" / "saved_model.pb")
    capsys.readouterr()
    assert cli.main(["export", "vae", str(tmp_path / "exp")]) == 2
    assert "pass --overwrite" in capsys.readouterr().err
    assert cli.main(["sample", "autoencoder", "-o", grid]) == 2
    assert "not a generative model" in capsys.readouterr().err


def test_console_script_is_installed():
    exe = shutil.which("kerasgen")
    assert exe, "the `kerasgen` console script is not on PATH"
    proc = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "train" in proc.stdout


def test_eval_reports_held_out_metrics(capsys):
    import json

    assert cli.main(["eval", "vae", "--importance-samples", "4"]) == 0
    results = json.loads(capsys.readouterr().out)
    # The pretrained VAE: held-out ELBO near -98 nats; the K=4 bound is above the ELBO.
    assert -110 < results["test_elbo"] < -90
    assert results["test_log_likelihood_iwae_k4"] > results["test_elbo"]
    assert results["fid_digits"] < 100


def test_mixed_float16_run_resumes_with_its_loss_scalers(tmp_path, capsys):
    import json

    import keras
    from PIL import Image

    folder = tmp_path / "images"
    folder.mkdir()
    for i, image in enumerate(np.random.default_rng(0).integers(0, 256, (8, 28, 28), dtype=np.uint8)):
        Image.fromarray(image).save(folder / f"{i}.png")
    out = str(tmp_path / "run")
    base = [
        "train",
        "autoencoder",
        "--data",
        str(folder),
        "--batch-size",
        "4",
        "--steps-per-epoch",
        "2",
        "--out",
        out,
        "--verbose",
        "0",
        "--grid-every",
        "10",
    ]
    assert cli.main(base + ["--epochs", "1", "--precision", "mixed_float16"]) == 0
    assert keras.config.dtype_policy().name == "float32"  # the caller's policy is back
    with open(os.path.join(out, "run.json")) as f:
        assert json.load(f)["precision"] == "mixed_float16"
    with open(os.path.join(out, "checkpoints", "current", "state.json")) as f:
        assert json.load(f)["loss_scaling"] is True
    # Resuming under another precision is refused with the reason.
    assert cli.main(base + ["--epochs", "2", "--resume"]) == 2
    assert "mixed_float16" in capsys.readouterr().err
    assert cli.main(base + ["--epochs", "2", "--resume", "--precision", "mixed_float16"]) == 0
    with open(os.path.join(out, "checkpoints", "current", "state.json")) as f:
        assert json.load(f)["step"] == 4
    loaded = tf.saved_model.load(os.path.join(out, "export"))
    assert loaded.signatures["decode"](codes=tf.zeros((2, 16)))["images"].dtype == tf.float32
