"""Class-conditional DCGAN: labels in G and D, label checks, zoo entry, export."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

import kerasgen
from kerasgen import data, metrics, zoo
from kerasgen.models import DCGAN, ConditionalDCGAN
from tests import helpers

TINY = dict(
    image_shape=(16, 16, 1),
    num_classes=3,
    latent_dim=5,
    embedding_dim=4,
    generator_filters=4,
    discriminator_filters=4,
    seed=3,
)


def _labelled(n=8, seed=0):
    x = helpers.random_images(n, TINY["image_shape"], seed=seed)
    y = np.arange(n) % TINY["num_classes"]
    return x, y


def test_is_a_dcgan_with_label_inputs():
    model = ConditionalDCGAN(**TINY)
    assert isinstance(model, DCGAN)
    assert [tuple(i.shape) for i in model.generator.inputs] == [(None, 5), (None,)]
    assert [tuple(i.shape) for i in model.discriminator.inputs] == [(None, 16, 16, 1), (None,)]
    assert model.generator.get_layer("label_embedding").input_dim == 3
    assert model.discriminator.get_layer("label_projection").input_dim == 3
    # The DCGAN rules hold: 4x4 stride-2 transposed convs, tanh output.
    for l in model.generator.layers:
        if isinstance(l, layers.Conv2DTranspose):
            assert l.kernel_size == (4, 4) and l.strides == (2, 2)


def test_labels_change_the_samples_and_generate_returns_the_asked_classes():
    model = ConditionalDCGAN(**TINY)
    z = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    a = model.generate_from_latents(z, labels=[0, 0, 0, 0])
    b = model.generate_from_latents(z, labels=[1, 1, 1, 1])
    assert a.shape == (4, 16, 16, 1) and not np.allclose(a, b, atol=1e-5)
    np.testing.assert_array_equal(model.generate(4, labels=2, seed=1), model.generate(4, labels=[2, 2, 2, 2], seed=1))
    balanced = model.sample_labels(9, seed=0)
    assert sorted(np.bincount(balanced).tolist()) == [3, 3, 3]
    assert model.generate(6, seed=0).shape == (6, 16, 16, 1)


@pytest.mark.parametrize(
    "labels, match",
    [
        (3, r"labels must be in \[0, 3\).*\[3\]"),
        ([0, -1, 2, 1], r"labels must be in \[0, 3\).*\[-1\]"),
        ([0, 1], "vector of 4 class indices"),
        ([0.5, 1, 2, 0], "integer class indices"),
    ],
)
def test_bad_labels_are_clear_errors(labels, match):
    model = ConditionalDCGAN(**TINY)
    with pytest.raises(ValueError, match=match):
        model.generate(4, labels=labels, seed=0)


def test_training_needs_labels_in_range():
    model = ConditionalDCGAN(**TINY)
    model.compile()
    x, y = _labelled()
    with pytest.raises(ValueError, match="class-conditional"):
        model.fit(x, batch_size=4, epochs=1, verbose=0)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"labels must be in \[0, 3\)"):
        model.fit(x, y + 5, batch_size=4, epochs=1, verbose=0)
    logs = model.fit(data.dataset(x, model.image_shape, batch_size=4, labels=y), epochs=1, verbose=0).history
    assert np.isfinite(logs["loss"][0]) and set(logs) >= {"d_loss", "g_loss", "d_real_accuracy", "d_fake_accuracy"}


def test_pretrained_cdcgan_draws_the_requested_digits():
    model = zoo.load("cdcgan")
    labels = np.repeat(np.arange(10), 30)
    images = model.generate(300, labels=labels, seed=0)
    accuracy = np.mean(metrics.classify_digits(images) == labels)
    assert accuracy > 0.8, accuracy
    real, _ = helpers.mnist_images("test", n=300)
    assert metrics.fid(real, images) < 0.1 * metrics.fid(real, zoo.load("cdcgan", weights=None).generate(300, seed=0))


def test_bad_hyperparameters():
    with pytest.raises(ValueError, match="num_classes"):
        ConditionalDCGAN(**{**TINY, "num_classes": 1})
    with pytest.raises(ValueError, match="DCGAN image size"):
        ConditionalDCGAN(**{**TINY, "image_shape": (20, 20, 1)})


def test_sample_grid_callback_cycles_the_classes(tmp_path):
    model = ConditionalDCGAN(**TINY)
    model.compile()
    x, y = _labelled()
    grid = kerasgen.callbacks.SampleGrid(str(tmp_path), num_samples=6)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[grid])
    assert len(grid.written) == 1 and os.path.isfile(grid.written[0])
    z = keras.ops.convert_to_numpy(model.sample_latents(6, seed=0))
    np.testing.assert_allclose(
        model.decode_in_batches(z), model.generate_from_latents(z, [0, 1, 2, 0, 1, 2]), atol=1e-6
    )
