"""Convolutional encoder and decoder shared by the autoencoder family.

The autoencoder, the VAE and the adversarial autoencoder use the same
networks, so comparisons between them measure the objective, not the
architecture.
"""

import keras
from keras import layers


def check_divisible(image_shape, num_downsamplings, model_name):
    h, w, _ = image_shape
    factor = 2**num_downsamplings
    if h % factor or w % factor:
        raise ValueError(
            f"{model_name} halves the image size {num_downsamplings} time(s), so height and "
            f"width must be divisible by {factor}; got image_shape={tuple(image_shape)}. "
            "Change `filters` or the image size."
        )


def conv_encoder(image_shape, filters, output_dim, name="encoder"):
    """Strided 4x4 convolutions with ReLU, then a linear projection.

    Args:
        image_shape: `(height, width, channels)`.
        filters: filters of each stride-2 convolution, e.g. `(32, 64)`.
        output_dim: size of the output vector.
        name: name of the model.
    """
    check_divisible(image_shape, len(filters), "The encoder")
    inputs = keras.Input(image_shape, name="images")
    x = inputs
    for i, f in enumerate(filters):
        x = layers.Conv2D(f, 4, strides=2, padding="same", activation="relu", name=f"conv_{i}")(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(output_dim, name="projection")(x)
    return keras.Model(inputs, outputs, name=name)


def conv_decoder(latent_dim, image_shape, filters, output_activation=None, name="decoder"):
    """A projection to a small feature map, then 4x4 stride-2 transposed convolutions.

    Mirrors `conv_encoder`: `filters` are given in the encoder's order.

    Args:
        latent_dim: size of the latent code.
        image_shape: `(height, width, channels)` of the output.
        filters: the encoder's filters, e.g. `(32, 64)`.
        output_activation: activation of the last convolution (None for
            logits or a Gaussian mean, "tanh" for images in [-1, 1]).
        name: name of the model.
    """
    h, w, c = image_shape
    factor = 2 ** len(filters)
    check_divisible(image_shape, len(filters), "The decoder")
    inputs = keras.Input((latent_dim,), name="latents")
    x = layers.Dense((h // factor) * (w // factor) * filters[-1], activation="relu", name="projection")(inputs)
    x = layers.Reshape((h // factor, w // factor, filters[-1]))(x)
    for i, f in enumerate(reversed(filters)):
        x = layers.Conv2DTranspose(f, 4, strides=2, padding="same", activation="relu", name=f"deconv_{i}")(x)
    outputs = layers.Conv2D(c, 3, padding="same", activation=output_activation, name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def serialize_network(network):
    """Config of a user-supplied sub-network (None when it is the default)."""
    return None if network is None else keras.layers.serialize(network)


def deserialize_network(config):
    """Rebuilds a sub-network; Keras's safe mode refuses Lambda code."""
    if config is None or isinstance(config, keras.layers.Layer):
        return config
    return keras.layers.deserialize(config)
