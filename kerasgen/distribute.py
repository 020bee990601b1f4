"""Choosing a `tf.distribute` strategy, who writes files in a cluster, and
helpers that make a step on N replicas equal to the step on one device
(global-batch random draws, gathering and splitting the global batch)."""

import json
import os

import tensorflow as tf


def is_chief(strategy=None):
    """True on the one worker that writes checkpoints, sample grids and exports.

    Outside a multi-worker cluster every process is the chief. In a cluster,
    it is the task of type "chief", or worker 0 when the cluster has none.
    """
    resolver = getattr(strategy or tf.distribute.get_strategy(), "cluster_resolver", None)
    if resolver is not None and resolver.task_type is not None:
        task_type, task_id = resolver.task_type, resolver.task_id
        cluster = resolver.cluster_spec().as_dict()
    else:
        tf_config = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")
        task = tf_config.get("task") or {}
        cluster = tf_config.get("cluster") or {}
        task_type, task_id = task.get("type"), task.get("index", 0)
        if task_type is None:
            return True
    if task_type == "chief":
        return True
    return task_type == "worker" and int(task_id) == 0 and "chief" not in cluster


KINDS = ("auto", "default", "mirrored", "multi_worker", "tpu")


def _cluster_workers():
    tf_config = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")
    cluster = tf_config.get("cluster") or {}
    return sum(len(cluster.get(k, [])) for k in ("chief", "worker"))


def strategy(kind="auto"):
    """Returns a `tf.distribute.Strategy`.

    `"auto"` picks TPUStrategy where a TPU resolves, MultiWorkerMirroredStrategy
    where `TF_CONFIG` names several workers, MirroredStrategy with more than
    one GPU, and the default strategy otherwise.

    Args:
        kind: one of `KINDS`.

    Example:
    >>> strategy = kerasgen.distribute.strategy()
    >>> model = kerasgen.zoo.load("dcgan", strategy=strategy)
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown strategy {kind!r}; expected one of {KINDS}.")
    if kind == "auto":
        if _tpu_resolver() is not None:
            kind = "tpu"
        elif _cluster_workers() > 1:
            kind = "multi_worker"
        elif len(tf.config.list_physical_devices("GPU")) > 1:
            kind = "mirrored"
        else:
            kind = "default"
    if kind == "default":
        return tf.distribute.get_strategy()
    if kind == "mirrored":
        return tf.distribute.MirroredStrategy()
    if kind == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    resolver = _tpu_resolver()
    if resolver is None:
        raise ValueError("strategy 'tpu' was asked for, but no TPU could be resolved.")
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def _tpu_resolver():
    if not (os.environ.get("TPU_NAME") or os.environ.get("COLAB_TPU_ADDR") or os.path.exists("/dev/accel0")):
        return None
    try:
        return tf.distribute.cluster_resolver.TPUClusterResolver()
    except (ValueError, tf.errors.NotFoundError):
        return None


def replicas_in_sync():
    """Number of replicas taking part in the current step (1 outside a strategy)."""
    context = tf.distribute.get_replica_context()
    return context.num_replicas_in_sync if context is not None else 1


def global_batch_draw(draw, shape):
    """This replica's rows of a random draw made for the whole global batch.

    `draw(full_shape)` must make a stateless draw (the same seed on every
    replica). It is called with the batch dimension of `shape` multiplied by
    the number of replicas, and each replica keeps its own rows (replica `r`
    rows `r * batch` to `(r + 1) * batch`, the rows `MirroredStrategy` gives
    it). So N replicas use exactly the draw one device makes for the same
    global batch, and no two replicas share noise. Assumes every replica
    holds the same number of examples (the global batch divisible by N).

    Args:
        draw: callable from a full shape (int32 vector) to a tensor.
        shape: this replica's shape, batch first.
    """
    shape = tf.convert_to_tensor(shape, tf.int32)
    context = tf.distribute.get_replica_context()
    replicas = context.num_replicas_in_sync if context is not None else 1
    if replicas == 1:
        return draw(shape)
    rows = shape[0]
    full = draw(tf.concat([[rows * replicas], shape[1:]], 0))
    start = tf.cast(context.replica_id_in_sync_group, tf.int32) * rows
    return full[start : start + rows]


def global_batch_gather(value):
    """The global batch of a per-replica tensor (rows in replica order); the value itself on one replica."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return value
    return context.all_gather(value, axis=0)


def replica_rows(global_value, rows):
    """This replica's `rows` rows of a tensor computed for the global batch."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return global_value
    start = tf.cast(context.replica_id_in_sync_group, tf.int32) * tf.cast(rows, tf.int32)
    return global_value[start : start + rows]


def global_batch_size(batch):
    """The number of examples in the global batch (sum over replicas of `batch`)."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return batch
    return context.all_reduce(tf.distribute.ReduceOp.SUM, batch)


def run_if(condition, fn, *args):
    """Runs `fn(*args)` in every replica when `condition` (the same on every replica) holds.

    An optimizer update is a synchronization point (its gradients are
    all-reduced), and `tf.distribute` refuses one inside a replica's
    `tf.cond`. Under such a strategy the condition is therefore taken in the
    cross-replica context and `fn` runs in each replica from there, the way
    `keras.optimizers.LossScaleOptimizer` skips a step; elsewhere it is a
    plain `tf.cond`. `fn` returns nothing (it records what it computes).
    """

    def run():
        fn(*args)
        return tf.constant(True)

    if tf.__internal__.distribute.strategy_supports_no_merge_call():
        tf.cond(condition, run, lambda: tf.constant(False))
        return

    def cross_replica(distribution, condition, *args):
        condition = distribution.experimental_local_results(condition)[0]

        def run_everywhere():
            distribution.extended.call_for_each_replica(fn, args=args)
            return tf.constant(True)

        tf.cond(condition, run_everywhere, lambda: tf.constant(False))

    tf.distribute.get_replica_context().merge_call(cross_replica, args=(condition,) + args)
