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

CASES = {
    "Autoencoder": dict(image_shape=(8, 8, 1), latent_dim=3, filters=(4, 8), seed=1),
    "VAE": dict(image_shape=(8, 8, 1), latent_dim=3, filters=(4, 8), seed=1),
    "AAE": dict(image_shape=(8, 8, 1), latent_dim=2, filters=(4, 8), discriminator_units=(16, 16), seed=1),
    "GAN": dict(image_shape=(8, 8, 1), latent_dim=4, generator_units=(16,), discriminator_units=(16,), seed=1),
    "DCGAN": dict(image_shape=(16, 16, 1), latent_dim=5, generator_filters=4, discriminator_filters=4, seed=2),
    "ConditionalDCGAN": dict(
        image_shape=(16, 16, 1),
        num_classes=3,
        latent_dim=5,
        embedding_dim=4,
        generator_filters=4,
        discriminator_filters=4,
        seed=3,
    ),
    "ProGAN": dict(
        resolution=16,
        channels=1,
        latent_dim=8,
        fmap_base=32,
        fmap_max=16,
        fade_images=16,
        stabilize_images=16,
        batch_sizes={4: 8, 8: 8, 16: 8},
        seed=0,
    ),
}
STEPS_PER_EPOCH, EPOCHS, STOP = 5, 2, 7


def _stream(model, labelled):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (40,) + tuple(model.image_shape)).astype("uint8")
    labels = rng.integers(0, 3, 40) if labelled else None
    return kerasgen.data.dataset(x, model.image_shape, batch_size=8, labels=labels, repeat=True, seed=5)


def _build(name):
    tf.keras.utils.set_random_seed(0)
    model = getattr(kerasgen.models, name)(**CASES[name])
    model.compile()
    return model


def _state(model):
    return [np.array(v) for v in model.variables] + [
        np.array(v) for optimizer, _ in model.optimizer_variables() for v in optimizer.variables
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_interrupted_run_resumes_exactly(name, tmp_path):
    labelled = name == "ConditionalDCGAN"
    full = _build(name)
    full.fit(_stream(full, labelled), epochs=EPOCHS, steps_per_epoch=STEPS_PER_EPOCH, verbose=0, shuffle=False)

    first = _build(name)
    ckpt = Checkpoint(str(tmp_path), every_steps=STOP)
    first.fit(
        _stream(first, labelled), epochs=1, steps_per_epoch=STEPS_PER_EPOCH, verbose=0, shuffle=False, callbacks=[ckpt]
    )
    first.fit(
        _stream(first, labelled).skip(STEPS_PER_EPOCH),
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
        _stream(resumed, labelled).skip(step),
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
