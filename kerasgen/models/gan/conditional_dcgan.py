"""Class-conditional DCGAN: label embedding in G, projection discriminator."""

import keras
import numpy as np
from keras import layers

from kerasgen.models.base import CONDITIONAL, GENERATE, LABELED_IMAGES
from kerasgen.models.gan.adversarial import normal_init
from kerasgen.models.gan.dcgan import DCGAN, dcgan_discriminator_features, dcgan_generator_body, dcgan_layout


def conditional_generator(
    latent_dim, num_classes, embedding_dim, image_shape, filters, seed=None, name="generator", synchronized=False
):
    """G(z, y): z joined with a learned embedding of y, then the DCGAN generator."""
    z = keras.Input((latent_dim,), name="latents")
    y = keras.Input((), dtype="int32", name="labels")
    # The embedding starts on the same N(0, 1) scale as z, so the label is
    # not drowned out at initialization.
    e = layers.Embedding(
        num_classes, embedding_dim, embeddings_initializer=normal_init(seed, 500, stddev=1.0), name="label_embedding"
    )(y)
    h = layers.Concatenate(name="latents_and_label")([z, e])
    return keras.Model([z, y], dcgan_generator_body(h, image_shape, filters, seed, synchronized), name=name)


def projection_discriminator(image_shape, num_classes, filters, seed=None, name="discriminator", synchronized=False):
    """D(x, y) = w . phi(x) + embed(y) . phi(x) (Miyato & Koyama, 2018).

    phi is the DCGAN discriminator's convolutional stack (flattened).
    """
    images = keras.Input(tuple(image_shape), name="images")
    y = keras.Input((), dtype="int32", name="labels")
    h = dcgan_discriminator_features(images, image_shape, filters, seed, synchronized)
    _, num_down = dcgan_layout(image_shape)
    unconditional = layers.Dense(1, kernel_initializer=normal_init(seed, 100 + num_down), name="logit")(h)
    e = layers.Embedding(
        num_classes, int(h.shape[-1]), embeddings_initializer=normal_init(seed, 501), name="label_projection"
    )(y)
    projection = layers.Dot(axes=1, name="projection")([e, h])
    logit = layers.Add(dtype="float32", name="conditional_logit")([unconditional, projection])
    return keras.Model([images, y], logit, name=name)


@keras.saving.register_keras_serializable(package="kerasgen")
class ConditionalDCGAN(DCGAN):
    """Class-conditional DCGAN: `generate(n, labels=...)` draws chosen classes.

    The generator and discriminator are the DCGAN networks (same rules:
    4x4 stride-2 (transposed) convolutions, BatchNorm except G's output and
    D's input, ReLU/tanh and LeakyReLU(0.2), N(0, 0.02) weights, Adam(2e-4,
    beta_1=0.5)). The label enters G as a learned embedding joined to z
    before the projection, and D as a projection term
    embed(y) . phi(x) added to its logit (Miyato & Koyama, 2018). The
    adversarial game is the DCGAN one with both players seeing the labels
    of the batch. Train on `(images, labels)` batches.

    Args:
        image_shape: `(height, width, channels)`; see `DCGAN`.
        num_classes: number of classes; labels are ints in [0, num_classes).
        latent_dim: size of z.
        embedding_dim: size of G's label embedding.
        generator_filters: width of G's last hidden layer.
        discriminator_filters: width of D's first layer.
        latent_distribution: `"normal"` or `"uniform"`.
        ema_decay: None, or the decay of an EMA of G's weights.
        seed: seed of the model's random draws and initializers.
        generator: optional Keras model from `[latents, labels]` to images.
        discriminator: optional Keras model from `[images, labels]` to one logit.

    Example:
    >>> model = kerasgen.models.ConditionalDCGAN(image_shape=(28, 28, 1), num_classes=10)
    >>> model.compile()
    >>> model.fit(kerasgen.data.dataset(images, model.image_shape, labels=labels), epochs=10)
    >>> sevens = model.generate(16, labels=7, seed=0)
    """

    capabilities = frozenset({GENERATE, CONDITIONAL})
    batch_structure = LABELED_IMAGES

    def __init__(
        self,
        image_shape=(28, 28, 1),
        num_classes=10,
        latent_dim=100,
        embedding_dim=50,
        generator_filters=64,
        discriminator_filters=64,
        latent_distribution="normal",
        ema_decay=None,
        synchronized_batch_norm=False,
        seed=None,
        generator=None,
        discriminator=None,
        **kwargs,
    ):
        if int(num_classes) < 2:
            raise ValueError(f"num_classes must be >= 2; got {num_classes}.")
        if int(embedding_dim) < 1:
            raise ValueError(f"embedding_dim must be positive; got {embedding_dim}.")
        # Set before the parent builds the networks, which read them.
        self.num_classes = int(num_classes)
        self.embedding_dim = int(embedding_dim)
        super().__init__(
            image_shape=image_shape,
            latent_dim=latent_dim,
            generator_filters=generator_filters,
            discriminator_filters=discriminator_filters,
            latent_distribution=latent_distribution,
            ema_decay=ema_decay,
            synchronized_batch_norm=synchronized_batch_norm,
            seed=seed,
            generator=generator,
            discriminator=discriminator,
            **kwargs,
        )

    def build_generator(self):
        return conditional_generator(
            self.latent_dim,
            self.num_classes,
            self.embedding_dim,
            self.image_shape,
            self.generator_filters,
            self.seed,
            synchronized=self.synchronized_batch_norm,
        )

    def build_discriminator(self):
        return projection_discriminator(
            self.image_shape,
            self.num_classes,
            self.discriminator_filters,
            self.seed,
            synchronized=self.synchronized_batch_norm,
        )

    def sample_labels(self, n, seed=None):
        """Balanced labels 0, 1, ..., num_classes - 1, 0, 1, ... shuffled by `seed`."""
        labels = np.arange(n) % self.num_classes
        return np.random.default_rng(seed).permutation(labels).astype("int32")

    def generate(self, n, labels=None, seed=None, batch_size=256):
        """Draws `n` samples of the given classes.

        Args:
            n: number of images.
            labels: an int (every image of that class), a vector of `n` ints
                in [0, num_classes), or None for balanced classes (see
                `sample_labels`).
            seed: int for a repeatable draw (latents and, when `labels` is
                None, the class order); None uses the model's seed generator.
            batch_size: decoding batch size.

        Returns:
            float32 numpy array `(n, height, width, channels)` in [-1, 1].
        """
        n = int(n)
        if n < 0:
            raise ValueError(f"generate needs a number of images n >= 0; got {n}.")
        labels = self.sample_labels(n, seed) if labels is None else self.check_labels(labels, n)
        latents = keras.ops.convert_to_numpy(self.sample_latents(n, seed=seed))
        return self.generate_from_latents(latents, labels, batch_size=batch_size)

    def get_config(self):
        config = super().get_config()
        config.update(num_classes=self.num_classes, embedding_dim=self.embedding_dim)
        return config
