import keras
from keras import ops


def instance_normalize(x, epsilon):
    """`(x - mean) / sqrt(var + epsilon)` over the spatial axes of float32 `(n, H, W, C)` maps."""
    mean, variance = ops.moments(x, axes=[1, 2], keepdims=True)
    return (x - mean) * ops.rsqrt(variance + epsilon)


@keras.saving.register_keras_serializable(package="kerasgen")
class InstanceNormalization(keras.layers.Layer):
    """Instance normalization (Ulyanov et al. 2016), with optional affine parameters.

    Each image and channel is normalized over its spatial axes:
    `(x - mean) / sqrt(var + epsilon)` with the biased variance. There are no
    running statistics, so training and inference behave the same. By
    default there is no learned scale or offset, which matches CycleGAN's
    reference `InstanceNorm2d(affine=False, track_running_stats=False)`;
    `affine=True` adds a per-channel scale (initialized to 1) and offset
    (0), as StarGAN's generator has. Statistics are computed in float32.
    Inputs are NHWC.

    Args:
        epsilon: small constant added to the variance.
        affine: learn a per-channel scale and offset.
        **kwargs: standard layer arguments such as `name` and `dtype`.

    Example:

    ```python
    x = keras.random.normal((2, 32, 32, 64), mean=3.0)
    y = InstanceNormalization()(x)  # each y[i, :, :, c] has mean 0, variance 1
    ```
    """

    def __init__(self, epsilon=1e-5, affine=False, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon
        self.affine = bool(affine)

    def build(self, input_shape):
        if self.affine:
            channels = (input_shape[-1],)
            self.gamma = self.add_weight(shape=channels, initializer="ones", name="gamma")
            self.beta = self.add_weight(shape=channels, initializer="zeros", name="beta")

    def call(self, inputs):
        x = instance_normalize(ops.cast(inputs, "float32"), self.epsilon)
        if self.affine:
            x = x * ops.cast(self.gamma, "float32") + ops.cast(self.beta, "float32")
        return ops.cast(x, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"epsilon": self.epsilon, "affine": self.affine})
        return config
