import keras
from keras import ops

from kerasgen import distribute


@keras.saving.register_keras_serializable(package="kerasgen")
class MinibatchStandardDeviation(keras.layers.Layer):
    """Appends the minibatch standard deviation as one feature map.

    ProGAN (Karras et al. 2018, section 3): the batch is split into groups;
    within each group the standard deviation of every feature at every
    pixel is computed, averaged into one scalar per group, and that scalar
    is appended as an extra constant channel to each member of the group.
    Member `i` of a batch of `N` belongs to group `i % (N // group)`, as in
    the reference code's reshape to `[group, N // group, ...]`.

    The group size is `min(group_size, batch)` when that divides the batch;
    otherwise it is the largest divisor of the batch not above `group_size`
    (the reference code requires divisibility instead). Under a multi-replica
    `tf.distribute` strategy the groups are formed over the global batch
    (all replicas' rows gathered in replica order), so N replicas compute
    what one device computes for the same global batch. The batch dimension
    may be dynamic. Statistics are computed in float32. Inputs are NHWC.

    Args:
        group_size: maximum number of examples per group (4 in ProGAN).
        **kwargs: standard layer arguments such as `name` and `dtype`.

    Example:

    ```python
    x = keras.random.normal((8, 4, 4, 512))
    y = MinibatchStandardDeviation()(x)  # shape (8, 4, 4, 513)
    ```
    """

    def __init__(self, group_size=4, **kwargs):
        super().__init__(**kwargs)
        self.group_size = int(group_size)
        if self.group_size < 1:
            raise ValueError(f"`group_size` must be >= 1, got {group_size}.")

    def _group(self, batch):
        if isinstance(batch, int):
            return max(g for g in range(1, self.group_size + 1) if batch % g == 0)
        candidates = ops.arange(1, self.group_size + 1, dtype="int32")
        batch = ops.cast(batch, "int32")
        divides = ops.equal(ops.mod(batch, candidates), 0)
        return ops.max(ops.where(divides, candidates, 1))

    def call(self, inputs):
        # Under a multi-replica strategy the groups are formed over the
        # global batch (every replica's rows gathered in replica order, the
        # gradient flowing back to each replica), so N replicas compute
        # what one device computes; each replica keeps its own rows.
        local = inputs
        inputs = distribute.global_batch_gather(inputs)
        outputs = self._append_stddev(inputs)
        return distribute.replica_rows(outputs, ops.shape(local)[0])

    def _append_stddev(self, inputs):
        x = ops.cast(inputs, "float32")
        shape = ops.shape(x)
        batch, height, width, channels = shape[0], shape[1], shape[2], shape[3]
        group = self._group(batch)
        y = ops.reshape(x, (group, -1, height, width, channels))
        y = y - ops.mean(y, axis=0, keepdims=True)
        # Population standard deviation; 1e-8 as in the reference code.
        y = ops.sqrt(ops.mean(ops.square(y), axis=0) + 1e-8)
        y = ops.mean(y, axis=(1, 2, 3), keepdims=True)  # [batch // group, 1, 1, 1]
        y = ops.tile(y, (group, height, width, 1))
        y = ops.cast(y, self.compute_dtype)
        return ops.concatenate([ops.cast(inputs, self.compute_dtype), y], axis=-1)

    def compute_output_shape(self, input_shape):
        channels = input_shape[-1]
        return tuple(input_shape[:-1]) + (None if channels is None else channels + 1,)

    def get_config(self):
        config = super().get_config()
        config.update({"group_size": self.group_size})
        return config
