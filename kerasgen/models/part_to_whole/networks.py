"""Networks of the part-to-whole GAN: patch encoder, mask decoder, image generator, discriminator.

The layout follows the reference code of Lee et al. (2018): DCGAN-style
4x4 stride-2 convolutions with BatchNorm, a patch code per key patch,
the codes summed (so the patches' order does not matter), a mask decoder
whose feature maps also feed the image generator at every resolution.
"""

import keras
from keras import layers

from kerasgen.models.gan.adversarial import normal_init
from kerasgen.models.gan.dcgan import batch_norm


def layout(size):
    """(base side, number of stride-2 steps): halve while even and above 4 (28 -> 7 in 2, 64 -> 4 in 4)."""
    size, steps = int(size), 0
    while size % 2 == 0 and size > 4:
        size //= 2
        steps += 1
    return size, steps


def level_filters(filters, steps):
    """Channels at each decoder level, coarse to fine: filters * 2^(steps - 1 - i), at most 8 * filters."""
    return [filters * min(2 ** (steps - 1 - i), 8) for i in range(steps)]


def strided_convs(x, steps, filters, seed, conv_seed, norm_seed, synchronized):
    """`steps` 4x4 stride-2 convs (filters doubling up to 8x), LeakyReLU 0.2, BatchNorm after the first; flattened."""
    for i in range(steps):
        x = layers.Conv2D(
            filters * min(2**i, 8),
            4,
            2,
            padding="same",
            use_bias=i == 0,  # BatchNorm follows the others
            kernel_initializer=normal_init(seed, conv_seed + i),
            name=f"conv_{i}",
        )(x)
        if i > 0:
            x = batch_norm(seed, norm_seed + i, f"conv_{i}_bn", synchronized)(x)
        x = layers.LeakyReLU(0.2)(x)
    return layers.Flatten()(x)


def patch_encoder(patch_shape, code_dim, filters, seed=None, synchronized=False):
    """Patch -> code: strided 4x4 convs (LeakyReLU 0.2, BatchNorm after the first), then a dense code."""
    _, steps = layout(patch_shape[0])
    inputs = keras.Input(patch_shape, name="patch")
    x = strided_convs(inputs, steps, filters, seed, 10, 100, synchronized)
    # The reference's last layer is a conv whose kernel covers the remaining map: a dense layer.
    x = layers.Dense(code_dim, use_bias=False, kernel_initializer=normal_init(seed, 30), name="code")(x)
    x = batch_norm(seed, 130, "code_bn", synchronized)(x)
    outputs = layers.LeakyReLU(0.2)(x)
    return keras.Model(inputs, outputs, name="patch_encoder")


def mask_decoder(image_shape, input_dim, filters, seed=None, synchronized=False):
    """[patch code, pooled code] -> (feature map per level, the patch's mask in [0, 1])."""
    base, steps = layout(image_shape[0])
    base_w = image_shape[1] // 2**steps
    widths = level_filters(filters, steps)
    inputs = keras.Input((input_dim,), name="codes")
    x = layers.Dense(
        base * base_w * widths[0], use_bias=False, kernel_initializer=normal_init(seed, 200), name="project"
    )(inputs)
    x = layers.Reshape((base, base_w, widths[0]))(x)
    x = layers.ReLU()(batch_norm(seed, 300, "project_bn", synchronized)(x))
    features = [x]
    for i in range(1, steps):
        x = layers.Conv2DTranspose(
            widths[i],
            4,
            2,
            padding="same",
            use_bias=False,
            kernel_initializer=normal_init(seed, 200 + i),
            name=f"up_{i}",
        )(x)
        x = layers.ReLU()(batch_norm(seed, 300 + i, f"up_{i}_bn", synchronized)(x))
        features.append(x)
    mask = layers.Conv2DTranspose(1, 4, 2, padding="same", kernel_initializer=normal_init(seed, 250), name="mask")(x)
    mask = layers.Activation("sigmoid", dtype="float32", name="mask_sigmoid")(mask)
    return keras.Model(inputs, features + [mask], name="mask_decoder")


def image_generator(image_shape, input_dim, filters, seed=None, synchronized=False, placed_patches=False):
    """[pooled code and z, mask features per level (, placed patches)] -> image in [-1, 1] (tanh).

    With `placed_patches`, a last input `(H, W, channels + 1)` holds the key
    patches drawn where the masks put them and their coverage; it is
    concatenated, average-pooled, at every level, and at full resolution
    before a last 3x3 conv, so the generator can copy the given pixels.
    """
    base, steps = layout(image_shape[0])
    base_w = image_shape[1] // 2**steps
    widths = level_filters(filters, steps)
    code = keras.Input((input_dim,), name="code_and_noise")
    guides = [keras.Input((base * 2**i, base_w * 2**i, widths[i]), name=f"mask_features_{i}") for i in range(steps)]
    placed = None
    if placed_patches:
        placed = keras.Input(tuple(image_shape[:2]) + (image_shape[-1] + 1,), name="placed_patches")
        # Each level's guide gains the placed patches at its resolution.
        guides_in = list(guides)
        guides = [
            layers.Concatenate()([g, layers.AveragePooling2D(2 ** (steps - i))(placed)])
            for i, g in enumerate(guides_in)
        ]
    x = layers.Dense(
        base * base_w * widths[0], use_bias=False, kernel_initializer=normal_init(seed, 400), name="project"
    )(code)
    x = layers.Reshape((base, base_w, widths[0]))(x)
    x = layers.ReLU()(batch_norm(seed, 500, "project_bn", synchronized)(x))
    for i in range(1, steps):
        x = layers.Concatenate()([x, guides[i - 1]])
        x = layers.Conv2DTranspose(
            widths[i],
            4,
            2,
            padding="same",
            use_bias=False,
            kernel_initializer=normal_init(seed, 400 + i),
            name=f"up_{i}",
        )(x)
        x = layers.ReLU()(batch_norm(seed, 500 + i, f"up_{i}_bn", synchronized)(x))
    x = layers.Concatenate()([x, guides[-1]])
    if placed is None:
        x = layers.Conv2DTranspose(
            image_shape[-1], 4, 2, padding="same", kernel_initializer=normal_init(seed, 450), name="to_image"
        )(x)
        images = layers.Activation("tanh", dtype="float32", name="tanh")(x)
        return keras.Model([code] + guides, images, name="image_generator")
    x = layers.Conv2DTranspose(
        widths[-1], 4, 2, padding="same", use_bias=False, kernel_initializer=normal_init(seed, 450), name="up_last"
    )(x)
    x = layers.ReLU()(batch_norm(seed, 550, "up_last_bn", synchronized)(x))
    x = layers.Concatenate()([x, placed])
    x = layers.Conv2D(image_shape[-1], 3, padding="same", kernel_initializer=normal_init(seed, 460), name="to_image")(x)
    images = layers.Activation("tanh", dtype="float32", name="tanh")(x)
    return keras.Model([code] + guides_in + [placed], images, name="image_generator")


def discriminator(image_shape, filters, seed=None, synchronized=False):
    """[image, patch mask] -> one logit: strided 4x4 convs, LeakyReLU 0.2, BatchNorm after the first."""
    _, steps = layout(image_shape[0])
    inputs = keras.Input(tuple(image_shape[:2]) + (image_shape[-1] + 1,), name="image_and_mask")
    x = strided_convs(inputs, steps, filters, seed, 600, 700, synchronized)
    logits = layers.Dense(1, kernel_initializer=normal_init(seed, 650), dtype="float32", name="logit")(x)
    return keras.Model(inputs, logits, name="discriminator")
