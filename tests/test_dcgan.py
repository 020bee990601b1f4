"""DCGAN (Radford et al. 2016): architecture rules, training, zoo entry, export."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from kerasgen import metrics, zoo
from kerasgen.models import DCGAN
from tests import helpers

TINY = dict(image_shape=(16, 16, 1), latent_dim=5, generator_filters=4, discriminator_filters=4, seed=2)


def _conv_layers(model):
    return [l for l in model.layers if isinstance(l, (layers.Conv2D, layers.Conv2DTranspose))]


def _next_layer(model, layer):
    names = [l.name for l in model.layers]
    return model.layers[names.index(layer.name) + 1]


@pytest.fixture(scope="module")
def paper_model():
    # The paper's 64x64 RGB architecture (built, never trained here).
    return DCGAN(image_shape=(64, 64, 3), seed=0)


def test_generator_follows_the_paper(paper_model):
    g = paper_model.generator
    assert paper_model.latent_dim == 100
    # Figure 1: project z to 4x4x1024, then 8x8x512, 16x16x256, 32x32x128, 64x64x3.
    shapes = [tuple(l.output.shape[1:]) for l in _conv_layers(g)]
    assert tuple(g.get_layer("reshape").output.shape[1:]) == (4, 4, 1024)
    assert shapes == [(8, 8, 512), (16, 16, 256), (32, 32, 128), (64, 64, 3)]
    for conv in _conv_layers(g):
        assert isinstance(conv, layers.Conv2DTranspose)
        assert conv.kernel_size == (4, 4) and conv.strides == (2, 2)
    dense = [l for l in g.layers if isinstance(l, layers.Dense)]
    assert [l.name for l in dense] == ["project"]  # the projection only: no hidden dense layer
    assert not any("pool" in type(l).__name__.lower() for l in g.layers)
    # BatchNorm + ReLU after the projection and every transposed conv except the output.
    for conv in _conv_layers(g)[:-1] + [g.get_layer("reshape")]:
        bn = _next_layer(g, conv)
        assert isinstance(bn, layers.BatchNormalization), conv.name
        assert isinstance(_next_layer(g, bn), layers.ReLU)
    output = _conv_layers(g)[-1]
    assert output.name == "output"
    after = _next_layer(g, output)
    assert isinstance(after, layers.Activation) and after.activation.__name__ == "tanh"
    assert sum(isinstance(l, layers.BatchNormalization) for l in g.layers) == 4


def test_discriminator_follows_the_paper(paper_model):
    d = paper_model.discriminator
    convs = _conv_layers(d)
    assert [tuple(c.output.shape[1:]) for c in convs] == [(32, 32, 64), (16, 16, 128), (8, 8, 256), (4, 4, 512)]
    for i, conv in enumerate(convs):
        assert isinstance(conv, layers.Conv2D) and not isinstance(conv, layers.Conv2DTranspose)
        assert conv.kernel_size == (4, 4) and conv.strides == (2, 2)
        nxt = _next_layer(d, conv)
        if i == 0:  # no BatchNorm on the input layer
            assert isinstance(nxt, layers.LeakyReLU)
        else:
            assert isinstance(nxt, layers.BatchNormalization)
            nxt = _next_layer(d, nxt)
        assert isinstance(nxt, layers.LeakyReLU) and abs(nxt.negative_slope - 0.2) < 1e-7
    assert not any("pool" in type(l).__name__.lower() for l in d.layers)
    dense = [l for l in d.layers if isinstance(l, layers.Dense)]
    assert [l.name for l in dense] == ["logit"] and dense[0].units == 1
    assert d.input.shape[1:] == (64, 64, 3)


def test_initialization_is_normal_002_with_a_fresh_initializer_per_layer(paper_model):
    kernels = [l.kernel.numpy() for l in _conv_layers(paper_model.generator) + _conv_layers(paper_model.discriminator)]
    kernels += [paper_model.generator.get_layer("project").kernel.numpy()]
    for k in kernels:
        assert abs(k.mean()) < 0.003 and abs(k.std() - 0.02) < 0.002, (k.mean(), k.std())
    # A reused seeded initializer would give every layer the same first draws.
    prefixes = [k.ravel()[:32] for k in kernels]
    assert len({p.tobytes() for p in prefixes}) == len(prefixes)
    for bn in [
        l
        for l in paper_model.generator.layers + paper_model.discriminator.layers
        if isinstance(l, layers.BatchNormalization)
    ]:
        gamma = bn.gamma.numpy()
        assert abs(gamma.mean() - 1.0) < 0.01 and abs(gamma.std() - 0.02) < 0.01
        assert bn.momentum == 0.9 and bn.epsilon == 1e-5


def test_paper_optimizer(paper_model):
    model = DCGAN(**TINY)
    model.compile()
    for opt in (model.g_optimizer, model.d_optimizer):
        assert isinstance(opt, keras.optimizers.Adam) and opt.beta_1 == 0.5
        np.testing.assert_allclose(float(opt.learning_rate.numpy()), 2e-4, rtol=1e-6)


@pytest.mark.parametrize("size, base, num_up", [(16, 4, 2), (28, 7, 2), (32, 4, 3), (128, 4, 5)])
def test_image_sizes(size, base, num_up):
    model = DCGAN(image_shape=(size, size, 3), latent_dim=4, generator_filters=2, discriminator_filters=2)
    assert tuple(model.generator.get_layer("reshape").output.shape[1:3]) == (base, base)
    assert len(_conv_layers(model.generator)) == num_up
    assert model.generate(2, seed=0).shape == (2, size, size, 3)


@pytest.mark.parametrize("shape", [(24, 24, 1), (30, 30, 1), (8, 8, 1), (32, 16, 1), (32, 32, 2)])
def test_unsupported_shapes_are_clear_errors(shape):
    with pytest.raises(ValueError, match="DCGAN"):
        DCGAN(image_shape=shape)


def test_pretrained_dcgan_fid_is_far_below_an_untrained_one():
    real, _ = helpers.mnist_images("test")
    trained = zoo.load("dcgan")
    fresh = zoo.load("dcgan", weights=None)
    images = trained.generate(1000, seed=0)
    assert images.shape == (1000, 28, 28, 1) and images.dtype == np.float32
    fid_trained = metrics.fid(real, images)
    fid_fresh = metrics.fid(real, fresh.generate(1000, seed=0))
    assert fid_trained < 0.25 * fid_fresh, (fid_trained, fid_fresh)
    # Samples look like digits: the digits classifier is confident on most of them.
    logits = metrics.compute_features(images[:500], metrics._digits_extractors(metrics.digits_entry_dir())[1])
    probs = tf.nn.softmax(logits).numpy()
    assert np.mean(probs.max(axis=1) > 0.9) > 0.6
    # And every class shows up.
    assert len(set(metrics.classify_digits(images).tolist())) == 10


def test_recipe_only_celeba_entry_has_the_paper_settings():
    meta = zoo.metadata("dcgan_celeba_64")
    assert meta["weights"] is None and meta["image_shape"] == [64, 64, 3]
    assert "celeb_a" in meta["training"]["data"] and meta["training"]["batch_size"] == 128
    model = zoo.load("dcgan_celeba_64", weights=None)
    assert model.latent_dim == 100 and model.generator_filters == 128
    assert tuple(model.generator.get_layer("reshape").output.shape[1:]) == (4, 4, 1024)
    with pytest.raises(ValueError, match="recipe without pretrained weights"):
        zoo.load("dcgan_celeba_64")
