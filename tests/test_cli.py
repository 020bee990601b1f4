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


def test_resume_without_a_run_is_refused(tmp_path, capsys):
    assert cli.main(["train", "vae", "--resume", "--out", str(tmp_path / "none")]) == 2
    assert "holds no run to resume" in capsys.readouterr().err


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


def test_console_script_is_installed_and_prints_only_its_own_output(tmp_path):
    import sys

    exe = shutil.which("kerasgen")
    assert exe, "the `kerasgen` console script is not on PATH"
    proc = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "train" in proc.stdout and proc.stderr == ""
    # Listing and --help need no TensorFlow.
    code = "import sys; from kerasgen import cli; cli.main(['list']); print('tensorflow' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip().endswith("False") and "vae" in proc.stdout
    # A command that runs TensorFlow prints its own line and nothing of TensorFlow's start-up.
    grid = str(tmp_path / "grid.png")
    proc = subprocess.run([exe, "sample", "vae", "-n", "4", "-o", grid], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"Wrote 4 samples to {grid}\n" and proc.stderr == "", proc.stderr


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
    run_json = os.path.join(out, "run.json")
    with open(run_json) as f:
        recorded = json.load(f)
    assert recorded["precision"] == "mixed_float16" and recorded["steps_per_epoch"] == 2
    with open(os.path.join(out, "checkpoints", "current", "state.json")) as f:
        assert json.load(f)["loss_scaling"] is True
    # The state of a two-epoch run killed after its first epoch: run.json is
    # written when a run starts, so it holds the run's own settings.
    with open(run_json, "w") as f:
        json.dump(dict(recorded, epochs=2), f)
    # A flag that contradicts the recorded settings is refused with both values.
    assert cli.main(["train", "autoencoder", "--out", out, "--resume", "--precision", "float32"]) == 2
    assert "--precision float32 conflicts with the run's recorded precision mixed_float16" in capsys.readouterr().err
    assert cli.main(["train", "autoencoder", "--out", out, "--resume", "--seed", "3"]) == 2
    assert "recorded seed 0" in capsys.readouterr().err
    # A bare --resume continues with the run's data, steps, epochs and precision.
    assert cli.main(["train", "autoencoder", "--out", out, "--resume", "--verbose", "0", "--grid-every", "10"]) == 0
    said = capsys.readouterr().out
    assert "Resuming" in said and "at step 2 of 4" in said and "mixed_float16" in said
    with open(os.path.join(out, "checkpoints", "current", "state.json")) as f:
        assert json.load(f)["step"] == 4
    loaded = tf.saved_model.load(os.path.join(out, "export"))
    assert loaded.signatures["decode"](codes=tf.zeros((2, 16)))["images"].dtype == tf.float32


def _folder(path, n, size=(28, 28), mode="L", seed=0):
    from PIL import Image

    path.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        shape = size + ((3,) if mode == "RGB" else ())
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(path / f"{i}.png")
    return str(path)


def test_a_failed_start_leaves_no_run_behind(tmp_path, capsys, monkeypatch):
    photos = _folder(tmp_path / "photos", 4, size=(16, 16), mode="RGB")
    out = tmp_path / "run"
    # RGB photos for a grayscale recipe: refused before any folder is made, with the way out.
    assert cli.main(["train", "vae", "--data", photos, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "holds RGB images (3 channel(s))" in err and "--image-shape 28,28,3" in err
    assert not out.exists()

    # A failure in the first steps removes the half-made run, so the same command runs again.
    def broken(*args, **kwargs):
        raise RuntimeError("interrupted")

    args = ["train", "vae", "--data", photos, "--image-shape", "data", "--out", str(out), "--verbose", "0"]
    args += ["--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "2"]
    monkeypatch.setattr(cli, "_fit_from", broken)
    try:
        cli.main(args)
    except RuntimeError:
        pass
    assert not out.exists()
    monkeypatch.undo()
    assert cli.main(args) == 0
    # --image-shape data builds the recipe at the data's size and channels; TensorBoard logs are written by default.
    loaded = tf.saved_model.load(str(out / "export"))
    assert loaded.signatures["decode"](latents=tf.zeros((2, 16)))["images"].shape == (2, 16, 16, 3)
    events = [f for _, _, files in os.walk(out / "tensorboard") for f in files if f.startswith("events.")]
    assert events, "no TensorBoard event file"


def test_conditional_and_translation_models_train_on_their_usual_layouts(tmp_path, capsys):
    import json

    classes = tmp_path / "classes"
    for k, name in enumerate(["cat", "dog", "eel"]):
        _folder(classes / name, 3, seed=k)
    out = str(tmp_path / "cdcgan")
    short = ["--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "4", "--verbose", "0", "--grid-every", "5"]
    assert cli.main(["train", "cdcgan", "--data", str(classes), "--out", out] + short) == 0
    with open(os.path.join(out, "run.json")) as f:
        assert json.load(f)["class_names"] == ["cat", "dog", "eel"]
    from kerasgen import zoo

    assert zoo.load_keras(os.path.join(out, "model.keras")).num_classes == 3  # the folders' classes, not 10 digits
    # Scored on its own classes: FID and precision, but no digit-classifier label accuracy.
    capsys.readouterr()
    assert cli.main(["eval", os.path.join(out, "model.keras"), "--data", str(classes)]) == 0
    results = json.loads(capsys.readouterr().out)
    assert "label_accuracy" not in results and results["fid_digits"] > 0

    # CycleGAN: the two domains' folders (a folder holding trainA/ and trainB/
    # resolves to the same two, tests/test_data.py).
    h2z = tmp_path / "h2z"
    _folder(h2z / "trainA", 3, seed=1)
    _folder(h2z / "trainB", 2, seed=2)
    short[short.index("--batch-size") + 1] = "1"  # the paper's batch
    two = ["--data", str(h2z / "trainA"), "--data-b", str(h2z / "trainB")]
    assert cli.main(["train", "cyclegan", *two, "--out", str(tmp_path / "c2")] + short) == 0
    assert os.path.isfile(tmp_path / "c2" / "export" / "saved_model.pb")
    capsys.readouterr()
    # One folder without the two domains: the error says what layouts work.
    assert cli.main(["train", "cyclegan", "--data", str(h2z / "trainA"), "--out", str(tmp_path / "c3")]) == 2
    assert "trainA/ and" in capsys.readouterr().err
    assert not (tmp_path / "c3").exists()


def test_a_multi_domain_model_trains_on_domain_folders_or_an_attribute_csv(tmp_path, capsys):
    import json

    short = ["--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "2", "--verbose", "0", "--grid-every", "5"]
    seasons = tmp_path / "seasons"
    for k, name in enumerate(["summer", "winter"]):
        _folder(seasons / name, 3, seed=k)
    out = tmp_path / "s1"
    assert cli.main(["train", "stargan", "--data", str(seasons), "--out", str(out)] + short) == 0
    with open(out / "run.json") as f:
        groups = json.load(f)["label_groups"]
    assert groups == [{"name": "domains", "labels": ["summer", "winter"], "multi_label": False}]
    loaded = tf.saved_model.load(str(out / "export"))
    one_hot = tf.constant([[0.0, 1.0]])
    assert loaded.signatures["translate"](images=tf.zeros((1, 28, 28, 1)), target_labels=one_hot)["images"].shape == (
        1, 28, 28, 1,
    )  # fmt: skip
    assert os.path.isfile(out / "samples" / "translations_epoch_0001.png")

    # A CSV beside the images, two of its attributes chosen with --attributes.
    flat = tmp_path / "flat"
    _folder(flat, 4, seed=3)
    rows = [f"{i}.png,{i % 2},{int(i < 2)},1" for i in range(4)]
    (flat / "labels.csv").write_text("filename,smiling,glasses,hat\n" + "\n".join(rows) + "\n")
    out = tmp_path / "s2"
    args = ["train", "stargan", "--data", str(flat), "--attributes", "glasses,smiling", "--out", str(out)]
    assert cli.main(args + short) == 0
    with open(out / "run.json") as f:
        recorded = json.load(f)
    assert (
        recorded["attributes"] == ["glasses", "smiling"]
        and recorded["label_groups"][0]["labels"] == recorded["attributes"]
    )
    capsys.readouterr()
    # An attribute that is the same for every image leaves a domain empty: refused before anything is written.
    args = ["train", "stargan", "--data", str(flat), "--attributes", "hat", "--out", str(tmp_path / "s3")]
    assert cli.main(args + short) == 2
    assert "'hat' is on for all 4 images" in capsys.readouterr().err
    assert not (tmp_path / "s3").exists()
    # A translation model is scored on its known-answer task, not on a folder.
    assert cli.main(["eval", str(out / "model.keras"), "--data", str(flat)]) == 2
    assert "known answers" in capsys.readouterr().err


def test_eval_on_your_data_and_never_silently_on_digits(tmp_path, capsys):
    import json

    import kerasgen

    model = kerasgen.models.DCGAN(image_shape=(16, 16, 3), latent_dim=8, generator_filters=4, seed=0)
    path = str(tmp_path / "faces.keras")
    model.save(path)
    assert cli.main(["eval", path]) == 2
    assert "pass --data with held-out images" in capsys.readouterr().err
    faces = _folder(tmp_path / "faces", 6, size=(20, 20), mode="RGB")
    assert cli.main(["eval", path, "--data", faces]) == 0
    results = json.loads(capsys.readouterr().out)
    assert results["heldout"] == f"6 images of {faces}"
    assert results["fid_digits"] > 0 and 0 <= results["precision_digits"] <= 1


def test_overwrite_replaces_only_a_run_and_gives_it_back_when_the_new_one_fails(tmp_path, capsys, monkeypatch):
    photos = _folder(tmp_path / "photos", 4, size=(16, 16))
    out = tmp_path / "run"
    out.mkdir()
    (out / "thesis.tex").write_text("not a run")
    args = ["train", "vae", "--data", photos, "--image-shape", "16,16,1", "--out", str(out), "--verbose", "0"]
    args += ["--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "2", "--overwrite"]
    assert cli.main(args) == 2
    assert "holds no kerasgen run" in capsys.readouterr().err
    assert (out / "thesis.tex").exists()

    (out / "thesis.tex").unlink()
    (out / "run.json").write_text('{"entry": "vae"}')
    (out / "history.csv").write_text("epoch,loss\n0,1.0\n")

    def broken(*args, **kwargs):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(cli, "_fit_from", broken)
    try:
        cli.main(args)
    except RuntimeError:
        pass
    # The new run failed before its first checkpoint: the old one is back, untouched.
    assert (out / "history.csv").read_text() == "epoch,loss\n0,1.0\n"
    assert not (tmp_path / "run.replaced").exists()


def test_a_part_to_whole_model_trains_on_plain_images_and_is_scored_on_its_completions(tmp_path, capsys):
    import json

    faces = _folder(tmp_path / "faces", 8, size=(40, 40), mode="RGB")
    out = str(tmp_path / "run")
    args = ["train", "part_to_whole_celeba_64", "--data", faces, "--image-shape", "32,32,3"]
    assert cli.main(args + ["--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "4", "--out", out]) == 0
    files = _tree(out)
    assert "samples/completions_epoch_0001.png" in files and "export/saved_model.pb" in files
    loaded = tf.saved_model.load(os.path.join(out, "export"))
    outputs = loaded.signatures["complete"](patches=tf.zeros((2, 3, 32, 32, 3)), latents=tf.zeros((2, 128)))
    assert outputs["images"].shape == (2, 32, 32, 3) and outputs["masks"].shape == (2, 32, 32, 3)
    capsys.readouterr()
    assert cli.main(["eval", os.path.join(out, "model.keras"), "--data", faces]) == 0
    results = json.loads(capsys.readouterr().out)
    assert 0 <= results["mask_iou"] <= 1 and results["patch_mae"] >= 0 and "class_agreement" not in results


def test_a_run_on_a_relative_folder_resumes_from_any_directory_and_never_on_other_data(tmp_path, capsys, monkeypatch):
    import json

    _folder(tmp_path / "work" / "digits", 8)
    monkeypatch.chdir(tmp_path / "work")
    out = str(tmp_path / "run")
    base = ["train", "autoencoder", "--batch-size", "4", "--steps-per-epoch", "2", "--out", out, "--verbose", "0"]
    assert cli.main(base + ["--data", "digits", "--epochs", "1", "--grid-every", "10"]) == 0
    run_json = os.path.join(out, "run.json")
    with open(run_json) as f:
        recorded = json.load(f)
    assert recorded["data"] == str(tmp_path / "work" / "digits")  # absolute, whatever the cwd was
    with open(run_json, "w") as f:
        json.dump(dict(recorded, epochs=2), f)  # a two-epoch run stopped after its first epoch
    # The same relative --data, from the same folder, agrees with the recorded path.
    resume = ["train", "autoencoder", "--out", out, "--resume", "--verbose", "0", "--grid-every", "10"]
    assert cli.main(resume + ["--data", "digits"]) == 0
    assert "at step 2 of 4" in capsys.readouterr().out
    monkeypatch.chdir(tmp_path)  # another directory: the run still finds its data
    with open(run_json, "w") as f:
        json.dump(dict(recorded, epochs=3), f)
    assert cli.main(resume) == 0
    said = capsys.readouterr().out
    assert "at step 4 of 6" in said and f"data {tmp_path / 'work' / 'digits'})" in said
    # The data gone: refused with the recorded path, never trained on the embedded digits instead.
    os.rename(tmp_path / "work" / "digits", tmp_path / "work" / "moved")
    with open(run_json, "w") as f:
        json.dump(dict(recorded, epochs=4), f)
    before = _tree(out)
    assert cli.main(resume) == 2
    err = capsys.readouterr().err
    assert f"recorded data '{tmp_path / 'work' / 'digits'}'" in err and "does not exist" in err
    assert _tree(out) == before


def test_counts_must_be_positive(capsys):
    import pytest

    from kerasgen import runs

    for args in (
        ["train", "vae", "--epochs", "0"],
        ["train", "vae", "--batch-size", "-5"],
        ["train", "vae", "--steps-per-epoch", "-2"],
        ["sample", "vae", "-n", "0"],
        ["eval", "vae", "--limit", "x"],
    ):
        with pytest.raises(SystemExit) as stopped:
            cli.main(args)
        assert stopped.value.code == 2
        assert "expected a positive integer" in capsys.readouterr().err
    with pytest.raises(ValueError, match="batch_size must be a positive integer; got 0"):
        runs.prepare("vae", batch_size=0)
    # --limit picks from the user's data; an entry is measured on its whole split.
    assert cli.main(["eval", "vae", "--limit", "10"]) == 2
    assert "--limit applies to --data" in capsys.readouterr().err


def test_sample_writes_the_format_its_extension_names(tmp_path, capsys):
    from PIL import Image

    jpeg = str(tmp_path / "grid.jpg")
    assert cli.main(["sample", "vae", "-n", "4", "-o", jpeg]) == 0
    assert Image.open(jpeg).format == "JPEG"
    assert cli.main(["sample", "vae", "-n", "4", "-o", str(tmp_path / "grid.xyz")]) == 2
    assert "unknown image extension '.xyz'" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "grid.xyz")
