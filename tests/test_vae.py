import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasgen
from kerasgen import distributions
from kerasgen.models import VAE
from tests import helpers

TINY = dict(image_shape=(8, 8, 1), latent_dim=3, filters=(4, 8), seed=1)


@pytest.fixture(scope="module")
def trained_vae():
    """A small VAE trained for 300 steps on binarized MNIST-5k."""
    keras.utils.set_random_seed(0)
    x, _ = helpers.mnist_images("train", binarize=True)
    xv, _ = helpers.mnist_images("test", binarize=True)
    model = VAE(latent_dim=8, filters=(16, 32), seed=0)
    model.compile()
    val = kerasgen.data.dataset(xv, model.image_shape, batch_size=500, shuffle=False)
    before = model.evaluate(val, verbose=0, return_dict=True)["elbo"]
    ds = kerasgen.data.dataset(x, model.image_shape, batch_size=64, repeat=True)
    model.fit(ds, epochs=3, steps_per_epoch=100, verbose=0)
    after = model.evaluate(val, verbose=0, return_dict=True)["elbo"]
    return model, xv, before, after


def test_posterior_is_reparameterized():
    model = VAE(**TINY)
    q = model.posterior(helpers.random_images(2, TINY["image_shape"]))
    assert q.reparameterization_type == distributions.tfd.FULLY_REPARAMETERIZED


def test_kl_matches_closed_form_for_two_gaussians():
    rng = np.random.default_rng(0)
    mean = rng.normal(size=(32, 5)).astype("float32")
    log_var = rng.normal(scale=0.7, size=(32, 5)).astype("float32")
    q = distributions.diagonal_gaussian(mean, log_var)
    kl, analytic = distributions.kl_divergence(q, distributions.standard_normal(5))
    closed = 0.5 * np.sum(mean**2 + np.exp(log_var) - 1.0 - log_var, axis=1)
    assert analytic
    np.testing.assert_allclose(kl.numpy(), closed, rtol=1e-5, atol=1e-5)


def test_model_kl_term_is_summed_over_latents_and_matches_closed_form():
    model = VAE(**TINY)
    x = helpers.random_images(6, TINY["image_shape"])
    stats = model.encoder(x).numpy()
    mean, log_var = stats[:, :3], stats[:, 3:]
    closed = 0.5 * np.sum(mean**2 + np.exp(log_var) - 1.0 - log_var, axis=1)
    terms = model.elbo_terms(tf.constant(x))
    assert terms["kl"].shape == (6,)
    np.testing.assert_allclose(terms["kl"].numpy(), closed, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(terms["elbo"].numpy(), terms["reconstruction"].numpy() - closed, rtol=1e-4, atol=1e-3)


def test_reconstruction_is_summed_over_pixels_and_loss_averaged_over_batch():
    model = VAE(**TINY)
    x = tf.constant(helpers.random_images(4, TINY["image_shape"]))
    terms = model.elbo_terms(x)
    # Bernoulli log-probability of 64 pixels is at most 0 and of order -64 * log 2.
    assert terms["reconstruction"].shape == (4,)
    assert np.all(terms["reconstruction"].numpy() < -64 * 0.3)
    loss = model.average_loss(terms["loss"])
    np.testing.assert_allclose(loss.numpy(), np.mean(terms["loss"].numpy()), rtol=1e-6)


def test_monte_carlo_kl_for_a_prior_without_closed_form():
    model = VAE(prior="laplace", **TINY)
    x = tf.constant(helpers.random_images(4, TINY["image_shape"]))
    q = model.posterior(x)
    with pytest.raises(NotImplementedError):
        distributions.tfd.kl_divergence(q, model.prior)
    z = q.sample(20000, seed=(1, 2))
    mc = np.mean((q.log_prob(z) - model.prior.log_prob(z)).numpy(), axis=0)
    kl, analytic = distributions.kl_divergence(q, model.prior, z[0])
    assert not analytic and kl.shape == (4,)
    # The one-sample estimate is unbiased: its mean over many draws is the KL (>= 0).
    assert np.all(mc > 0)


def test_training_raises_validation_elbo(trained_vae):
    _, _, before, after = trained_vae
    # Untrained: about -64 * 8.5 nats; 300 steps of Adam reach about -150.
    assert after > before + 200.0, (before, after)


def test_importance_weighted_bound_is_above_elbo_and_tightens(trained_vae):
    model, xv, _, _ = trained_vae
    x = xv[:64]
    keras.utils.set_random_seed(3)
    iw = {k: float(np.mean([model.log_likelihood(x, num_samples=k).mean() for _ in range(5)])) for k in (1, 8, 64)}
    elbo = float(np.mean([model.elbo_terms(tf.constant(x))["elbo"].numpy().mean() for _ in range(20)]))
    # K = 1 is a one-sample ELBO estimate (Monte Carlo KL instead of closed form).
    assert abs(iw[1] - elbo) < 0.01 * abs(elbo) + 0.5, (iw[1], elbo)
    assert iw[8] >= iw[1] - 0.05 and iw[64] >= iw[8] - 0.05, iw
    assert iw[64] > elbo, (iw, elbo)


def test_generate_shape_range_and_seed(trained_vae):
    model = trained_vae[0]
    a, b = model.generate(5, seed=7), model.generate(5, seed=7)
    assert a.shape == (5, 28, 28, 1) and a.dtype == np.float32
    assert a.min() >= -1 and a.max() <= 1
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, model.generate(5, seed=8))


def test_kl_warmup_ramps_the_kl_weight():
    model = VAE(beta=2.0, **TINY)
    model.compile()
    warm = kerasgen.callbacks.KLWarmup(10)
    x = helpers.random_images(16, TINY["image_shape"])
    model.fit(x, batch_size=4, epochs=1, callbacks=[warm], verbose=0)  # 4 steps
    np.testing.assert_allclose(model.kl_weight.numpy(), 2.0 * 4 / 10, rtol=1e-6)
    assert warm.weight_at(100) == 2.0


def test_config_keras_and_saved_model_round_trips(tmp_path):
    model = VAE(**TINY)
    model.compile()
    x = helpers.random_images(8, TINY["image_shape"])
    model.fit(x, batch_size=4, epochs=1, verbose=0)
    helpers.assert_config_round_trip(model)
    helpers.assert_keras_round_trip(model, str(tmp_path / "vae.keras"), x, lambda m, v: m.reconstruct(v))
    # In a new process, as the README says: Keras's own loader once kerasgen.models is imported.
    import subprocess
    import sys

    code = (
        f"import keras, kerasgen.models; print(type(keras.saving.load_model({str(tmp_path / 'vae.keras')!r})).__name__)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.stdout.strip() == "VAE", proc.stderr[-2000:]
    z = np.random.default_rng(0).normal(size=(7, 3)).astype("float32")
    names = helpers.assert_signatures(
        model,
        str(tmp_path / "export"),
        [
            ("decode", {"latents": z[:1]}, model.decode(z[:1]), "images"),
            ("decode", {"latents": z}, model.decode(z), "images"),
            ("reconstruct", {"images": x[:7]}, model.reconstruct(x[:7]), "images"),
            ("encode", {"images": x[:7]}, model.encode(x[:7]), "mean"),
        ],
    )
    assert "encode" in names and "serving_default" in names


def _mixture_log_density(z, logits, means, log_scales):
    """log sum_k w_k N(z; mu_k, diag(sigma_k^2)) in numpy."""
    w = np.exp(logits - np.max(logits))
    w = w / w.sum()
    var = np.exp(2 * log_scales)
    log_n = -0.5 * np.sum((z[:, None, :] - means) ** 2 / var + np.log(2 * np.pi * var), axis=-1)
    peak = log_n.max(axis=1, keepdims=True)
    return (peak + np.log(np.sum(w * np.exp(log_n - peak), axis=1, keepdims=True)))[:, 0]


def test_learned_mixture_prior_density_kl_and_training(tmp_path):
    model = VAE(prior="learned_mixture", prior_components=4, **TINY)
    rng = np.random.default_rng(0)
    logits = rng.normal(size=4).astype("float32")
    means = rng.normal(size=(4, 3)).astype("float32")
    log_scales = rng.normal(scale=0.3, size=(4, 3)).astype("float32")
    for variable, value in zip(
        (model.prior_logits, model.prior_means, model.prior_log_scales), (logits, means, log_scales)
    ):
        variable.assign(value)
    z = rng.normal(size=(10, 3)).astype("float32")
    np.testing.assert_allclose(
        model.prior.log_prob(z).numpy(), _mixture_log_density(z, logits, means, log_scales), rtol=1e-5, atol=1e-5
    )
    # No closed form: the KL is the one-sample estimate log q(z) - log p(z).
    x = helpers.random_images(10, TINY["image_shape"])
    q = model.posterior(x)
    kl, analytic = distributions.kl_divergence(q, model.prior, z)
    assert not analytic
    expected = q.log_prob(z).numpy() - _mixture_log_density(z, logits, means, log_scales)
    np.testing.assert_allclose(kl.numpy(), expected, rtol=1e-4, atol=1e-4)
    # The mixture's weights, means and scales are trained with the networks, and saved with them.
    model.compile()
    model.fit(x, batch_size=5, epochs=2, verbose=0)
    assert not np.allclose(model.prior_means.numpy(), means)
    assert not np.allclose(model.prior_logits.numpy(), logits)
    assert model.sample_latents(6, seed=0).shape == (6, 3)
    helpers.assert_config_round_trip(model)
    model.save(tmp_path / "mixture.keras")
    loaded = keras.saving.load_model(tmp_path / "mixture.keras")
    np.testing.assert_allclose(loaded.prior.log_prob(z).numpy(), model.prior.log_prob(z).numpy(), rtol=1e-6)


def test_one_component_learned_mixture_starts_as_a_standard_normal():
    model = VAE(prior="learned_mixture", prior_components=1, **TINY)
    model.prior_means.assign(np.zeros((1, 3), "float32"))
    z = np.random.default_rng(1).normal(size=(5, 3)).astype("float32")
    closed = -0.5 * np.sum(z**2, axis=1) - 1.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(model.prior.log_prob(z).numpy(), closed, rtol=1e-5)
    assert VAE(prior="learned_mixture", **TINY).prior_components == 10


def test_custom_sub_networks_serialize():
    enc = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(6)])
    dec = keras.Sequential([keras.Input((3,)), keras.layers.Dense(64), keras.layers.Reshape((8, 8, 1))])
    model = VAE(image_shape=(8, 8, 1), latent_dim=3, encoder=enc, decoder=dec)
    clone = helpers.assert_config_round_trip(model)
    assert clone.encoder.count_params() == enc.count_params()


def test_wrong_image_shape_names_expected_and_actual():
    model = VAE(**TINY)
    model.compile()
    with pytest.raises(ValueError, match=r"\(None, 8, 8, 1\).*\(2, 8, 8, 3\)"):
        model.reconstruct(np.zeros((2, 8, 8, 3), "float32"))
    with pytest.raises(ValueError, match="expects images of shape"):
        model.fit(np.zeros((4, 16, 16, 1), "float32"), epochs=1, verbose=0)


def test_nan_pixels_and_out_of_range_values_are_refused():
    model = VAE(**TINY)
    model.compile()
    x = helpers.random_images(4, TINY["image_shape"])
    x[0, 0, 0, 0] = np.nan
    with pytest.raises(tf.errors.InvalidArgumentError, match="NaN or Inf"):
        model.fit(x, batch_size=4, epochs=1, verbose=0)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"must be in \[-1, 1\]"):
        model.fit(helpers.random_images(4, TINY["image_shape"]) * 100, batch_size=4, epochs=1, verbose=0)


def test_bad_hyperparameters():
    with pytest.raises(ValueError, match="likelihood"):
        VAE(likelihood="poisson", **TINY)
    with pytest.raises(ValueError, match="Unknown prior"):
        VAE(prior="cauchy", **TINY)
    with pytest.raises(ValueError, match="prior_components must be at least 1; got 0"):
        VAE(prior="learned_mixture", prior_components=0, **TINY)
    with pytest.raises(ValueError, match="prior_components is for prior='learned_mixture'"):
        VAE(prior="normal", prior_components=5, **TINY)
    with pytest.raises(ValueError, match="divisible by 4"):
        VAE(image_shape=(10, 10, 1), filters=(4, 8))
