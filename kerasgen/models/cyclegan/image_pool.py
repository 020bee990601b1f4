"""History pool of generated images (Shrivastava et al. 2017), as used by CycleGAN."""

import keras
import tensorflow as tf

from kerasgen import distribute


class ImagePool(keras.layers.Layer):
    """A buffer of past generated images that feeds a discriminator.

    Until the pool holds `pool_size` images, every queried image is stored
    and returned unchanged. Once it is full, each queried image is, with
    probability 1/2, swapped with a uniformly chosen stored image (the stored
    one is returned and the new one takes its place), and otherwise returned
    unchanged. Images of a batch are processed in order, as in CycleGAN's
    reference `ImagePool.query`, so a batch may get back an image stored by
    an earlier element of the same batch.

    The buffer and the fill count are non-trainable variables, so checkpoints
    (`save_weights`, `BackupAndRestore`) keep the pool and a resumed run
    continues with the same history. The pool never holds more than
    `pool_size` images.

    Under a multi-replica strategy the pool is global: every replica
    gathers the fakes of the whole global batch (in replica order), runs the
    same query on them with the same draws, and keeps its own rows of the
    result. So every replica holds the same pool, which is the pool one
    device would hold after the same global batches, and N replicas feed
    their discriminators exactly what one device feeds (at the cost of one
    all-gather of the fakes per query).

    Args:
        pool_size: capacity (50 in CycleGAN); 0 disables the pool.
        image_shape: `(height, width, channels)` of the stored images.
        seed_generator: a `keras.random.SeedGenerator` for the draws.
        **kwargs: standard layer arguments such as `name`.

    Example:

    ```python
    pool = ImagePool(50, (28, 28, 1), keras.random.SeedGenerator(0))
    fakes_for_d = pool.query(fakes)
    ```
    """

    def __init__(self, pool_size, image_shape, seed_generator, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.pool_size = int(pool_size)
        if self.pool_size < 0:
            raise ValueError(f"pool_size must be >= 0; got {pool_size}.")
        self.image_shape = tuple(int(d) for d in image_shape)
        self.seed_generator = seed_generator
        # On-read synchronization: every replica updates its own copy, and
        # the copies stay equal (each replica queries the global batch);
        # checkpoints save the first replica's.
        self.images = keras.Variable(
            initializer="zeros",
            shape=(max(self.pool_size, 1),) + self.image_shape,
            dtype="float32",
            trainable=False,
            name="images",
            synchronization="on_read",
            aggregation="only_first_replica",
        )
        self.count = keras.Variable(
            initializer="zeros",
            shape=(),
            dtype="int32",
            trainable=False,
            name="count",
            synchronization="on_read",
            aggregation="only_first_replica",
        )
        self.built = True

    def query(self, images):
        """Returns a batch for the discriminator and updates the pool.

        Args:
            images: float tensor `(batch,) + image_shape` of new fakes.

        Returns:
            float32 tensor of the same shape (no gradient flows through it).
        """
        images = tf.stop_gradient(tf.cast(images, tf.float32))
        if self.pool_size == 0:
            return images
        rows = tf.shape(images)[0]
        images = distribute.global_batch_gather(images)
        batch = tf.shape(images)[0]
        # Draws for the whole batch at once: swap coin and slot per image.
        coins = keras.random.uniform((batch,), seed=self.seed_generator)
        slots = keras.random.randint((batch,), 0, self.pool_size, seed=self.seed_generator)
        capacity = tf.constant(self.pool_size, tf.int32)

        def body(i, buffer, count, outputs):
            image = images[i]
            filling = count < capacity
            swap = tf.logical_and(tf.logical_not(filling), coins[i] > 0.5)
            slot = tf.where(filling, tf.minimum(count, capacity - 1), slots[i])
            stored = buffer[slot]
            out = tf.where(swap, stored, image)
            write = tf.logical_or(filling, swap)
            new_slot_value = tf.where(write, image, stored)
            buffer = tf.tensor_scatter_nd_update(buffer, [[slot]], new_slot_value[None])
            count = tf.where(filling, count + 1, count)
            return i + 1, buffer, count, outputs.write(i, out)

        outputs = tf.TensorArray(tf.float32, size=batch, element_shape=tf.TensorShape(self.image_shape))
        _, buffer, count, outputs = tf.while_loop(
            lambda i, *_: i < batch,
            body,
            (tf.constant(0), tf.convert_to_tensor(self.images.value), tf.convert_to_tensor(self.count.value), outputs),
        )
        self.images.assign(buffer)
        self.count.assign(count)
        return distribute.replica_rows(outputs.stack(), rows)

    def call(self, images):
        return self.query(images)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=self.pool_size, image_shape=list(self.image_shape))
        return config
