"""Shared checks every model's test file runs on a tiny instance."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np

import kerasgen

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def random_images(n, image_shape, seed=0):
    """float32 images in [-1, 1]."""
    return np.random.default_rng(seed).uniform(-1, 1, (n,) + tuple(image_shape)).astype("float32")


def mnist_images(split="train", n=None, binarize=False):
    x, y = kerasgen.data.mnist(split, binarize=binarize)
    x = kerasgen.data.to_model_range(x)
    return (x, y) if n is None else (x[:n], y[:n])


def run_python(code, timeout=300, env=None, args=()):
    """Runs code in a fresh interpreter (`args` in its sys.argv[1:]); returns stdout, failing loudly."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    if proc.returncode != 0:
        raise AssertionError(f"subprocess failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-4000:]}")
    return proc.stdout


def assert_config_round_trip(model):
    config = model.get_config()
    json.dumps(config)  # plain hyperparameters only
    clone = type(model).from_config(config)
    assert clone.get_config() == config
    clone.build_for_weights()
    assert clone.count_params() == model.count_params()
    return clone


def assert_keras_round_trip(model, path, inputs, outputs_fn):
    """Saves to .keras, loads with safe mode, checks compiled state and outputs."""
    model.save(path)
    loaded = kerasgen.zoo.load_keras(path)
    assert type(loaded) is type(model)
    assert loaded.compiled, "a saved .keras model must come back compiled"
    for (opt_a, _), (opt_b, _) in zip(model.optimizer_variables(), loaded.optimizer_variables()):
        assert type(opt_a) is type(opt_b)
        assert int(opt_b.iterations.numpy()) == int(opt_a.iterations.numpy())
        np.testing.assert_allclose(float(opt_b.learning_rate.numpy()), float(opt_a.learning_rate.numpy()), rtol=1e-6)
    np.testing.assert_allclose(outputs_fn(loaded, inputs), outputs_fn(model, inputs), rtol=1e-5, atol=1e-5)
    return loaded


def assert_saved_model_round_trip(model, export_dir, signature, input_name, inputs, expected, output_key="images"):
    """Exports, reloads in a fresh process with tf.saved_model.load, compares."""
    return assert_export(model, export_dir, signature, {input_name: inputs}, expected, output_key)


def assert_export(model, export_dir, signature, inputs, expected, output_key="images"):
    """Exports, calls `signature` with the dict `inputs` in a fresh process, compares with `expected`.

    Returns the names of the exported signatures (as the process printed them).
    """
    return assert_signatures(model, export_dir, [(signature, inputs, expected, output_key)])


def assert_signatures(model, export_dir, calls):
    """Exports once, then calls several signatures in one fresh process and compares each with its expected output.

    `calls` is a list of `(signature, inputs dict, expected, output_key)`.
    Returns the names of the exported signatures.
    """
    model.export(export_dir, verbose=False)
    folder = os.path.dirname(export_dir)
    for i, (_, inputs, _, _) in enumerate(calls):
        np.savez(os.path.join(folder, f"inputs{i}.npz"), **inputs)
    plan = [(signature, os.path.join(folder, f"inputs{i}.npz"), key) for i, (signature, _, _, key) in enumerate(calls)]
    out = run_python(
        f"""
        import numpy as np, tensorflow as tf
        loaded = tf.saved_model.load({export_dir!r})
        for i, (signature, path, key) in enumerate({plan!r}):
            inputs = np.load(path)
            y = loaded.signatures[signature](**{{k: tf.constant(inputs[k]) for k in inputs.files}})[key].numpy()
            assert y.dtype == np.float32, (signature, y.dtype)
            np.save(path.replace("inputs", "outputs").replace(".npz", ".npy"), y)
        print(sorted(loaded.signatures.keys()))
        """
    )
    for i, (signature, _, expected, _) in enumerate(calls):
        got = np.load(os.path.join(folder, f"outputs{i}.npy"))
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4, err_msg=signature)
    return out.strip().splitlines()[-1]


def weights_equal(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b))


def snapshot(variables):
    return [np.array(v) for v in variables]
