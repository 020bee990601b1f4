"""StarGAN's networks: the conditional generator and the two-headed PatchGAN (Choi et al. 2018, reference code)."""

import keras
from keras import layers

from kerasgen.layers import ConditionalInstanceNormalization, InstanceNormalization
from kerasgen.models.networks import check_divisible


def _init():
    # PyTorch's default convolution initializer, which the reference keeps:
    # U(-b, b) with b = 1 / sqrt(fan_in). A fresh instance per layer, so no
    # two layers share weights.
    return keras.initializers.VarianceScaling(1.0 / 3.0, mode="fan_in", distribution="uniform")


def _conv(filters, kernel_size, strides=1, use_bias=False, name=None):
    return layers.Conv2D(
        filters, kernel_size, strides=strides, padding="valid", use_bias=use_bias, kernel_initializer=_init(), name=name
    )


def _norm(x, name, conditions=None):
    if conditions is None:
        return InstanceNormalization(affine=True, name=f"{name}_norm")(x)
    return ConditionalInstanceNormalization(name=f"{name}_norm")([x, conditions])


def _norm_relu(x, name, conditions=None):
    return layers.ReLU(name=f"{name}_relu")(_norm(x, name, conditions))


def stargan_generator(
    image_shape, condition_dim, filters=64, num_residual_blocks=6, conditional_norm=False, name="generator"
):
    """StarGAN's generator G(x, c) (reference `Generator`).

    The condition vector c is replicated over the image and concatenated to
    its channels; then conv 7x7 (`filters`), two 4x4 stride-2 convolutions
    (2x, 4x `filters`), `num_residual_blocks` residual blocks
    (conv 3x3, IN, ReLU, conv 3x3, IN, plus the input), two 4x4 stride-2
    transposed convolutions back to `filters`, and conv 7x7 to the image's
    channels with tanh. Every convolution but the output's is followed by
    instance normalization with affine parameters and ReLU; convolutions
    have no bias; padding is zeros, as in the reference (3 for 7x7, 1 for
    the others).

    Args:
        image_shape: `(height, width, channels)`; height and width divisible by 4.
        condition_dim: width of c (labels, plus the mask vector when training on several label sets).
        filters: filters of the first layer (`g_conv_dim`, 64 in the paper).
        num_residual_blocks: residual blocks (`g_repeat_num`, 6).
        conditional_norm: False (the paper): c enters only as input
            channels. True: every instance norm also takes its scale and
            offset from c (`ConditionalInstanceNormalization`), a departure.
        name: name of the model.

    Returns:
        a functional `keras.Model` with inputs `[images, conditions]`.
    """
    check_divisible(image_shape, 2, "The StarGAN generator")
    images = keras.Input(tuple(image_shape), name="images")
    conditions = keras.Input((int(condition_dim),), name="conditions")
    tiled = layers.Reshape((1, 1, int(condition_dim)), name="condition_reshape")(conditions)
    tiled = layers.UpSampling2D(tuple(image_shape[:2]), name="condition_tile")(tiled)
    x = layers.Concatenate(name="concat")([images, tiled])
    # Instance norm removes what a spatially constant input adds to a
    # convolution (all but the zero-padded border), so in the paper's G the
    # condition reaches the interior only through border effects;
    # conditional_norm gives every norm direct access to c.
    norm_c = conditions if conditional_norm else None
    x = layers.ZeroPadding2D(3, name="stem_pad")(x)
    x = _norm_relu(_conv(filters, 7, name="stem_conv")(x), "stem", norm_c)
    channels = filters
    for i in range(2):
        channels *= 2
        x = layers.ZeroPadding2D(1, name=f"down_{i}_pad")(x)
        x = _norm_relu(_conv(channels, 4, strides=2, name=f"down_{i}_conv")(x), f"down_{i}", norm_c)
    for i in range(num_residual_blocks):
        y = layers.ZeroPadding2D(1, name=f"residual_{i}_pad_1")(x)
        y = _norm_relu(_conv(channels, 3, name=f"residual_{i}_conv_1")(y), f"residual_{i}_1", norm_c)
        y = layers.ZeroPadding2D(1, name=f"residual_{i}_pad_2")(y)
        y = _norm(_conv(channels, 3, name=f"residual_{i}_conv_2")(y), f"residual_{i}_2", norm_c)
        x = layers.Add(name=f"residual_{i}_add")([x, y])
    for i in range(2):
        channels //= 2
        x = layers.Conv2DTranspose(
            channels, 4, strides=2, padding="valid", use_bias=False, kernel_initializer=_init(), name=f"up_{i}_conv"
        )(x)
        # (h - 1) * 2 + 4 = 2h + 2 rows; PyTorch's padding=1 drops one on each side.
        x = layers.Cropping2D(1, name=f"up_{i}_crop")(x)
        x = _norm_relu(x, f"up_{i}", norm_c)
    x = layers.ZeroPadding2D(3, name="out_pad")(x)
    x = _conv(image_shape[-1], 7, name="out_conv")(x)
    outputs = layers.Activation("tanh", dtype="float32", name="tanh")(x)
    return keras.Model([images, conditions], outputs, name=name)


def discriminator_output_size(image_shape, num_layers):
    """Height and width of the discriminator's last feature map (4x4 stride-2 convolutions, 1 pixel of padding)."""
    size = list(image_shape[:2])
    for _ in range(num_layers):
        size = [(s + 2 - 4) // 2 + 1 for s in size]
    return tuple(size)


def stargan_discriminator(image_shape, num_labels, filters=64, num_layers=6, projection_dim=0, name="discriminator"):
    """StarGAN's PatchGAN discriminator with its two heads (reference `Discriminator`).

    `num_layers` 4x4 stride-2 convolutions with bias (1 pixel of zero
    padding), doubling the filters from `filters`, each followed by
    LeakyReLU(0.01) and no normalization. Two heads share that body:
    `sources` (D_src), a 3x3 convolution to one real/fake score per patch,
    and `labels` (D_cls), a convolution whose kernel covers the whole
    remaining feature map, giving `num_labels` logits. Neither head has a bias.

    Args:
        image_shape: `(height, width, channels)`.
        num_labels: number of label logits (every label set's labels together).
        filters: filters of the first layer (`d_conv_dim`, 64).
        num_layers: strided layers (`d_repeat_num`, 6 for 128 px: a 2x2 map).
        projection_dim: 0 (the paper), or the width of c: a third head,
            `projections`, a 3x3 convolution to `projection_dim` values per
            patch, which the model dots with c to condition D_src on the
            target (a projection discriminator; a departure).
        name: name of the model.

    Returns:
        a functional `keras.Model` from images to `[sources, labels]`:
        scores `(batch, h, w, 1)` and logits `(batch, num_labels)`, float32;
        with `projection_dim`, also `projections` `(batch, h, w, projection_dim)`.
    """
    size = discriminator_output_size(image_shape, num_layers)
    if min(size) < 1:
        raise ValueError(
            f"Images of {tuple(image_shape[:2])} px are too small for a discriminator with {num_layers} strided "
            "layers (its last feature map would be empty); use fewer discriminator_layers or larger images."
        )
    images = keras.Input(tuple(image_shape), name="images")
    x = images
    width = filters
    for i in range(num_layers):
        x = layers.ZeroPadding2D(1, name=f"conv_{i}_pad")(x)
        x = _conv(width, 4, strides=2, use_bias=True, name=f"conv_{i}")(x)
        x = layers.LeakyReLU(0.01, name=f"conv_{i}_lrelu")(x)
        width *= 2
    sources = layers.ZeroPadding2D(1, name="sources_pad")(x)
    sources = _conv(1, 3, name="sources_conv")(sources)
    labels = _conv(int(num_labels), size, name="labels_conv")(x)
    labels = layers.Flatten(name="labels_flatten")(labels)
    sources = layers.Activation("linear", dtype="float32", name="sources")(sources)
    labels = layers.Activation("linear", dtype="float32", name="labels")(labels)
    outputs = [sources, labels]
    if projection_dim:
        projections = layers.ZeroPadding2D(1, name="projections_pad")(x)
        projections = _conv(int(projection_dim), 3, name="projections_conv")(projections)
        outputs.append(layers.Activation("linear", dtype="float32", name="projections")(projections))
    return keras.Model(images, outputs, name=name)
