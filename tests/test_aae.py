import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasgen
from kerasgen import distributions
from kerasgen.models import AAE, Autoencoder
from tests import helpers

TINY = dict(image_shape=(8, 8, 1), latent_dim=2, filters=(4, 8), discriminator_units=(16, 16), seed=1)
tfd = distributions.tfd


class _NoSample(tfd.Distribution):
    """A 2-D distribution that defines no sampler."""

    def __init__(self):
        super().__init__(
            dtype=tf.float32,
            reparameterization_type=tfd.NOT_REPARAMETERIZED,
            validate_args=False,
            allow_nan_stats=True,
            name="no_sample",
        )

    @classmethod
    def _parameter_properties(cls, dtype, num_classes=None):
        return {}

    def _event_shape(self):
        return tf.TensorShape([2])

    def _batch_shape(self):
        return tf.TensorShape([])


def _adam():
    # The pretrained entries' optimizers: faster than the paper's SGD in short runs.
    return dict(AAE.ADAM_OPTIMIZERS)


def _train(model, ds, steps):
    model.compile(**(_adam() if isinstance(model, AAE) else {}))
    model.fit(ds, epochs=1, steps_per_epoch=steps, verbose=0)
    return model


@pytest.fixture(scope="module")
def mnist():
    return helpers.mnist_images("train"), helpers.mnist_images("test")


def test_codes_match_the_prior_better_than_a_plain_autoencoder(mnist):
    """Same networks, same steps: only the adversarial phase pulls q(z) to p(z)."""
    (x, _), (xv, _) = mnist
    steps = 600
    keras.utils.set_random_seed(0)
    ds = kerasgen.data.dataset(x, (28, 28, 1), batch_size=32, repeat=True)
    aae = _train(
        AAE(latent_dim=2, prior="gaussian_mixture", filters=(16, 32), discriminator_units=(256, 256), seed=0), ds, steps
    )
    keras.utils.set_random_seed(0)
    ae = _train(Autoencoder(latent_dim=2, filters=(16, 32), seed=0), ds, steps)
    reference = aae.sample_prior(len(xv), seed=1).numpy()
    mmd_aae = distributions.maximum_mean_discrepancy(aae.encode(xv), reference)
    mmd_ae = distributions.maximum_mean_discrepancy(ae.encode(xv), reference)
    assert mmd_aae == pytest.approx(aae.prior_match(xv, seed=1))
    # Measured: 0.32 against 0.86 (seed 1: 0.28 against 0.83); two prior draws of 1,000 give about 0.0.
    assert mmd_aae < 0.5 * mmd_ae and mmd_aae < 0.5, (mmd_aae, mmd_ae)
    # The adversarial phase costs little reconstruction.
    rec = aae.evaluate(xv, batch_size=500, verbose=0, return_dict=True)
    assert rec["reconstruction"] < 0.3, rec
    assert set(rec) == {"loss", "reconstruction", "d_loss", "g_loss"}
    samples = aae.generate(8, seed=3)
    assert samples.shape == (8, 28, 28, 1) and samples.dtype == np.float32
    assert samples.min() >= -1 and samples.max() <= 1
    np.testing.assert_array_equal(samples, aae.generate(8, seed=3))


def test_supervised_codes_land_in_the_component_of_their_class():
    """Two classes of images, a two-component prior: each class takes its label's component.

    The components are given in the order opposite to the one a plain
    encoder would pick up by chance half the time, so only the label input
    of the discriminator can place the codes.
    """
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    y = np.arange(256) % 2
    x = np.where(y[:, None, None, None] == 0, -0.8, 0.8) + rng.uniform(-0.2, 0.2, (256, 8, 8, 1))
    x = x.astype("float32")
    prior = distributions.gaussian_mixture(num_components=2, radius=3.0, radial_scale=0.3, tangential_scale=0.3)
    model = AAE(prior=prior, num_classes=2, **{**TINY, "discriminator_units": (32, 32)})
    # The faster generator that the compile() docstring recommends for the
    # supervised variant (with the default 2e-4 the label-aware discriminator
    # wins: measured d_loss 0.25 and codes shrinking to the origin by step 800).
    model.compile(**{**_adam(), "generator_optimizer": keras.optimizers.Adam(1e-3, beta_1=0.5)})
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(256, seed=0).repeat().batch(32)
    centres = prior.components_distribution.mean().numpy()  # (3, 0) for class 0, (-3, 0) for class 1

    def accuracy():
        codes = model.encode(x)
        return float(np.mean(np.argmin(((codes[:, None] - centres[None]) ** 2).sum(-1), axis=1) == y))

    history = model.fit(ds, epochs=1, steps_per_epoch=600, verbose=0).history
    codes = model.encode(x)
    assert accuracy() > 0.95, accuracy()
    # At the equilibrium the discriminator cannot tell codes from prior samples:
    # D = 1/2 everywhere, d_loss = 2 log 2. Measured: 1.39 after 600 steps.
    assert abs(history["d_loss"][-1] - 2 * np.log(2)) < 0.15, history
    for k in (0, 1):
        np.testing.assert_allclose(codes[y == k].mean(0), centres[k], atol=1.0)


def test_per_class_prior_samples_come_from_that_component():
    model = AAE(num_classes=10, **TINY)
    labels = tf.constant(np.repeat(np.arange(10), 200))
    z = model.sample_prior(2000, labels=labels, seed=0).numpy()
    centres = model.prior.components_distribution.mean().numpy()
    nearest = np.argmin(((z[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    assert np.mean(nearest == labels.numpy()) > 0.95
    roll = distributions.SwissRoll()
    seg = distributions.sample_components(roll, tf.constant([0] * 500 + [9] * 500), seed=(1, 2)).numpy()
    # Segment 0 is the centre of the roll, segment 9 its outer end.
    assert np.linalg.norm(seg[:500], axis=1).mean() < 1.6 < np.linalg.norm(seg[500:], axis=1).mean()


def test_compile_defaults_and_overrides():
    model = AAE(**TINY)
    model.compile()  # the paper's SGD settings
    rec, disc, gen = (opt for opt, _ in model.optimizer_variables())
    for opt, rate, momentum in ((rec, 0.01, 0.9), (disc, 0.1, 0.1), (gen, 0.1, 0.1)):
        assert isinstance(opt, keras.optimizers.SGD) and opt.momentum == momentum
        assert float(opt.learning_rate.numpy()) == pytest.approx(rate)
    # Keras configs (as in the entries' recipes) build fresh optimizers and stay unchanged.
    model.compile(**AAE.ADAM_OPTIMIZERS)
    rec, disc, gen = (opt for opt, _ in model.optimizer_variables())
    assert isinstance(rec, keras.optimizers.Adam) and float(rec.learning_rate.numpy()) == pytest.approx(1e-3)
    assert disc is not gen and disc.beta_1 == gen.beta_1 == 0.5
    assert AAE.ADAM_OPTIMIZERS["generator_optimizer"]["class_name"] == "Adam"
    model.compile(generator_optimizer="rmsprop")
    assert isinstance(model.optimizer_variables()[2][0], keras.optimizers.RMSprop)
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="3 distinct optimizer"):
        model.compile(discriminator_optimizer=shared, generator_optimizer=shared)


def test_gaussian_encoder_samples_codes_by_reparameterization():
    model = AAE(gaussian_encoder=True, **TINY)
    x = tf.constant(helpers.random_images(4, TINY["image_shape"]))
    q = model.posterior(x)
    assert q.reparameterization_type == tfd.FULLY_REPARAMETERIZED
    assert model.encoder.output_shape == (None, 4)
    a, b = model.encode_codes(x, sample=True), model.encode_codes(x, sample=True)
    assert not np.allclose(a, b)
    np.testing.assert_allclose(model.encode(x.numpy()), q.mean().numpy(), rtol=1e-5, atol=1e-6)


def test_round_trips(tmp_path):
    model = AAE(num_classes=10, **TINY)
    model.compile()
    x = helpers.random_images(8, TINY["image_shape"])
    model.fit(x, np.arange(8), batch_size=4, epochs=1, verbose=0)
    helpers.assert_config_round_trip(model)
    helpers.assert_keras_round_trip(model, str(tmp_path / "aae.keras"), x, lambda m, v: m.reconstruct(v))
    z = np.random.default_rng(0).normal(size=(7, 2)).astype("float32")
    codes = model.encode(x[:5])
    names = helpers.assert_signatures(
        model,
        str(tmp_path / "export"),
        [
            ("serving_default", {"codes": z}, model.decode(z), "images"),
            ("encode", {"images": x[:5]}, codes, "codes"),
            ("reconstruct", {"images": x[:5]}, model.reconstruct(x[:5]), "images"),
            # decode(encode(x)) is reconstruct(x): the exported halves fit together.
            ("decode", {"codes": codes}, model.reconstruct(x[:5]), "images"),
        ],
    )
    assert all(name in names for name in ("'decode'", "'encode'", "'reconstruct'", "'serving_default'")), names


def test_custom_sub_networks_and_uniform_prior_serialize():
    disc = keras.Sequential([keras.Input((3,)), keras.layers.Dense(5, activation="relu"), keras.layers.Dense(1)])
    model = AAE(image_shape=(8, 8, 1), latent_dim=3, prior="uniform", filters=(4, 8), discriminator=disc)
    clone = helpers.assert_config_round_trip(model)
    assert clone.discriminator.count_params() == disc.count_params()
    z = clone.generate(5, seed=0)
    assert z.shape == (5, 8, 8, 1)
    box = clone.sample_latents(500, seed=0).numpy()
    assert box.min() >= -1 and box.max() <= 1 and box.shape == (500, 3)


def test_user_prior_object_is_sampled_but_not_serialized():
    prior = tfd.MultivariateNormalDiag(loc=[3.0, -3.0], scale_diag=[0.1, 0.1], name="my_prior")
    model = AAE(prior=prior, **TINY)
    z = model.sample_latents(100, seed=0).numpy()
    np.testing.assert_allclose(z.mean(0), [3.0, -3.0], atol=0.05)
    model.compile()
    model.fit(helpers.random_images(8, TINY["image_shape"]), batch_size=4, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="prior object.*my_prior.*save_weights"):
        model.get_config()


def test_bad_priors_are_refused_with_both_shapes_named():
    with pytest.raises(ValueError, match=r"event shape \(3,\).*latent_dim is 2"):
        AAE(prior=distributions.standard_normal(3), **TINY)
    with pytest.raises(ValueError, match="no_sample.*cannot be sampled"):
        AAE(prior=_NoSample(), **TINY)
    with pytest.raises(ValueError, match=r"'swiss_roll' prior is 2-D.*latent_dim is 5"):
        AAE(image_shape=(8, 8, 1), latent_dim=5, prior="swiss_roll", filters=(4, 8))
    with pytest.raises(ValueError, match="Unknown prior 'cauchy'"):
        AAE(prior="cauchy", **TINY)
    with pytest.raises(TypeError, match="tfp.distributions.Distribution"):
        AAE(prior=np.zeros(2), **TINY)
    with pytest.raises(ValueError, match="num_classes=10.*no mixture components"):
        AAE(prior="normal", num_classes=10, **TINY)
    with pytest.raises(ValueError, match="num_classes=5.*10 components"):
        AAE(prior="gaussian_mixture", num_classes=5, **TINY)


def test_bad_labels_are_refused():
    model = AAE(num_classes=10, **TINY)
    model.compile()
    x = helpers.random_images(8, TINY["image_shape"])
    with pytest.raises(ValueError, match="5 classes.*num_classes=10"):
        model.fit(x, np.eye(5)[np.arange(8) % 5], batch_size=4, epochs=1, verbose=0)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"class indices in \[0, num_classes=10\)"):
        model.fit(x, np.arange(8) + 5, batch_size=4, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="supervised.*needs labels"):
        model.fit(x, batch_size=4, epochs=1, verbose=0)
    # One-hot labels of the right width are accepted.
    model.fit(x, np.eye(10)[np.arange(8)], batch_size=4, epochs=1, verbose=0)


def test_evaluate_scores_a_supervised_aae_with_the_held_out_labels():
    model = AAE(num_classes=10, **TINY)
    model.compile()
    x = helpers.random_images(16, TINY["image_shape"])
    labels = np.arange(16) % 10
    figures = kerasgen.evaluation.evaluate(model, x, labels)
    # The discriminator figures are computed with the labels: the same as Keras' evaluate on (images, labels).
    model.reseed(0)
    direct = model.evaluate(x, labels, batch_size=250, verbose=0, return_dict=True)
    assert figures["test_reconstruction"] == pytest.approx(direct["reconstruction"], rel=1e-5)
    assert {"test_d_loss", "test_g_loss", "test_prior_mmd", "prior_mmd_gaussian_factor"} <= set(figures)
    with pytest.raises(ValueError, match=r"AAE trains on \(images, labels\): evaluate needs the held-out labels"):
        kerasgen.evaluation.evaluate(model, x)


def test_latent_scatter_writes_a_coloured_png(tmp_path):
    from PIL import Image

    model = AAE(**TINY)
    model.compile()
    x = helpers.random_images(20, TINY["image_shape"])
    labels = np.arange(20) % 10
    cb = kerasgen.callbacks.LatentScatter(str(tmp_path / "scatter"), x, labels, size=128)
    model.fit(x, batch_size=10, epochs=2, verbose=0, callbacks=[cb])
    assert [os.path.basename(p) for p in cb.written] == ["latent_epoch_0001.png", "latent_epoch_0002.png"]
    image = np.asarray(Image.open(cb.written[-1]))
    assert image.shape == (128, 128, 3)
    colours = {tuple(c) for c in image.reshape(-1, 3)}
    # White background, grey prior samples, and the first class's colour.
    assert (255, 255, 255) in colours and (200, 200, 200) in colours and (31, 119, 180) in colours
    with pytest.raises(ValueError, match="2-D latent"):
        kerasgen.callbacks.LatentScatter(str(tmp_path), x).write(
            str(tmp_path / "a.png"), AAE(**{**TINY, "latent_dim": 3, "prior": "normal"})
        )


# Measured prior-match MMD^2 of the entries (both supervised): 0.040 (ring) and
# 0.038 (swiss roll); two prior draws score 0.000.
@pytest.mark.parametrize("name, max_mmd", [("aae", 0.1), ("aae_swiss_roll", 0.1)])
def test_pretrained_entries_match_their_prior_and_reproduce_their_metadata(name, max_mmd):
    # Loaded by folder, so the test reads this checkout's zoo/ whatever kerasgen install is active.
    entry = os.path.join(helpers.REPO, "zoo", name)
    model = kerasgen.zoo.load(entry)
    meta = kerasgen.zoo.metadata(entry)
    xv, _ = helpers.mnist_images("test")
    mmd = model.prior_match(xv, seed=0)
    np.testing.assert_allclose(mmd, meta["metrics"]["test_prior_mmd"], rtol=1e-3, atol=1e-4)
    # Two prior draws of 1,000 score about 0; the codes of an untrained encoder score far higher.
    fresh = kerasgen.zoo.load(entry, weights=None)
    untrained = fresh.prior_match(xv, seed=0)
    assert mmd < max_mmd and untrained > 3 * mmd, (mmd, untrained)
    # Held-out reconstruction error as recorded (0.249 ring, 0.278 swiss roll),
    # a fraction of an untrained model's.
    error = float(np.mean((model.reconstruct(xv) - xv) ** 2))
    np.testing.assert_allclose(error, meta["metrics"]["test_reconstruction"], rtol=1e-3)
    untrained_error = float(np.mean((fresh.reconstruct(xv) - xv) ** 2))
    assert error < 0.35 * untrained_error, (error, untrained_error)
