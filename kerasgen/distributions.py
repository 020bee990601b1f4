"""TensorFlow Probability priors and decoder likelihoods used by kerasgen.

Only `tfp.distributions` is used (never `tfp.layers`, which is Keras 2).
"""

import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions

PRIORS = ("normal", "laplace")


def standard_normal(latent_dim):
    """N(0, I) over `latent_dim` dimensions, the VAE's default prior."""
    return tfd.MultivariateNormalDiag(
        loc=tf.zeros([latent_dim]), scale_diag=tf.ones([latent_dim]), name="standard_normal"
    )


def laplace(latent_dim):
    """Independent Laplace(0, 1) components. KL(Normal || Laplace) has no
    registered closed form, so a VAE with this prior uses a Monte Carlo KL."""
    return tfd.Independent(
        tfd.Laplace(loc=tf.zeros([latent_dim]), scale=tf.ones([latent_dim])),
        reinterpreted_batch_ndims=1,
        name="laplace",
    )


def prior(name, latent_dim):
    """A prior by name: one of `PRIORS`."""
    builders = {"normal": standard_normal, "laplace": laplace}
    if name not in builders:
        raise ValueError(f"Unknown prior {name!r}; expected one of {sorted(builders)}.")
    return builders[name](latent_dim)


def diagonal_gaussian(mean, log_variance):
    """The VAE posterior q(z|x): reparameterized, from mean and log-variance."""
    return tfd.MultivariateNormalDiag(loc=mean, scale_diag=tf.exp(0.5 * log_variance))


def bernoulli_images(logits):
    """p(x|z) for images with pixel targets in [0, 1]; log_prob sums over pixels.

    For grey levels the log-probability is the binary cross-entropy; for
    binarized images it is the exact Bernoulli log-likelihood.
    """
    return tfd.Independent(tfd.Bernoulli(logits=logits, dtype=tf.float32), reinterpreted_batch_ndims=3)


def gaussian_images(loc, scale):
    """p(x|z) = N(loc, scale^2) per pixel; log_prob sums over pixels."""
    return tfd.Independent(tfd.Normal(loc=loc, scale=scale), reinterpreted_batch_ndims=3)


def kl_divergence(q, p, z=None):
    """KL(q || p) per example: closed form when TFP registers one, else a
    one-sample Monte Carlo estimate log q(z) - log p(z) at `z`.

    Returns:
        `(kl, analytic)`: the per-example KL and whether it is analytic.
    """
    try:
        return tfd.kl_divergence(q, p), True
    except NotImplementedError:
        if z is None:
            raise ValueError(f"No closed-form KL between {q.name} and {p.name}: pass samples z.")
        return q.log_prob(z) - p.log_prob(z), False
