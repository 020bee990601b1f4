"""ProGAN's networks and growth schedule (Karras et al. 2018): every block built up front."""

import math

import keras
from keras import ops

from kerasgen.layers import EqualizedConv2D, EqualizedDense, MinibatchStandardDeviation, PixelNormalization


def num_filters(k, fmap_base=8192, fmap_max=512):
    """The paper's filter rule nf(k) = min(fmap_base / 2^k, fmap_max).

    The block of resolution 2^r uses nf(r - 1) feature maps (512 up to
    64x64, then 256, 128, 64, 32, 16 at 1024x1024 with the defaults).
    """
    return int(max(1, min(fmap_base // (2**k), fmap_max)))


def schedule(images_seen, num_stages, fade_images, stabilize_images):
    """(stage, alpha) after `images_seen` real images (pure function).

    Stage 0 (4x4) is trained for `stabilize_images`; each later stage first
    fades in for `fade_images` (alpha rising linearly from 0 to 1), then is
    stabilized (alpha = 1) for `stabilize_images`. The last stage trains on
    at alpha = 1 forever.

    Example:
    >>> schedule(900, num_stages=3, fade_images=600, stabilize_images=600)
    (1, 0.5)
    """
    n = int(images_seen)
    if n < stabilize_images or num_stages == 1:
        return 0, 1.0
    period = fade_images + stabilize_images
    stage = 1 + (n - stabilize_images) // period
    if stage >= num_stages:
        return num_stages - 1, 1.0
    t = (n - stabilize_images) - (stage - 1) * period
    return int(stage), (min(1.0, t / fade_images) if fade_images > 0 else 1.0)


def _lrelu():
    return keras.layers.LeakyReLU(0.2)


def _upscale(x, factor=2):
    """Nearest-neighbour upsampling (the reference code's upscale2d)."""
    if factor == 1:
        return x
    return ops.repeat(ops.repeat(x, factor, axis=1), factor, axis=2)


def _downscale(x, factor=2):
    """Box-filter (average pooling) downsampling, as the reference code's downscale2d."""
    if factor == 1:
        return x
    return ops.average_pool(x, factor, factor, padding="valid")


class _Generator(keras.layers.Layer):
    """All generator blocks (4x4 up to the target resolution) and their toRGB layers.

    `call(latents, stage, alpha)` runs the blocks up to `stage` (a Python
    int; 0 is 4x4) and fades the new block's toRGB output in over the
    upsampled output of the previous stage.
    """

    def __init__(self, latent_dim, filters, channels, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.filters = list(filters)
        self.blocks = []
        self.to_rgb = []
        for stage, f in enumerate(self.filters):
            res = 4 * 2**stage
            if stage == 0:
                layers = [
                    keras.Input((latent_dim,)),
                    PixelNormalization(name="normalize_latents"),
                    # The paper's 4x4 convolution of a 1x1 latent is a dense
                    # layer; the reference code's gain is sqrt(2) / 4.
                    EqualizedDense(16 * f, gain=math.sqrt(2.0) / 4.0, name="dense"),
                    keras.layers.Reshape((4, 4, f)),
                    _lrelu(),
                    PixelNormalization(),
                    EqualizedConv2D(f, 3, name="conv"),
                    _lrelu(),
                    PixelNormalization(),
                ]
            else:
                layers = [
                    keras.Input((res // 2, res // 2, self.filters[stage - 1])),
                    keras.layers.UpSampling2D(2, interpolation="nearest"),
                    EqualizedConv2D(f, 3, name="conv0"),
                    _lrelu(),
                    PixelNormalization(),
                    EqualizedConv2D(f, 3, name="conv1"),
                    _lrelu(),
                    PixelNormalization(),
                ]
            self.blocks.append(keras.Sequential(layers, name=f"block_{res}x{res}"))
            rgb = keras.Sequential(
                [keras.Input((res, res, f)), EqualizedConv2D(channels, 1, gain=1.0, name="conv")],
                name=f"to_rgb_{res}x{res}",
            )
            self.to_rgb.append(rgb)
        self.built = True

    def features(self, latents, stage):
        """Feature maps of blocks `stage - 1` and `stage` (None for stage 0)."""
        h, previous = latents, None
        for block in self.blocks[: stage + 1]:
            previous, h = h, block(h)
        return (previous if stage > 0 else None), h

    def call(self, latents, stage=0, alpha=1.0):
        previous, h = self.features(latents, stage)
        new = ops.cast(self.to_rgb[stage](h), "float32")
        if stage == 0:
            return new
        old = _upscale(ops.cast(self.to_rgb[stage - 1](previous), "float32"))
        alpha = ops.cast(alpha, "float32")
        return alpha * new + (1.0 - alpha) * old

    def stage_variables(self, stage):
        """Trainable variables that the network at `stage` uses."""
        layers = self.blocks[: stage + 1] + [self.to_rgb[stage]] + ([self.to_rgb[stage - 1]] if stage else [])
        return [v for layer in layers for v in layer.trainable_variables]


class _Discriminator(keras.layers.Layer):
    """All discriminator blocks (target resolution down to 4x4) and their fromRGB layers."""

    def __init__(self, filters, channels, top_filters, group_size=4, **kwargs):
        super().__init__(**kwargs)
        self.filters = list(filters)
        self.blocks = []
        self.from_rgb = []
        for stage, f in enumerate(self.filters):
            res = 4 * 2**stage
            self.from_rgb.append(
                keras.Sequential(
                    [keras.Input((res, res, channels)), EqualizedConv2D(f, 1, name="conv"), _lrelu()],
                    name=f"from_rgb_{res}x{res}",
                )
            )
            if stage == 0:
                layers = [
                    keras.Input((4, 4, f)),
                    MinibatchStandardDeviation(group_size),
                    EqualizedConv2D(f, 3, name="conv"),
                    _lrelu(),
                    keras.layers.Flatten(),
                    # The paper's 4x4 "valid" convolution is a dense layer.
                    EqualizedDense(top_filters, name="dense0"),
                    _lrelu(),
                    EqualizedDense(1, gain=1.0, name="dense1"),
                ]
            else:
                layers = [
                    keras.Input((res, res, f)),
                    EqualizedConv2D(f, 3, name="conv0"),
                    _lrelu(),
                    EqualizedConv2D(self.filters[stage - 1], 3, name="conv1"),
                    _lrelu(),
                    keras.layers.AveragePooling2D(2),
                ]
            self.blocks.append(keras.Sequential(layers, name=f"block_{res}x{res}"))
        self.built = True

    def call(self, images, stage=0, alpha=1.0):
        h = self.from_rgb[stage](images)
        h = self.blocks[stage](h)
        if stage > 0:
            old = self.from_rgb[stage - 1](_downscale(images))
            alpha = ops.cast(alpha, h.dtype)
            h = alpha * h + (1.0 - alpha) * ops.cast(old, h.dtype)
            for block in reversed(self.blocks[:stage]):
                h = block(h)
        return ops.cast(h, "float32")

    def stage_variables(self, stage):
        layers = self.blocks[: stage + 1] + [self.from_rgb[stage]] + ([self.from_rgb[stage - 1]] if stage else [])
        return [v for layer in layers for v in layer.trainable_variables]
