"""Callbacks for kerasgen models: sample grids, KL warm-up, exact-resume checkpoints, latent scatter plots."""

import json
import os

import keras
import numpy as np

from kerasgen.distribute import is_chief
from kerasgen.images import image_grid, save_image_grid, save_pil_image  # noqa: F401 - public here too
from kerasgen.models.base import GENERATE


class SampleGrid(keras.callbacks.Callback):
    """Writes a PNG grid of samples every `every` epochs.

    The model says what is drawn (`GenerativeModel.sample_figures`):
    samples for a model that generates, from latents drawn with the fixed
    `seed` for every grid, so that grids from different epochs are directly
    comparable (with a fixed prior they are the same latents every time; a
    learned prior, such as the VAE's `"learned_mixture"`, is sampled as it
    is at that epoch, so a resumed run draws what an uninterrupted one
    does); and, when `images` is given, those images above their
    reconstructions (autoencoders, VAE, AAE) or their translations
    (CycleGAN). A model that cannot generate (the plain autoencoder) writes
    only the second.

    Args:
        directory: folder for `samples_epoch_XXXX.png`,
            `reconstructions_epoch_XXXX.png` or `translations_epoch_XXXX.png`.
        num_samples: images per grid.
        every: write every this many epochs (and always after the last).
        seed: seed of the latents of every grid.
        images: optional real images in [-1, 1] to reconstruct.
        tensorboard_dir: optional log folder; the grids are also written as
            TensorBoard image summaries.

    Example:
    >>> model.fit(ds, epochs=10, callbacks=[kerasgen.callbacks.SampleGrid("runs/vae/samples")])
    """

    def __init__(self, directory, num_samples=64, every=1, seed=0, images=None, tensorboard_dir=None):
        super().__init__()
        self.directory = directory
        self.num_samples = int(num_samples)
        self.every = max(1, int(every))
        self.seed = int(seed)
        self.images = None if images is None else np.asarray(images, dtype="float32")[: self.num_samples]
        self.tensorboard_dir = tensorboard_dir
        if tensorboard_dir:
            try:
                import tensorboard  # noqa: F401
            except ImportError as e:
                raise ImportError(
                    "SampleGrid(tensorboard_dir=...) writes TensorBoard summaries, which need the "
                    "tensorboard package: pip install 'kerasgen[tensorboard]'."
                ) from e
        self.latents = None
        self.written = []
        self._writer = None

    def on_train_begin(self, logs=None):
        if self.tensorboard_dir and is_chief():
            import tensorflow as tf

            self._writer = tf.summary.create_file_writer(self.tensorboard_dir)

    def on_epoch_end(self, epoch, logs=None):
        last = self.params and epoch + 1 == self.params.get("epochs")
        if (epoch + 1) % self.every and not last:
            return
        self.write(epoch + 1)

    def write(self, epoch):
        """Writes the grids for `epoch`; returns their paths (none off the chief)."""
        if not is_chief():
            return []
        paths = []
        # The model says what it draws: samples, reconstructions, translations.
        # A tensor: the model takes it as [-1, 1] as it is (the check for
        # ambiguous [0, 1] arrays is for arrays a user hands over).
        import tensorflow as tf

        real = None if self.images is None else tf.constant(self.images)
        if self.model.can(GENERATE):
            self.latents = self.model.sample_latents(self.num_samples, seed=self.seed)
        for name, (images, columns) in self.model.sample_figures(self.latents, real).items():
            path = os.path.join(self.directory, f"{name}_epoch_{epoch:04d}.png")
            paths.append(save_image_grid(images, path, columns))
            self._summary(name, images, epoch)
        self.written.extend(paths)
        return paths

    def _summary(self, name, images, step):
        if self._writer is None:
            return
        import tensorflow as tf

        with self._writer.as_default():
            tf.summary.image(name, (np.asarray(images) + 1.0) / 2.0, step=step, max_outputs=16)
        self._writer.flush()


class KLWarmup(keras.callbacks.Callback):
    """Ramps the VAE's KL weight linearly from 0 to `model.beta`.

    The weight depends only on the optimizer's step counter, which
    checkpoints keep, so a resumed run continues the ramp exactly.

    Args:
        warmup_steps: steps over which the weight rises to `beta`.

    Example:
    >>> model.fit(ds, epochs=10, callbacks=[kerasgen.callbacks.KLWarmup(1000)])
    """

    def __init__(self, warmup_steps):
        super().__init__()
        if int(warmup_steps) < 1:
            raise ValueError(f"warmup_steps must be >= 1; got {warmup_steps}.")
        self.warmup_steps = int(warmup_steps)

    def weight_at(self, step):
        return self.model.beta * min(1.0, float(step) / self.warmup_steps)

    def on_train_batch_begin(self, batch, logs=None):
        step = int(self.model.optimizer.iterations.numpy())
        self.model.kl_weight.assign(self.weight_at(step))

    def on_train_end(self, logs=None):
        step = int(self.model.optimizer.iterations.numpy())
        self.model.kl_weight.assign(self.weight_at(step))


class Checkpoint(keras.callbacks.Callback):
    """Saves the whole training state, so an interrupted run resumes exactly.

    Keras's `BackupAndRestore` keeps the weights, one optimizer and the epoch.
    This checkpoint also keeps every optimizer of a multi-optimizer model, the
    model's own state variables (KL weight, EMA weights, image pools, growth
    schedule), the state of every random seed generator, and the number of
    steps taken, so that a run resumed with `restore` and a data stream
    skipped by that many batches ends with the same weights as an
    uninterrupted one.

    A checkpoint is written to a temporary folder and renamed to `current/`
    only when complete; the one before it is kept as `previous/`. A step whose logged
    losses are NaN or Inf is never written. In a multi-worker cluster every
    worker saves (the collective ops need all of them) but only the chief
    keeps its files in `directory`; the others write to a scratch folder.

    Args:
        directory: checkpoint folder.
        every_steps: also save every this many steps (None: epoch ends only).

    Example:
    >>> ckpt = kerasgen.callbacks.Checkpoint("runs/vae/state", every_steps=100)
    >>> step = kerasgen.callbacks.Checkpoint.restore(model, "runs/vae/state")
    >>> model.fit(ds.skip(step), ..., callbacks=[ckpt.starting_at(step)])
    """

    STATE = "state.json"
    WEIGHTS = "state.weights.h5"

    def __init__(self, directory, every_steps=None):
        super().__init__()
        self.directory = os.path.abspath(directory)
        self.every_steps = None if not every_steps else int(every_steps)
        self.step = 0
        self.epoch = 0

    def starting_at(self, step, epoch=0):
        """Continues the step count of a restored run; returns self."""
        self.step, self.epoch = int(step), int(epoch)
        return self

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        last_of_epoch = self.params and batch + 1 == self.params.get("steps")
        # The last step of an epoch is saved by on_epoch_end, after validation
        # (which draws random numbers too), so a resume there repeats nothing.
        if self.every_steps and self.step % self.every_steps == 0 and not last_of_epoch:
            self.save(logs)

    def on_epoch_end(self, epoch, logs=None):
        self.epoch = epoch + 1
        self.save(logs)

    def save(self, logs=None):
        """Writes the state now; returns False (writing nothing) on a non-finite loss."""
        bad = {k: v for k, v in (logs or {}).items() if _is_number(v) and not np.isfinite(float(v))}
        if bad:
            import warnings

            warnings.warn(
                f"Not checkpointing step {self.step}: non-finite {sorted(bad)}; the last good checkpoint is kept.",
                stacklevel=2,
            )
            return False
        import shutil
        import tempfile

        root = self.directory if is_chief() else os.path.join(self.directory, ".worker-scratch")
        os.makedirs(root, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".writing-", dir=root)
        try:
            self.model.save_weights(os.path.join(tmp, self.WEIGHTS))
            state = {
                "step": self.step,
                "epoch": self.epoch,
                # Loss scalers (mixed_float16) add optimizer state: a resume must match.
                "dtype_policy": self.model.dtype_policy.name,
                "loss_scaling": _loss_scaling(self.model),
                "seed_generators": [state.tolist() for state in self.model.random_state()],
            }
            with open(os.path.join(tmp, self.STATE), "w") as f:
                json.dump(state, f)
            current, previous = os.path.join(root, "current"), os.path.join(root, "previous")
            if os.path.isdir(current):
                if os.path.isdir(previous):
                    shutil.rmtree(previous)
                os.rename(current, previous)
            os.rename(tmp, current)
        finally:
            if os.path.isdir(tmp):
                shutil.rmtree(tmp)
        return True

    @classmethod
    def restore(cls, model, directory):
        """Loads the newest readable checkpoint into `model` (compiled).

        Falls back to `previous/` when the newest is unreadable.

        Returns:
            `(step, epoch)` of the restored state.
        """
        directory = os.path.abspath(directory)
        if not model.compiled:
            raise ValueError("Compile the model before restoring a checkpoint: its optimizers' state is restored too.")
        errors = []
        for folder in (os.path.join(directory, "current"), os.path.join(directory, "previous")):
            if not os.path.isfile(os.path.join(folder, cls.STATE)):
                continue
            try:
                with open(os.path.join(folder, cls.STATE)) as f:
                    state = json.load(f)
            except Exception as e:  # a torn or corrupted file: try the previous one
                errors.append(f"{folder}: {e}")
                continue
            if state.get("loss_scaling", _loss_scaling(model)) != _loss_scaling(model):
                saved_policy = state.get("dtype_policy")
                raise ValueError(
                    f"Checkpoint {folder} was written by a {saved_policy} model "
                    f"({'with' if state['loss_scaling'] else 'without'} loss scaling); this model is "
                    f"{model.dtype_policy.name} ({'with' if _loss_scaling(model) else 'without'}). Build it "
                    f"under the policy of the run (keras.config.set_dtype_policy({saved_policy!r}), or "
                    f"`kerasgen train --precision {saved_policy}`) to resume."
                )
            try:
                model.build_for_weights()
                model.build_optimizers()
                model.load_weights(os.path.join(folder, cls.WEIGHTS))
            except Exception as e:  # a torn or corrupted file: try the previous one
                errors.append(f"{folder}: {e}")
                continue
            try:
                model.set_random_state(state["seed_generators"])
            except ValueError as e:
                raise ValueError(f"Checkpoint {folder}: {e}") from e
            return int(state["step"]), int(state["epoch"])
        raise FileNotFoundError(
            f"No readable checkpoint in {directory}" + (": " + "; ".join(errors) if errors else ".")
        )


def _loss_scaling(model):
    """Whether the model's optimizers are loss scalers (mixed_float16)."""
    return any(isinstance(o, keras.optimizers.LossScaleOptimizer) for o, _ in model.optimizer_variables())


def _is_number(value):
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


class TrainingHealthMonitor(keras.callbacks.Callback):
    """Warns when adversarial training goes wrong, with the figures.

    Two failure modes are watched:

    - a saturated discriminator: its loss (`logs["d_loss"]`) stays below
      `d_loss_floor` for `patience` consecutive steps, so the generator gets
      almost no gradient;
    - mode collapse: every `check_every` steps, a fixed batch of latents is
      decoded and the mean pairwise L2 distance between the samples, divided
      by the same figure at the start of training, falls below
      `min_diversity_ratio`.

    Warnings go through `warnings.warn` and are kept in `self.alerts`.

    Args:
        d_loss_floor: discriminator loss regarded as saturated.
        patience: consecutive saturated steps before warning.
        check_every: steps between diversity checks.
        num_samples: samples in the fixed batch.
        min_diversity_ratio: diversity relative to the start that counts as
            collapse.
        seed: seed of the fixed latent batch.

    Example:
    >>> model.fit(ds, epochs=5, callbacks=[kerasgen.callbacks.TrainingHealthMonitor()])
    """

    def __init__(
        self, d_loss_floor=0.01, patience=200, check_every=200, num_samples=64, min_diversity_ratio=0.2, seed=0
    ):
        super().__init__()
        self.d_loss_floor = float(d_loss_floor)
        self.patience = int(patience)
        self.check_every = int(check_every)
        self.num_samples = int(num_samples)
        self.min_diversity_ratio = float(min_diversity_ratio)
        self.seed = int(seed)
        self.alerts = []
        self._saturated_steps = 0
        self._step = 0
        self._latents = None
        self.initial_diversity = None

    @staticmethod
    def diversity(samples):
        """Mean pairwise L2 distance between samples."""
        flat = np.asarray(samples, dtype="float64").reshape(len(samples), -1)
        sq = np.sum(flat**2, axis=1)
        d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * flat @ flat.T, 0.0)
        n = len(flat)
        return float(np.sum(np.sqrt(d2)) / (n * (n - 1)))

    def on_train_begin(self, logs=None):
        if self.model.can(GENERATE):
            self._latents = self.model.sample_latents(self.num_samples, seed=self.seed)
        else:
            self._latents = None
        if self._latents is not None and self.initial_diversity is None:
            self.initial_diversity = self.diversity(self.model.decode_in_batches(self._latents))

    def _alert(self, message):
        import warnings

        self.alerts.append(message)
        warnings.warn(message, RuntimeWarning, stacklevel=2)

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        d_loss = (logs or {}).get("d_loss")
        if d_loss is not None:
            if float(d_loss) < self.d_loss_floor:
                self._saturated_steps += 1
                if self._saturated_steps == self.patience:
                    self._alert(
                        f"Discriminator saturated: d_loss {float(d_loss):.2e} < {self.d_loss_floor:g} "
                        f"for {self.patience} consecutive steps (step {self._step}); the generator "
                        "gets almost no gradient. Lower the discriminator's learning rate, add "
                        "noise or a gradient penalty."
                    )
            else:
                self._saturated_steps = 0
        if self._latents is not None and self.initial_diversity and self._step % self.check_every == 0:
            current = self.diversity(self.model.decode_in_batches(self._latents))
            ratio = current / self.initial_diversity
            if ratio < self.min_diversity_ratio:
                self._alert(
                    f"Possible mode collapse at step {self._step}: sample diversity {current:.4f} is "
                    f"{ratio:.1%} of its initial {self.initial_diversity:.4f} (threshold "
                    f"{self.min_diversity_ratio:.0%})."
                )


# Ten distinct colours (one per digit class), then grey for unlabelled codes.
_LABEL_COLOURS = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
)


def latent_scatter_image(codes, labels=None, prior_samples=None, size=512, extent=None, point_radius=2):
    """Draws 2-D codes, coloured by label, over prior samples (light grey).

    Drawn with Pillow: no plotting library is needed.

    Args:
        codes: array `(n, 2)`.
        labels: optional int array `(n,)`; classes beyond ten reuse colours.
        prior_samples: optional array `(m, 2)` drawn first, in light grey.
        size: width and height of the image in pixels.
        extent: half-width of the square shown around the origin; by default
            it covers every point, with a margin.
        point_radius: radius of each dot in pixels.

    Returns:
        `PIL.Image.Image` (RGB).
    """
    from PIL import Image, ImageDraw

    codes = np.asarray(codes, dtype="float64")
    if codes.ndim != 2 or codes.shape[1] != 2:
        raise ValueError(f"LatentScatter draws 2-D codes; got codes of shape {codes.shape}.")
    points = [codes] + ([np.asarray(prior_samples, "float64")] if prior_samples is not None else [])
    if extent is None:
        finite = np.concatenate(points)
        finite = finite[np.all(np.isfinite(finite), axis=1)]
        extent = 1.05 * float(np.max(np.abs(finite))) if len(finite) else 1.0
    extent = max(float(extent), 1e-6)
    image = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(image)

    def to_pixels(p):
        return (p + extent) / (2 * extent) * (size - 1) * np.array([1.0, -1.0]) + np.array([0.0, size - 1])

    # Axes through the origin.
    centre = to_pixels(np.zeros(2))
    draw.line([(0, centre[1]), (size, centre[1])], fill=(220, 220, 220))
    draw.line([(centre[0], 0), (centre[0], size)], fill=(220, 220, 220))
    r = point_radius
    if prior_samples is not None:
        for px, py in to_pixels(np.asarray(prior_samples, "float64")):
            draw.ellipse([px - r, py - r, px + r, py + r], fill=(200, 200, 200))
    pixels = to_pixels(codes)
    for i, (px, py) in enumerate(pixels):
        colour = (0, 0, 0) if labels is None else _LABEL_COLOURS[int(labels[i]) % len(_LABEL_COLOURS)]
        draw.ellipse([px - r, py - r, px + r, py + r], fill=colour)
    if labels is not None:
        for k in range(min(len(_LABEL_COLOURS), int(np.max(labels)) + 1)):
            draw.rectangle([6, 6 + 14 * k, 16, 16 + 14 * k], fill=_LABEL_COLOURS[k])
            draw.text((20, 5 + 14 * k), str(k), fill=(0, 0, 0))
    return image


class LatentScatter(keras.callbacks.Callback):
    """Writes a PNG of 2-D codes coloured by label over samples of the prior.

    For an adversarial autoencoder (or any model with `encode` and, for the
    grey background, `sample_latents`) with a 2-D code: the codes of fixed
    images are drawn in colour by class over as many prior samples, so one can
    see whether the aggregated posterior covers the prior.

    Args:
        directory: folder for `latent_epoch_XXXX.png`.
        images: images in [-1, 1] (or uint8) to encode.
        labels: their int labels (colours), or None.
        every: write every this many epochs (and always after the last).
        seed: seed of the prior samples.
        size: image size in pixels.
        extent: half-width of the square shown (default: fit the points).

    Example:
    >>> model.fit(ds, epochs=10, callbacks=[kerasgen.callbacks.LatentScatter("runs/aae", x_test, y_test)])
    """

    def __init__(self, directory, images, labels=None, every=1, seed=0, size=512, extent=None):
        super().__init__()
        self.directory = directory
        self.images = np.asarray(images)
        self.labels = None if labels is None else np.asarray(labels).astype("int64")
        self.every = max(1, int(every))
        self.seed = int(seed)
        self.size = int(size)
        self.extent = extent
        self.written = []

    def on_epoch_end(self, epoch, logs=None):
        last = self.params and epoch + 1 == self.params.get("epochs")
        if (epoch + 1) % self.every and not last:
            return
        self.write(os.path.join(self.directory, f"latent_epoch_{epoch + 1:04d}.png"))

    def write(self, path, model=None):
        """Draws the scatter of `model` (default: the model being trained) to `path`."""
        if not is_chief():
            return None
        model = model or self.model
        codes = np.asarray(model.encode(self.images), "float32")
        if codes.ndim != 2 or codes.shape[1] != 2:
            raise ValueError(f"LatentScatter needs a 2-D latent space; the codes have shape {codes.shape}.")
        prior = np.asarray(model.sample_latents(len(codes), seed=self.seed), "float32") if model.can(GENERATE) else None
        image = latent_scatter_image(codes, self.labels, prior, size=self.size, extent=self.extent)
        save_pil_image(image, path)
        self.written.append(path)
        return path
