"""Every model family resumes exactly from a kerasgen Checkpoint.

A run of 2 x 5 steps is interrupted after 7 steps (mid-epoch), rebuilt from
scratch, restored from the checkpoint and continued on the same seeded data
stream skipped by 7 batches; it must end with exactly the weights (and
optimizer, EMA, schedule and random-generator state) of the uninterrupted run.
"""

import numpy as np
import pytest
import tensorflow as tf

import kerasgen
from kerasgen.callbacks import Checkpoint
from kerasgen.models.base import DOMAIN_IMAGES, IMAGE_PAIRS, LABELED_IMAGES
from tests.cases import CASES

STEPS_PER_EPOCH, EPOCHS, STOP = 5, 2, 7


def _stream(model):
    """A seeded, repeated stream of 8-image batches in the model's batch structure."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (40,) + tuple(model.image_shape)).astype("uint8")
    if model.batch_structure == IMAGE_PAIRS:
        y = rng.integers(0, 256, (40,) + tuple(model.image_shape)).astype("uint8")
        return kerasgen.data.unpaired(x, y, model.image_shape, batch_size=8, seed=5).repeat()
    labels = None
    if model.batch_structure == LABELED_IMAGES:
        labels = rng.integers(0, model.num_classes, 40)
    elif model.batch_structure == DOMAIN_IMAGES:
        labels = rng.integers(0, model.label_sizes[0], 40).astype("int32")
    return kerasgen.data.dataset(x, model.image_shape, batch_size=8, labels=labels, repeat=True, seed=5)


def _build(name):
    tf.keras.utils.set_random_seed(0)
    model = CASES[name].build("resume")
    model.compile()
    return model


def _state(model):
    return [np.array(v) for v in model.variables] + [
        np.array(v) for optimizer, _ in model.optimizer_variables() for v in optimizer.variables
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_interrupted_run_resumes_exactly(name, tmp_path):
    full = _build(name)
    full.fit(_stream(full), epochs=EPOCHS, steps_per_epoch=STEPS_PER_EPOCH, verbose=0, shuffle=False)

    first = _build(name)
    ckpt = Checkpoint(str(tmp_path), every_steps=STOP)
    first.fit(_stream(first), epochs=1, steps_per_epoch=STEPS_PER_EPOCH, verbose=0, shuffle=False, callbacks=[ckpt])
    first.fit(
        _stream(first).skip(STEPS_PER_EPOCH),
        initial_epoch=1,
        epochs=2,
        steps_per_epoch=STOP - STEPS_PER_EPOCH,
        verbose=0,
        shuffle=False,
        callbacks=[ckpt.starting_at(STEPS_PER_EPOCH, 1)],
    )
    del first  # "killed" after step 7

    resumed = _build(name)
    step, _ = Checkpoint.restore(resumed, str(tmp_path))
    assert step == STOP
    resumed.fit(
        _stream(resumed).skip(step),
        initial_epoch=1,
        epochs=2,
        steps_per_epoch=EPOCHS * STEPS_PER_EPOCH - step,
        verbose=0,
        shuffle=False,
    )
    want, got = _state(full), _state(resumed)
    assert len(want) == len(got)
    for a, b in zip(want, got):
        np.testing.assert_array_equal(a, b)
