"""`GenerativeModel`: what every kerasgen model shares."""

import copy
import os

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kerasgen import distribute
from kerasgen.files import writing_folder
from kerasgen.models.linear_decay import LinearDecay
from kerasgen.models.networks import deserialize_network, serialize_network

# What a model can do. Callers (recipes, the CLI, callbacks, tools) ask
# `model.capabilities` instead of probing for methods or class names.
GENERATE = "generate"  # generate(n, seed=...) samples from a prior
RECONSTRUCT = "reconstruct"  # encode / decode / reconstruct
TRANSLATE = "translate"  # translate(images, ...) between domains
CONDITIONAL = "conditional"  # generate(n, labels=...) for class labels
LOG_LIKELIHOOD = "log_likelihood"  # log_likelihood(images): a bound on log p(x)
PRIOR_MATCH = "prior_match"  # prior_match(images): MMD^2 of codes to the prior
COMPLETE = "complete"  # complete(patches): whole images and patch masks from key patches
CODES = "codes"  # generate(n, codes=...) with structured codes; infer_codes(images)
CAPABILITIES = (GENERATE, RECONSTRUCT, TRANSLATE, CONDITIONAL, LOG_LIKELIHOOD, PRIOR_MATCH, COMPLETE, CODES)

# The structure of a training batch (`batch_structure`).
IMAGES = "images"  # images, or (images, ignored labels)
LABELED_IMAGES = "labeled_images"  # (images, int labels)
IMAGE_PAIRS = "image_pairs"  # (images_a, images_b), unpaired
# (images, domain labels): int indices of one-of-N domains or 0/1 attribute
# vectors; with several label sets, (images, labels, label set indices).
DOMAIN_IMAGES = "domain_images"
BATCH_STRUCTURES = (IMAGES, LABELED_IMAGES, IMAGE_PAIRS, DOMAIN_IMAGES)


def update_moving_average(average, network, decay, step=None):
    """average <- decay * average + (1 - decay) * network, weight by weight.

    Trainable weights are averaged; buffers (BatchNorm moving statistics)
    are copied, as the GAN literature's EMA generators do.

    Args:
        average: the network holding the moving average (same architecture).
        network: the network being trained.
        decay: the average's decay, e.g. 0.999.
        step: optional count of updates so far. When given, the decay is
            `min(decay, (1 + step) / (10 + step))`, the warm-up of
            `tf.train.ExponentialMovingAverage(num_updates=...)`: early on
            the average follows the network instead of holding on to its
            random initial weights for thousands of steps.
    """
    if step is not None:
        step = ops.cast(step, "float32")
        decay = ops.minimum(ops.cast(decay, "float32"), (1.0 + step) / (10.0 + step))
    for target, source in zip(average.weights, network.weights):
        value = ops.cast(source, target.dtype)
        if source.trainable:
            target.assign(decay * target + (1.0 - decay) * value)
        else:
            target.assign(value)


def checked_ema_decay(ema_decay):
    """`ema_decay` as a float, or None; a decay outside (0, 1) is refused."""
    if ema_decay is None:
        return None
    if not 0.0 < float(ema_decay) < 1.0:
        raise ValueError(f"ema_decay must be None or in (0, 1); got {ema_decay}.")
    return float(ema_decay)


def moving_average_copy(network, name):
    """A frozen copy of `network` holding its current weights: where its moving average starts."""
    average = keras.models.clone_model(network)
    average.name = name
    average.set_weights(network.get_weights())
    average.trainable = False
    return average


def assert_that(condition, *message):
    """An Assert op: fails with `message` (strings and tensors) unless `condition`.

    The raw op, not `tf.debugging.Assert`, which wraps it in a conditional
    (a function call per step) when the message holds non-string tensors.
    """
    return tf.raw_ops.Assert(condition=condition, data=list(message), summarize=3)


def check_not_unit_range(images, name="images"):
    """Refuses a float array with no negative value and a positive one: [0, 1] images, or bright [-1, 1] ones?

    Read as [-1, 1], [0, 1] images would be trained on as their bright half;
    the caller says which they are with `kerasgen.data.as_model_images`.
    """
    array = np.asarray(images)
    if array.dtype.kind == "f" and array.size and np.all(np.isfinite(array)):
        low, high = float(array.min()), float(array.max())
        if low >= 0.0 and 0.0 < high <= 1.0:
            raise ValueError(
                f"{name} are floats from {low:g} to {high:g} with no negative value: [0, 1] images, or "
                "[-1, 1] images that happen to be bright? Models take [-1, 1] floats (or uint8); convert "
                f"with kerasgen.data.as_model_images({name.split()[-1]}, model.image_shape, "
                "value_range=(0, 1)), or value_range=(-1, 1) if they are already in [-1, 1]."
            )


class RunningMeans(keras.metrics.Metric):
    """Running means of several named values, held in two vector variables.

    The same figures as one `keras.metrics.Mean` per name, with a handful of
    ops per step instead of a handful per name: on small networks the
    per-op cost of a training step is a visible share of its time.

    Args:
        names: metric names, in logging order.
        latest: names that report their latest value instead of the mean.
    """

    def __init__(self, names, latest=(), name="running_means", **kwargs):
        super().__init__(name=name, **kwargs)
        self.names = tuple(names)
        unknown = set(latest) - set(self.names)
        if unknown:
            raise ValueError(f"latest names {sorted(unknown)} are not among the metric names {self.names}.")
        self.keep = np.array([0.0 if n in latest else 1.0 for n in self.names], "float32")
        self.totals = self.add_variable(shape=(len(self.names),), initializer="zeros", name="totals")
        self.counts = self.add_variable(shape=(len(self.names),), initializer="zeros", name="counts")

    def update_state(self, values):
        unknown = set(values) - set(self.names)
        if unknown:
            raise KeyError(f"unknown metric name(s) {sorted(unknown)}; this model logs {self.names}.")
        sums, sizes = [], []
        for name in self.names:
            if name in values:
                value = tf.cast(values[name], tf.float32)
                sums.append(tf.reduce_sum(value))
                sizes.append(tf.cast(tf.size(value), tf.float32))
            else:
                sums.append(tf.constant(0.0))
                sizes.append(tf.constant(0.0))
        sums, sizes = tf.stack(sums), tf.stack(sizes)
        if self.keep.all():
            self.totals.assign_add(sums)
            self.counts.assign_add(sizes)
        else:
            # A latest-value metric restarts whenever it is given a value.
            keep = tf.where(sizes > 0, tf.constant(self.keep), 1.0)
            self.totals.assign(self.totals * keep + sums)
            self.counts.assign(self.counts * keep + sizes)

    def result(self):
        means = tf.math.divide_no_nan(tf.convert_to_tensor(self.totals), tf.convert_to_tensor(self.counts))
        return dict(zip(self.names, tf.unstack(means, num=len(self.names))))

    def reset_state(self):
        self.totals.assign(tf.zeros_like(self.totals))
        self.counts.assign(tf.zeros_like(self.counts))

    def get_config(self):
        latest = [n for n, k in zip(self.names, self.keep) if k == 0.0]
        return {"names": list(self.names), "latest": latest, "name": self.name}


def _multi_worker():
    strategy = tf.distribute.get_strategy()
    extended = strategy.extended
    return (
        isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        and getattr(extended, "_in_multi_worker_mode", lambda: False)()
    )


class GenerativeModel(keras.Model):
    """Base class of the kerasgen models: the contract every family follows.

    A subclass declares, as class attributes, what it can do
    (`capabilities`), what a training batch holds (`batch_structure`), its
    metric names (`metric_names`) and its optimizers by role
    (`optimizer_roles`: compile keyword -> the sub-networks it updates).
    It builds its sub-networks in `__init__` with `add_network` and
    implements `train_step` (with `minimize` for every update),
    `decode_latents` (for models that generate), `export_signatures` and
    `get_config` (its own hyperparameters). The base class supplies:

    - `compile()` with one optimizer per role, the paper's by default
      (`default_optimizer`), loss scaling under `mixed_float16`, and a
      compile-config round trip,
    - `minimize`: average over the global batch, scale, check for NaN/Inf,
      apply only when finite,
    - serialization of user-supplied sub-networks,

    - running means of the metrics named in `metric_names` (`self.tracker`),
    - a `keras.random.SeedGenerator` (`self.seed_generator`), so that
      `keras.utils.set_random_seed` makes a run repeatable,
    - `generate(n, seed=None)`, which samples latents and decodes them,
    - `export(path)`, a SavedModel whose signatures take latents,
    - a compile-config round trip, so a saved `.keras` model comes back
      compiled with every one of its optimizers,
    - `average_loss`, the per-example loss averaged over the global batch
      (correct under `tf.distribute`),
    - image checks at the boundary (shape, finiteness, value range).

    Args:
        image_shape: `(height, width, channels)` of the images.
        latent_dim: size of the latent code.
        seed: optional int seed of the model's random draws.
    """

    metric_names = ("loss",)
    latest_metric_names = ()  # metrics that report their latest value, not the epoch's mean
    capabilities = frozenset()  # a subset of CAPABILITIES
    batch_structure = IMAGES  # one of BATCH_STRUCTURES
    # compile keyword -> names of the sub-networks its optimizer updates
    # (None: every trainable variable). The order is `optimizer_variables()`'s.
    optimizer_roles = {"optimizer": None}
    # Steps of the run when `compile(total_steps=...)` set a decaying learning rate.
    total_steps = None
    # The role whose optimizer is `model.optimizer` (its step count is the model's).
    main_optimizer_role = "optimizer"

    def __init__(self, image_shape=(28, 28, 1), latent_dim=16, seed=None, **kwargs):
        super().__init__(**kwargs)
        image_shape = tuple(int(d) for d in image_shape)
        if len(image_shape) != 3 or min(image_shape) < 1:
            raise ValueError(f"image_shape must be (height, width, channels); got {image_shape}.")
        if int(latent_dim) < 1:
            raise ValueError(f"latent_dim must be a positive int; got {latent_dim}.")
        self.image_shape = image_shape
        self.latent_dim = int(latent_dim)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.tracker = RunningMeans(self.metric_names, latest=self.latest_metric_names)
        self._compile_args = None
        self._network_is_custom = {}

    # -- sub-networks ---------------------------------------------------------

    def add_network(self, name, given, build):
        """Sets the sub-network `name`: the user's own (a Keras model or its config) or `build()`.

        A user-supplied network is written into `get_config` (Keras layer
        serialization, so safe mode refuses Lambda code); a default one is
        rebuilt from the hyperparameters and written as None.
        """
        self._network_is_custom[name] = given is not None
        network = deserialize_network(given) if given is not None else build()
        setattr(self, name, network)
        return network

    def can(self, capability):
        """Whether the model has `capability` (one of `kerasgen.models.base.CAPABILITIES`)."""
        if capability not in CAPABILITIES:
            raise ValueError(f"Unknown capability {capability!r}; known: {CAPABILITIES}.")
        return capability in self.capabilities

    # -- metrics --------------------------------------------------------------

    @property
    def metrics(self):
        # Listing the tracker here lets Keras reset it at each epoch.
        return [self.tracker]

    def update_metrics(self, values):
        """Updates the running means from a dict name -> tensor; returns the results.

        A per-example vector is averaged by the tracker, so under a strategy
        the logged figure is the mean over the global batch.
        """
        self.tracker.update_state(values)
        results = self.tracker.result()
        if _multi_worker():
            # Keras 3 reduces a multi-worker step's logs with
            # strategy.reduce("MEAN", value, axis=0), which fails on scalars
            # (tensorflow/tensorflow#72388); a leading axis of one makes the
            # same reduction return the mean over workers as a scalar.
            results = {name: value[None] for name, value in results.items()}
        return results

    @staticmethod
    def average_loss(per_example_loss):
        """Mean over the global batch: correct on one device and on N replicas."""
        per_example_loss = tf.cast(per_example_loss, tf.float32)
        return tf.nn.compute_average_loss(per_example_loss)

    def check_finite(self, name, value):
        """An op that fails the step, naming the loss and the step, when `value` is NaN or Inf.

        Pass it to `apply_checked`, whose update waits for it, so a bad step
        changes no weight and the last good checkpoint stays good.
        """
        step = self.optimizer.iterations if getattr(self, "optimizer", None) is not None else -1
        ok = tf.reduce_all(tf.math.is_finite(value))
        return assert_that(ok, f"Training stopped: {name} is NaN or Inf at step", step, "value:", value)

    @staticmethod
    def apply_checked(optimizer, tape, scaled_loss, variables, check):
        """Applies the gradients of `scaled_loss` once `check` has passed; returns them.

        Only the update waits for the check, not the backward pass: making
        the gradients themselves wait cost ~5% of a DCGAN step on a CPU.
        """
        gradients = tape.gradient(scaled_loss, variables)
        with tf.control_dependencies([check]):
            optimizer.apply_gradients(zip(gradients, variables))
        return gradients

    def minimize(self, name, optimizer, tape, loss, variables):
        """One guarded optimizer step on `loss`, recorded on `tape`; returns the mean loss.

        tape -> average over the global batch -> loss scale -> NaN/Inf check ->
        apply only once the check has passed. Every training step of every
        model updates its weights through here.

        Args:
            name: the loss's name in the error a NaN or Inf raises.
            optimizer: the role's optimizer (`LossScaleOptimizer` under
                mixed_float16).
            tape: the `tf.GradientTape` that recorded `loss` (compute the
                loss inside its context); it is resumed to record the
                averaging and the scaling.
            loss: per-example losses `(batch,)`, averaged over the global
                batch here, or a scalar that is already that average.
            variables: the variables to update.
        """
        with tape:
            if loss.shape.rank != 0:
                loss = self.average_loss(loss)
            scaled = optimizer.scale_loss(loss)
        self.apply_checked(optimizer, tape, scaled, variables, self.check_finite(name, loss))
        return loss

    # -- randomness -----------------------------------------------------------

    def normal_noise(self, shape, distribution="normal"):
        """Noise of `shape` for this replica's part of a batch.

        The noise of the whole global batch is drawn from one seed and each
        replica takes its own rows, so N replicas draw exactly what one
        device draws for the same global batch (and never share noise).

        Args:
            shape: shape of this replica's noise, batch first.
            distribution: `"normal"` (N(0, 1)), `"uniform"` (U[-1, 1]) or
                `"unit_uniform"` (U[0, 1]).
        """
        seed = tf.cast(self.seed_generator.next(), tf.int32)

        def draw(full_shape):
            if distribution == "uniform":
                return tf.random.stateless_uniform(full_shape, seed=seed, minval=-1.0, maxval=1.0)
            if distribution == "unit_uniform":
                return tf.random.stateless_uniform(full_shape, seed=seed)
            return tf.random.stateless_normal(full_shape, seed=seed)

        return distribute.global_batch_draw(draw, shape)

    def seed_generators(self):
        """Every `keras.random.SeedGenerator` of the model and its layers (checkpoints keep their states)."""
        seen, found = set(), []
        for layer in self._flatten_layers(include_self=True):
            for generator in getattr(layer, "_seed_generators", []):
                if id(generator) not in seen:
                    seen.add(id(generator))
                    found.append(generator)
        return found

    def random_state(self):
        """The states of the model's random streams (`seed_generators()`), as arrays."""
        return [np.asarray(generator.state.numpy()) for generator in self.seed_generators()]

    def set_random_state(self, states):
        """Puts the model's random streams back to `states` (from `random_state()`)."""
        generators = self.seed_generators()
        if len(generators) != len(states):
            raise ValueError(f"Got {len(states)} random stream states; {type(self).__name__} has {len(generators)}.")
        for generator, state in zip(generators, states):
            generator.state.assign(np.asarray(state, dtype=generator.state.dtype))

    def reseed(self, seed):
        """Restarts every random stream of the model from `seed`, so what it draws next is repeatable."""
        for index, generator in enumerate(self.seed_generators()):
            generator.state.assign(np.asarray([int(seed) + index, 0], dtype=generator.state.dtype))

    # -- images ---------------------------------------------------------------

    def check_image_shape(self, images, name="images"):
        """Raises for a batch whose static shape is not `(n,) + image_shape`.

        Returns the run-time checks (a list of ops, empty when the static shape
        is complete) of the dimensions a graph leaves unknown: Keras retraces
        a step with relaxed shapes when later batches differ from the first.
        """
        expected = (None,) + self.image_shape
        problem = (
            f"{type(self).__name__} expects {name} of shape {expected} (image_shape={self.image_shape}); got shape"
        )
        hint = "kerasgen.data.dataset(source, model.image_shape) resizes and converts images."
        if images.shape.rank is not None:
            shape = tuple(images.shape)
            if len(shape) != 4 or any(a is not None and a != b for a, b in zip(shape[1:], self.image_shape)):
                raise ValueError(f"{problem} {shape}. {hint}")
            if None not in shape[1:]:
                return []
        actual = tf.shape(images)
        padded = tf.concat([actual, tf.zeros([4], actual.dtype)], axis=0)[1:4]
        right = tf.logical_and(
            tf.equal(tf.size(actual), 4), tf.reduce_all(tf.equal(padded, tf.constant(self.image_shape, actual.dtype)))
        )
        return [assert_that(right, problem, actual, hint)]

    def prepare_images(self, images, name="images"):
        """Validates a batch and returns it as float32 in [-1, 1].

        uint8 images are converted from 0..255; float images must already be
        in [-1, 1] (a batch in 0..255 or with NaN/Inf fails with a clear error).
        A float array given from Python with no negative value and a
        positive one is refused as ambiguous: [0, 1] images would otherwise
        be read as the bright half of [-1, 1].
        """
        if not tf.is_tensor(images):
            check_not_unit_range(images, name)
        images = tf.convert_to_tensor(images)
        with tf.control_dependencies(self.check_image_shape(images, name)):
            images = tf.identity(images)
        if images.dtype == tf.uint8:
            return tf.cast(images, tf.float32) / 127.5 - 1.0
        images = tf.cast(images, tf.float32)
        images = tf.debugging.assert_all_finite(images, f"{name} contain NaN or Inf values")
        largest = tf.reduce_max(tf.abs(images))
        in_range = assert_that(
            largest <= 1.0 + 1e-3,
            f"{name} must be in [-1, 1] (use kerasgen.data to convert uint8 or [0, 1] images); largest |value|:",
            largest,
        )
        with tf.control_dependencies([in_range]):
            return tf.identity(images)

    @staticmethod
    def unpack(data):
        """(images, labels or None) from what `fit` passes to `train_step`."""
        if isinstance(data, (tuple, list)):
            return data[0], (data[1] if len(data) > 1 else None)
        return data, None

    # -- sampling -------------------------------------------------------------

    def sample_latents(self, n, seed=None):
        """Latents from the model's prior (standard normal unless overridden)."""
        return keras.random.normal((n, self.latent_dim), seed=self.seed_generator if seed is None else seed)

    def decode_latents(self, latents, training=False):
        """Images in [-1, 1] for a batch of latents. Implemented by subclasses."""
        raise NotImplementedError(f"{type(self).__name__} does not decode latents.")

    def generate(self, n, seed=None, batch_size=256):
        """Draws `n` samples.

        Args:
            n: number of images.
            seed: int for a repeatable draw; None draws from the model's
                seed generator.
            batch_size: decoding batch size.

        Returns:
            float32 numpy array `(n, height, width, channels)` in [-1, 1].
        """
        if int(n) < 0:
            raise ValueError(f"generate needs a number of images n >= 0; got {n}.")
        latents = self.sample_latents(int(n), seed=seed)
        return self.decode_in_batches(latents, batch_size)

    def decode_in_batches(self, latents, batch_size=256):
        latents = tf.convert_to_tensor(latents, tf.float32)
        if int(latents.shape[0]) == 0:
            return np.zeros((0,) + self.image_shape, "float32")
        outs = [
            ops.convert_to_numpy(ops.cast(self.decode_latents(latents[i : i + batch_size]), "float32"))
            for i in range(0, int(latents.shape[0]), batch_size)
        ]
        return np.concatenate(outs, axis=0)

    def sample_figures(self, latents=None, images=None):
        """What a `SampleGrid` draws: name -> (images in [-1, 1], columns or None).

        The base draws `samples` decoded from `latents` (given when the model
        generates); families add figures of `images` (reconstructions,
        translations).
        """
        figures = {}
        if latents is not None:
            figures["samples"] = (self.decode_in_batches(latents), None)
        return figures

    def build_for_weights(self):
        """Creates every variable, so weights can be loaded into the model."""
        if not self.built:
            self(tf.zeros((1,) + self.image_shape))
            self.built = True
        return self

    def averaged_networks(self):
        """Pairs `(network, its moving average)` of the networks the model samples from through an EMA.

        None by default; a family with `ema_decay` lists its averages here,
        and `entry_model` ships them in place of the trained networks.
        """
        return []

    def update_ema(self):
        """average <- decay * average + (1 - decay) * weights for each pair of `averaged_networks`.

        Call after the generator step. Buffers (BatchNorm statistics) are
        copied. The warm-up (decay at most (1 + t) / (10 + t) after t
        generator steps) keeps short runs from sampling a network still half
        made of its random initial weights.
        """
        for network, average in self.averaged_networks():
            update_moving_average(average, network, self.ema_decay, step=self.generator_optimizer.iterations)

    def entry_model(self):
        """The model a zoo entry ships: an uncompiled copy holding the weights that sample.

        With moving averages (`averaged_networks`), the entry holds the
        averages in place of the trained networks and not both (its config
        has `ema_decay` None): fine-tuning from it starts from the averaged
        weights, as averaged checkpoints are usually published.
        """
        pairs = self.averaged_networks()
        config = self.get_config()
        if pairs:
            config = {**config, "ema_decay": None}
        twin = type(self).from_config(config)
        twin.build_for_weights()
        averaged = {id(v): a for network, average in pairs for v, a in zip(network.weights, average.weights)}
        shipped = {id(v) for _, average in pairs for v in average.weights}
        twin.set_weights(
            [keras.ops.convert_to_numpy(averaged.get(id(v), v)) for v in self.weights if id(v) not in shipped]
        )
        return twin

    # -- compile --------------------------------------------------------------

    def default_optimizer(self, role):
        """The paper's optimizer for `role` (Adam(1e-3) unless a family says otherwise)."""
        return keras.optimizers.Adam(self.decayed(1e-3))

    def decayed(self, learning_rate, total_steps=None):
        """`learning_rate`, or a `LinearDecay` from it when `compile` was given `total_steps`.

        `total_steps` here overrides the compiled one, for an optimizer that
        steps less often than `fit` does (StarGAN's generator).
        """
        if self.total_steps is None:
            return learning_rate
        return LinearDecay(learning_rate, max(int(total_steps or self.total_steps), 1))

    def fit(self, x=None, *args, **kwargs):
        """`keras.Model.fit`; numpy images are checked first, as `prepare_images` checks them (see there)."""
        first = x[0] if isinstance(x, (tuple, list)) and x else x
        if isinstance(first, np.ndarray):
            check_not_unit_range(first, "images")
        return super().fit(x, *args, **kwargs)

    def compile(self, total_steps=None, **kwargs):
        """Compiles with one optimizer per role of `optimizer_roles`.

        Each role's keyword (e.g. `generator_optimizer=`) takes an
        optimizer, its name or its config dict; a role left out gets
        `default_optimizer(role)`, the paper's. Under `mixed_float16` every
        optimizer is wrapped in a `LossScaleOptimizer`. Other keywords go to
        `keras.Model.compile` (e.g. `steps_per_execution`).

        `total_steps` (the run's `fit` steps, epochs x steps per epoch) puts
        the default optimizers on CycleGAN's schedule, `LinearDecay`: the
        paper's rate for the first half, then a linear decay to 0. None (the
        default) keeps the rate constant.
        """
        self.total_steps = None if total_steps is None else int(total_steps)
        scale = kwargs.get("auto_scale_loss", True)
        optimizers = {}
        for role in self.optimizer_roles:
            value = kwargs.pop(role, None)
            if value is None:
                optimizer = self.default_optimizer(role)
            else:
                # A config dict is copied: Keras edits the one it deserializes.
                optimizer = keras.optimizers.get(copy.deepcopy(value) if isinstance(value, dict) else value)
            optimizers[role] = self.loss_scaled(optimizer, scale)
        if len({id(o) for o in optimizers.values()}) < len(optimizers):
            raise ValueError(
                f"{type(self).__name__} needs {len(optimizers)} distinct optimizer instances "
                f"({', '.join(optimizers)}): their states differ."
            )
        for role, optimizer in optimizers.items():
            if role != "optimizer":
                setattr(self, role, optimizer)
        super().compile(optimizer=optimizers[self.main_optimizer_role], **kwargs)
        if "optimizer" in optimizers:
            optimizers["optimizer"] = self.optimizer
        # Optimizer slots exist from here on, in the caller's strategy scope:
        # an optimizer first built inside a replica's step fails under
        # MirroredStrategy, and a failed first trace (bad data, say) does not
        # leave `fit` unusable; a checkpoint can be restored before training.
        self.build_optimizers()
        self.set_compile_args(**optimizers)

    def set_compile_args(self, **args):
        """Records what `compile` was called with, for `get_compile_config`."""
        self._compile_args = args

    def add_compile_args(self, **args):
        """Adds a family's own compile arguments (loss weights, ...) to the recorded ones."""
        self._compile_args = {**(self._compile_args or {}), **args}

    def get_compile_config(self):
        if not self.compiled or self._compile_args is None:
            return {}
        return {name: keras.saving.serialize_keras_object(value) for name, value in self._compile_args.items()}

    def compile_from_config(self, config):
        kwargs = {name: keras.saving.deserialize_keras_object(value) for name, value in config.items()}
        self.compile(**kwargs)

    def loss_scaled(self, optimizer, auto_scale_loss=True):
        """`optimizer`, wrapped in a `keras.optimizers.LossScaleOptimizer` when needed.

        Under a float16 compute policy (`mixed_float16`) small gradients
        underflow, so every optimizer of the model scales its loss; Keras's
        `compile` wraps only `self.optimizer`, and the models with several
        optimizers call this for each. bfloat16 has float32's exponent range
        and needs no scaling: under `mixed_bfloat16` and `float32` the
        optimizer is returned unchanged, as is one that is already wrapped.

        With non-finite float16 gradients the wrapper skips the update and
        halves its scale; the loss itself is float32, so `check_finite`
        (which stops training on a NaN or Inf loss) does not fire on such a step.

        Args:
            optimizer: a `keras.optimizers.Optimizer`.
            auto_scale_loss: False leaves the optimizer unwrapped (the
                `keras.Model.compile` argument of the same name).
        """
        if (
            auto_scale_loss
            and optimizer is not None
            and self.dtype_policy.compute_dtype == "float16"
            and not isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
        ):
            return keras.optimizers.LossScaleOptimizer(optimizer)
        return optimizer

    def build_optimizers(self):
        """Creates the optimizers' variables (needed before a state restore)."""
        for optimizer, variables in self.optimizer_variables():
            if not optimizer.built:
                optimizer.build(variables)

    def optimizer_variables(self):
        """Pairs (optimizer, variables it updates), one per role of `optimizer_roles`."""
        pairs = []
        for role, networks in self.optimizer_roles.items():
            optimizer = self.optimizer if role == "optimizer" else getattr(self, role, None)
            if networks is None:
                variables = self.trainable_variables
            else:
                variables = [v for name in networks for v in getattr(self, name).trainable_variables]
            pairs.append((optimizer, variables))
        return pairs

    # -- export ---------------------------------------------------------------

    def export_signatures(self):
        """Dict name -> (fn, input_signature) of the SavedModel endpoints."""
        raise NotImplementedError

    def export(self, filepath, overwrite=False, verbose=True):
        """Writes a SavedModel with named serving signatures.

        Signatures take latents (never draw random numbers inside), so a
        served model is deterministic. Outputs are float32 whatever the
        training precision. The SavedModel is written to a temporary folder
        first; an existing export is replaced only when `overwrite=True` and
        the new one is complete.

        Args:
            filepath: target folder.
            overwrite: replace an existing folder.
            verbose: print the signatures.
        """
        filepath = os.path.abspath(os.fspath(filepath))
        if os.path.exists(filepath) and os.listdir(filepath) and not overwrite:
            raise FileExistsError(f"{filepath!r} exists and is not empty; pass overwrite=True to replace it.")
        self.build_for_weights()
        archive = keras.export.ExportArchive()
        archive.track(self)
        signatures = self.export_signatures()
        for name, (fn, input_signature) in signatures.items():
            archive.add_endpoint(name=name, fn=fn, input_signature=input_signature)
        with writing_folder(filepath, prefix=".export-") as tmp:
            archive.write_out(tmp, verbose=False)
        if verbose:
            print(f"Saved {type(self).__name__} to {filepath} with signatures: {', '.join(signatures)}")
        return filepath

    def latent_spec(self, name="latents"):
        return tf.TensorSpec((None, self.latent_dim), tf.float32, name=name)

    def image_spec(self, name="images"):
        return tf.TensorSpec((None,) + self.image_shape, tf.float32, name=name)

    # -- config ---------------------------------------------------------------

    def get_config(self):
        config = {
            "image_shape": list(self.image_shape),
            "latent_dim": self.latent_dim,
            "seed": self.seed,
            "name": self.name,
        }
        # User-supplied sub-networks are written out; default ones are rebuilt.
        for name, is_custom in self._network_is_custom.items():
            config[name] = serialize_network(getattr(self, name)) if is_custom else None
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        return {"image_shape": list(self.image_shape)}

    def build_from_config(self, config):
        self.build_for_weights()
