import keras
from keras import ops

from kerasgen.layers.instance_normalization import instance_normalize


@keras.saving.register_keras_serializable(package="kerasgen")
class ConditionalInstanceNormalization(keras.layers.Layer):
    """Instance normalization whose scale and offset are read from a condition vector.

    `call([x, c])` normalizes each image and channel of `x` over its spatial
    axes, as `InstanceNormalization` does, then applies
    `scale = 1 + c W_s + b_s` and `offset = c W_o + b_o` per channel
    (feature-wise linear modulation, Perez et al. 2018; StarGAN v2's AdaIN
    has the same form). The four weights start at zero, so a fresh layer is
    `InstanceNormalization(affine=True)` at its initial values. Statistics
    are computed in float32. `x` is NHWC, `c` is `(batch, condition_dim)`.

    Args:
        epsilon: small constant added to the variance.
        **kwargs: standard layer arguments such as `name` and `dtype`.

    Example:

    ```python
    x = keras.random.normal((2, 16, 16, 8))
    c = keras.ops.convert_to_tensor([[1.0, 0.0], [0.0, 1.0]])
    y = ConditionalInstanceNormalization()([x, c])  # (2, 16, 16, 8); each image scaled by its own c
    ```
    """

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        image_shape, condition_shape = input_shape
        shape = (condition_shape[-1], image_shape[-1])
        self.scale_kernel = self.add_weight(shape=shape, initializer="zeros", name="scale_kernel")
        self.scale_bias = self.add_weight(shape=shape[1:], initializer="zeros", name="scale_bias")
        self.offset_kernel = self.add_weight(shape=shape, initializer="zeros", name="offset_kernel")
        self.offset_bias = self.add_weight(shape=shape[1:], initializer="zeros", name="offset_bias")

    def call(self, inputs):
        x, c = (ops.cast(t, "float32") for t in inputs)
        x = instance_normalize(x, self.epsilon)
        scale = 1.0 + ops.matmul(c, ops.cast(self.scale_kernel, "float32")) + ops.cast(self.scale_bias, "float32")
        offset = ops.matmul(c, ops.cast(self.offset_kernel, "float32")) + ops.cast(self.offset_bias, "float32")
        x = x * scale[:, None, None, :] + offset[:, None, None, :]
        return ops.cast(x, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update({"epsilon": self.epsilon})
        return config
