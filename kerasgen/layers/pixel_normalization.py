import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasgen")
class PixelNormalization(keras.layers.Layer):
    """Pixelwise feature vector normalization (Karras et al. 2018).

    Each pixel's feature vector is divided by its root mean square over the
    channel axis: `x / sqrt(mean(x ** 2, axis=-1) + epsilon)`. The statistic
    is computed in float32 and the result returned in the compute dtype.

    Args:
        epsilon: small constant added to the mean square (1e-8 in ProGAN).
        **kwargs: standard layer arguments such as `name` and `dtype`.

    Example:

    ```python
    x = keras.random.normal((2, 4, 4, 512))
    y = PixelNormalization()(x)  # mean(y ** 2, axis=-1) is 1 at each pixel
    ```
    """

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        mean_square = ops.mean(ops.square(x), axis=-1, keepdims=True)
        x = x * ops.rsqrt(mean_square + self.epsilon)
        return ops.cast(x, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"epsilon": self.epsilon})
        return config
