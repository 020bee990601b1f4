"""InfoGAN's networks for MNIST-sized images (Chen et al. 2016, Table 1 of the appendix).

Generator: FC 1024 - FC (H/4)(W/4)128 - 4x4 stride-2 transposed conv 64 -
4x4 stride-2 transposed conv to the image, BatchNorm and ReLU between.
D and Q share one body: 4x4 stride-2 conv 64, LeakyReLU(0.1) - 4x4 stride-2
conv 128, BatchNorm, LeakyReLU - FC 1024, BatchNorm, LeakyReLU; D's head is
one logit, Q's is FC 128, BatchNorm, LeakyReLU, then the codes' parameters.
"""

import keras
from keras import layers

from kerasgen.models.gan.adversarial import normal_init
from kerasgen.models.gan.dcgan import batch_norm


def infogan_generator(image_shape, input_dim, filters=64, dense_units=1024, seed=None, synchronized=False):
    """[z, codes] -> image in [-1, 1]."""
    height, width, channels = image_shape
    inputs = keras.Input((input_dim,), name="latents")
    x = layers.Dense(dense_units, use_bias=False, kernel_initializer=normal_init(seed, 0), name="fc")(inputs)
    x = layers.ReLU()(batch_norm(seed, 100, "fc_bn", synchronized)(x))
    x = layers.Dense(
        (height // 4) * (width // 4) * 2 * filters,
        use_bias=False,
        kernel_initializer=normal_init(seed, 1),
        name="project",
    )(x)
    x = layers.ReLU()(batch_norm(seed, 101, "project_bn", synchronized)(x))
    x = layers.Reshape((height // 4, width // 4, 2 * filters))(x)
    x = layers.Conv2DTranspose(
        filters, 4, 2, padding="same", use_bias=False, kernel_initializer=normal_init(seed, 2), name="up_1"
    )(x)
    x = layers.ReLU()(batch_norm(seed, 102, "up_1_bn", synchronized)(x))
    x = layers.Conv2DTranspose(channels, 4, 2, padding="same", kernel_initializer=normal_init(seed, 3), name="up_2")(x)
    outputs = layers.Activation("tanh", dtype="float32", name="tanh")(x)
    return keras.Model(inputs, outputs, name="generator")


def infogan_discriminator(
    image_shape, q_outputs, filters=64, dense_units=1024, q_units=128, seed=None, synchronized=False
):
    """Image -> [D's logit, Q's code parameters (`q_outputs` values)] from one shared body."""
    inputs = keras.Input(tuple(image_shape), name="images")
    x = layers.Conv2D(filters, 4, 2, padding="same", kernel_initializer=normal_init(seed, 10), name="conv_1")(inputs)
    x = layers.LeakyReLU(0.1)(x)
    x = layers.Conv2D(
        2 * filters, 4, 2, padding="same", use_bias=False, kernel_initializer=normal_init(seed, 11), name="conv_2"
    )(x)
    x = layers.LeakyReLU(0.1)(batch_norm(seed, 110, "conv_2_bn", synchronized)(x))
    x = layers.Flatten()(x)
    x = layers.Dense(dense_units, use_bias=False, kernel_initializer=normal_init(seed, 12), name="fc")(x)
    body = layers.LeakyReLU(0.1)(batch_norm(seed, 111, "fc_bn", synchronized)(x))
    logits = layers.Dense(1, kernel_initializer=normal_init(seed, 13), dtype="float32", name="d_logit")(body)
    q = layers.Dense(q_units, use_bias=False, kernel_initializer=normal_init(seed, 14), name="q_fc")(body)
    q = layers.LeakyReLU(0.1)(batch_norm(seed, 112, "q_fc_bn", synchronized)(q))
    codes = layers.Dense(q_outputs, kernel_initializer=normal_init(seed, 15), dtype="float32", name="q_codes")(q)
    return keras.Model(inputs, [logits, codes], name="discriminator")
