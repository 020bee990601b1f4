"""Variational autoencoder (Kingma & Welling, 2014)."""

import math

import keras
import tensorflow as tf
from keras import ops

from kerasgen import distributions
from kerasgen.models.base import GENERATE, LOG_LIKELIHOOD, RECONSTRUCT
from kerasgen.models.encoder_decoder import EncoderDecoderModel
from kerasgen.models.networks import conv_decoder, conv_encoder

LIKELIHOODS = ("bernoulli", "gaussian")
LEARNED_MIXTURE = "learned_mixture"


@keras.saving.register_keras_serializable(package="kerasgen")
class VAE(EncoderDecoderModel):
    """Variational autoencoder trained on the negative ELBO.

    The encoder gives q(z|x), a diagonal Gaussian from a mean and a
    log-variance, sampled by reparameterization; the decoder gives p(x|z), a
    Bernoulli (binary or grey-level images) or Gaussian distribution over the
    pixels. Per example,

        ELBO = E_q[log p(x|z)] - KL(q(z|x) || p(z)),

    with the reconstruction term summed over pixels and the KL summed over
    latent dimensions; the loss is -ELBO averaged over the (global) batch.
    The KL is closed-form when TFP registers one (normal prior), a one-sample
    Monte Carlo estimate otherwise.

    Args:
        image_shape: `(height, width, channels)`; images are in [-1, 1].
        latent_dim: size of z.
        filters: filters of the encoder's stride-2 convolutions (mirrored by
            the decoder).
        likelihood: `"bernoulli"` (pixels mapped to [0, 1] as targets) or
            `"gaussian"`.
        likelihood_scale: for the Gaussian likelihood, a fixed per-pixel
            standard deviation (in [-1, 1] pixel units), or None to learn one
            shared scale.
        prior: `"normal"` (N(0, I)), `"laplace"` (Monte Carlo KL), or
            `"learned_mixture"`: a mixture of `prior_components` diagonal
            Gaussians whose weights, means and scales are trained with the
            rest of the model (Monte Carlo KL; a departure from the paper's
            fixed N(0, I), which leaves holes between the regions the
            encoder uses that prior samples fall into).
        prior_components: number of Gaussians of the learned mixture prior
            (only with `prior="learned_mixture"`; 10 if not given).
        beta: weight of the KL term (1 is the ELBO; other values give the
            beta-VAE objective). `KLWarmup` ramps it up from 0.
        seed: seed of the model's random draws.
        encoder: optional Keras model from images to `2 * latent_dim` values
            (mean, log-variance).
        decoder: optional Keras model from latents to per-pixel logits (or
            Gaussian means) of shape `image_shape`.

    Example:
    >>> model = kerasgen.models.VAE(image_shape=(28, 28, 1), latent_dim=16)
    >>> model.compile()
    >>> model.fit(kerasgen.data.dataset(images, model.image_shape), epochs=10)
    >>> samples = model.generate(16, seed=0)
    """

    metric_names = ("loss", "elbo", "reconstruction", "kl")
    capabilities = frozenset({GENERATE, RECONSTRUCT, LOG_LIKELIHOOD})
    latent_input_name = "latents"

    def __init__(
        self,
        image_shape=(28, 28, 1),
        latent_dim=16,
        filters=(32, 64),
        likelihood="bernoulli",
        likelihood_scale=None,
        prior="normal",
        prior_components=None,
        beta=1.0,
        seed=None,
        encoder=None,
        decoder=None,
        **kwargs,
    ):
        super().__init__(image_shape=image_shape, latent_dim=latent_dim, seed=seed, **kwargs)
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}; got {likelihood!r}.")
        self.filters = tuple(int(f) for f in filters)
        self.likelihood = likelihood
        self.likelihood_scale = None if likelihood_scale is None else float(likelihood_scale)
        self.prior_name = prior
        if prior == LEARNED_MIXTURE:
            self.prior_components = 10 if prior_components is None else int(prior_components)
            if self.prior_components < 1:
                raise ValueError(f"prior_components must be at least 1; got {prior_components}.")
            k, d = self.prior_components, self.latent_dim
            # Means spread like N(0, I) samples, unit scales and equal weights:
            # the mixture starts close to the standard normal prior.
            self.prior_logits = self.add_weight(shape=(k,), initializer="zeros", name="prior_logits", dtype="float32")
            self.prior_means = self.add_weight(
                shape=(k, d),
                initializer=keras.initializers.RandomNormal(seed=seed),
                name="prior_means",
                dtype="float32",
            )
            self.prior_log_scales = self.add_weight(
                shape=(k, d), initializer="zeros", name="prior_log_scales", dtype="float32"
            )
            self._fixed_prior = None
        else:
            if prior_components is not None:
                raise ValueError(
                    f"prior_components is for prior={LEARNED_MIXTURE!r}; got prior_components={prior_components} "
                    f"with prior={prior!r}."
                )
            self.prior_components = None
            try:
                self._fixed_prior = distributions.prior(prior, self.latent_dim)
            except ValueError as error:
                raise ValueError(f"{error} The VAE also takes {LEARNED_MIXTURE!r}.") from None
        self.beta = float(beta)
        self.add_network("encoder", encoder, lambda: conv_encoder(self.image_shape, self.filters, 2 * self.latent_dim))
        self.add_network("decoder", decoder, lambda: conv_decoder(self.latent_dim, self.image_shape, self.filters))
        # The KL weight is a variable so that KLWarmup can change it between
        # steps without retracing, and so that checkpoints keep it.
        self.kl_weight = keras.Variable(self.beta, trainable=False, name="kl_weight", dtype="float32")
        if likelihood == "gaussian" and self.likelihood_scale is None:
            self.log_scale = keras.Variable(0.0, name="log_scale", dtype="float32")
        else:
            self.log_scale = None
        # Every variable exists now: the sub-networks are built functional models.
        self.built = True

    # -- distributions --------------------------------------------------------

    @property
    def prior(self):
        """p(z): the fixed prior, or the learned mixture at its current parameters."""
        if self._fixed_prior is not None:
            return self._fixed_prior
        return distributions.diagonal_gaussian_mixture(self.prior_logits, self.prior_means, self.prior_log_scales)

    def posterior(self, images, training=False):
        """q(z|x) for a batch of images in [-1, 1]."""
        stats = ops.cast(self.encoder(images, training=training), "float32")
        mean, log_variance = ops.split(stats, 2, axis=-1)
        return distributions.diagonal_gaussian(mean, log_variance)

    def likelihood_distribution(self, latents, training=False):
        """p(x|z) over pixel targets (see `targets`)."""
        out = ops.cast(self.decoder(latents, training=training), "float32")
        if self.likelihood == "bernoulli":
            return distributions.bernoulli_images(out)
        if self.log_scale is not None:
            scale = ops.exp(self.log_scale)
        else:
            scale = self.likelihood_scale
        return distributions.gaussian_images(out, scale)

    def targets(self, images):
        """What p(x|z) scores: [0, 1] pixels for Bernoulli, [-1, 1] for Gaussian."""
        return (images + 1.0) / 2.0 if self.likelihood == "bernoulli" else images

    def to_images(self, distribution):
        """The mean of p(x|z) in [-1, 1]."""
        mean = distribution.mean()
        if self.likelihood == "bernoulli":
            return mean * 2.0 - 1.0
        return ops.clip(mean, -1.0, 1.0)

    def _seed(self):
        return tf.cast(self.seed_generator.next(), tf.int32)

    def elbo_terms(self, images, training=False):
        """Per-example reconstruction, KL, ELBO and loss (all shape `(batch,)`)."""
        q = self.posterior(images, training=training)
        # Reparameterized sample z = mean + scale * eps; eps comes from
        # normal_noise so that N replicas draw what one device would.
        z = q.mean() + q.stddev() * self.normal_noise(tf.shape(q.mean()))
        p = self.likelihood_distribution(z, training=training)
        reconstruction = p.log_prob(self.targets(images))
        kl, _ = distributions.kl_divergence(q, self.prior, z)
        elbo = reconstruction - kl
        loss = -(reconstruction - self.kl_weight * kl)
        return {"loss": loss, "elbo": elbo, "reconstruction": reconstruction, "kl": kl}

    # -- training -------------------------------------------------------------

    def default_optimizer(self, role):
        # Departure: the paper trains with SGD or Adagrad; Adam(1e-3) is what
        # current VAE code uses and converges in far fewer steps.
        return keras.optimizers.Adam(1e-3)

    def train_step(self, data):
        images, _ = self.unpack(data)
        images = self.prepare_images(images)
        with tf.GradientTape() as tape:
            terms = self.elbo_terms(images, training=True)
        self.minimize("loss", self.optimizer, tape, terms["loss"], self.trainable_variables)
        return self.update_metrics(terms)

    def test_step(self, data):
        images, _ = self.unpack(data)
        images = self.prepare_images(images)
        return self.update_metrics(self.elbo_terms(images, training=False))

    # -- inference ------------------------------------------------------------

    def sample_latents(self, n, seed=None):
        seed = self._seed() if seed is None else tf.constant([int(seed), 0], tf.int32)
        return self.prior.sample(n, seed=seed)

    def decode_latents(self, latents, training=False):
        return self.to_images(self.likelihood_distribution(latents, training))

    def encode_codes(self, images, training=False):
        """The mean of q(z|x): the codes of `encode`, `reconstruct` and `LatentScatter`."""
        return self.posterior(images, training=training).mean()

    def encode_distribution(self, images):
        """Mean and scale of q(z|x), as numpy arrays."""
        q = self.posterior(self.prepare_images(images))
        return ops.convert_to_numpy(q.mean()), ops.convert_to_numpy(q.stddev())

    def encoding_outputs(self, images):
        q = self.posterior(images)
        return {"codes": q.mean(), "mean": q.mean(), "scale": q.stddev()}

    def log_likelihood(self, images, num_samples=100, chunk_size=None):
        """Importance-weighted lower bound on log p(x) (Burda et al., 2016).

        log p(x) >= E[log (1/K) sum_k p(x, z_k) / q(z_k|x)], z_k ~ q(z|x).
        At K = 1 it is a one-sample ELBO estimate; it tightens as K grows.

        Args:
            images: a batch of images in [-1, 1] (or uint8).
            num_samples: K.
            chunk_size: samples decoded at once (bounds memory).

        Returns:
            numpy array `(batch,)` of bounds, in nats.
        """
        images = self.prepare_images(images)
        k = int(num_samples)
        if k < 1:
            raise ValueError(f"num_samples must be >= 1; got {num_samples}.")
        chunk = int(chunk_size or max(1, 4096 // int(images.shape[0])))
        q = self.posterior(images)
        target = self.targets(images)
        log_weights = []
        for start in range(0, k, chunk):
            n = min(chunk, k - start)
            z = q.sample(n, seed=self._seed())  # (n, batch, latent)
            flat = ops.reshape(z, (-1, self.latent_dim))
            p = self.likelihood_distribution(flat)
            tiled = ops.reshape(ops.tile(target[None], (n, 1, 1, 1, 1)), (-1,) + self.image_shape)
            log_px = ops.reshape(p.log_prob(tiled), (n, -1))
            log_weights.append(log_px + self.prior.log_prob(z) - q.log_prob(z))
        log_weights = ops.concatenate(log_weights, axis=0)
        bound = ops.logsumexp(log_weights, axis=0) - math.log(k)
        return ops.convert_to_numpy(bound)

    # -- export and config ----------------------------------------------------

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=list(self.filters),
            likelihood=self.likelihood,
            likelihood_scale=self.likelihood_scale,
            prior=self.prior_name,
            prior_components=self.prior_components,
            beta=self.beta,
        )
        return config
