"""One step on two replicas must equal one step on one device (same global batch)."""

import json

import pytest

from kerasgen import distribute
from tests import helpers
from tests.cases import CASES

SCRIPT = """
import json, re, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras, numpy as np, kerasgen

case = json.loads(sys.argv[1])
cls = getattr(kerasgen.models, case["cls"])
batch, steps = case.get("batch", 8), case.get("steps", 1)


def data(model):
    # The same global batches for both runs; the case names their structure.
    rng = np.random.default_rng(0)
    n = batch * steps

    def images():
        return rng.uniform(-1, 1, (n,) + tuple(model.image_shape)).astype("float32")

    kind = model.batch_structure
    if kind == "images":
        x = images()
    elif kind == "labeled_images":  # (images, labels)
        x = (images(), rng.integers(0, model.num_classes, n).astype("int32"))
    elif kind == "image_pairs":  # (images_a, images_b)
        x = (images(), images())
    elif kind == "domain_images":  # (images, one-of-N domain indices)
        x = (images(), rng.integers(0, model.label_sizes[0], n).astype("int32"))
    else:
        raise ValueError(kind)
    return x, tf.data.Dataset.from_tensor_slices(x).batch(batch)


def one_step(strategy):
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = cls(**case["kwargs"])
        model.compile(**case.get("compile", {}))
    before = [np.array(w) for w in model.get_weights()]
    x, dataset = data(model)
    history = model.fit(dataset, epochs=1, verbose=0, shuffle=False).history
    state = {name: float(np.array(getattr(model, name))) for name in case.get("state", ())}
    paths = [w.path for w in model.weights]
    images = (x[0] if isinstance(x, tuple) else x)[:batch]
    outputs = [np.array(getattr(model, net)(images)) for net in case.get("outputs", ())]
    return before, model.get_weights(), {k: float(v[0]) for k, v in history.items()}, state, paths, outputs


b1, w1, h1, s1, paths, o1 = one_step(tf.distribute.get_strategy())
b2, w2, h2, s2, _, o2 = one_step(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
def rel_diff(a, b):
    return float(np.max(np.abs(a - b)) / (np.max(np.abs(a)) + 1e-12)) if a.size else 0.0


inert = re.compile(case["inert"]) if "inert" in case else None
rel = [0.0 if inert and inert.search(p) else rel_diff(a, b) for p, a, b in zip(paths, w1, w2)]
print(json.dumps({
    "worst": paths[int(np.argmax(rel))],
    "same_start": len(b1) == len(b2) and all(np.array_equal(a, b) for a, b in zip(b1, b2)),
    "moved": max(float(np.max(np.abs(a - b))) for a, b in zip(b1, w1) if a.size),
    "max_rel_diff": max(rel),
    "over": {p: r for p, r in zip(paths, rel) if r >= 1e-5},
    "inert_abs_diff": max([float(np.max(np.abs(a - b))) for p, a, b in zip(paths, w1, w2) if inert and inert.search(p)] or [0.0]),
    "inert_count": sum(1 for p in paths if inert and inert.search(p)),
    "output_rel_diff": max([rel_diff(a, b) for a, b in zip(o1, o2)] or [0.0]),
    "single": h1, "mirrored": h2, "state_single": s1, "state_mirrored": s2,
}))
"""


def _script_case(name):
    """The case of tests/cases.py as the script's JSON: class name, arguments, checks."""
    case = CASES[name]
    kwargs = {**case.kwargs, **case.overrides.get("distribute", {})}
    return dict(cls=case.cls.__name__, kwargs=kwargs, compile=case.compile, **case.distribute)


@pytest.mark.parametrize("name", sorted(CASES))
def test_two_replicas_take_the_same_step_as_one_device(name):
    case = _script_case(name)
    out = json.loads(helpers.run_python(SCRIPT, timeout=600, args=[json.dumps(case)]).strip().splitlines()[-1])
    assert out["same_start"] and out["moved"] > 1e-4, out
    assert out["max_rel_diff"] < 1e-5, (out["worst"], out["max_rel_diff"], out)
    assert out["output_rel_diff"] < 1e-5, out
    if "inert" in case:
        assert out["inert_count"] > 0
        assert out["inert_abs_diff"] <= 3 * 2e-4 * case.get("steps", 1), out
    # Logged metrics are averages over both replicas, equal to the single-device figures.
    assert out["mirrored"].keys() == out["single"].keys()
    for metric, value in out["single"].items():
        assert out["mirrored"][metric] == pytest.approx(value, rel=1e-5, abs=1e-6), metric
    # Schedule state (ProGAN: images seen, stage, alpha) counts the global batch once.
    assert out["state_single"] == case.get("state", {}), out
    assert out["state_mirrored"] == out["state_single"], out
    print(name, json.dumps({k: out[k] for k in ("max_rel_diff", "worst", "output_rel_diff", "inert_abs_diff")}))


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
    monkeypatch.setenv(
        "TF_CONFIG",
        json.dumps({"cluster": {**cluster, "chief": ["127.0.0.1:3"]}, "task": {"type": "worker", "index": 0}}),
    )
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
            env = {
                **os.environ,
                "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
            }
            cmd = [
                sys.executable,
                "-m",
                "kerasgen.cli",
                "train",
                "dcgan",
                "--strategy",
                "multi_worker",
                "--epochs",
                "1",
                "--steps-per-epoch",
                "3",
                "--batch-size",
                "16",
                "--verbose",
                "0",
                "--out",
                str(tmp_path / f"w{index}"),
            ]
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
