import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasgen
from kerasgen import losses


def softplus(x):
    return np.logaddexp(0.0, x)


def per_example(x):
    return x.reshape(x.shape[0], -1).mean(axis=1)


# name -> (function, numpy reference on float64 arrays, is_discriminator_loss)
ADVERSARIAL = {
    "minimax_generator_loss": (
        losses.minimax_generator_loss,
        lambda f: per_example(-softplus(f)).mean(),
        False,
    ),
    "minimax_discriminator_loss": (
        losses.minimax_discriminator_loss,
        lambda r, f: per_example(np.log1p(np.exp(-r))).mean() + per_example(np.log1p(np.exp(f))).mean(),
        True,
    ),
    "modified_generator_loss": (
        losses.modified_generator_loss,
        lambda f: -np.log(1.0 / (1.0 + np.exp(-f))).mean(),
        False,
    ),
    "modified_discriminator_loss": (
        losses.modified_discriminator_loss,
        # -E[log D(x)] - E[log(1 - D(G(z)))] with D = sigmoid.
        lambda r, f: -np.log(1.0 / (1.0 + np.exp(-r))).mean() - np.log(1.0 - 1.0 / (1.0 + np.exp(-f))).mean(),
        True,
    ),
    "least_squares_generator_loss": (
        losses.least_squares_generator_loss,
        lambda f: 0.5 * ((f - 1.0) ** 2).mean(),
        False,
    ),
    "least_squares_discriminator_loss": (
        losses.least_squares_discriminator_loss,
        lambda r, f: 0.5 * (((r - 1.0) ** 2).mean() + (f**2).mean()),
        True,
    ),
    "wasserstein_generator_loss": (
        losses.wasserstein_generator_loss,
        lambda f: -f.mean(),
        False,
    ),
    "wasserstein_discriminator_loss": (
        losses.wasserstein_discriminator_loss,
        lambda r, f: f.mean() - r.mean(),
        True,
    ),
    "hinge_generator_loss": (
        losses.hinge_generator_loss,
        lambda f: -f.mean(),
        False,
    ),
    "hinge_discriminator_loss": (
        losses.hinge_discriminator_loss,
        lambda r, f: np.maximum(0.0, 1.0 - r).mean() + np.maximum(0.0, 1.0 + f).mean(),
        True,
    ),
}


def random_logits(shape, seed):
    return np.random.default_rng(seed).normal(scale=2.0, size=shape)


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
@pytest.mark.parametrize("shape", [(16, 1), (16,), (6, 3, 3, 1)])
def test_adversarial_loss_matches_numpy(name, shape):
    fn, reference, is_d = ADVERSARIAL[name]
    real = random_logits(shape, 0)
    fake = random_logits(shape, 1)
    args = (real, fake) if is_d else (fake,)
    out = fn(*(tf.constant(a, "float32") for a in args))
    assert out.shape == ()
    assert out.dtype == tf.float32
    np.testing.assert_allclose(float(out), reference(*args), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_per_example_output(name):
    fn, _, is_d = ADVERSARIAL[name]
    real = random_logits((5, 2, 2, 1), 2)
    fake = random_logits((5, 2, 2, 1), 3)
    args = (real, fake) if is_d else (fake,)
    tensors = [tf.constant(a, "float32") for a in args]
    per = fn(*tensors, per_example=True)
    assert per.shape == (5,)
    assert per.dtype == tf.float32
    np.testing.assert_allclose(float(tf.reduce_mean(per)), float(fn(*tensors)), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_low_precision_logits_give_float32_loss(name, dtype):
    fn, reference, is_d = ADVERSARIAL[name]
    real = tf.constant(random_logits((32, 1), 4), dtype)
    fake = tf.constant(random_logits((32, 1), 5), dtype)
    args = (real, fake) if is_d else (fake,)
    out = fn(*args)
    assert out.dtype == tf.float32
    # The reference sees exactly the rounded low-precision values.
    rounded = [tf.cast(a, "float64").numpy() for a in args]
    np.testing.assert_allclose(float(out), reference(*rounded), rtol=1e-5, atol=1e-6)


def test_sigmoid_losses_are_stable_for_large_logits():
    big = tf.constant([[80.0], [-80.0]])
    d_loss = losses.minimax_discriminator_loss(big, -big)
    g_loss = losses.modified_generator_loss(-big)
    g_minimax = losses.minimax_generator_loss(big)
    # Half the examples are confidently wrong by 80 nats each term.
    assert np.isclose(float(d_loss), 80.0, rtol=1e-5)
    assert np.isclose(float(g_loss), 40.0, rtol=1e-5)
    assert np.isclose(float(g_minimax), -40.0, rtol=1e-5)


def test_discriminator_loss_allows_different_batch_sizes():
    real = random_logits((4, 1), 6)
    fake = random_logits((7, 1), 7)
    out = losses.minimax_discriminator_loss(tf.constant(real, "float32"), tf.constant(fake, "float32"))
    expected = softplus(-real).mean() + softplus(fake).mean()
    np.testing.assert_allclose(float(out), expected, rtol=1e-5)


def linear_discriminator(w):
    w = tf.constant(w, "float32")

    def discriminator(x):
        flat = tf.reshape(x, [tf.shape(x)[0], -1])
        return tf.reduce_sum(flat * w, axis=1, keepdims=True) + 0.3

    return discriminator


def test_gradient_penalty_linear_discriminator():
    rng = np.random.default_rng(8)
    real = rng.normal(size=(6, 2, 2, 3)).astype("float32")
    fake = rng.normal(size=(6, 2, 2, 3)).astype("float32")
    w = rng.normal(size=(12,))
    unit = w / np.linalg.norm(w)
    gp = losses.gradient_penalty(linear_discriminator(unit), real, fake, seed=1)
    assert abs(float(gp)) < 1e-6
    for scale in (0.3, 2.5):
        gp = losses.gradient_penalty(linear_discriminator(scale * unit), real, fake, seed=1)
        np.testing.assert_allclose(float(gp), (scale - 1.0) ** 2, rtol=1e-4)
    gp = losses.gradient_penalty(linear_discriminator(2.5 * unit), real, fake, seed=1, target=2.0)
    np.testing.assert_allclose(float(gp), 0.25, rtol=1e-4)


def test_gradient_penalty_interpolates_per_example():
    # D(x) = 0.5 * ||x||^2 has gradient x, so the penalty reveals x_hat:
    # with real = 1 and fake = 0, ||x_hat|| = alpha * sqrt(d) per example.
    d = 12
    real = np.ones((64, 2, 2, 3), "float32")
    fake = np.zeros_like(real)

    def discriminator(x):
        return 0.5 * tf.reduce_sum(tf.square(x), axis=[1, 2, 3])

    per = losses.gradient_penalty(
        discriminator,
        real,
        fake,
        seed=keras.random.SeedGenerator(3),
        target=0.0,
        per_example=True,
    ).numpy()
    alpha = np.sqrt(per / d)
    assert per.shape == (64,)
    assert np.all((alpha >= 0.0) & (alpha <= 1.0))
    # Different alphas per example, spread over [0, 1].
    assert alpha.std() > 0.15
    assert alpha.min() < 0.2 and alpha.max() > 0.8


def test_gradient_penalty_seed_generator_advances():
    def discriminator(x):
        return 0.5 * tf.reduce_sum(tf.square(x), axis=1)

    real = np.ones((8, 4), "float32")
    fake = np.zeros_like(real)
    gen = keras.random.SeedGenerator(0)
    a = losses.gradient_penalty(discriminator, real, fake, seed=gen, per_example=True)
    b = losses.gradient_penalty(discriminator, real, fake, seed=gen, per_example=True)
    c = losses.gradient_penalty(discriminator, real, fake, seed=5, per_example=True)
    d = losses.gradient_penalty(discriminator, real, fake, seed=5, per_example=True)
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(c, d)


def test_gradient_penalty_is_differentiable_in_discriminator_weights():
    w = tf.Variable([[2.0], [0.0]])

    def discriminator(x):
        return tf.matmul(x, w)

    real = tf.ones((4, 2))
    fake = tf.zeros((4, 2))
    with tf.GradientTape() as tape:
        gp = losses.gradient_penalty(discriminator, real, fake, seed=0)
    grad = tape.gradient(gp, w)
    # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w|| = [2, 0].
    np.testing.assert_allclose(grad.numpy(), [[2.0], [0.0]], rtol=1e-5)


def test_r1_penalty_linear_discriminator():
    rng = np.random.default_rng(9)
    real = rng.normal(size=(5, 3, 3, 2)).astype("float32")
    w = rng.normal(size=(18,))
    r1 = losses.r1_penalty(linear_discriminator(w), real)
    np.testing.assert_allclose(float(r1), np.sum(w**2), rtol=1e-5)


def test_r1_penalty_nonlinear_discriminator():
    # D(x) = sum(x^2) per example: gradient 2x, so R1 = E[4 ||x||^2].
    rng = np.random.default_rng(10)
    real = rng.normal(size=(5, 7)).astype("float32")
    r1 = losses.r1_penalty(lambda x: tf.reduce_sum(x**2, axis=1), real)
    np.testing.assert_allclose(float(r1), (4 * (real**2).sum(1)).mean(), rtol=1e-5)


def test_gradient_penalty_with_bfloat16_discriminator():
    w = np.array([0.6, 0.8, 0.0, 0.0])

    def discriminator(x):
        x = tf.cast(x, "bfloat16")
        return tf.matmul(x, tf.constant(w[:, None], "bfloat16"))

    real = np.random.default_rng(11).normal(size=(4, 4)).astype("float32")
    gp = losses.gradient_penalty(discriminator, real, real * 0.5, seed=0)
    assert gp.dtype == tf.float32
    assert float(gp) < 1e-4


@pytest.mark.parametrize("fn", [losses.cycle_consistency_loss, losses.identity_loss])
def test_l1_image_losses(fn):
    rng = np.random.default_rng(12)
    real = rng.uniform(-1, 1, size=(3, 4, 4, 3)).astype("float32")
    other = rng.uniform(-1, 1, size=(3, 4, 4, 3)).astype("float32")
    out = fn(real, other)
    np.testing.assert_allclose(float(out), np.abs(real - other).mean(), rtol=1e-5)
    per = fn(real, tf.constant(other, "bfloat16"), per_example=True)
    assert per.dtype == tf.float32 and per.shape == (3,)
    assert float(fn(real, real)) == 0.0


def test_structure_loss_is_one_minus_the_pixel_correlation():
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, size=(4, 5, 5, 2)).astype("float32")
    y = rng.uniform(-1, 1, size=(4, 5, 5, 2)).astype("float32")
    # Brightness and contrast do not count: an increasing affine map keeps the structure.
    assert float(losses.structure_loss(x, 0.5 * x - 0.2)) == pytest.approx(0.0, abs=1e-5)
    # A reversed contrast has correlation -1: loss 2 signed, 0 unsigned.
    np.testing.assert_allclose(losses.structure_loss(x, -x, per_example=True), 2.0, atol=1e-5)
    np.testing.assert_allclose(losses.structure_loss(x, -x, signed=False, per_example=True), 0.0, atol=1e-5)
    flat_x, flat_y = x.reshape(4, -1), y.reshape(4, -1)
    expected = 1 - np.array([np.corrcoef(a, b)[0, 1] for a, b in zip(flat_x, flat_y)])
    per = losses.structure_loss(x, tf.constant(y, "bfloat16"), per_example=True)
    assert per.dtype == tf.float32 and per.shape == (4,)
    np.testing.assert_allclose(per, expected, atol=1e-2)
    np.testing.assert_allclose(float(losses.structure_loss(x, y)), expected.mean(), atol=1e-2)
    np.testing.assert_allclose(
        losses.structure_loss(x, y, signed=False, per_example=True), 1 - np.abs(1 - expected), atol=1e-2
    )


def test_get_returns_families_and_passes_callables():
    g, d = losses.get("hinge")
    assert g is losses.hinge_generator_loss
    assert d is losses.hinge_discriminator_loss
    assert losses.get("least_squares", "discriminator") is (losses.least_squares_discriminator_loss)
    assert losses.get("modified", "generator") is losses.modified_generator_loss

    def custom(logits):
        return tf.reduce_mean(logits)

    assert losses.get(custom) is custom
    assert losses.get(custom, "generator") is custom
    pair = (custom, losses.hinge_discriminator_loss)
    assert losses.get(pair) == pair
    assert losses.get(pair, "discriminator") is losses.hinge_discriminator_loss


def test_get_rejects_unknown_names():
    with pytest.raises(ValueError) as info:
        losses.get("wgan")
    message = str(info.value)
    assert "wgan" in message
    for name in ("minimax", "modified", "least_squares", "wasserstein", "hinge"):
        assert name in message
    with pytest.raises(ValueError, match="kind"):
        losses.get("hinge", "critic")
    with pytest.raises(ValueError):
        losses.get(3)


_DISTRIBUTED_SCRIPT = textwrap.dedent(
    """
    import json
    import os
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import tensorflow as tf

    # Two logical CPUs must be configured before anything touches devices.
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    import numpy as np
    from kerasgen import losses

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    rng = np.random.default_rng(0)
    global_batch = 8
    real = rng.normal(scale=2.0, size=(global_batch, 2, 2, 1)).astype("float32")
    fake = rng.normal(scale=2.0, size=(global_batch, 2, 2, 1)).astype("float32")
    images_a = rng.uniform(-1, 1, size=(global_batch, 4, 4, 3)).astype("float32")
    images_b = rng.uniform(-1, 1, size=(global_batch, 4, 4, 3)).astype("float32")
    w = tf.constant(rng.normal(size=(1, 4, 4, 3)).astype("float32"))

    def discriminator(x):
        return tf.reduce_sum(tf.tanh(x * w) ** 2, axis=[1, 2, 3])

    cases = {}
    for name in (
        "minimax", "modified", "least_squares", "wasserstein", "hinge"
    ):
        g, d = losses.get(name)
        cases[name + "_generator_loss"] = (g, (fake,))
        cases[name + "_discriminator_loss"] = (d, (real, fake))
    cases["cycle_consistency_loss"] = (
        losses.cycle_consistency_loss, (images_a, images_b)
    )
    cases["identity_loss"] = (losses.identity_loss, (images_a, images_b))
    cases["r1_penalty"] = (
        lambda x: losses.r1_penalty(discriminator, x), (images_a,)
    )
    # real == fake makes the interpolate independent of the random alpha.
    cases["gradient_penalty"] = (
        lambda x: losses.gradient_penalty(discriminator, x, x, seed=0),
        (images_a,),
    )

    def split(array):
        half = global_batch // 2
        return strategy.experimental_distribute_values_from_function(
            lambda ctx: tf.constant(
                array[ctx.replica_id_in_sync_group * half:
                      (ctx.replica_id_in_sync_group + 1) * half]
            )
        )

    results = {}
    for name, (fn, args) in cases.items():
        single = float(fn(*[tf.constant(a) for a in args]))

        @tf.function
        def run(*dist_args, fn=fn):
            return strategy.run(fn, args=dist_args)

        per_replica = run(*[split(a) for a in args])
        replica_values = [float(v) for v in strategy.experimental_local_results(per_replica)]
        summed = float(strategy.reduce("SUM", per_replica, axis=None))
        results[name] = {"single": single, "summed": summed, "replicas": replica_values}
    print("RESULTS" + json.dumps(results))
    """
)


def test_global_batch_averaging_under_mirrored_strategy():
    package_root = str(Path(kerasgen.__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = package_root + os.pathsep + env.get("PYTHONPATH", "")
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    proc = subprocess.run(
        [sys.executable, "-c", _DISTRIBUTED_SCRIPT],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=package_root,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = [l for l in proc.stdout.splitlines() if l.startswith("RESULTS")][-1]
    results = json.loads(line[len("RESULTS") :])
    assert len(results) == 14
    for name, r in results.items():
        np.testing.assert_allclose(r["summed"], r["single"], rtol=1e-5, atol=1e-6, err_msg=name)
        # A per-replica plain mean would make the sum twice the global mean;
        # the two halves differ, so the match above is not a coincidence.
        assert not np.isclose(r["replicas"][0], r["replicas"][1]), name
