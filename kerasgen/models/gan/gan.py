"""Generative adversarial network with multilayer perceptrons (Goodfellow et al., 2014)."""

import keras
from keras import layers

from kerasgen.layers import GlobalBatchDropout
from kerasgen.models.gan.adversarial import AdversarialModel


def _glorot(seed, index):
    # A fresh initializer per layer (a reused seeded one repeats its draws).
    return keras.initializers.GlorotUniform(seed=None if seed is None else int(seed) + int(index))


def mlp_generator(latent_dim, image_shape, units, seed=None, name="generator"):
    """z -> ReLU dense layers -> tanh dense layer reshaped to an image.

    Weights use Keras's default Glorot-uniform initialization: the paper does
    not state one, and DCGAN's N(0, 0.02) starves these wide dense layers
    (the discriminator wins before the generator learns anything).
    """
    size = image_shape[0] * image_shape[1] * image_shape[2]
    inputs = keras.Input((latent_dim,), name="latents")
    x = inputs
    for i, u in enumerate(units):
        x = layers.Dense(u, activation="relu", kernel_initializer=_glorot(seed, i), name=f"dense_{i}")(x)
    # The paper's MNIST generator ends in a sigmoid on [0, 1] pixels; kerasgen
    # images are in [-1, 1], so tanh (its rescaled equivalent).
    x = layers.Dense(size, kernel_initializer=_glorot(seed, len(units)), name="output")(x)
    x = layers.Activation("tanh", dtype="float32", name="tanh")(x)
    outputs = layers.Reshape(tuple(image_shape), name="image")(x)
    return keras.Model(inputs, outputs, name=name)


def mlp_discriminator(image_shape, units, dropout, seed=None, name="discriminator"):
    """image -> LeakyReLU dense layers with dropout -> one logit."""
    inputs = keras.Input(tuple(image_shape), name="images")
    x = layers.Flatten()(inputs)
    for i, u in enumerate(units):
        # The paper's discriminator uses maxout units with dropout;
        # LeakyReLU(0.2) is the common replacement with the same role.
        x = layers.Dense(u, kernel_initializer=_glorot(seed, 100 + i), name=f"dense_{i}")(x)
        x = layers.LeakyReLU(0.2)(x)
        if dropout:
            # The mask of the global batch is drawn once and split across
            # replicas, so N replicas drop what one device drops.
            x = GlobalBatchDropout(dropout, seed=None if seed is None else int(seed) + 200 + i)(x)
    outputs = layers.Dense(1, kernel_initializer=_glorot(seed, 100 + len(units)), dtype="float32", name="logit")(x)
    return keras.Model(inputs, outputs, name=name)


@keras.saving.register_keras_serializable(package="kerasgen")
class GAN(AdversarialModel):
    """The original adversarial game with MLP generator and discriminator.

    D maximizes V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]
    (`kerasgen.losses.minimax_discriminator_loss` is -V). G minimizes the
    non-saturating loss -E_z[log D(G(z))] by default
    (`compile(loss="modified")`), or the original E_z[log(1 - D(G(z)))]
    with `compile(loss="minimax")`. Each training step takes one
    discriminator step (k = 1 in the paper's Algorithm 1) on a real batch and
    a fake batch, then one generator step.

    Metrics: `d_loss`, `g_loss`, `loss` (= `d_loss + g_loss`, for
    `TerminateOnNaN`), and the discriminator's accuracy on real
    (`d_real_accuracy`) and generated (`d_fake_accuracy`) images.

    Args:
        image_shape: `(height, width, channels)`; images are in [-1, 1].
        latent_dim: size of z.
        generator_units: widths of G's hidden ReLU layers.
        discriminator_units: widths of D's hidden LeakyReLU layers.
        dropout: dropout rate after each of D's hidden layers (the paper
            trains D with dropout).
        latent_distribution: `"normal"` or `"uniform"` (U[-1, 1]).
        ema_decay: None, or the decay of an exponential moving average of
            G's weights used by `generate` (e.g. 0.999).
        seed: seed of the model's random draws and initializers.
        generator: optional Keras model from latents to images in [-1, 1].
        discriminator: optional Keras model from images to one logit.

    Example:
    >>> model = kerasgen.models.GAN(image_shape=(28, 28, 1))
    >>> model.compile()  # Adam(2e-4, beta_1=0.5), non-saturating G loss
    >>> model.fit(kerasgen.data.dataset(images, model.image_shape), epochs=10)
    >>> samples = model.generate(16, seed=0)
    """

    def __init__(
        self,
        image_shape=(28, 28, 1),
        latent_dim=100,
        generator_units=(256, 512),
        discriminator_units=(512, 256),
        dropout=0.3,
        latent_distribution="normal",
        ema_decay=None,
        seed=None,
        generator=None,
        discriminator=None,
        **kwargs,
    ):
        super().__init__(
            image_shape=image_shape,
            latent_dim=latent_dim,
            latent_distribution=latent_distribution,
            ema_decay=ema_decay,
            seed=seed,
            **kwargs,
        )
        self.generator_units = tuple(int(u) for u in generator_units)
        self.discriminator_units = tuple(int(u) for u in discriminator_units)
        self.dropout = float(dropout)
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {dropout}.")
        self.add_network(
            "generator", generator, lambda: mlp_generator(self.latent_dim, self.image_shape, self.generator_units, seed)
        )
        self.add_network(
            "discriminator",
            discriminator,
            lambda: mlp_discriminator(self.image_shape, self.discriminator_units, self.dropout, seed),
        )
        self._finish_init()

    def get_config(self):
        config = super().get_config()
        config.update(
            generator_units=list(self.generator_units),
            discriminator_units=list(self.discriminator_units),
            dropout=self.dropout,
        )
        return config
