"""Progressive growing of GANs (Karras et al., ICLR 2018)."""

import math

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kerasgen import distribute, losses
from kerasgen.layers import (
    EqualizedConv2D,
    EqualizedDense,
    MinibatchStandardDeviation,
    PixelNormalization,
)
from kerasgen.models.base import GenerativeModel

# Paper, appendix A.1: minibatch 16 up to 128x128, then 14, 6 and 3.
PAPER_BATCH_SIZES = {4: 16, 8: 16, 16: 16, 32: 16, 64: 16, 128: 16, 256: 14, 512: 6, 1024: 3}
MIN_RESOLUTION, MAX_RESOLUTION = 8, 1024


def num_filters(k, fmap_base=8192, fmap_max=512):
    """The paper's filter rule nf(k) = min(fmap_base / 2^k, fmap_max).

    The block of resolution 2^r uses nf(r - 1) feature maps (512 up to
    64x64, then 256, 128, 64, 32, 16 at 1024x1024 with the defaults).
    """
    return int(max(1, min(fmap_base // (2**k), fmap_max)))


def schedule(images_seen, num_stages, fade_images, stabilize_images):
    """(stage, alpha) after `images_seen` real images (pure function).

    Stage 0 (4x4) is trained for `stabilize_images`; each later stage first
    fades in for `fade_images` (alpha rising linearly from 0 to 1), then is
    stabilized (alpha = 1) for `stabilize_images`. The last stage trains on
    at alpha = 1 forever.

    Example:
    >>> schedule(900, num_stages=3, fade_images=600, stabilize_images=600)
    (1, 0.5)
    """
    n = int(images_seen)
    if n < stabilize_images or num_stages == 1:
        return 0, 1.0
    period = fade_images + stabilize_images
    stage = 1 + (n - stabilize_images) // period
    if stage >= num_stages:
        return num_stages - 1, 1.0
    t = (n - stabilize_images) - (stage - 1) * period
    return int(stage), (min(1.0, t / fade_images) if fade_images > 0 else 1.0)


def _lrelu():
    return keras.layers.LeakyReLU(0.2)


def _upscale(x, factor=2):
    """Nearest-neighbour upsampling (the reference code's upscale2d)."""
    if factor == 1:
        return x
    return ops.repeat(ops.repeat(x, factor, axis=1), factor, axis=2)


def _downscale(x, factor=2):
    """Box-filter (average pooling) downsampling, as the reference code's downscale2d."""
    if factor == 1:
        return x
    return ops.average_pool(x, factor, factor, padding="valid")


class _Generator(keras.layers.Layer):
    """All generator blocks (4x4 up to the target resolution) and their toRGB layers.

    `call(latents, stage, alpha)` runs the blocks up to `stage` (a Python
    int; 0 is 4x4) and fades the new block's toRGB output in over the
    upsampled output of the previous stage.
    """

    def __init__(self, latent_dim, filters, channels, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.filters = list(filters)
        self.blocks = []
        self.to_rgb = []
        for stage, f in enumerate(self.filters):
            res = 4 * 2**stage
            if stage == 0:
                layers = [
                    keras.Input((latent_dim,)),
                    PixelNormalization(name="normalize_latents"),
                    # The paper's 4x4 convolution of a 1x1 latent is a dense
                    # layer; the reference code's gain is sqrt(2) / 4.
                    EqualizedDense(16 * f, gain=math.sqrt(2.0) / 4.0, name="dense"),
                    keras.layers.Reshape((4, 4, f)),
                    _lrelu(),
                    PixelNormalization(),
                    EqualizedConv2D(f, 3, name="conv"),
                    _lrelu(),
                    PixelNormalization(),
                ]
            else:
                layers = [
                    keras.Input((res // 2, res // 2, self.filters[stage - 1])),
                    keras.layers.UpSampling2D(2, interpolation="nearest"),
                    EqualizedConv2D(f, 3, name="conv0"),
                    _lrelu(),
                    PixelNormalization(),
                    EqualizedConv2D(f, 3, name="conv1"),
                    _lrelu(),
                    PixelNormalization(),
                ]
            self.blocks.append(keras.Sequential(layers, name=f"block_{res}x{res}"))
            rgb = keras.Sequential(
                [keras.Input((res, res, f)), EqualizedConv2D(channels, 1, gain=1.0, name="conv")],
                name=f"to_rgb_{res}x{res}",
            )
            self.to_rgb.append(rgb)
        self.built = True

    def features(self, latents, stage):
        """Feature maps of blocks `stage - 1` and `stage` (None for stage 0)."""
        h, previous = latents, None
        for block in self.blocks[: stage + 1]:
            previous, h = h, block(h)
        return (previous if stage > 0 else None), h

    def call(self, latents, stage=0, alpha=1.0):
        previous, h = self.features(latents, stage)
        new = ops.cast(self.to_rgb[stage](h), "float32")
        if stage == 0:
            return new
        old = _upscale(ops.cast(self.to_rgb[stage - 1](previous), "float32"))
        alpha = ops.cast(alpha, "float32")
        return alpha * new + (1.0 - alpha) * old

    def stage_variables(self, stage):
        """Trainable variables that the network at `stage` uses."""
        layers = self.blocks[: stage + 1] + [self.to_rgb[stage]] + ([self.to_rgb[stage - 1]] if stage else [])
        return [v for layer in layers for v in layer.trainable_variables]


class _Discriminator(keras.layers.Layer):
    """All discriminator blocks (target resolution down to 4x4) and their fromRGB layers."""

    def __init__(self, filters, channels, top_filters, group_size=4, **kwargs):
        super().__init__(**kwargs)
        self.filters = list(filters)
        self.blocks = []
        self.from_rgb = []
        for stage, f in enumerate(self.filters):
            res = 4 * 2**stage
            self.from_rgb.append(
                keras.Sequential(
                    [keras.Input((res, res, channels)), EqualizedConv2D(f, 1, name="conv"), _lrelu()],
                    name=f"from_rgb_{res}x{res}",
                )
            )
            if stage == 0:
                layers = [
                    keras.Input((4, 4, f)),
                    MinibatchStandardDeviation(group_size),
                    EqualizedConv2D(f, 3, name="conv"),
                    _lrelu(),
                    keras.layers.Flatten(),
                    # The paper's 4x4 "valid" convolution is a dense layer.
                    EqualizedDense(top_filters, name="dense0"),
                    _lrelu(),
                    EqualizedDense(1, gain=1.0, name="dense1"),
                ]
            else:
                layers = [
                    keras.Input((res, res, f)),
                    EqualizedConv2D(f, 3, name="conv0"),
                    _lrelu(),
                    EqualizedConv2D(self.filters[stage - 1], 3, name="conv1"),
                    _lrelu(),
                    keras.layers.AveragePooling2D(2),
                ]
            self.blocks.append(keras.Sequential(layers, name=f"block_{res}x{res}"))
        self.built = True

    def call(self, images, stage=0, alpha=1.0):
        h = self.from_rgb[stage](images)
        h = self.blocks[stage](h)
        if stage > 0:
            old = self.from_rgb[stage - 1](_downscale(images))
            alpha = ops.cast(alpha, h.dtype)
            h = alpha * h + (1.0 - alpha) * ops.cast(old, h.dtype)
            for block in reversed(self.blocks[:stage]):
                h = block(h)
        return ops.cast(h, "float32")

    def stage_variables(self, stage):
        layers = self.blocks[: stage + 1] + [self.from_rgb[stage]] + ([self.from_rgb[stage - 1]] if stage else [])
        return [v for layer in layers for v in layer.trainable_variables]


class _GrowthSchedule(keras.callbacks.Callback):
    """Grows a ProGAN inside `fit` when its images-seen counter crosses a stage.

    `ProGAN.fit` inserts it; before every batch it reads the counter that
    the train step advances and, at a new stage, resets the optimizers and
    retraces the train step. Checking before the batch (rather than only at
    the start of training) also picks up a state that `BackupAndRestore`
    restored after this callback's `on_train_begin`.
    """

    def on_train_begin(self, logs=None):
        self.model.sync_schedule()

    def on_train_batch_begin(self, batch, logs=None):
        self.model.sync_schedule()


@keras.saving.register_keras_serializable(package="kerasgen")
class ProGAN(GenerativeModel):
    """Progressive-growing GAN with WGAN-GP (Karras et al., 2018).

    Both networks are built for every resolution from 4x4 to `resolution`
    up front, so the set of variables never changes; which blocks are active
    is training state. Three non-trainable variables hold the schedule:
    `images_seen` (real images shown to D), `stage` (0 is 4x4, each next
    stage doubles the resolution) and `alpha` (the fade-in weight). The
    train step advances `images_seen` and recomputes `alpha`; a callback
    that `fit` adds by itself grows the networks when a stage ends: it
    resets both Adam optimizers (as the paper does) and retraces the step.
    Call `fit` once for the whole run; `save_weights` / `load_weights` (and
    `BackupAndRestore`) carry the schedule, the optimizer states, the EMA
    generator and the seed state, so a run resumes mid-fade-in exactly.

    Images are fed at the full `resolution`; the step downscales them by
    average pooling to the current stage's resolution and, during a fade-in,
    blends them with their 2x down-and-upscaled version by alpha (as the
    reference code does). At stage `s` each step uses the first
    `batch_sizes[4 * 2**s]` images of the dataset's batch (the paper's
    sizes by default: 16 up to 128x128, then 14, 6, 3); give the dataset a
    batch at least that large. `images_seen` counts the images used. Under
    a `tf.distribute` strategy these sizes are global: each of N replicas
    uses the first size / N images of its share, and `images_seen` counts
    the global batch once.

    Losses: D minimizes D(G(z)) - D(x) + 10 * GP + 0.001 * D(x)^2 (WGAN-GP
    plus the drift term), G minimizes -D(G(z)); one D step then one G step
    per batch, each with fresh latents. `loss` is d_loss + g_loss.
    `generate` and the SavedModel export use the EMA generator at the
    current stage and alpha, so their images are `4 * 2**stage` pixels wide.

    Args:
        resolution: target resolution, a power of two from 8 to 1024.
        channels: image channels.
        latent_dim: latent size (512 in the paper).
        fmap_base: numerator of the filter rule
            nf(k) = min(fmap_base / 2^k, fmap_max) (8192 in the paper).
        fmap_max: cap of the filter rule (512 in the paper).
        fade_images: real images over which alpha rises from 0 to 1 at each
            new stage (600k in the reference code).
        stabilize_images: real images of each stabilization phase, and of
            the initial 4x4 stage (600k).
        batch_sizes: dict resolution -> minibatch size; resolutions missing
            from it use the whole dataset batch. None gives the paper's sizes.
        ema_decay: decay of the generator's moving average (0.999).
        group_size: minibatch standard-deviation group size (4).
        seed: seed of the model's random draws.

    Example:
    >>> model = kerasgen.models.ProGAN(resolution=32, channels=1, latent_dim=64,
    ...                                fmap_base=256, fmap_max=64,
    ...                                fade_images=20000, stabilize_images=20000)
    >>> model.compile()
    >>> model.fit(kerasgen.data.dataset(images, model.image_shape, batch_size=16, repeat=True),
    ...           epochs=1, steps_per_epoch=10000)
    >>> samples = model.generate(16, seed=0)
    """

    metric_names = ("loss", "d_loss", "g_loss", "gradient_penalty", "drift", "resolution", "alpha")
    latest_metric_names = ("resolution", "alpha")  # the current value, not an epoch mean

    def __init__(
        self,
        resolution=32,
        channels=3,
        latent_dim=512,
        fmap_base=8192,
        fmap_max=512,
        fade_images=600_000,
        stabilize_images=600_000,
        batch_sizes=None,
        ema_decay=0.999,
        group_size=4,
        seed=None,
        **kwargs,
    ):
        kwargs.pop("image_shape", None)
        resolution = int(resolution)
        if resolution < MIN_RESOLUTION or resolution > MAX_RESOLUTION or resolution & (resolution - 1):
            raise ValueError(
                f"ProGAN resolution must be a power of two from {MIN_RESOLUTION} to {MAX_RESOLUTION} "
                f"(the networks grow from 4x4 by doubling); got {resolution}."
            )
        super().__init__(
            image_shape=(resolution, resolution, int(channels)), latent_dim=latent_dim, seed=seed, **kwargs
        )
        self.resolution = resolution
        self.channels = int(channels)
        self.fmap_base = int(fmap_base)
        self.fmap_max = int(fmap_max)
        self.fade_images = int(fade_images)
        self.stabilize_images = int(stabilize_images)
        if self.fade_images < 0 or self.stabilize_images < 1:
            raise ValueError(
                f"fade_images must be >= 0 and stabilize_images >= 1; got {fade_images}, {stabilize_images}."
            )
        if batch_sizes is None:
            batch_sizes = PAPER_BATCH_SIZES
        self.batch_sizes = {int(k): int(v) for k, v in dict(batch_sizes).items()}
        bad = {k: v for k, v in self.batch_sizes.items() if v < 1 or k < 4 or k & (k - 1)}
        if bad:
            raise ValueError(
                f"batch_sizes maps resolutions (powers of two from 4) to positive minibatch sizes; got {bad}."
            )
        self.ema_decay = float(ema_decay)
        self.group_size = int(group_size)
        self.num_stages = int(math.log2(resolution)) - 1
        filters = [num_filters(s + 1, self.fmap_base, self.fmap_max) for s in range(self.num_stages)]
        self.filters = filters
        top = num_filters(0, self.fmap_base, self.fmap_max)
        self.generator = _Generator(self.latent_dim, filters, self.channels, name="generator")
        self.generator_ema = _Generator(self.latent_dim, filters, self.channels, name="generator_ema")
        self.generator_ema.trainable = False
        for target, source in zip(self.generator_ema.variables, self.generator.variables):
            target.assign(source)
        self.discriminator = _Discriminator(filters, self.channels, top, self.group_size, name="discriminator")
        # Schedule state: saved with the weights, so a run resumes exactly.
        # Under a strategy every replica computes the same update of these
        # (from the global batch); the first replica's is kept.
        self.images_seen = keras.Variable(
            0, dtype="int64", trainable=False, name="images_seen", aggregation="only_first_replica"
        )
        self.stage = keras.Variable(0, dtype="int32", trainable=False, name="stage", aggregation="only_first_replica")
        self.alpha = keras.Variable(
            1.0, dtype="float32", trainable=False, name="alpha", aggregation="only_first_replica"
        )
        # Tracked as the model's own variable so that `save_weights` (and so
        # checkpoints) carry the random state and a resumed run draws the
        # same latents and interpolation weights as an uninterrupted one.
        self.seed_state = self.seed_generator.state
        self._train_stage = 0
        self._test_stage = 0
        self.gp_weight = 10.0
        self.drift_weight = 1e-3
        self.built = True

    # -- schedule -------------------------------------------------------------

    def stage_resolution(self, stage):
        return 4 * 2 ** int(stage)

    @property
    def current_resolution(self):
        return self.stage_resolution(int(self.stage.numpy()))

    def schedule_at(self, images_seen):
        """(stage, alpha) of the schedule after `images_seen` real images."""
        return schedule(images_seen, self.num_stages, self.fade_images, self.stabilize_images)

    def batch_size_at(self, stage):
        return self.batch_sizes.get(self.stage_resolution(stage))

    def sync_schedule(self):
        """Brings `stage` in line with `images_seen`; grows the networks if needed.

        Called by `fit` after every batch (and at the start of training, so
        a restored model resumes at its stage). Growing resets both
        optimizers' iteration counters and moments. Returns True when the
        train step was retraced.
        """
        stage, alpha = self.schedule_at(int(self.images_seen.numpy()))
        if stage != int(self.stage.numpy()):
            self.stage.assign(stage)
            self.alpha.assign(alpha)
            self.reset_optimizers()
        if stage != self._train_stage:
            self._train_stage = stage
            if self.train_function is not None:
                self.make_train_function(force=True)
            return True
        return False

    def grow(self, stage=None):
        """Jumps to the start of `stage` (default: the next one), resetting optimizers."""
        stage = int(self.stage.numpy()) + 1 if stage is None else int(stage)
        if not 0 <= stage < self.num_stages:
            raise ValueError(f"stage must be in [0, {self.num_stages - 1}]; got {stage}.")
        start = 0 if stage == 0 else self.stabilize_images + (stage - 1) * (self.fade_images + self.stabilize_images)
        self.images_seen.assign(start)
        self.sync_schedule()

    def reset_optimizers(self):
        """Zeroes the iteration counters and Adam moments (not the learning rates).

        A loss scaler (mixed_float16) keeps its scale: only the optimizer
        inside it is reset (a zero scale would zero every gradient).
        """
        for optimizer in (getattr(self, "generator_optimizer", None), getattr(self, "discriminator_optimizer", None)):
            if optimizer is None or not optimizer.built:
                continue
            optimizer = getattr(optimizer, "inner_optimizer", optimizer)
            for variable in optimizer.variables:
                if variable is optimizer._learning_rate or variable.path.endswith("learning_rate"):
                    continue
                variable.assign(ops.zeros(variable.shape, variable.dtype))

    def _alpha_in_graph(self, images_seen, stage):
        """alpha for the traced `stage` from the images-seen counter (1 outside its fade-in)."""
        if stage == 0 or self.fade_images == 0:
            return tf.constant(1.0, tf.float32)
        start = self.stabilize_images + (stage - 1) * (self.fade_images + self.stabilize_images)
        t = tf.cast(images_seen - start, tf.float32) / float(self.fade_images)
        return tf.clip_by_value(t, 0.0, 1.0)

    def real_images_at(self, images, stage, alpha):
        """Full-resolution real images downscaled to `stage`, blended while it fades in."""
        images = ops.cast(images, "float32")
        x = _downscale(images, 2 ** (self.num_stages - 1 - stage))
        if stage > 0:
            alpha = ops.cast(alpha, "float32")
            x = alpha * x + (1.0 - alpha) * _upscale(_downscale(x))
        return x

    # -- training -------------------------------------------------------------

    def compile(
        self, generator_optimizer=None, discriminator_optimizer=None, gp_weight=10.0, drift_weight=1e-3, **kwargs
    ):
        """Compiles with the paper's Adam(1e-3, beta_1=0, beta_2=0.99, epsilon=1e-8).

        Args:
            generator_optimizer: optimizer of G.
            discriminator_optimizer: optimizer of D.
            gp_weight: WGAN-GP lambda (10).
            drift_weight: epsilon of the drift term epsilon * E[D(x)^2] (0.001).
            **kwargs: passed to `keras.Model.compile`.
        """

        def adam():
            return keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8)

        generator_optimizer = keras.optimizers.get(generator_optimizer) if generator_optimizer else adam()
        discriminator_optimizer = keras.optimizers.get(discriminator_optimizer) if discriminator_optimizer else adam()
        # Loss scaling for each of the two under mixed_float16 (wrapped before
        # Keras's compile, which would wrap only `self.optimizer`).
        self.generator_optimizer = self.loss_scaled(generator_optimizer, kwargs.get("auto_scale_loss", True))
        self.discriminator_optimizer = self.loss_scaled(discriminator_optimizer, kwargs.get("auto_scale_loss", True))
        self.gp_weight = float(gp_weight)
        self.drift_weight = float(drift_weight)
        super().compile(optimizer=self.discriminator_optimizer, **kwargs)
        self.set_compile_args(
            generator_optimizer=self.generator_optimizer,
            discriminator_optimizer=self.discriminator_optimizer,
            gp_weight=self.gp_weight,
            drift_weight=self.drift_weight,
        )
        # Build both now: Keras would otherwise build `self.optimizer` on
        # every trainable variable (G's included) at the first fit.
        self.build_optimizers()

    def optimizer_variables(self):
        return [
            (self.generator_optimizer, self.generator.trainable_variables),
            (self.discriminator_optimizer, self.discriminator.trainable_variables),
        ]

    def fit(self, *args, callbacks=None, **kwargs):
        """`keras.Model.fit` with the growth schedule callback added first."""
        callbacks = list(callbacks or [])
        if not any(isinstance(c, _GrowthSchedule) for c in callbacks):
            callbacks.insert(0, _GrowthSchedule())
        return super().fit(*args, callbacks=callbacks, **kwargs)

    def evaluate(self, *args, **kwargs):
        """`keras.Model.evaluate` at the current stage (see `test_step`)."""
        stage = int(self.stage.numpy())
        if stage != self._test_stage:
            self._test_stage = stage
            self.test_function = None
        return super().evaluate(*args, **kwargs)

    def check_image_shape(self, images, name="images"):
        shape = tuple(images.shape)
        if len(shape) == 4 and shape[1] is not None and shape[2] is not None:
            if shape[1] < self.resolution or shape[2] < self.resolution:
                raise ValueError(
                    f"ProGAN(resolution={self.resolution}) needs {name} of {self.resolution}x{self.resolution}; "
                    f"got {shape[1]}x{shape[2]}, smaller than the target. Feed full-resolution images (the "
                    "model downscales them for the early stages): pad or resize them, e.g. with "
                    "kerasgen.data.dataset(source, model.image_shape)."
                )
        super().check_image_shape(images, name)

    def _ema_update(self):
        decay = self.ema_decay
        for target, source in zip(self.generator_ema.variables, self.generator.variables):
            target.assign(decay * target + (1.0 - decay) * ops.cast(source, target.dtype))

    def train_step(self, data):
        stage = self._train_stage
        images, _ = self.unpack(data)
        images = self.prepare_images(images)
        size = self.batch_size_at(stage)
        if size is not None:
            # `batch_sizes` are global minibatch sizes: each of N replicas
            # takes the first size / N images of its share of the batch.
            replicas = distribute.replicas_in_sync()
            if size % replicas:
                raise ValueError(
                    f"The minibatch size {size} of resolution {self.stage_resolution(stage)} is not divisible "
                    f"by the {replicas} replicas in sync; choose batch_sizes divisible by the replica count."
                )
            images = images[: size // replicas]
        batch = tf.shape(images)[0]
        # Images of the whole global batch, counted once by every replica.
        global_batch = distribute.global_batch_size(batch)
        alpha = self._alpha_in_graph(self.images_seen, stage)
        self.alpha.assign(alpha)
        real = self.real_images_at(images, stage, alpha)

        def critic(x):
            return self.discriminator(x, stage=stage, alpha=alpha)

        # Discriminator step.
        # Latents and interpolation weights are global-batch draws (each
        # replica keeps its rows): N replicas draw what one device draws.
        latents = self.normal_noise((batch, self.latent_dim))
        epsilon = self.normal_noise(tf.stack([batch, 1, 1, 1]), distribution="unit_uniform")
        d_vars = self.discriminator.stage_variables(stage)
        with tf.GradientTape() as tape:
            fake = self.generator(latents, stage=stage, alpha=alpha)
            real_scores = critic(real)
            fake_scores = critic(fake)
            wasserstein = losses.wasserstein_discriminator_loss(real_scores, fake_scores, per_example=True)
            penalty = losses.gradient_penalty(critic, real, fake, epsilon=epsilon, per_example=True)
            drift = tf.reduce_mean(tf.reshape(tf.square(real_scores), [batch, -1]), axis=1)
            d_per_example = wasserstein + self.gp_weight * penalty + self.drift_weight * drift
            d_loss = self.average_loss(d_per_example)
            scaled = self.discriminator_optimizer.scale_loss(d_loss)
        check = self.check_finite("d_loss", d_loss)
        self.apply_checked(self.discriminator_optimizer, tape, scaled, d_vars, check)

        # Generator step, with fresh latents.
        latents = self.normal_noise((batch, self.latent_dim))
        g_vars = self.generator.stage_variables(stage)
        with tf.GradientTape() as tape:
            fake_scores = critic(self.generator(latents, stage=stage, alpha=alpha))
            g_per_example = losses.wasserstein_generator_loss(fake_scores, per_example=True)
            g_loss = self.average_loss(g_per_example)
            scaled = self.generator_optimizer.scale_loss(g_loss)
        check = self.check_finite("g_loss", g_loss)
        self.apply_checked(self.generator_optimizer, tape, scaled, g_vars, check)
        self._ema_update()
        self.images_seen.assign_add(tf.cast(global_batch, "int64"))

        # Per-example values: the trackers average them over every replica's
        # examples (a replica's d_loss above is 1 / N of the global mean).
        return self.update_metrics(
            {
                "loss": d_per_example + g_per_example,
                "d_loss": d_per_example,
                "g_loss": g_per_example,
                "gradient_penalty": penalty,
                "drift": drift,
                "resolution": float(self.stage_resolution(stage)),
                "alpha": alpha,
            }
        )

    def test_step(self, data):
        """Critic estimate of the Wasserstein distance on held-out images (no update).

        `d_loss` is D(G(z)) - D(x) + drift_weight * D(x)^2 (the gradient
        penalty needs no held-out estimate and is left out), `g_loss` is
        -D(G(z)), at the current stage and alpha.
        """
        stage = self._test_stage
        images, _ = self.unpack(data)
        images = self.prepare_images(images)
        alpha = self.alpha
        real = self.real_images_at(images, stage, alpha)
        latents = keras.random.normal((tf.shape(real)[0], self.latent_dim), seed=self.seed_generator)
        real_scores = self.discriminator(real, stage=stage, alpha=alpha)
        fake_scores = self.discriminator(
            self.generator_ema(latents, stage=stage, alpha=alpha), stage=stage, alpha=alpha
        )
        drift = tf.reduce_mean(tf.square(real_scores), axis=1)
        d_loss = (
            losses.wasserstein_discriminator_loss(real_scores, fake_scores, per_example=True)
            + self.drift_weight * drift
        )
        g_loss = losses.wasserstein_generator_loss(fake_scores, per_example=True)
        return self.update_metrics(
            {
                "loss": d_loss + g_loss,
                "d_loss": d_loss,
                "g_loss": g_loss,
                "drift": drift,
                "resolution": float(self.stage_resolution(stage)),
                "alpha": alpha,
            }
        )

    # -- inference ------------------------------------------------------------

    def decode_latents(self, latents, training=False, stage=None):
        """EMA generator images at `stage` (default: the current one) and the current alpha.

        The paper's generator has a linear output; images are clipped to
        [-1, 1] here (and in the export), as the reference code does when it
        writes images. Training uses the unclipped output.
        """
        stage = int(self.stage.numpy()) if stage is None else int(stage)
        images = self.generator_ema(ops.convert_to_tensor(latents, "float32"), stage=stage, alpha=self.alpha)
        return ops.clip(images, -1.0, 1.0)

    def sample_latents(self, n, seed=None):
        return keras.random.normal((n, self.latent_dim), seed=self.seed_generator if seed is None else int(seed))

    def call(self, latents, training=False):
        return self.decode_latents(latents, training)

    def build_for_weights(self):
        return self

    def export_signatures(self):
        stage = int(self.stage.numpy())

        def generate(latents):
            images = self.generator_ema(latents, stage=stage, alpha=self.alpha)
            return {"images": ops.clip(ops.cast(images, "float32"), -1.0, 1.0)}

        return {"serving_default": (generate, [self.latent_spec()]), "generate": (generate, [self.latent_spec()])}

    def get_config(self):
        config = super().get_config()
        config.pop("image_shape")
        config.update(
            resolution=self.resolution,
            channels=self.channels,
            fmap_base=self.fmap_base,
            fmap_max=self.fmap_max,
            fade_images=self.fade_images,
            stabilize_images=self.stabilize_images,
            batch_sizes={str(k): v for k, v in sorted(self.batch_sizes.items())},
            ema_decay=self.ema_decay,
            group_size=self.group_size,
        )
        return config

    def get_build_config(self):
        return {}

    def build_from_config(self, config):
        return None


class _StageGrid(keras.callbacks.Callback):
    def __init__(self, path, num_samples, seed):
        super().__init__()
        self.path = path
        self.num_samples = int(num_samples)
        self.seed = int(seed)
        self.rows = {}

    def _snapshot(self, stage, alpha):
        latents = self.model.sample_latents(self.num_samples, seed=self.seed)
        images = ops.convert_to_numpy(self.model.generator_ema(latents, stage=stage, alpha=alpha))
        factor = self.model.resolution // images.shape[1]
        self.rows[stage] = np.repeat(np.repeat(images, factor, axis=1), factor, axis=2)

    def on_train_begin(self, logs=None):
        self.stage = int(self.model.stage.numpy())

    def on_train_batch_begin(self, batch, logs=None):
        # Runs after the growth callback (which `fit` puts first).
        stage = int(self.model.stage.numpy())
        if stage != self.stage:
            # The networks just grew: G's weights are those at the end of the old stage.
            self._snapshot(self.stage, 1.0)
            self.stage = stage

    def on_train_end(self, logs=None):
        from kerasgen.callbacks import save_image_grid

        self._snapshot(self.stage, self.model.alpha)
        images = np.concatenate([self.rows[s] for s in sorted(self.rows)], axis=0)
        save_image_grid(images, self.path, columns=self.num_samples)


def stage_grid_callback(path, num_samples=10, seed=0):
    """A callback writing one PNG row of EMA-generator samples per resolution stage.

    Each row is taken when its stage ends (the last one when training
    ends) from the same latents, and upscaled (nearest) to the target
    resolution, so the rows show what every stage of a run produced.

    Example:
    >>> model.fit(ds, epochs=7, callbacks=[stage_grid_callback("docs/images/progan_stages.png")])
    """
    return _StageGrid(path, num_samples, seed)
