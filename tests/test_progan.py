import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasgen
from kerasgen.models import ProGAN
from kerasgen.models import progan as progan_module
from tests import helpers

# Stage 0 (4x4) for 32 images, then 32 to fade in and 32 to stabilize each
# later stage; 8 images per step at 4x4 and 8x8, 4 at 16x16.
TINY = dict(
    resolution=16,
    channels=1,
    latent_dim=8,
    fmap_base=32,
    fmap_max=16,
    fade_images=32,
    stabilize_images=32,
    batch_sizes={4: 8, 8: 8, 16: 4},
    seed=0,
)


def repeated_batch_dataset(n=8, resolution=16, seed=0):
    """The same batch every step, so that two runs see identical data."""
    x = helpers.random_images(n, (resolution, resolution, 1), seed=seed)
    return tf.data.Dataset.from_tensors(x).repeat()


def test_filter_rule_follows_the_paper():
    # Paper (Table 2), fmap_base 8192 and fmap_max 512: 512 maps up to 32x32,
    # then 256, 128, 64, 32, 16 at 64..1024.
    filters = [progan_module.num_filters(int(np.log2(r)) - 1) for r in (4, 8, 16, 32, 64, 128, 256, 512, 1024)]
    assert filters == [512, 512, 512, 512, 256, 128, 64, 32, 16]
    model = ProGAN(**TINY)
    assert model.filters == [16, 8, 4]
    # D's 4x4 dense layer has nf(0) = min(fmap_base, fmap_max) units.
    assert model.discriminator.blocks[0].get_layer("dense0").units == 16


def test_schedule_is_linear_fade_then_stabilize():
    args = dict(num_stages=3, fade_images=600, stabilize_images=600)
    assert progan_module.schedule(0, **args) == (0, 1.0)
    assert progan_module.schedule(599, **args) == (0, 1.0)
    assert progan_module.schedule(600, **args) == (1, 0.0)
    assert progan_module.schedule(750, **args) == (1, 0.25)
    assert progan_module.schedule(1200, **args) == (1, 1.0)
    assert progan_module.schedule(1800, **args) == (2, 0.0)
    assert progan_module.schedule(10**9, **args) == (2, 1.0)


def test_fade_in_blends_upsampled_previous_stage_with_new_branch():
    model = ProGAN(**TINY)
    g = model.generator
    z = tf.constant(np.random.default_rng(0).normal(size=(3, 8)).astype("float32"))
    for stage in (1, 2):
        previous_output = g(z, stage=stage - 1, alpha=1.0).numpy()
        upsampled = np.repeat(np.repeat(previous_output, 2, axis=1), 2, axis=2)
        at_zero = g(z, stage=stage, alpha=tf.constant(0.0)).numpy()
        np.testing.assert_allclose(at_zero, upsampled, rtol=1e-5, atol=1e-6)
        # The new branch: the new block and its own toRGB layer.
        _, features = g.features(z, stage)
        new_branch = g.to_rgb[stage](features).numpy()
        at_one = g(z, stage=stage, alpha=tf.constant(1.0)).numpy()
        np.testing.assert_allclose(at_one, new_branch, rtol=1e-5, atol=1e-6)
        assert not np.allclose(new_branch, upsampled, atol=1e-3)
        halfway = g(z, stage=stage, alpha=tf.constant(0.25)).numpy()
        np.testing.assert_allclose(halfway, 0.25 * new_branch + 0.75 * upsampled, rtol=1e-4, atol=1e-5)


def test_discriminator_fade_in_uses_downscaled_images_in_the_old_path():
    model = ProGAN(**TINY)
    d = model.discriminator
    x = tf.constant(helpers.random_images(4, (8, 8, 1)))
    pooled = tf.nn.avg_pool2d(x, 2, 2, "VALID")
    old = d.blocks[0](d.from_rgb[0](pooled)).numpy()
    np.testing.assert_allclose(d(x, stage=1, alpha=tf.constant(0.0)).numpy(), old, rtol=1e-5, atol=1e-5)
    new = d.blocks[0](d.blocks[1](d.from_rgb[1](x))).numpy()
    np.testing.assert_allclose(d(x, stage=1, alpha=tf.constant(1.0)).numpy(), new, rtol=1e-5, atol=1e-5)


def test_real_images_are_average_pooled_and_blended_during_fade_in():
    model = ProGAN(**TINY)
    x = helpers.random_images(2, (16, 16, 1))
    x8 = x.reshape(2, 8, 2, 8, 2, 1).mean(axis=(2, 4))
    x4 = x8.reshape(2, 4, 2, 4, 2, 1).mean(axis=(2, 4))
    np.testing.assert_allclose(model.real_images_at(x, 0, 1.0).numpy(), x4, atol=1e-6)
    np.testing.assert_allclose(model.real_images_at(x, 1, 1.0).numpy(), x8, atol=1e-6)
    blurred = np.repeat(np.repeat(x4, 2, axis=1), 2, axis=2)
    np.testing.assert_allclose(model.real_images_at(x, 1, 0.0).numpy(), blurred, atol=1e-6)
    np.testing.assert_allclose(
        model.real_images_at(x, 2, 0.5).numpy(), 0.5 * x + 0.5 * np.repeat(np.repeat(x8, 2, 1), 2, 2), atol=1e-6
    )


def test_generator_has_pixel_norm_and_no_batch_norm_and_equalized_layers_everywhere():
    model = ProGAN(**TINY)
    layers = []
    for network in (model.generator, model.discriminator):
        for seq in list(network.blocks) + list(getattr(network, "to_rgb", [])) + list(getattr(network, "from_rgb", [])):
            layers.extend(seq.layers)
    assert not any(isinstance(l, keras.layers.BatchNormalization) for l in layers)
    weighted = [l for l in layers if l.weights]
    assert weighted and all(
        isinstance(l, (kerasgen.layers.EqualizedConv2D, kerasgen.layers.EqualizedDense)) for l in weighted
    )
    # Latents are normalized first, and every generator conv is followed by pixel norm.
    block0 = model.generator.blocks[0].layers
    assert isinstance(block0[0], kerasgen.layers.PixelNormalization)
    mbstd = [
        l for l in model.discriminator.blocks[0].layers if isinstance(l, kerasgen.layers.MinibatchStandardDeviation)
    ]
    assert len(mbstd) == 1 and mbstd[0].group_size == 4


def test_compile_defaults_are_the_papers():
    model = ProGAN(**TINY)
    model.compile()
    for opt in (model.generator_optimizer, model.discriminator_optimizer):
        assert isinstance(opt, keras.optimizers.Adam)
        assert float(opt.learning_rate.numpy()) == pytest.approx(1e-3)
        assert opt.beta_1 == 0.0 and opt.beta_2 == 0.99
    assert model.gp_weight == 10.0 and model.drift_weight == 1e-3
    assert model.ema_decay == 0.999
    assert ProGAN(resolution=8).batch_sizes == progan_module.PAPER_BATCH_SIZES
    with pytest.raises(ValueError, match="restart at every growth"):
        model.compile(total_steps=100)


def test_short_run_grows_through_two_resolutions_within_one_fit():
    keras.utils.set_random_seed(0)
    model = ProGAN(**TINY)
    model.compile()
    ema_before = helpers.snapshot(model.generator_ema.variables)
    # 4 steps of 8 at 4x4, 4 + 4 steps of 8 at 8x8, then 16x16 with 4 per step.
    history = model.fit(repeated_batch_dataset(), epochs=1, steps_per_epoch=15, verbose=0)
    assert int(model.images_seen.numpy()) == 4 * 8 + 8 * 8 + 3 * 4
    assert int(model.stage.numpy()) == 2 and model.current_resolution == 16
    assert float(model.alpha.numpy()) == pytest.approx(8 / 32)  # 8 images into the 16x16 fade-in
    # Optimizers were reset when 16x16 was added: they count only its steps.
    assert int(model.generator_optimizer.iterations.numpy()) == 3
    assert int(model.discriminator_optimizer.iterations.numpy()) == 3
    assert history.history["resolution"][-1] == 16.0
    for name in ("d_loss", "g_loss", "gradient_penalty", "drift", "loss", "alpha"):
        assert np.isfinite(history.history[name][-1])
    # The EMA generator moved, but only by a (1 - decay) fraction of G's change.
    ema_after = helpers.snapshot(model.generator_ema.variables)
    assert not helpers.weights_equal(ema_before, ema_after)
    g_after = helpers.snapshot(model.generator.variables)
    for before, ema, g in zip(ema_before, ema_after, g_after):
        assert np.max(np.abs(ema - before)) <= np.max(np.abs(g - before)) + 1e-7
    samples = model.generate(4, seed=0)
    assert samples.shape == (4, 16, 16, 1) and samples.dtype == np.float32
    assert samples.min() >= -1.0 and samples.max() <= 1.0


def _train(model, steps):
    model.fit(repeated_batch_dataset(), epochs=1, steps_per_epoch=steps, verbose=0)


@pytest.fixture(scope="module")
def runs():
    """An uninterrupted 8-step run, and a 6-step run stopped mid-fade-in."""
    keras.utils.set_random_seed(0)
    uninterrupted = ProGAN(**TINY)
    uninterrupted.compile()
    _train(uninterrupted, 8)
    keras.utils.set_random_seed(0)
    first = ProGAN(**TINY)
    first.compile()
    _train(first, 6)  # 48 images: 16 into the 8x8 fade-in
    return uninterrupted, first


@pytest.fixture(scope="module")
def grown_model(runs):
    """A tiny model trained into the 8x8 fade-in."""
    return runs[1]


def test_run_interrupted_mid_fade_in_resumes_exactly(runs, tmp_path):
    uninterrupted, first = runs
    assert int(first.stage.numpy()) == 1 and 0.0 < float(first.alpha.numpy()) < 1.0
    path = os.path.join(tmp_path, "run.weights.h5")
    first.save_weights(path)

    keras.utils.set_random_seed(123)  # the restored seed state must win
    resumed = ProGAN.from_config(first.get_config())
    resumed.compile()
    resumed.load_weights(path)
    _train(resumed, 2)
    for name in ("images_seen", "stage", "alpha"):
        assert float(getattr(resumed, name).numpy()) == float(getattr(uninterrupted, name).numpy()), name
    assert int(resumed.images_seen.numpy()) == 64 and float(resumed.alpha.numpy()) == pytest.approx(0.75)
    assert int(resumed.generator_optimizer.iterations.numpy()) == int(
        uninterrupted.generator_optimizer.iterations.numpy()
    )
    # Same data, same restored optimizer and seed state: the same weights.
    for a, b in zip(resumed.generator_ema.variables, uninterrupted.generator_ema.variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)
    for a, b in zip(resumed.discriminator.variables, uninterrupted.discriminator.variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)


def test_config_round_trip(grown_model):
    clone = helpers.assert_config_round_trip(grown_model)
    assert clone.batch_sizes == grown_model.batch_sizes
    zoo_clone = kerasgen.zoo.model_from_config(keras.saving.serialize_keras_object(grown_model))
    assert zoo_clone.get_config() == grown_model.get_config()


def test_keras_file_round_trip(grown_model, tmp_path):
    z = np.random.default_rng(0).normal(size=(4, 8)).astype("float32")
    loaded = helpers.assert_keras_round_trip(
        grown_model, os.path.join(tmp_path, "progan.keras"), z, lambda m, x: m.decode_in_batches(x)
    )
    for name in ("images_seen", "stage", "alpha"):
        assert float(getattr(loaded, name).numpy()) == float(getattr(grown_model, name).numpy())
    assert loaded.gp_weight == 10.0 and loaded.drift_weight == 1e-3
    assert loaded.decode_in_batches(z).shape == (4, 8, 8, 1)


def test_saved_model_generates_with_the_ema_generator_at_the_current_resolution(grown_model, tmp_path):
    z = np.random.default_rng(0).normal(size=(5, 8)).astype("float32")
    expected = np.clip(grown_model.generator_ema(tf.constant(z), stage=1, alpha=grown_model.alpha).numpy(), -1, 1)
    assert expected.shape == (5, 8, 8, 1)
    assert not np.allclose(expected, grown_model.generator(tf.constant(z), stage=1, alpha=grown_model.alpha).numpy())
    out = helpers.assert_saved_model_round_trip(
        grown_model, os.path.join(tmp_path, "export"), "generate", "latents", z, expected
    )
    assert "serving_default" in out and "generate" in out


@pytest.mark.parametrize("resolution", [24, 4, 2048, 100])
def test_resolution_must_be_a_power_of_two_from_8_to_1024(resolution):
    with pytest.raises(ValueError, match="power of two from 8 to 1024"):
        ProGAN(resolution=resolution)


def test_images_smaller_than_the_target_resolution_are_refused():
    model = ProGAN(**TINY)
    model.compile()
    small = tf.data.Dataset.from_tensors(helpers.random_images(8, (8, 8, 1))).repeat()
    with pytest.raises(ValueError, match="smaller than the target"):
        model.fit(small, epochs=1, steps_per_epoch=1, verbose=0)


def test_evaluate_reports_the_critic_estimate_at_the_current_stage(grown_model):
    x = helpers.random_images(16, (16, 16, 1), seed=3)
    results = grown_model.evaluate(x, batch_size=8, verbose=0, return_dict=True)
    assert results["resolution"] == 8.0
    assert results["alpha"] == pytest.approx(float(grown_model.alpha.numpy()))
    assert np.isfinite(results["d_loss"]) and np.isfinite(results["g_loss"])
    np.testing.assert_allclose(results["loss"], results["d_loss"] + results["g_loss"], rtol=1e-4, atol=1e-5)


# The entries of this repository (an installed kerasgen may ship another zoo copy).
PROGAN_ENTRY = os.path.join(helpers.REPO, "zoo", "progan")
CELEBA_ENTRY = os.path.join(helpers.REPO, "zoo", "progan_celeba_hq_256")


def test_pretrained_entry_generates_digits_better_than_an_untrained_model():
    meta = kerasgen.zoo.metadata(PROGAN_ENTRY)
    assert meta["metrics"]["fid_digits"] > meta["metrics"]["reference_fid_digits_train_vs_test"] > 0
    model = kerasgen.zoo.load(PROGAN_ENTRY)
    assert int(model.stage.numpy()) == model.num_stages - 1 and float(model.alpha.numpy()) == 1.0
    images = model.generate(300, seed=0)
    assert images.shape == (300, 32, 32, 1) and images.min() >= -1 and images.max() <= 1
    real, _ = helpers.mnist_images("test", n=300)
    fresh = kerasgen.zoo.load(PROGAN_ENTRY, weights=None)
    fresh.grow(fresh.num_stages - 1)
    fresh.alpha.assign(1.0)
    trained_fid = kerasgen.metrics.fid(real, images)
    untrained_fid = kerasgen.metrics.fid(real, fresh.generate(300, seed=0))
    assert trained_fid < 0.3 * untrained_fid, (trained_fid, untrained_fid)  # measured 67.1 against 299.6


def test_recipe_only_entry_has_the_papers_schedule():
    meta = kerasgen.zoo.metadata(CELEBA_ENTRY)
    assert meta["weights"] is None and meta["training"]["command"] == "python tools/train_zoo.py progan_celeba_hq_256"
    with open(os.path.join(CELEBA_ENTRY, "config.json")) as f:
        config = json.load(f)["config"]
    assert config["resolution"] == 256 and config["latent_dim"] == 512
    assert (config["fmap_base"], config["fmap_max"]) == (8192, 512)
    assert config["fade_images"] == config["stabilize_images"] == 600000
    assert config["batch_sizes"]["256"] == 14 and config["ema_decay"] == 0.999


@pytest.mark.parametrize("batch_sizes", [{6: 16}, {8: 0}, {2: 16}])
def test_batch_sizes_must_map_resolutions_to_positive_sizes(batch_sizes):
    with pytest.raises(ValueError, match="batch_sizes maps resolutions"):
        ProGAN(resolution=8, batch_sizes=batch_sizes)


def test_image_shape_sets_resolution_and_channels():
    model = ProGAN(image_shape=(16, 16, 3), latent_dim=8, fmap_base=32, fmap_max=16)
    assert (model.resolution, model.channels, model.image_shape) == (16, 3, (16, 16, 3))
    with pytest.raises(ValueError, match="square"):
        ProGAN(image_shape=(16, 32, 3))
