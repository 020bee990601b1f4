import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasgen
from kerasgen import evaluation
from kerasgen.layers import InstanceNormalization, ResidualBlock
from kerasgen.models import CycleGAN
from kerasgen.models.cyclegan import ImagePool, LinearDecay, patchgan_discriminator, resnet_generator
from tests import helpers

TINY = dict(
    image_shape=(8, 8, 1),
    filters=2,
    discriminator_filters=2,
    num_residual_blocks=1,
    discriminator_layers=1,
    pool_size=3,
    seed=1,
)


TASK_STEPS = 100


@pytest.fixture(scope="module")
def trained():
    """A small CycleGAN trained with fit for 100 steps on the known-answer task.

    The short run uses Adam(1e-3) instead of the paper's 2e-4 so that 100
    steps suffice (the zoo recipe keeps 2e-4).
    """
    keras.utils.set_random_seed(0)
    task = kerasgen.data.mnist_translation_task()
    model = CycleGAN(image_shape=(28, 28, 1), filters=8, discriminator_filters=8, num_residual_blocks=1, seed=0)
    ds = kerasgen.data.unpaired(task["train_a"], task["train_b"], model.image_shape, batch_size=8, drop_remainder=True)
    model.compile(
        generator_optimizer=keras.optimizers.Adam(LinearDecay(1e-3, 4 * TASK_STEPS), beta_1=0.5),
        discriminator_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
    )
    history = model.fit(ds.take(TASK_STEPS), epochs=1, verbose=0)
    return model, history, task


def tiny_pair(n=4, seed=0):
    return helpers.random_images(n, TINY["image_shape"], seed), helpers.random_images(n, TINY["image_shape"], seed + 1)


def count_blocks(network):
    return sum(isinstance(layer, ResidualBlock) for layer in network.layers)


# -- architecture -------------------------------------------------------------


def test_paper_architecture_sizes():
    # The reference implementation reports 11.378 M parameters for the
    # 9-block ResNet generator and 2.765 M for the 70x70 PatchGAN (RGB, 64 filters).
    g = resnet_generator((256, 256, 3), 64, 9)
    d = patchgan_discriminator((256, 256, 3), 64, 3)
    assert round(g.count_params() / 1e6, 3) == 11.378
    assert round(d.count_params() / 1e6, 3) == 2.765
    assert g.output_shape == (None, 256, 256, 3)
    assert d.output_shape == (None, 30, 30, 1)  # 70x70 receptive field per output
    model = CycleGAN(image_shape=(256, 256, 3))
    assert model.count_params() == 2 * (g.count_params() + d.count_params())  # pools are not parameters
    strided = [l for l in d.layers if isinstance(l, keras.layers.Conv2D) and l.strides == (2, 2)]
    assert len(strided) == 3
    # No affine parameters in any instance norm.
    assert all(not l.weights for l in g.layers + d.layers if isinstance(l, InstanceNormalization))


def test_default_residual_blocks_follow_image_size():
    assert CycleGAN(image_shape=(128, 128, 3), filters=2, discriminator_filters=2).num_residual_blocks == 6
    big = CycleGAN(image_shape=(256, 256, 3), filters=2, discriminator_filters=2)
    assert big.num_residual_blocks == 9 and count_blocks(big.generator_ab) == 9
    assert count_blocks(CycleGAN(**TINY).generator_ba) == 1


def test_weights_drawn_from_normal_0_02_with_distinct_layers():
    g = resnet_generator((32, 32, 3), 64, 2)
    kernels = [l.kernel.numpy() for l in g.layers if isinstance(l, (keras.layers.Conv2D, keras.layers.Conv2DTranspose))]
    big = kernels[2]  # 3x3x128x256
    assert abs(big.std() - 0.02) < 0.001 and abs(big.mean()) < 0.001
    block = next(l for l in g.layers if isinstance(l, ResidualBlock))
    assert not np.array_equal(block.conv_1.kernel.numpy(), block.conv_2.kernel.numpy())
    assert all(not np.any(l.bias.numpy()) for l in g.layers if isinstance(l, keras.layers.Conv2D))


def test_instance_norm_inside_generator_is_per_image_and_channel():
    model = CycleGAN(**dict(TINY, filters=4, image_shape=(16, 16, 3)))
    g = model.generator_ab
    probe = keras.Model(g.inputs, [g.get_layer("down_0_conv").output, g.get_layer("down_0_norm").output])
    x = helpers.random_images(3, (16, 16, 3))
    x[1] = x[1] * 0.2 + 0.5  # a different scale and offset for one image
    pre, y = (v.numpy() for v in probe(x))
    mean = pre.mean(axis=(1, 2), keepdims=True)
    expected = (pre - mean) / np.sqrt(pre.var(axis=(1, 2), keepdims=True) + 1e-5)
    np.testing.assert_allclose(y, expected, atol=1e-4)
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0.0, atol=1e-4)
    # Each image is normalized alone: changing another image changes nothing.
    x2 = x.copy()
    x2[2] = -x2[2]
    np.testing.assert_allclose(probe(x2)[1].numpy()[:2], y[:2], atol=1e-5)
    np.testing.assert_allclose(g(x2).numpy()[:2], g(x).numpy()[:2], atol=1e-5)


# -- losses and updates -------------------------------------------------------


def test_losses_match_the_reference_formulas():
    model = CycleGAN(**TINY)
    model.compile()
    a, b = tiny_pair()
    terms, fake_a, fake_b = model.generator_terms(tf.constant(a), tf.constant(b))
    g, f = model.generator_ab, model.generator_ba
    gb, fa = g(a).numpy(), f(b).numpy()
    np.testing.assert_allclose(fake_b.numpy(), gb, atol=1e-6)
    d_b_fake = model.discriminator_b(gb).numpy()
    # G's adversarial term is MSE(D(G(a)), 1), without a factor 0.5.
    np.testing.assert_allclose(terms["g_loss"].numpy(), ((d_b_fake - 1) ** 2).mean(axis=(1, 2, 3)), rtol=1e-5)
    cycle = np.abs(f(gb).numpy() - a).mean(axis=(1, 2, 3)) + np.abs(g(fa).numpy() - b).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(terms["cycle"].numpy(), cycle, rtol=1e-5)
    identity = np.abs(g(b).numpy() - b).mean(axis=(1, 2, 3)) + np.abs(f(a).numpy() - a).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(terms["identity"].numpy(), identity, rtol=1e-5)
    expected = terms["g_loss"] + terms["f_loss"] + 10.0 * cycle + 5.0 * identity
    np.testing.assert_allclose(terms["generator_total"].numpy(), expected, rtol=1e-5)
    # D loss is halved: 0.5 * (MSE(D(real), 1) + MSE(D(fake), 0)).
    d = model.discriminator_loss(model.discriminator_b, b, gb).numpy()
    real = model.discriminator_b(b).numpy()
    np.testing.assert_allclose(
        d, 0.5 * (((real - 1) ** 2).mean(axis=(1, 2, 3)) + (d_b_fake**2).mean(axis=(1, 2, 3))), rtol=1e-5
    )
    model.compile(identity_weight=0.0)
    terms, _, _ = model.generator_terms(tf.constant(a), tf.constant(b))
    assert not np.any(terms["identity"].numpy())


def test_pool_fills_then_swaps_with_probability_one_half_and_never_exceeds_capacity():
    pool = ImagePool(5, (2, 2, 1), keras.random.SeedGenerator(0))
    first = np.arange(5, dtype="float32")[:, None, None, None] * np.ones((5, 2, 2, 1), "float32")
    np.testing.assert_array_equal(pool.query(first).numpy(), first)  # filling: returned unchanged
    assert int(pool.count.numpy()) == 5
    seen = set(range(5))
    swapped = 0
    trials = 0
    for step in range(100):
        new = (100 + 4 * step + np.arange(4, dtype="float32"))[:, None, None, None] * np.ones((4, 2, 2, 1), "float32")
        out = pool.query(new).numpy()[:, 0, 0, 0]
        for value, given in zip(out, new[:, 0, 0, 0]):
            trials += 1
            if value != given:
                swapped += 1
                # A stored image, possibly one stored by an earlier image of
                # the same batch (images are processed in order).
                assert value in seen
            seen.add(float(given))
        stored = pool.images.numpy()
        assert stored.shape[0] == 5 and int(pool.count.numpy()) == 5
        assert set(stored[:, 0, 0, 0].tolist()) <= seen
    # 400 Bernoulli(1/2) draws: the standard deviation of the fraction is 0.025.
    assert abs(swapped / trials - 0.5) < 0.1, swapped / trials


def test_pool_size_zero_passes_images_through():
    pool = ImagePool(0, (2, 2, 1), keras.random.SeedGenerator(0))
    x = np.random.default_rng(0).normal(size=(3, 2, 2, 1)).astype("float32")
    np.testing.assert_array_equal(pool.query(x).numpy(), x)


def test_pool_is_saved_with_the_weights(tmp_path):
    model = CycleGAN(**TINY)
    model.compile()
    a, b = (tf.constant(v) for v in tiny_pair())
    _, fake_a, fake_b = model.generator_step(a, b)
    model.discriminator_step(a, b, fake_a, fake_b)
    assert int(model.pool_a.count.numpy()) == 3
    path = str(tmp_path / "cg.weights.h5")
    model.save_weights(path)
    other = CycleGAN(**TINY)
    other.load_weights(path)
    assert int(other.pool_a.count.numpy()) == 3
    np.testing.assert_array_equal(other.pool_b.images.numpy(), model.pool_b.images.numpy())
    assert np.any(other.pool_b.images.numpy())


# -- learning rate ------------------------------------------------------------


def test_learning_rate_schedule_constant_then_linear_to_zero():
    schedule = LinearDecay(2e-4, total_steps=200)
    for step, expected in [(0, 2e-4), (99, 2e-4), (100, 2e-4), (150, 1e-4), (190, 2e-5), (200, 0.0), (250, 0.0)]:
        np.testing.assert_allclose(float(schedule(step)), expected, rtol=1e-6, atol=1e-12)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert isinstance(clone, LinearDecay) and clone.get_config() == schedule.get_config()
    with pytest.raises(ValueError, match="decay_start"):
        LinearDecay(1e-3, 10, decay_start=10)


def test_compiled_optimizers_follow_the_schedule_through_iterations():
    model = CycleGAN(**TINY)
    model.compile(total_steps=40)
    for optimizer, _ in model.optimizer_variables():
        assert isinstance(optimizer, keras.optimizers.Adam) and optimizer.beta_1 == 0.5
        for step, expected in [(0, 2e-4), (20, 2e-4), (30, 1e-4), (40, 0.0)]:
            optimizer.iterations.assign(step)
            np.testing.assert_allclose(float(optimizer.learning_rate), expected, rtol=1e-6, atol=1e-12)
    model.compile()
    np.testing.assert_allclose(float(model.discriminator_optimizer.learning_rate), 2e-4, rtol=1e-6)


# -- training, round trips, errors --------------------------------------------


def test_fit_reports_paper_metrics_and_counts_steps(trained):
    model, history, _ = trained
    assert set(history.history) == {"loss", "g_loss", "f_loss", "d_a_loss", "d_b_loss", "cycle", "identity"}
    assert int(model.generator_optimizer.iterations.numpy()) == TASK_STEPS
    assert int(model.discriminator_optimizer.iterations.numpy()) == TASK_STEPS
    assert int(model.pool_b.count.numpy()) == 50  # full, never more than its capacity


def test_config_keras_and_saved_model_round_trips(trained, tmp_path):
    model, _, task = trained
    a, b = task["test_a"][:5], task["test_b"][:5]
    helpers.assert_config_round_trip(model)
    loaded = helpers.assert_keras_round_trip(
        model, str(tmp_path / "cg.keras"), a, lambda m, v: np.concatenate([m.translate(v), m.translate(v, "b2a")])
    )
    assert int(loaded.discriminator_optimizer.iterations.numpy()) == TASK_STEPS
    assert isinstance(loaded.generator_optimizer._learning_rate, LinearDecay)
    np.testing.assert_array_equal(loaded.pool_a.images.numpy(), model.pool_a.images.numpy())
    # Both signatures (and serving_default = translate_a2b) in one fresh process.
    export_dir = str(tmp_path / "export")
    model.export(export_dir, verbose=False)
    np.save(str(tmp_path / "a.npy"), a)
    np.save(str(tmp_path / "b.npy"), b)
    helpers.run_python(
        f"""
        import numpy as np, tensorflow as tf
        loaded = tf.saved_model.load({export_dir!r})
        a, b = np.load({str(tmp_path / "a.npy")!r}), np.load({str(tmp_path / "b.npy")!r})
        out = {{}}
        for name, x in [("translate_a2b", a), ("translate_b2a", b), ("serving_default", a[:1])]:
            y = loaded.signatures[name](images=tf.constant(x))["images"].numpy()
            assert y.dtype == np.float32
            out[name] = y
        np.savez({str(tmp_path / "out.npz")!r}, **out)
        """
    )
    out = np.load(str(tmp_path / "out.npz"))
    np.testing.assert_allclose(out["translate_a2b"], model.translate(a, "a2b"), atol=1e-4)
    np.testing.assert_allclose(out["translate_b2a"], model.translate(b, "b2a"), atol=1e-4)
    np.testing.assert_allclose(out["serving_default"], model.translate(a[:1], "a2b"), atol=1e-4)


def test_custom_sub_networks_serialize():
    disc = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(1, 3)])
    model = CycleGAN(discriminator_a=disc, **TINY)
    clone = helpers.assert_config_round_trip(model)
    assert clone.discriminator_a.count_params() == disc.count_params()
    assert clone.get_config()["discriminator_b"] is None


def test_bad_inputs_are_named():
    model = CycleGAN(**TINY)
    model.compile()
    a, b = tiny_pair()
    with pytest.raises(ValueError, match="direction"):
        model.translate(a, direction="b2c")
    with pytest.raises(ValueError, match="expects images of shape"):
        model.translate(np.zeros((2, 16, 16, 1), "float32"))
    with pytest.raises(ValueError, match="images_a, images_b"):
        model.fit(a, epochs=1, verbose=0)
    wrong_b = tf.data.Dataset.from_tensor_slices((a, np.zeros((4, 8, 8, 3), "float32"))).batch(2)
    with pytest.raises(ValueError, match="domain 'b' images of shape"):
        model.fit(wrong_b, epochs=1, verbose=0)
    with pytest.raises(NotImplementedError, match="translate"):
        model.generate(2)
    with pytest.raises(ValueError, match="divisible by 4"):
        CycleGAN(image_shape=(10, 10, 1), filters=2, discriminator_filters=2, discriminator_layers=1)
    with pytest.raises(ValueError, match="too small for a PatchGAN with 3"):
        CycleGAN(image_shape=(16, 16, 1), filters=2, discriminator_filters=2)


def test_unpaired_epoch_follows_the_larger_domain_with_independent_shuffles():
    # Values in [-1, 0]: image i of A is filled with -i/10, image j of B with -(j + 1)/10.
    a = -np.arange(10, dtype="float32")[:, None, None, None] * np.ones((10, 4, 4, 1), "float32") / 10.0
    b = -np.arange(1, 4, dtype="float32")[:, None, None, None] * np.ones((3, 4, 4, 1), "float32") / 10.0
    ds = kerasgen.data.unpaired(a, b, (4, 4, 1), batch_size=4, value_range=(-1, 1))
    assert int(ds.cardinality()) == 3
    got_a, got_b = zip(*[(x.numpy()[:, 0, 0, 0], y.numpy()[:, 0, 0, 0]) for x, y in ds])
    ids_a = np.round(-np.concatenate(got_a) * 10).astype(int)
    ids_b = np.round(-np.concatenate(got_b) * 10).astype(int)
    assert sorted(ids_a.tolist()) == list(range(10))  # each A image once per epoch
    assert len(ids_b) == 10 and set(ids_b.tolist()) == {1, 2, 3}  # B repeated to the larger size
    assert not np.array_equal(ids_a, np.arange(10))  # shuffled


def test_unpaired_augment_crops_and_errors_name_the_domain():
    a = np.random.default_rng(0).integers(0, 255, (4, 40, 40, 3), dtype="uint8")
    ds = kerasgen.data.unpaired(a, a[:2], (32, 32, 3), batch_size=2, augment=True)
    x, y = next(iter(ds))
    assert x.shape == (2, 32, 32, 3) and y.shape == (2, 32, 32, 3)
    with pytest.raises(ValueError, match="Domain 'b'.*1 channel"):
        kerasgen.data.unpaired(a, np.zeros((2, 32, 32, 1), "uint8"), (32, 32, 3))
    with pytest.raises(ValueError, match="Domain 'a'"):
        kerasgen.data.unpaired(np.zeros((2, 32, 32), "float32") + 500, a, (32, 32, 3))


def test_ink_transform_is_dilation_then_inversion():
    x = -np.ones((1, 5, 5, 1), "float32")
    x[0, 2, 2, 0] = 1.0
    t = kerasgen.data.ink_transform(x)
    expected = np.ones((5, 5), "float32")
    expected[1:4, 1:4] = -1.0  # a 3x3 dark blot on light paper
    np.testing.assert_array_equal(t[0, :, :, 0], expected)


# -- the known-answer task ----------------------------------------------------


def test_short_training_on_the_known_answer_task_beats_both_baselines(trained):
    model, _, task = trained
    held_out = {"test_a": task["test_a"][:200], "test_b": task["test_b"][:200]}
    results = evaluation.translation_task_metrics(model, dict(task, **held_out))
    # After 100 steps G(x) is about 0.1 from T(x); the baselines are 1.7 and 0.4.
    assert results["mae_g_vs_t"] < 0.5 * results["mae_g_identity_baseline"], results
    assert results["mae_g_vs_t"] < 0.5 * results["mae_g_mean_image_baseline"], results
    assert results["mae_f_vs_x"] < 0.7 * results["mae_f_mean_image_baseline"], results
    assert results["mae_cycle_a"] < 0.7 * results["mae_f_mean_image_baseline"], results


def test_pretrained_entry_reproduces_its_recorded_figures():
    entry = os.path.join(helpers.REPO, "zoo", "cyclegan")
    meta = kerasgen.zoo.metadata(entry)
    model = kerasgen.zoo.load(entry)
    task = kerasgen.data.mnist_translation_task()
    results = evaluation.translation_task_metrics(model, task)
    for key in ("mae_g_vs_t", "mae_f_vs_x", "mae_cycle_a", "mae_g_mean_image_baseline"):
        np.testing.assert_allclose(results[key], meta["metrics"][key], rtol=1e-3, err_msg=key)
    assert results["mae_g_vs_t"] < 0.25 * results["mae_g_mean_image_baseline"]
    assert meta["weights"]["size"] < 5 * 1024 * 1024
    for name in ("cyclegan_horse2zebra", "cyclegan_monet2photo"):
        recipe_meta = kerasgen.zoo.metadata(os.path.join(helpers.REPO, "zoo", name))
        assert recipe_meta["weights"] is None and recipe_meta["image_shape"] == [256, 256, 3]
        assert recipe_meta["training"]["epochs"] == 200 and recipe_meta["training"]["batch_size"] == 1


def test_ema_averages_both_generators_and_the_entry_ships_the_averages(tmp_path):
    model = CycleGAN(ema_decay=0.5, **TINY)
    model.compile(generator_optimizer=keras.optimizers.SGD(0.5))
    pairs = model.averaged_networks()
    assert [n.name for n, _ in pairs] == [model.generator_ab.name, model.generator_ba.name]
    before = [helpers.snapshot(network.weights) for network, _ in pairs]
    a, b = tiny_pair(4)
    model.fit(tf.data.Dataset.from_tensors((a, b)), epochs=1, verbose=0)
    decay = min(0.5, 2 / 11)  # the warmed-up decay after one generator step
    for (network, average), old in zip(pairs, before):
        assert not average.trainable_variables and not helpers.weights_equal(old, network.weights)
        for w0, w, e in zip(old, network.weights, average.weights):
            want = decay * w0 + (1 - decay) * np.array(w) if w.trainable else np.array(w)
            np.testing.assert_allclose(np.array(e), want, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(model.translate(a), model.ema_generator_ab(a).numpy(), atol=1e-6)
    np.testing.assert_allclose(model.translate(b, "b2a"), model.ema_generator_ba(b).numpy(), atol=1e-6)
    assert not np.allclose(model.translate(a), model.generator_ab(a).numpy(), atol=1e-4)

    kerasgen.zoo.save_entry(model, str(tmp_path / "entry"), {"name": "entry"})
    loaded = kerasgen.zoo.load(str(tmp_path / "entry"), compile=False)
    assert loaded.ema_decay is None and not loaded.averaged_networks()
    assert loaded.count_params() == model.count_params()
    np.testing.assert_allclose(loaded.translate(a), model.translate(a), atol=1e-5)
    np.testing.assert_allclose(loaded.translate(b, "b2a"), model.translate(b, "b2a"), atol=1e-5)
    with pytest.raises(ValueError, match="ema_decay"):
        CycleGAN(ema_decay=0.0, **TINY)
