"""A learning-rate schedule: constant, then linear decay to zero (CycleGAN, StarGAN)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasgen")
class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Constant learning rate, then a linear decay that reaches 0 at `total_steps`.

    CycleGAN trains 100 epochs at the initial rate and decays it linearly
    to zero over the next 100 (`decay_start = total_steps // 2`, the
    default). The rate is a function of the optimizer's step counter
    (`optimizer.iterations`), which checkpoints save, so a resumed run
    continues on the same curve. The reference code changes the rate once
    per epoch; here it changes every step (the same line, sampled finer).

    lr(step) = initial_learning_rate                              if step < decay_start
             = initial_learning_rate * (total_steps - step) / (total_steps - decay_start)
             = 0                                                  if step >= total_steps

    Args:
        initial_learning_rate: the constant rate (2e-4 in CycleGAN).
        total_steps: steps of the whole run (epochs * steps per epoch).
        decay_start: step where the decay begins; default half of
            `total_steps`.

    Example:

    ```python
    schedule = LinearDecay(2e-4, total_steps=200 * steps_per_epoch)
    optimizer = keras.optimizers.Adam(schedule, beta_1=0.5)
    ```
    """

    def __init__(self, initial_learning_rate, total_steps, decay_start=None):
        self.initial_learning_rate = float(initial_learning_rate)
        self.total_steps = int(total_steps)
        if self.total_steps < 1:
            raise ValueError(f"total_steps must be a positive int; got {total_steps}.")
        self.decay_start = self.total_steps // 2 if decay_start is None else int(decay_start)
        if not 0 <= self.decay_start < self.total_steps:
            raise ValueError(
                f"decay_start must be in [0, total_steps); got {decay_start} with total_steps={total_steps}."
            )

    def __call__(self, step):
        step = ops.cast(step, "float32")
        span = float(self.total_steps - self.decay_start)
        fraction = ops.clip((self.total_steps - step) / span, 0.0, 1.0)
        return self.initial_learning_rate * fraction

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "total_steps": self.total_steps,
            "decay_start": self.decay_start,
        }
