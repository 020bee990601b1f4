import math

import keras
from keras import ops

SQRT_2 = math.sqrt(2.0)  # He's gain for ReLU-family layers


@keras.saving.register_keras_serializable(package="kerasgen")
class EqualizedConv2D(keras.layers.Layer):
    """2D convolution with an equalized learning rate (Karras et al. 2018).

    The stored kernel is drawn from N(0, 1) and multiplied at run time by He's
    constant `scale = gain / sqrt(fan_in)` with
    `fan_in = kernel_height * kernel_width * input_channels`. Biases start at
    zero. Inputs are NHWC.

    Args:
        filters: number of output channels.
        kernel_size: an int or a `(height, width)` pair.
        strides: an int or a `(height, width)` pair.
        padding: "same" or "valid".
        gain: gain of He's constant; sqrt(2) for ReLU-family activations,
            1 for the to-RGB output layer.
        use_bias: whether to add a bias.
        **kwargs: standard layer arguments such as `name` and `dtype`.

    Attributes:
        scale: the run-time kernel multiplier, set when the layer is built.

    Example:

    ```python
    layer = EqualizedConv2D(256, 3)
    y = layer(keras.random.normal((2, 8, 8, 512)))  # shape (2, 8, 8, 256)
    layer.scale  # sqrt(2) / sqrt(3 * 3 * 512)
    ```
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="same",
        gain=SQRT_2,
        use_bias=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.strides = _pair(strides, "strides")
        padding = padding.lower()
        if padding not in ("same", "valid"):
            raise ValueError(f"`padding` must be 'same' or 'valid', got {padding!r}.")
        self.padding = padding
        self.gain = float(gain)
        self.use_bias = use_bias
        self.scale = None

    def build(self, input_shape):
        in_channels = int(input_shape[-1])
        fan_in = self.kernel_size[0] * self.kernel_size[1] * in_channels
        self.scale = self.gain / math.sqrt(fan_in)
        self.kernel = self.add_weight(
            name="kernel",
            shape=self.kernel_size + (in_channels, self.filters),
            initializer=keras.initializers.RandomNormal(0.0, 1.0),
        )
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")

    def call(self, inputs):
        outputs = ops.conv(
            inputs,
            self.kernel * self.scale,
            strides=self.strides,
            padding=self.padding,
            data_format="channels_last",
        )
        if self.use_bias:
            outputs = outputs + self.bias
        return outputs

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape
        spatial = []
        for size, k, s in zip((height, width), self.kernel_size, self.strides):
            if size is None:
                spatial.append(None)
            elif self.padding == "same":
                spatial.append(-(-size // s))
            else:
                spatial.append((size - k) // s + 1)
        return (batch, spatial[0], spatial[1], self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "gain": self.gain,
                "use_bias": self.use_bias,
            }
        )
        return config


def _pair(value, name):
    if isinstance(value, int):
        return (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"`{name}` must be an int or a pair, got {value!r}.")
    return value
