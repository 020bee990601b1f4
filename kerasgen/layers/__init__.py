"""Reusable layers for the kerasgen models.

ProGAN: `PixelNormalization`, `EqualizedDense`, `EqualizedConv2D`,
`MinibatchStandardDeviation`, `FadeIn`. CycleGAN: `InstanceNormalization`,
`ReflectionPadding2D`, `ResidualBlock`. StarGAN: `ConditionalInstanceNormalization`.
GAN: `GlobalBatchDropout`. All are registered for Keras serialization under
the "kerasgen" package.
"""

from kerasgen.layers.conditional_instance_normalization import ConditionalInstanceNormalization
from kerasgen.layers.equalized_conv_2d import EqualizedConv2D
from kerasgen.layers.equalized_dense import EqualizedDense
from kerasgen.layers.fade_in import FadeIn
from kerasgen.layers.global_batch_dropout import GlobalBatchDropout
from kerasgen.layers.instance_normalization import InstanceNormalization
from kerasgen.layers.minibatch_standard_deviation import (
    MinibatchStandardDeviation,
)
from kerasgen.layers.pixel_normalization import PixelNormalization
from kerasgen.layers.reflection_padding_2d import ReflectionPadding2D
from kerasgen.layers.residual_block import ResidualBlock

__all__ = [
    "ConditionalInstanceNormalization",
    "EqualizedConv2D",
    "EqualizedDense",
    "FadeIn",
    "GlobalBatchDropout",
    "InstanceNormalization",
    "MinibatchStandardDeviation",
    "PixelNormalization",
    "ReflectionPadding2D",
    "ResidualBlock",
]
