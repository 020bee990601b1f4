import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasgen")
class FadeIn(keras.layers.Layer):
    """Blends two paths while a new ProGAN resolution fades in.

    `FadeIn()([old, new, alpha])` returns `alpha * new + (1 - alpha) * old`.
    The layer holds no state: the model keeps `alpha` as its own
    non-trainable variable (updated by a callback during the transition)
    and passes it at call time, so the generator's and the discriminator's
    fade-ins always share one value.

    `alpha` may be a scalar tensor, variable or NumPy scalar (Keras rejects
    a bare Python float among a layer's inputs), or a per-example tensor of
    shape `(batch,)` or `(batch, 1)` (e.g. from a functional `keras.Input`),
    which is broadcast over the remaining axes. It is cast to the compute
    dtype.

    Args:
        **kwargs: standard layer arguments such as `name` and `dtype`.

    Example:

    ```python
    alpha = keras.Variable(0.0, trainable=False)
    old = keras.layers.UpSampling2D()(to_rgb_old(features_4x4))
    new = to_rgb_new(features_8x8)
    images = FadeIn()([old, new, alpha])
    ```
    """

    def call(self, inputs):
        if len(inputs) != 3:
            raise ValueError(f"FadeIn expects [old, new, alpha], got {len(inputs)} inputs.")
        old, new, alpha = inputs
        old = ops.cast(old, self.compute_dtype)
        new = ops.cast(new, self.compute_dtype)
        alpha = ops.cast(ops.convert_to_tensor(alpha), self.compute_dtype)
        if len(alpha.shape) > 0:
            alpha = ops.reshape(alpha, (-1,) + (1,) * (len(new.shape) - 1))
        return alpha * new + (1.0 - alpha) * old

    def compute_output_shape(self, input_shape):
        return input_shape[1]
