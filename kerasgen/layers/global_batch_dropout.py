import keras
import tensorflow as tf

from kerasgen import distribute


@keras.saving.register_keras_serializable(package="kerasgen")
class GlobalBatchDropout(keras.layers.Dropout):
    """`keras.layers.Dropout` whose mask is drawn for the global batch.

    A seeded `Dropout` draws the same mask on every replica of a
    `tf.distribute` strategy (each replica's seed generator holds the same
    state), so replicas drop the same units of different examples and N
    replicas do not take the step one device takes. This layer draws the
    mask of the whole global batch from one seed and each replica keeps its
    own rows (`kerasgen.distribute.global_batch_draw`): N replicas drop
    exactly what one device drops for the same global batch. On one device
    it draws the same mask as `keras.layers.Dropout` with the same seed
    state (`tf.nn.experimental.stateless_dropout`'s uniform draw, kept where
    it is >= rate, scaled by 1 / (1 - rate)).

    Arguments and behaviour are otherwise those of `keras.layers.Dropout`;
    a `noise_shape` must keep the batch dimension (None or the batch size).

    Example:

    ```python
    x = keras.layers.Dense(256)(x)
    x = GlobalBatchDropout(0.3, seed=0)(x)
    ```
    """

    def call(self, inputs, training=False):
        if not training or self.rate <= 0:
            return inputs
        if self.rate >= 1.0:
            return tf.zeros_like(inputs)
        inputs = tf.convert_to_tensor(inputs)
        seed = self.seed_generator.next()
        seed = tf.cast(tf.math.floormod(seed, tf.int32.max - 1), tf.int32) if seed.dtype != tf.int32 else seed
        shape = tf.shape(inputs)
        if self.noise_shape is not None:
            shape = tf.stack([shape[i] if d is None else tf.constant(int(d)) for i, d in enumerate(self.noise_shape)])
        uniform = distribute.global_batch_draw(
            lambda full: tf.random.stateless_uniform(full, seed=seed, dtype=inputs.dtype), shape
        )
        scale = 1.0 / (1.0 - self.rate)
        return inputs * tf.cast(scale, inputs.dtype) * tf.cast(uniform >= self.rate, inputs.dtype)
