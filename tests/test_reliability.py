"""Faults and hostile inputs: NaN losses, killed runs, determinism, health alerts, downloads."""

import functools
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import h5py
import numpy as np
import pytest
import tensorflow as tf

import kerasgen
from kerasgen import zoo
from kerasgen.callbacks import Checkpoint, TrainingHealthMonitor
from kerasgen.models import VAE
from tests import helpers

TINY = dict(image_shape=(8, 8, 1), latent_dim=3, filters=(4, 8), seed=1)


class NaNAfter(VAE):
    """A VAE whose loss turns NaN once the optimizer has taken 3 steps."""

    def elbo_terms(self, images, training=False):
        terms = super().elbo_terms(images, training)
        poison = tf.where(self.optimizer.iterations >= 3, np.nan, 1.0)
        terms["loss"] = terms["loss"] * poison
        return terms


def test_nan_stops_training_naming_loss_and_step_and_keeps_last_checkpoint(tmp_path):
    model = NaNAfter(**TINY)
    model.compile()
    x = helpers.random_images(32, TINY["image_shape"])
    ckpt = Checkpoint(str(tmp_path / "ckpt"), every_steps=1)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"loss is NaN or Inf at step(.|\n)*3"):
        model.fit(x, batch_size=4, epochs=1, callbacks=[ckpt], verbose=0)
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())  # the bad step applied nothing
    fresh = VAE(**TINY)
    fresh.compile()
    step, _ = Checkpoint.restore(fresh, str(tmp_path / "ckpt"))
    assert step == 3
    assert int(fresh.optimizer.iterations.numpy()) == 3
    assert all(np.all(np.isfinite(w)) for w in fresh.get_weights())
    assert helpers.weights_equal(fresh.get_weights(), model.get_weights())


def test_checkpoint_refuses_to_write_non_finite_logs(tmp_path):
    model = VAE(**TINY)
    model.compile()
    ckpt = Checkpoint(str(tmp_path))
    ckpt.set_model(model)
    assert ckpt.save({"loss": 1.0})
    before = open(tmp_path / "current" / Checkpoint.WEIGHTS, "rb").read()
    with pytest.warns(UserWarning, match="non-finite"):
        assert not ckpt.save({"loss": float("nan")})
    assert open(tmp_path / "current" / Checkpoint.WEIGHTS, "rb").read() == before


def test_torn_checkpoint_falls_back_to_previous(tmp_path):
    model = VAE(**TINY)
    model.compile()
    ckpt = Checkpoint(str(tmp_path)).starting_at(5)
    ckpt.set_model(model)
    ckpt.save()
    ckpt.step = 6
    ckpt.save()
    with open(tmp_path / "current" / Checkpoint.WEIGHTS, "r+b") as f:
        f.truncate(100)
    fresh = VAE(**TINY)
    with pytest.raises(ValueError, match="Compile the model"):
        Checkpoint.restore(fresh, str(tmp_path))
    fresh.compile()
    assert Checkpoint.restore(fresh, str(tmp_path))[0] == 5


# -- whole runs in fresh processes -------------------------------------------------

TRAIN = [
    "train",
    "vae",
    "--epochs",
    "3",
    "--steps-per-epoch",
    "20",
    "--batch-size",
    "32",
    "--checkpoint-every",
    "5",
    "--deterministic",
    "--verbose",
    "0",
    "--grid-every",
    "3",
]


def _kerasgen(args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "kerasgen.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _final_weights(run):
    with h5py.File(os.path.join(run, "checkpoints", "current", Checkpoint.WEIGHTS)) as f:
        out = {}
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


def _step(run):
    try:
        with open(os.path.join(run, "checkpoints", "current", Checkpoint.STATE)) as f:
            return json.load(f)["step"]
    except (OSError, ValueError):
        return 0


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    done = {}
    procs = {
        name: _kerasgen(TRAIN + ["--out", str(root / name)] + extra)
        for name, extra in [("a", []), ("d", ["--seed", "1"])]
    }
    # Run "b" alongside, kill it with SIGKILL in the middle of its second epoch, then resume it.
    b = _kerasgen(TRAIN + ["--out", str(root / "b")])
    deadline = time.time() + 600
    while _step(root / "b") < 25 and b.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    killed_running = b.poll() is None
    b.send_signal(signal.SIGKILL)
    b.wait(timeout=60)
    done["killed_at"] = _step(root / "b")
    done["killed_running"] = killed_running
    done["b_finished_before_kill"] = os.path.exists(root / "b" / "model.keras")
    resume = _kerasgen(TRAIN + ["--out", str(root / "b"), "--resume"])
    for name, proc in list(procs.items()) + [("b", resume)]:
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, f"run {name} failed:\n{err[-3000:]}"
        done[name] = str(root / name)
    return done


def test_killed_run_resumes_to_the_same_weights(runs):
    assert runs["killed_running"] and not runs["b_finished_before_kill"]
    assert 25 <= runs["killed_at"] < 60 and runs["killed_at"] % 20 != 0, runs["killed_at"]  # mid-epoch
    a, b = _final_weights(runs["a"]), _final_weights(runs["b"])
    assert a.keys() == b.keys() and len(a) > 10
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_same_seed_gives_identical_weights_and_samples_other_seed_differs(runs):
    # "b" ran the same command as "a" in another process (killed and resumed on the way).
    a, b, d = (_final_weights(runs[k]) for k in "abd")
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not all(np.array_equal(a[k], d[k]) for k in a if a[k].size > 1)
    grid = os.path.join("samples", "samples_epoch_0003.png")
    read = lambda run: open(os.path.join(run, grid), "rb").read()  # noqa: E731
    assert read(runs["a"]) == read(runs["b"]) != read(runs["d"])


# -- health monitor --------------------------------------------------------------


def test_health_monitor_warns_on_a_saturated_discriminator():
    monitor = TrainingHealthMonitor(d_loss_floor=0.01, patience=5)
    for i in range(4):
        monitor.on_train_batch_end(i, {"d_loss": 0.001})
    assert monitor.alerts == []
    with pytest.warns(RuntimeWarning, match=r"Discriminator saturated: d_loss 1.00e-03 < 0.01 for 5"):
        monitor.on_train_batch_end(4, {"d_loss": 0.001})


def test_health_monitor_warns_on_collapsed_samples():
    model = VAE(**TINY)
    model.compile()
    monitor = TrainingHealthMonitor(check_every=1, num_samples=16)
    monitor.set_model(model)
    monitor.on_train_begin()
    assert monitor.initial_diversity > 0
    monitor.on_train_batch_end(0, {})
    assert monitor.alerts == []
    out = model.decoder.get_layer("output")
    out.kernel.assign(tf.zeros_like(out.kernel))  # every latent now decodes to the same image
    with pytest.warns(RuntimeWarning, match=r"mode collapse at step 2: sample diversity 0.0000 is 0.0%"):
        monitor.on_train_batch_end(1, {})


# -- downloads of entries --------------------------------------------------------


@pytest.fixture()
def entry_server(tmp_path):
    root = tmp_path / "served"
    shutil.copytree(zoo.entry_dir("vae"), root / "vae")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/vae", root / "vae"
    server.shutdown()


def test_entry_from_url_is_cached_verified_and_bad_cache_replaced(entry_server, tmp_path, monkeypatch):
    url, served = entry_server
    monkeypatch.setenv("KERASGEN_CACHE", str(tmp_path / "cache"))
    model = zoo.load(url)
    np.testing.assert_allclose(model.generate(2, seed=0), zoo.load("vae").generate(2, seed=0))
    (cached,) = [p for p in (tmp_path / "cache").rglob("model.weights.h5")]
    cached.write_bytes(b"corrupted")  # a damaged cache hit is found, removed and fetched again
    zoo.load(url)
    assert zoo.sha256_file(cached) == zoo.metadata("vae")["weights"]["sha256"]
    assert not [p for p in (tmp_path / "cache").rglob(".download-*")]


def test_tampered_download_leaves_nothing_in_the_cache(entry_server, tmp_path, monkeypatch):
    url, served = entry_server
    monkeypatch.setenv("KERASGEN_CACHE", str(tmp_path / "cache"))
    (served / "model.weights.h5").write_bytes(b"not the weights")
    with pytest.raises(zoo.IntegrityError, match="sha256 mismatch"):
        zoo.load(url)
    assert not list((tmp_path / "cache").rglob("*.h5")) and not list((tmp_path / "cache").rglob(".download-*"))


def test_weights_file_name_cannot_escape_the_cache(entry_server, tmp_path, monkeypatch):
    url, served = entry_server
    monkeypatch.setenv("KERASGEN_CACHE", str(tmp_path / "cache"))
    meta = json.loads((served / "metadata.json").read_text())
    meta["weights"]["file"] = "../../escape.weights.h5"
    (served / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="Invalid weights file name"):
        zoo.load(url)


def test_oversized_images_are_refused(tmp_path, monkeypatch):
    from PIL import Image

    Image.new("L", (40, 40)).save(tmp_path / "big.png")
    monkeypatch.setattr(kerasgen.data, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ValueError, match=r"big\.png: ValueError: 40x40 pixels is larger than the limit of 1000 pixels"):
        kerasgen.data.dataset(str(tmp_path), (8, 8, 1))


def test_float_images_in_0_1_are_not_read_as_minus_1_1():
    from kerasgen.models import Autoencoder

    model = Autoencoder(image_shape=(8, 8, 1), latent_dim=2, filters=(4, 8), seed=0)
    photos = np.random.default_rng(0).uniform(0.0, 1.0, (2, 8, 8, 1)).astype("float32")
    model.compile()
    fit = lambda x: model.fit(x, batch_size=2, epochs=1, verbose=0)  # noqa: E731
    for method in (model.encode, model.reconstruct, fit):
        with pytest.raises(
            ValueError, match=r"floats from 0\.0\d* to 0\.9\d* with no negative value.*value_range=\(0, 1\)"
        ):
            method(photos)
    converted = kerasgen.data.as_model_images(photos, model.image_shape, value_range=(0, 1))
    np.testing.assert_allclose(converted, photos * 2 - 1, atol=1e-6)
    assert model.reconstruct(converted).shape == (2, 8, 8, 1)
    assert model.reconstruct((photos * 255).astype("uint8")).shape == (2, 8, 8, 1)
    assert np.isfinite(fit(converted).history["loss"][0])
