import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasgen")
class InstanceNormalization(keras.layers.Layer):
    """Instance normalization without affine parameters (Ulyanov et al. 2016).

    Each image and channel is normalized over its spatial axes:
    `(x - mean) / sqrt(var + epsilon)` with the biased variance. There are no
    learned scale or offset and no running statistics, so training and
    inference behave the same; this matches CycleGAN's reference
    `InstanceNorm2d(affine=False, track_running_stats=False)`. Statistics are
    computed in float32. Inputs are NHWC.

    Args:
        epsilon: small constant added to the variance.
        **kwargs: standard layer arguments such as `name` and `dtype`.

    Example:

    ```python
    x = keras.random.normal((2, 32, 32, 64), mean=3.0)
    y = InstanceNormalization()(x)  # each y[i, :, :, c] has mean 0, variance 1
    ```
    """

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        mean, variance = ops.moments(x, axes=[1, 2], keepdims=True)
        x = (x - mean) * ops.rsqrt(variance + self.epsilon)
        return ops.cast(x, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"epsilon": self.epsilon})
        return config
