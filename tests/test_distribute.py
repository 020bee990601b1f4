"""One step on two replicas must equal one step on one device (same global batch)."""

import json

import pytest

from kerasgen import distribute
from tests import helpers

SCRIPT = """
import json, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras, numpy as np, kerasgen

cls = getattr(kerasgen.models, {cls!r})
kwargs = {kwargs!r}
x = np.random.default_rng(0).uniform(-1, 1, (8,) + tuple(kwargs["image_shape"])).astype("float32")

def one_step(strategy):
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = cls(**kwargs)
        model.compile()
    before = [np.array(w) for w in model.get_weights()]
    history = model.fit(tf.data.Dataset.from_tensor_slices(x).batch(8), epochs=1, verbose=0, shuffle=False).history
    return before, model.get_weights(), {{k: v[0] for k, v in history.items()}}

b1, w1, h1 = one_step(tf.distribute.get_strategy())
b2, w2, h2 = one_step(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
print(json.dumps({{
    "same_start": all(np.array_equal(a, b) for a, b in zip(b1, b2)),
    "moved": max(float(np.max(np.abs(a - b))) for a, b in zip(b1, w1)),
    "max_rel_diff": max(float(np.max(np.abs(a - b)) / (np.max(np.abs(a)) + 1e-12)) for a, b in zip(w1, w2)),
    "single": h1, "mirrored": h2,
}}))
"""


CASES = {
    "Autoencoder": dict(image_shape=(8, 8, 1), latent_dim=3, filters=(4, 8), seed=1),
    "VAE": dict(image_shape=(8, 8, 1), latent_dim=3, filters=(4, 8), seed=1),
    # Synchronized BatchNorm: statistics over the global batch, as on one device.
    "DCGAN": dict(image_shape=(16, 16, 1), latent_dim=5, generator_filters=4, discriminator_filters=4,
                  synchronized_batch_norm=True, seed=2),
}


@pytest.mark.parametrize("cls", sorted(CASES))
def test_two_replicas_take_the_same_step_as_one_device(cls):
    script = SCRIPT.format(cls=cls, kwargs=CASES[cls])
    out = json.loads(helpers.run_python(script, timeout=600).strip().splitlines()[-1])
    assert out["same_start"] and out["moved"] > 1e-4
    assert out["max_rel_diff"] < 1e-5, out
    # Logged metrics are averages over both replicas, equal to the single-device figures.
    for name, value in out["single"].items():
        assert out["mirrored"][name] == pytest.approx(value, rel=1e-5), name


def test_strategy_choice(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert type(distribute.strategy("auto")).__name__ == "_DefaultDistributionStrategy"
    with pytest.raises(ValueError, match="Unknown strategy 'gpu'"):
        distribute.strategy("gpu")
    with pytest.raises(ValueError, match="no TPU could be resolved"):
        distribute.strategy("tpu")


def test_only_the_chief_writes(monkeypatch):
    cluster = {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 0}}))
    assert distribute.is_chief()
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 1}}))
    assert not distribute.is_chief()
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {**cluster, "chief": ["127.0.0.1:3"]}, "task": {"type": "worker", "index": 0}}))
    assert not distribute.is_chief()


def _free_ports(n):
    import socket

    socks = [socket.socket() for _ in range(n)]
    for sock in socks:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in socks]
    for sock in socks:
        sock.close()
    return ports


def test_two_workers_train_identically_and_only_the_chief_writes(tmp_path):
    import os
    import subprocess
    import sys

    import h5py
    import numpy as np

    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    try:
        for index in range(2):
            env = {**os.environ, "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
            cmd = [sys.executable, "-m", "kerasgen.cli", "train", "dcgan", "--strategy", "multi_worker", "--epochs", "1",
                   "--steps-per-epoch", "3", "--batch-size", "16", "--verbose", "0", "--out", str(tmp_path / f"w{index}")]
            procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        for proc in procs:
            _, err = proc.communicate(timeout=420)
            assert proc.returncode == 0, err[-3000:]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def weights(path):
        out = {}
        with h5py.File(path) as f:
            f.visititems(lambda n, o: out.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
        return out

    chief = weights(tmp_path / "w0" / "checkpoints" / "current" / "state.weights.h5")
    other = weights(tmp_path / "w1" / "checkpoints" / ".worker-scratch" / "current" / "state.weights.h5")
    assert chief.keys() == other.keys() and len(chief) > 10
    # BatchNorm moving statistics are per worker (unsynchronized batch norm);
    # every trained weight and optimizer slot must agree exactly.
    moving = [k for k in chief if "batch_normalization" in k and k.split("/")[-1] in ("2", "3") and "/vars/" in k]
    assert moving
    for key in chief:
        if key not in moving:
            np.testing.assert_array_equal(chief[key], other[key], err_msg=key)
    chief_files = {p.relative_to(tmp_path / "w0").parts[0] for p in (tmp_path / "w0").rglob("*")}
    assert {"samples", "export", "model.keras", "checkpoints", "history.csv"} <= chief_files
    worker_files = {str(p.relative_to(tmp_path / "w1")) for p in (tmp_path / "w1").rglob("*") if p.is_file()}
    assert worker_files and all(f.startswith("checkpoints/.worker-scratch/") for f in worker_files), worker_files
