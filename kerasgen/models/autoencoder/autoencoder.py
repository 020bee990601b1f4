"""Plain (deterministic) autoencoder: the non-generative baseline."""

import keras
import tensorflow as tf
from keras import ops

from kerasgen.models.encoder_decoder import EncoderDecoderModel
from kerasgen.models.networks import conv_decoder, conv_encoder


@keras.saving.register_keras_serializable(package="kerasgen")
class Autoencoder(EncoderDecoderModel):
    """Deterministic encoder and decoder trained on reconstruction only.

    The loss is the per-pixel mean squared error in [-1, 1] units, averaged
    over the batch. Nothing ties the codes to a known distribution, so the
    model has no prior to sample from: it compresses, it does not generate
    (`generate` raises). The VAE and the adversarial autoencoder add exactly
    that missing piece.

    Args:
        image_shape: `(height, width, channels)`; images are in [-1, 1].
        latent_dim: size of the code.
        filters: filters of the encoder's stride-2 convolutions.
        seed: seed of the model's random draws.
        encoder: optional Keras model from images to `latent_dim` values.
        decoder: optional Keras model from codes to images in [-1, 1].

    Example:
    >>> model = kerasgen.models.Autoencoder(image_shape=(28, 28, 1), latent_dim=16)
    >>> model.compile()
    >>> model.fit(kerasgen.data.dataset(images, model.image_shape), epochs=10)
    >>> codes = model.encode(images[:8])
    """

    metric_names = ("loss", "reconstruction")
    serving_default = "reconstruct"

    def __init__(
        self, image_shape=(28, 28, 1), latent_dim=16, filters=(32, 64), seed=None, encoder=None, decoder=None, **kwargs
    ):
        super().__init__(image_shape=image_shape, latent_dim=latent_dim, seed=seed, **kwargs)
        self.filters = tuple(int(f) for f in filters)
        self.add_network("encoder", encoder, lambda: conv_encoder(self.image_shape, self.filters, self.latent_dim))
        self.add_network(
            "decoder",
            decoder,
            lambda: conv_decoder(self.latent_dim, self.image_shape, self.filters, output_activation="tanh"),
        )
        # Every variable exists now: the sub-networks are built functional models.
        self.built = True

    def reconstruction_error(self, images, training=False):
        """Per-example mean squared error over pixels."""
        out = ops.cast(self(images, training=training), "float32")
        return ops.mean(ops.square(out - images), axis=(1, 2, 3))

    def train_step(self, data):
        images, _ = self.unpack(data)
        images = self.prepare_images(images)
        with tf.GradientTape() as tape:
            error = self.reconstruction_error(images, training=True)
        self.minimize("loss", self.optimizer, tape, error, self.trainable_variables)
        return self.update_metrics({"loss": error, "reconstruction": error})

    def test_step(self, data):
        images, _ = self.unpack(data)
        error = self.reconstruction_error(self.prepare_images(images))
        return self.update_metrics({"loss": error, "reconstruction": error})

    def encode_codes(self, images, training=False):
        return ops.cast(self.encoder(images, training=training), "float32")

    def decode_latents(self, latents, training=False):
        return ops.cast(self.decoder(latents, training=training), "float32")

    def generate(self, n, seed=None, batch_size=256):
        raise NotImplementedError(
            "An Autoencoder is not a generative model: it is trained only to reconstruct, "
            "so its codes follow no known distribution and there is no prior to sample "
            "them from. Decoding random codes gives no digits. Use kerasgen.models.VAE "
            "(a KL term fits the codes to N(0, I)) or kerasgen.models.AAE (a discriminator "
            "fits them to any prior you can sample) to generate."
        )

    def sample_latents(self, n, seed=None):
        return self.generate(n)

    def get_config(self):
        config = super().get_config()
        config.update(filters=list(self.filters))
        return config
