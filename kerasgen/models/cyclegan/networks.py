"""CycleGAN's networks: the ResNet generator and the 70x70 PatchGAN (Zhu et al. 2017, reference code)."""

import keras
from keras import layers

from kerasgen.layers import InstanceNormalization, ReflectionPadding2D, ResidualBlock
from kerasgen.models.networks import check_divisible


def _normal():
    # A fresh initializer per layer: one unseeded instance shared by several
    # layers would give them identical weights.
    return keras.initializers.RandomNormal(0.0, 0.02)


def _conv(filters, kernel_size, strides=1, name=None):
    return layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="valid",
        kernel_initializer=_normal(),
        bias_initializer="zeros",
        name=name,
    )


def resnet_generator(image_shape, filters=64, num_residual_blocks=9, output_channels=None, name="generator"):
    """CycleGAN's ResNet generator (reference `ResnetGenerator`).

    reflect-pad 3, conv 7x7 (`filters`), IN, ReLU; two 3x3 stride-2
    convolutions (2x and 4x `filters`), IN, ReLU; `num_residual_blocks`
    residual blocks; two 3x3 stride-2 transposed convolutions back to
    `filters`, IN, ReLU; reflect-pad 3, conv 7x7, tanh. Instance norm has no
    affine parameters, convolutions keep their biases, weights ~ N(0, 0.02).
    Padding matches the reference exactly: 1 pixel of zeros around the
    strided convolutions, and transposed convolutions cropped like PyTorch's
    `padding=1, output_padding=1`.

    Args:
        image_shape: `(height, width, channels)`; height and width divisible by 4.
        filters: filters of the first layer (`ngf`, 64 in the paper).
        num_residual_blocks: 6 for 128 px, 9 for 256 px in the paper.
        output_channels: channels of the output (default: the input's).
        name: name of the model.
    """
    check_divisible(image_shape, 2, "The CycleGAN generator")
    output_channels = int(output_channels or image_shape[-1])
    inputs = keras.Input(tuple(image_shape), name="images")
    x = ReflectionPadding2D(3, name="stem_pad")(inputs)
    x = _conv(filters, 7, name="stem_conv")(x)
    x = InstanceNormalization(name="stem_norm")(x)
    x = layers.ReLU(name="stem_relu")(x)
    for i, mult in enumerate((2, 4)):
        x = layers.ZeroPadding2D(1, name=f"down_{i}_pad")(x)
        x = _conv(filters * mult, 3, strides=2, name=f"down_{i}_conv")(x)
        x = InstanceNormalization(name=f"down_{i}_norm")(x)
        x = layers.ReLU(name=f"down_{i}_relu")(x)
    for i in range(num_residual_blocks):
        x = ResidualBlock(filters * 4, name=f"residual_{i}")(x)
    for i, mult in enumerate((2, 1)):
        x = layers.Conv2DTranspose(
            filters * mult,
            3,
            strides=2,
            padding="valid",
            kernel_initializer=_normal(),
            bias_initializer="zeros",
            name=f"up_{i}_conv",
        )(x)
        # (h - 1) * 2 + 3 = 2h + 1 rows; PyTorch's padding=1, output_padding=1
        # drops the first row and column.
        x = layers.Cropping2D(((1, 0), (1, 0)), name=f"up_{i}_crop")(x)
        x = InstanceNormalization(name=f"up_{i}_norm")(x)
        x = layers.ReLU(name=f"up_{i}_relu")(x)
    x = ReflectionPadding2D(3, name="out_pad")(x)
    x = _conv(output_channels, 7, name="out_conv")(x)
    outputs = layers.Activation("tanh", dtype="float32", name="tanh")(x)
    return keras.Model(inputs, outputs, name=name)


def patchgan_discriminator(image_shape, filters=64, num_layers=3, name="discriminator"):
    """CycleGAN's 70x70 PatchGAN (reference `NLayerDiscriminator`, n_layers=3).

    conv 4x4 stride 2 (`filters`), LeakyReLU(0.2); `num_layers - 1` more
    4x4 stride-2 convolutions doubling the filters (at most 8x), IN,
    LeakyReLU; a 4x4 stride-1 convolution (8x), IN, LeakyReLU; a 4x4
    stride-1 convolution to one score per patch (no activation: LSGAN).
    Every convolution pads 1 pixel of zeros, as in the reference; with three
    strided layers each output sees a 70x70 patch of the input.

    Args:
        image_shape: `(height, width, channels)`.
        filters: filters of the first layer (`ndf`, 64 in the paper).
        num_layers: strided layers (3 for the 70x70 PatchGAN).
        name: name of the model.
    """
    size = min(image_shape[:2])
    for _ in range(num_layers):
        size = (size - 2) // 2 + 1
    if size - 2 < 1:
        raise ValueError(
            f"Images of {tuple(image_shape[:2])} px are too small for a PatchGAN with {num_layers} strided "
            "layers (its output would be empty); use fewer discriminator_layers or larger images."
        )
    inputs = keras.Input(tuple(image_shape), name="images")
    x = layers.ZeroPadding2D(1, name="conv_0_pad")(inputs)
    x = _conv(filters, 4, strides=2, name="conv_0")(x)
    x = layers.LeakyReLU(0.2, name="conv_0_lrelu")(x)
    for i in range(1, num_layers + 1):
        mult = min(2**i, 8)
        strides = 2 if i < num_layers else 1
        x = layers.ZeroPadding2D(1, name=f"conv_{i}_pad")(x)
        x = _conv(filters * mult, 4, strides=strides, name=f"conv_{i}")(x)
        x = InstanceNormalization(name=f"conv_{i}_norm")(x)
        x = layers.LeakyReLU(0.2, name=f"conv_{i}_lrelu")(x)
    # The reference's last convolution before the output is stride 1 and
    # uses min(2**n_layers, 8) filters; the loop's last iteration is that layer.
    x = layers.ZeroPadding2D(1, name="out_pad")(x)
    outputs = _conv(1, 4, name="out_conv")(x)
    return keras.Model(inputs, outputs, name=name)
