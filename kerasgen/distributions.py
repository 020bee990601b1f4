"""TensorFlow Probability priors and decoder likelihoods used by kerasgen.

Only `tfp.distributions` is used (never `tfp.layers`, which is Keras 2).
"""

import math

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions

# Priors that `prior(name, latent_dim)` builds. The ring mixture and the
# swiss roll are 2-D only (the adversarial autoencoder's demonstration
# priors); the others work at any latent size.
PRIORS = ("normal", "laplace", "uniform", "gaussian_mixture", "swiss_roll")
TWO_D_PRIORS = ("gaussian_mixture", "swiss_roll")


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


def uniform_box(latent_dim, low=-1.0, high=1.0):
    """Independent Uniform(low, high) components: a box in `latent_dim` dimensions."""
    return tfd.Independent(
        tfd.Uniform(low=tf.fill([latent_dim], float(low)), high=tf.fill([latent_dim], float(high))),
        reinterpreted_batch_ndims=1,
        name="uniform_box",
    )


def diagonal_gaussian_mixture(logits, means, log_scales):
    """A mixture of diagonal Gaussians from its parameters (trainable or not).

    Args:
        logits: `(k,)` unnormalized log mixture weights.
        means: `(k, latent_dim)` component means.
        log_scales: `(k, latent_dim)` log standard deviations.

    Example:
    >>> prior = kerasgen.distributions.diagonal_gaussian_mixture(tf.zeros([3]), tf.zeros([3, 2]), tf.zeros([3, 2]))
    >>> prior.log_prob(tf.zeros([1, 2]))  # log N(0; 0, I) in 2-D
    """
    return tfd.MixtureSameFamily(
        mixture_distribution=tfd.Categorical(logits=tf.convert_to_tensor(logits)),
        components_distribution=tfd.MultivariateNormalDiag(
            loc=tf.convert_to_tensor(means), scale_diag=tf.exp(tf.convert_to_tensor(log_scales))
        ),
        name="diagonal_gaussian_mixture",
    )


def gaussian_mixture(num_components=10, radius=4.0, radial_scale=1.0, tangential_scale=0.25):
    """A 2-D mixture of equally weighted Gaussians placed on a ring.

    Component k is centred at angle 2 pi k / num_components, at distance
    `radius` from the origin, and stretched along its radius (the "petals"
    of the adversarial autoencoder paper's figures). With labels, component
    k is the one that class k owns.

    Args:
        num_components: number of Gaussians (10 for the digits).
        radius: distance of the centres from the origin.
        radial_scale: standard deviation along the radius.
        tangential_scale: standard deviation across it.

    Returns:
        `tfd.MixtureSameFamily` with event shape `(2,)`.

    Example:
    >>> prior = kerasgen.distributions.gaussian_mixture()
    >>> z = prior.sample(100, seed=(0, 1))
    """
    k = int(num_components)
    if k < 1:
        raise ValueError(f"num_components must be >= 1; got {num_components}.")
    angles = 2.0 * np.pi * np.arange(k) / k
    directions = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    normals = np.stack([-np.sin(angles), np.cos(angles)], axis=1)
    locs = radius * directions
    # Scale matrix columns: the radial and tangential axes, scaled.
    scale = np.stack([radial_scale * directions, tangential_scale * normals], axis=2)
    components = tfd.MultivariateNormalTriL(
        loc=tf.constant(locs, tf.float32),
        scale_tril=tf.linalg.cholesky(tf.constant(scale @ np.transpose(scale, (0, 2, 1)), tf.float32)),
    )
    return tfd.MixtureSameFamily(
        mixture_distribution=tfd.Categorical(logits=tf.zeros([k])),
        components_distribution=components,
        name="gaussian_mixture",
    )


class SwissRoll(tfd.Distribution):
    """A 2-D swiss roll: points along a spiral plus Gaussian noise.

    A position t ~ Uniform(0, 1) along the roll gives the point
    `r(t) (cos a(t), sin a(t))` with angle `a(t) = turns * 2 pi * sqrt(t)`
    and radius `r(t) = max_radius * sqrt(t)` (so points are spread evenly
    along the spiral's length), then isotropic noise of std `noise` is added.
    Only sampling is implemented (an adversarial autoencoder needs nothing
    else); `log_prob` raises.

    With labels, the roll is cut into `num_components` segments of equal
    probability, and `sample_component(labels, seed)` draws from the segments
    the labels name, as in the paper's supervised swiss-roll experiment.

    Args:
        num_components: number of segments (classes).
        turns: number of turns of the spiral.
        max_radius: radius at the end of the roll.
        noise: standard deviation of the Gaussian noise.

    Example:
    >>> prior = kerasgen.distributions.SwissRoll()
    >>> z = prior.sample(100, seed=(0, 1))   # (100, 2)
    """

    def __init__(self, num_components=10, turns=1.5, max_radius=4.0, noise=0.15, name="swiss_roll"):
        parameters = dict(locals())
        self.num_components = int(num_components)
        self.turns = float(turns)
        self.max_radius = float(max_radius)
        self.noise = float(noise)
        super().__init__(
            dtype=tf.float32,
            reparameterization_type=tfd.NOT_REPARAMETERIZED,
            validate_args=False,
            allow_nan_stats=True,
            parameters=parameters,
            name=name,
        )

    @classmethod
    def _parameter_properties(cls, dtype, num_classes=None):
        return {}

    def _event_shape(self):
        return tf.TensorShape([2])

    def _event_shape_tensor(self):
        return tf.constant([2], tf.int32)

    def _batch_shape(self):
        return tf.TensorShape([])

    def _batch_shape_tensor(self):
        return tf.constant([], tf.int32)

    def _points(self, t, seed):
        angle = self.turns * 2.0 * math.pi * tf.sqrt(t)
        radius = self.max_radius * tf.sqrt(t)
        points = tf.stack([radius * tf.cos(angle), radius * tf.sin(angle)], axis=-1)
        return points + self.noise * tf.random.stateless_normal(tf.shape(points), seed=seed)

    def _sample_n(self, n, seed=None):
        seed = tfp.random.sanitize_seed(seed)
        t_seed, noise_seed = tfp.random.split_seed(seed, 2)
        t = tf.random.stateless_uniform([n], seed=t_seed)
        return self._points(t, noise_seed)

    def _log_prob(self, x):
        raise NotImplementedError(
            "The swiss-roll prior has no density in closed form: it can only be sampled. "
            "Use it with kerasgen.models.AAE, which needs only samples of its prior "
            "(a VAE's KL term needs log p(z))."
        )

    def sample_component(self, labels, seed=None):
        """One point per label from the segment that label owns.

        Args:
            labels: int vector of segment indices in `[0, num_components)`.
            seed: stateless seed.
        """
        seed = tfp.random.sanitize_seed(seed)
        t_seed, noise_seed = tfp.random.split_seed(seed, 2)
        labels = tf.cast(labels, tf.float32)
        u = tf.random.stateless_uniform(tf.shape(labels), seed=t_seed)
        return self._points((labels + u) / self.num_components, noise_seed)


def swiss_roll(num_components=10):
    """The 2-D swiss-roll prior (see `SwissRoll`)."""
    return SwissRoll(num_components=num_components)


def prior(name, latent_dim):
    """A prior by name: one of `PRIORS`.

    `"normal"` is N(0, I), `"laplace"` independent Laplace(0, 1),
    `"uniform"` the box [-1, 1]^latent_dim, `"gaussian_mixture"` ten 2-D
    Gaussians on a ring and `"swiss_roll"` a 2-D swiss roll (these two need
    `latent_dim=2`).
    """
    builders = {
        "normal": standard_normal,
        "laplace": laplace,
        "uniform": uniform_box,
        "gaussian_mixture": lambda d: gaussian_mixture(),
        "swiss_roll": lambda d: swiss_roll(),
    }
    if name not in builders:
        raise ValueError(f"Unknown prior {name!r}; expected one of {sorted(builders)}.")
    if name in TWO_D_PRIORS and int(latent_dim) != 2:
        raise ValueError(
            f"The {name!r} prior is 2-D (event shape (2,)), but latent_dim is {latent_dim}; "
            "use latent_dim=2, or a prior of any size: 'normal', 'laplace' or 'uniform'."
        )
    return builders[name](int(latent_dim))


def num_components(distribution):
    """Number of mixture components (segments) of a prior, or None.

    A `tfd.MixtureSameFamily` has one per mixture weight; a distribution with
    a `sample_component` method declares `num_components`.
    """
    if isinstance(distribution, tfd.MixtureSameFamily):
        n = distribution.mixture_distribution.logits_parameter().shape[-1]
        return None if n is None else int(n)
    if callable(getattr(distribution, "sample_component", None)):
        return int(distribution.num_components)
    return None


def sample_components(distribution, labels, seed):
    """One sample per label from the mixture component that label names.

    Args:
        distribution: a `tfd.MixtureSameFamily` (its `components_distribution`
            has one batch member per component) or a distribution with a
            `sample_component(labels, seed)` method (e.g. `SwissRoll`).
        labels: int vector of component indices.
        seed: stateless seed.

    Returns:
        float32 tensor `(len(labels),) + event_shape`.
    """
    if callable(getattr(distribution, "sample_component", None)):
        return tf.cast(distribution.sample_component(labels, seed=seed), tf.float32)
    if isinstance(distribution, tfd.MixtureSameFamily):
        n = tf.shape(labels)[0]
        # (n, components, event): every component sampled, the labelled one kept.
        draws = distribution.components_distribution.sample(n, seed=seed)
        return tf.cast(tf.gather(draws, tf.cast(labels, tf.int32), axis=1, batch_dims=1), tf.float32)
    raise ValueError(
        f"Cannot draw per-class samples from the prior {distribution.name!r}: the supervised "
        "variant needs a tfd.MixtureSameFamily with one component per class, or a distribution "
        "with a sample_component(labels, seed) method (e.g. kerasgen.distributions.SwissRoll)."
    )


def maximum_mean_discrepancy(x, y, bandwidths=(0.5, 1.0, 2.0, 4.0)):
    """Unbiased MMD^2 between two sets of vectors, with a fixed kernel.

    The kernel is a sum of Gaussian kernels exp(-|a - b|^2 / (2 h^2)) over
    the fixed `bandwidths` h, so values from different models are directly
    comparable. It is near 0 (and can be slightly negative) when both sets
    come from one distribution.

    Args:
        x, y: arrays `(n, d)` and `(m, d)` (n, m >= 2).
        bandwidths: the kernel's length scales, in the vectors' units.

    Returns:
        float: the estimate.

    Example:
    >>> prior = kerasgen.distributions.gaussian_mixture()
    >>> maximum_mean_discrepancy(codes, prior.sample(1000, seed=(0, 0)))
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1] or min(len(x), len(y)) < 2:
        raise ValueError(f"Expected arrays (n, d) and (m, d) with n, m >= 2; got {x.shape} and {y.shape}.")

    def kernel(a, b):
        d2 = np.sum(a**2, 1)[:, None] + np.sum(b**2, 1)[None, :] - 2.0 * a @ b.T
        d2 = np.maximum(d2, 0.0)
        return sum(np.exp(-d2 / (2.0 * h * h)) for h in bandwidths)

    n, m = len(x), len(y)
    kxx, kyy, kxy = kernel(x, x), kernel(y, y), kernel(x, y)
    return float(
        (kxx.sum() - np.trace(kxx)) / (n * (n - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2.0 * kxy.mean()
    )


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
            raise ValueError(f"No closed-form KL between {q.name} and {p.name}: pass samples z.") from None
        return q.log_prob(z) - p.log_prob(z), False
