import math

import keras
from keras import ops

SQRT_2 = math.sqrt(2.0)  # He's gain for ReLU-family layers


@keras.saving.register_keras_serializable(package="kerasgen")
class EqualizedDense(keras.layers.Layer):
    """Dense layer with an equalized learning rate (Karras et al. 2018).

    The stored kernel is drawn from N(0, 1) and multiplied at run time by He's
    constant `scale = gain / sqrt(fan_in)`, so every weight sees the same
    effective learning rate under Adam. Biases start at zero.

    With `lr_multiplier != 1` (StyleGAN's mapping network uses 0.01) the
    kernel is drawn from N(0, 1 / lr_multiplier^2) and both the kernel scale
    and the bias are multiplied by `lr_multiplier`, which leaves the initial
    function unchanged and scales the effective learning rate.

    Args:
        units: output dimension.
        gain: gain of He's constant; sqrt(2) for ReLU-family activations,
            1 for a linear output layer.
        use_bias: whether to add a bias.
        lr_multiplier: learning-rate multiplier for this layer.
        **kwargs: standard layer arguments such as `name` and `dtype`.

    Attributes:
        scale: the run-time kernel multiplier, set when the layer is built.

    Example:

    ```python
    layer = EqualizedDense(512)
    y = layer(keras.random.normal((8, 128)))
    layer.scale  # sqrt(2) / sqrt(128)
    ```
    """

    def __init__(
        self,
        units,
        gain=SQRT_2,
        use_bias=True,
        lr_multiplier=1.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = int(units)
        self.gain = float(gain)
        self.use_bias = use_bias
        self.lr_multiplier = float(lr_multiplier)
        self.scale = None

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.scale = self.gain / math.sqrt(fan_in) * self.lr_multiplier
        self.kernel = self.add_weight(
            name="kernel",
            shape=(fan_in, self.units),
            initializer=keras.initializers.RandomNormal(0.0, 1.0 / self.lr_multiplier),
        )
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        outputs = ops.matmul(inputs, self.kernel * self.scale)
        if self.use_bias:
            outputs = outputs + self.bias * self.lr_multiplier
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "gain": self.gain,
                "use_bias": self.use_bias,
                "lr_multiplier": self.lr_multiplier,
            }
        )
        return config
