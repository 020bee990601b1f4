"""Progressive growing of GANs (Karras et al., ICLR 2018)."""

import math

import keras
import tensorflow as tf
from keras import ops

from kerasgen import distribute, losses
from kerasgen.models.base import GENERATE, GenerativeModel, update_moving_average
from kerasgen.models.progan.callbacks import _GrowthSchedule
from kerasgen.models.progan.networks import _Discriminator, _downscale, _Generator, _upscale, num_filters, schedule

# Paper, appendix A.1: minibatch 16 up to 128x128, then 14, 6 and 3.
PAPER_BATCH_SIZES = {4: 16, 8: 16, 16: 16, 32: 16, 64: 16, 128: 16, 256: 14, 512: 6, 1024: 3}
MIN_RESOLUTION, MAX_RESOLUTION = 8, 1024


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
    capabilities = frozenset({GENERATE})
    optimizer_roles = {"generator_optimizer": ("generator",), "discriminator_optimizer": ("discriminator",)}
    main_optimizer_role = "discriminator_optimizer"

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
        image_shape = kwargs.pop("image_shape", None)
        if image_shape is not None:
            # The shape other models take, e.g. from `zoo.load(..., image_shape=...)`
            # or `kerasgen train --image-shape`: square images give the resolution.
            height, width, channels = (int(d) for d in image_shape)
            if height != width:
                raise ValueError(f"ProGAN grows square images; got image_shape={tuple(image_shape)}.")
            resolution = height
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

        if kwargs.get("total_steps") is not None:
            raise ValueError(
                "ProGAN keeps the paper's constant learning rate: its optimizers restart at every growth, so a "
                "run-long schedule (total_steps) does not apply."
            )
        self.gp_weight = float(gp_weight)
        self.drift_weight = float(drift_weight)
        super().compile(
            generator_optimizer=generator_optimizer, discriminator_optimizer=discriminator_optimizer, **kwargs
        )
        self.add_compile_args(gp_weight=self.gp_weight, drift_weight=self.drift_weight)

    def default_optimizer(self, role):
        """The paper's Adam(1e-3, beta_1=0, beta_2=0.99, epsilon=1e-8) for G and D."""
        return keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8)

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
        return super().check_image_shape(images, name)

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
        self.minimize("d_loss", self.discriminator_optimizer, tape, d_per_example, d_vars)

        # Generator step, with fresh latents.
        latents = self.normal_noise((batch, self.latent_dim))
        g_vars = self.generator.stage_variables(stage)
        with tf.GradientTape() as tape:
            fake_scores = critic(self.generator(latents, stage=stage, alpha=alpha))
            g_per_example = losses.wasserstein_generator_loss(fake_scores, per_example=True)
        self.minimize("g_loss", self.generator_optimizer, tape, g_per_example, g_vars)
        update_moving_average(self.generator_ema, self.generator, self.ema_decay)
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
