"""ProGAN's callbacks: growing inside `fit`, and one row of samples per resolution stage."""

import keras
import numpy as np
from keras import ops

from kerasgen.images import save_image_grid


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
