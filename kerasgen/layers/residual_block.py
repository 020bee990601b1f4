import keras

from kerasgen.layers.instance_normalization import InstanceNormalization
from kerasgen.layers.reflection_padding_2d import ReflectionPadding2D


@keras.saving.register_keras_serializable(package="kerasgen")
class ResidualBlock(keras.layers.Layer):
    """CycleGAN's ResNet block (Zhu et al. 2017, reference `ResnetBlock`).

    `x + [reflect-pad 1, conv 3x3, instance norm, ReLU, reflect-pad 1,
    conv 3x3, instance norm](x)`. The convolutions keep their bias (the
    reference enables it because instance norm has no offset), weights are
    drawn from N(0, 0.02) and biases start at zero. No dropout (the
    reference's CycleGAN default). Inputs are NHWC with `filters` channels.

    Args:
        filters: number of channels of the input and output.
        **kwargs: standard layer arguments such as `name` and `dtype`.

    Example:

    ```python
    x = keras.random.normal((1, 64, 64, 256))
    y = ResidualBlock(256)(x)  # same shape as x
    ```
    """

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        policy = self.dtype_policy
        self.pad_1 = ReflectionPadding2D(1, dtype=policy, name="pad_1")
        self.conv_1 = self._conv("conv_1")
        self.norm_1 = InstanceNormalization(dtype=policy, name="norm_1")
        self.pad_2 = ReflectionPadding2D(1, dtype=policy, name="pad_2")
        self.conv_2 = self._conv("conv_2")
        self.norm_2 = InstanceNormalization(dtype=policy, name="norm_2")

    def _conv(self, name):
        # A fresh initializer per layer: an unseeded Keras initializer
        # instance fixes its seed once, so sharing it would give both
        # convolutions identical weights.
        return keras.layers.Conv2D(
            self.filters,
            3,
            padding="valid",
            kernel_initializer=keras.initializers.RandomNormal(0.0, 0.02),
            bias_initializer="zeros",
            dtype=self.dtype_policy,
            name=name,
        )

    def build(self, input_shape):
        if input_shape[-1] != self.filters:
            raise ValueError(
                f"ResidualBlock({self.filters}) needs {self.filters} input "
                f"channels for the skip connection, got {input_shape[-1]}."
            )
        shape = self.pad_1.compute_output_shape(input_shape)
        self.conv_1.build(shape)
        shape = self.conv_1.compute_output_shape(shape)
        shape = self.pad_2.compute_output_shape(shape)
        self.conv_2.build(shape)

    def call(self, inputs):
        x = self.pad_1(inputs)
        x = self.conv_1(x)
        x = self.norm_1(x)
        x = keras.ops.relu(x)
        x = self.pad_2(x)
        x = self.conv_2(x)
        x = self.norm_2(x)
        return inputs + x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"filters": self.filters})
        return config
