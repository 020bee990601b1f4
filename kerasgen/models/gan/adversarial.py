"""What the GAN family shares: the two-player training step, EMA, export.

`AdversarialModel` is the base of `GAN`, `DCGAN` and `ConditionalDCGAN`. A
subclass builds `self.generator` and `self.discriminator` and, for a
class-conditional model, sets `num_classes`; everything else lives here once:

- `compile(generator_optimizer, discriminator_optimizer, loss)`: two optimizers, a loss family by
  name (`kerasgen.losses.get`) or callables;
- `train_step`: one discriminator step on a real and a fake batch, then one
  generator step through the updated discriminator on the same fake batch,
  each optimizer updating only its own network;
- an optional exponential moving average of the generator's weights
  (`ema_decay`), used by `generate` and by the exported signatures;
- metrics `loss` (= `d_loss + g_loss`), `d_loss`, `g_loss`,
  `d_real_accuracy`, `d_fake_accuracy`;
- SavedModel signatures `generate(latents)` or `generate(latents, labels)`.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kerasgen import losses
from kerasgen.models.base import GENERATE, GenerativeModel, checked_ema_decay, moving_average_copy

LATENT_DISTRIBUTIONS = ("normal", "uniform")


def normal_init(seed, index, stddev=0.02, mean=0.0):
    """A fresh N(mean, stddev) initializer for one layer.

    One initializer object per layer: a seeded Keras initializer reused by
    several layers gives them identical weights. With a model seed, layer
    `index` gets seed `seed + index`; without one, draws come from Keras's
    global seed (repeatable under `keras.utils.set_random_seed`).
    """
    return keras.initializers.RandomNormal(mean, stddev, seed=None if seed is None else int(seed) + int(index))


class AdversarialModel(GenerativeModel):
    """Base class of the adversarial models (not used directly).

    Args:
        image_shape: `(height, width, channels)`; images are in [-1, 1].
        latent_dim: size of z.
        latent_distribution: `"normal"` (N(0, I)) or `"uniform"` (U[-1, 1]).
        ema_decay: None, or the decay in (0, 1) of an exponential moving
            average of the generator's weights (warmed up over the first
            steps, see `update_ema`); when set, `generate` and the exported
            signatures use the averaged generator.
        seed: seed of the model's random draws and initializers.
    """

    metric_names = ("loss", "d_loss", "g_loss", "d_real_accuracy", "d_fake_accuracy")
    capabilities = frozenset({GENERATE})
    optimizer_roles = {"generator_optimizer": ("generator",), "discriminator_optimizer": ("discriminator",)}
    # `model.optimizer` is the discriminator's: its step count is the model's
    # (NaN messages, TensorBoard), as in ProGAN.
    main_optimizer_role = "discriminator_optimizer"
    num_classes = None  # set by class-conditional models

    def __init__(self, image_shape, latent_dim=100, latent_distribution="normal", ema_decay=None, seed=None, **kwargs):
        super().__init__(image_shape=image_shape, latent_dim=latent_dim, seed=seed, **kwargs)
        if latent_distribution not in LATENT_DISTRIBUTIONS:
            raise ValueError(f"latent_distribution must be one of {LATENT_DISTRIBUTIONS}; got {latent_distribution!r}.")
        self.latent_distribution = latent_distribution
        self.ema_decay = checked_ema_decay(ema_decay)
        self.ema_generator = None

    def _finish_init(self):
        """Creates the EMA copy of the generator; call at the end of `__init__`."""
        if self.ema_decay is not None:
            self.ema_generator = moving_average_copy(self.generator, "ema_generator")
        # Every variable exists now: the sub-networks are built functional models.
        self.built = True

    # -- compile --------------------------------------------------------------

    def compile(
        self,
        generator_optimizer=None,
        discriminator_optimizer=None,
        loss="modified",
        generator_loss=None,
        discriminator_loss=None,
        g_optimizer=None,
        d_optimizer=None,
        **kwargs,
    ):
        """Compiles with two Adam optimizers and a GAN loss family.

        Args:
            generator_optimizer: optimizer of the generator (default:
                Adam(2e-4, beta_1=0.5), the DCGAN paper's).
            discriminator_optimizer: optimizer of the discriminator (same default).
            loss: a family of `kerasgen.losses` by name (`"modified"`: the
                non-saturating generator loss; `"minimax"`: the original
                saturating one; `"least_squares"`, `"wasserstein"`,
                `"hinge"`), or a `(generator_loss, discriminator_loss)` pair
                of callables on discriminator logits.
            generator_loss: name or callable replacing the family's
                generator loss.
            discriminator_loss: name or callable replacing the family's
                discriminator loss.
            g_optimizer, d_optimizer: the earlier names of
                `generator_optimizer` and `discriminator_optimizer`.
            **kwargs: `total_steps` (the run's steps: the default optimizers
                then decay linearly to 0 over its second half, as CycleGAN's
                do; not in the GAN papers, which keep the rate constant), and
                the arguments of `keras.Model.compile` (e.g. `steps_per_execution`).
        """
        g_fn, d_fn = losses.get(loss)
        if generator_loss is not None:
            g_fn = losses.get(generator_loss, "generator")
        if discriminator_loss is not None:
            d_fn = losses.get(discriminator_loss, "discriminator")
        self.generator_loss_fn, self.discriminator_loss_fn = g_fn, d_fn
        super().compile(
            generator_optimizer=generator_optimizer if generator_optimizer is not None else g_optimizer,
            discriminator_optimizer=discriminator_optimizer if discriminator_optimizer is not None else d_optimizer,
            **kwargs,
        )
        # Names serialize as names; callables by their module path.
        for key, value in (
            ("loss", loss),
            ("generator_loss", generator_loss),
            ("discriminator_loss", discriminator_loss),
        ):
            if value is not None:
                self.add_compile_args(**{key: list(value) if isinstance(value, tuple) else value})

    def default_optimizer(self, role):
        """Adam(2e-4, beta_1=0.5), the DCGAN paper's setting, for both players."""
        return keras.optimizers.Adam(self.decayed(2e-4), beta_1=0.5)

    @property
    def g_optimizer(self):
        """The generator's optimizer (the earlier name of `generator_optimizer`)."""
        return self.generator_optimizer

    @property
    def d_optimizer(self):
        """The discriminator's optimizer (the earlier name of `discriminator_optimizer`)."""
        return self.discriminator_optimizer

    def compile_from_config(self, config):
        kwargs = {name: keras.saving.deserialize_keras_object(value) for name, value in config.items()}
        for key in ("loss", "generator_loss", "discriminator_loss"):
            if isinstance(kwargs.get(key), list):
                kwargs[key] = tuple(kwargs[key])
        self.compile(**kwargs)

    # -- networks -------------------------------------------------------------

    def run_generator(self, latents, labels=None, training=False, network=None):
        network = network or self.generator
        inputs = latents if self.num_classes is None else [latents, labels]
        return network(inputs, training=training)

    def run_discriminator(self, images, labels=None, training=False):
        inputs = images if self.num_classes is None else [images, labels]
        return ops.cast(self.discriminator(inputs, training=training), "float32")

    def sampling_generator(self):
        """The network `generate` uses: the EMA copy when `ema_decay` is set."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    def call(self, inputs, training=False):
        """Generator output for latents (or `[latents, labels]`)."""
        if self.num_classes is None:
            return self.generator(inputs, training=training)
        return self.generator(list(inputs), training=training)

    # -- training -------------------------------------------------------------

    def _prepare_labels(self, labels):
        if self.num_classes is None:
            return None
        if labels is None:
            raise ValueError(
                f"{type(self).__name__} is class-conditional: train it on (images, labels) batches, "
                "e.g. kerasgen.data.dataset(images, model.image_shape, labels=labels)."
            )
        labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
        checks = [
            tf.debugging.assert_non_negative(labels, message="labels must be in [0, num_classes)"),
            tf.debugging.assert_less(labels, self.num_classes, message=f"labels must be in [0, {self.num_classes})"),
        ]
        with tf.control_dependencies(checks):
            return tf.identity(labels)

    def _scaled_metric(self, value):
        # The losses are 1 / num_replicas of the global mean on each replica
        # (see kerasgen.losses); trackers want the global figure.
        return value * tf.cast(tf.distribute.get_strategy().num_replicas_in_sync, tf.float32)

    def discriminate(self, images, labels=None, training=False):
        """(D's logits, auxiliary outputs or None) for images.

        A model whose discriminator has another head on the same body
        (InfoGAN's Q) returns that head's outputs second; they reach
        `auxiliary_terms`.
        """
        return self.run_discriminator(images, labels, training), None

    def auxiliary_terms(self, outputs, latents):
        """Per-example terms added to both players' objectives, from D's auxiliary outputs on the fakes.

        Returns `(total or None, {metric name: per-example value})`; plain GANs have none.
        """
        return None, {}

    def train_step(self, data):
        images, labels = self.unpack(data)
        real = self.prepare_images(images)
        labels = self._prepare_labels(labels)
        batch = tf.shape(real)[0]
        latents = self.sample_latents(batch)
        g_vars = self.generator.trainable_variables
        d_vars = self.discriminator.trainable_variables

        with tf.GradientTape() as g_tape:
            fake = self.run_generator(latents, labels, training=True)
            # Discriminator step on a real and a fake batch (separate calls, so
            # BatchNorm sees one kind of image at a time, as in the paper's code).
            with g_tape.stop_recording():
                with tf.GradientTape() as d_tape:
                    real_logits, _ = self.discriminate(real, labels, training=True)
                    fake_logits, fake_outputs = self.discriminate(tf.stop_gradient(fake), labels, training=True)
                    d_loss = self.discriminator_loss_fn(real_logits, fake_logits)
                    d_extra, _ = self.auxiliary_terms(fake_outputs, latents)
                    if d_extra is not None:
                        d_loss = d_loss + self.average_loss(d_extra)
                self.minimize("d_loss", self.discriminator_optimizer, d_tape, d_loss, d_vars)
            # Generator step through the updated discriminator, same fakes.
            g_logits, g_outputs = self.discriminate(fake, labels, training=True)
            g_loss = self.generator_loss_fn(g_logits)
            g_extra, extra_metrics = self.auxiliary_terms(g_outputs, latents)
            if g_extra is not None:
                g_loss = g_loss + self.average_loss(g_extra)
        self.minimize("g_loss", self.generator_optimizer, g_tape, g_loss, g_vars)
        self.update_ema()
        return self._report(d_loss, g_loss, real_logits, fake_logits, extra_metrics)

    def test_step(self, data):
        images, labels = self.unpack(data)
        real = self.prepare_images(images)
        labels = self._prepare_labels(labels)
        latents = self.sample_latents(tf.shape(real)[0])
        fake = self.run_generator(latents, labels, network=self.sampling_generator())
        real_logits, _ = self.discriminate(real, labels)
        fake_logits, fake_outputs = self.discriminate(fake, labels)
        d_loss = self.discriminator_loss_fn(real_logits, fake_logits)
        g_loss = self.generator_loss_fn(fake_logits)
        extra, extra_metrics = self.auxiliary_terms(fake_outputs, latents)
        if extra is not None:
            d_loss = d_loss + self.average_loss(extra)
            g_loss = g_loss + self.average_loss(extra)
        return self._report(d_loss, g_loss, real_logits, fake_logits, extra_metrics)

    def _report(self, d_loss, g_loss, real_logits, fake_logits, extra_metrics=None):
        d_loss = self._scaled_metric(d_loss)
        g_loss = self._scaled_metric(g_loss)
        real_logits = tf.reshape(real_logits, [tf.shape(real_logits)[0], -1])
        fake_logits = tf.reshape(fake_logits, [tf.shape(fake_logits)[0], -1])
        return self.update_metrics(
            {
                "loss": d_loss + g_loss,
                "d_loss": d_loss,
                "g_loss": g_loss,
                "d_real_accuracy": tf.reduce_mean(tf.cast(real_logits > 0, tf.float32), axis=1),
                "d_fake_accuracy": tf.reduce_mean(tf.cast(fake_logits < 0, tf.float32), axis=1),
                **(extra_metrics or {}),
            }
        )

    # -- sampling -------------------------------------------------------------

    def sample_latents(self, n, seed=None):
        """z ~ p(z); `seed` None draws from the model's seed generator.

        Inside a training step the latents of the whole global batch are
        drawn from one seed and each replica takes its own rows
        (`normal_noise`): no duplicated fakes across replicas, and N
        replicas draw what one device draws.
        """
        shape = (n, self.latent_dim)
        if seed is not None or tf.distribute.get_replica_context() is None:
            seed = self.seed_generator if seed is None else seed
            if self.latent_distribution == "uniform":
                return keras.random.uniform(shape, -1.0, 1.0, seed=seed)
            return keras.random.normal(shape, seed=seed)
        return self.normal_noise(shape, distribution=self.latent_distribution)

    def decode_latents(self, latents, training=False, labels=None):
        return ops.cast(self.run_generator(latents, labels, training, network=self.sampling_generator()), "float32")

    def decode_in_batches(self, latents, batch_size=256, labels=None):
        """Images for latents; a conditional model without labels cycles 0, 1, ..., num_classes - 1."""
        if self.num_classes is None:
            return super().decode_in_batches(latents, batch_size)
        latents = np.asarray(latents, dtype="float32")
        if labels is None:
            labels = np.arange(latents.shape[0]) % self.num_classes
        return self.generate_from_latents(latents, labels, batch_size=batch_size)

    def check_latents(self, latents):
        latents = np.asarray(latents, dtype="float32")
        if latents.ndim != 2 or latents.shape[1] != self.latent_dim:
            raise ValueError(
                f"{type(self).__name__} expects latents of shape (n, {self.latent_dim}); got shape {latents.shape}."
            )
        if not np.all(np.isfinite(latents)):
            raise ValueError("latents contain NaN or Inf values.")
        return latents

    def check_labels(self, labels, n):
        labels = np.asarray(labels)
        if labels.ndim == 0:
            labels = np.full((n,), labels)
        if labels.ndim != 1 or labels.shape[0] != n:
            raise ValueError(f"labels must be an int or a vector of {n} class indices; got shape {labels.shape}.")
        if not np.issubdtype(labels.dtype, np.integer):
            if not np.all(np.mod(labels, 1) == 0):
                raise ValueError(f"labels must be integer class indices; got {labels.dtype} values.")
        if labels.size and (labels.min() < 0 or labels.max() >= self.num_classes):
            bad = labels[(labels < 0) | (labels >= self.num_classes)]
            raise ValueError(
                f"labels must be in [0, {self.num_classes}); got out-of-range value(s) {sorted(set(bad.tolist()))[:5]}."
            )
        return labels.astype("int32")

    def generate_from_latents(self, latents, labels=None, batch_size=256):
        """Images for given latents (and labels, for a conditional model).

        Returns:
            float32 numpy array `(n, height, width, channels)` in [-1, 1].
        """
        latents = self.check_latents(latents)
        if self.num_classes is None:
            if labels is not None:
                raise ValueError(f"{type(self).__name__} is not class-conditional; do not pass labels.")
            return self.decode_in_batches(latents, batch_size)
        if labels is None:
            raise ValueError(f"{type(self).__name__} is class-conditional: pass labels.")
        labels = self.check_labels(labels, latents.shape[0])
        outs = [
            ops.convert_to_numpy(
                self.decode_latents(
                    tf.constant(latents[i : i + batch_size]), labels=tf.constant(labels[i : i + batch_size])
                )
            )
            for i in range(0, latents.shape[0], batch_size)
        ]
        return np.concatenate(outs, axis=0) if outs else np.zeros((0,) + self.image_shape, "float32")

    # -- export ---------------------------------------------------------------

    def export_signatures(self):
        if self.num_classes is None:

            def generate(latents):
                return {"images": self.decode_latents(latents)}

            spec = [self.latent_spec()]
        else:

            def generate(latents, labels):
                return {"images": self.decode_latents(latents, labels=labels)}

            spec = [self.latent_spec(), tf.TensorSpec((None,), tf.int32, name="labels")]
        return {"serving_default": (generate, spec), "generate": (generate, spec)}

    def build_for_weights(self):
        self.built = True
        return self

    def averaged_networks(self):
        """`[(generator, ema_generator)]` with `ema_decay`; a zoo entry then ships the average as its generator."""
        return [] if self.ema_generator is None else [(self.generator, self.ema_generator)]

    # -- config ---------------------------------------------------------------

    def get_config(self):
        config = super().get_config()
        config.update(latent_distribution=self.latent_distribution, ema_decay=self.ema_decay)
        return config
