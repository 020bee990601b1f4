"""InfoGAN: the paper's defaults, the codes, the information term, bad input, the code metrics."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasgen
from kerasgen import evaluation, runs
from kerasgen.models import InfoGAN
from tests import helpers


def tiny(**kwargs):
    args = dict(
        image_shape=(8, 8, 1),
        noise_dim=3,
        codes=[
            {"name": "digit", "kind": "categorical", "size": 3},
            {"name": "slant", "kind": "continuous"},
        ],
        generator_filters=4,
        discriminator_filters=4,
        dense_units=16,
        q_units=8,
        seed=0,
    )
    return InfoGAN(**{**args, **kwargs})


def test_defaults_are_the_papers_mnist_model():
    model = InfoGAN()
    assert model.noise_dim == 62 and model.latent_dim == 62 + 10 + 2
    assert [c["name"] for c in model.codes] == ["digit", "slant", "width"]
    assert model.codes[0] == {"name": "digit", "kind": "categorical", "size": 10}
    model.compile()
    g, d = model.generator_optimizer, model.discriminator_optimizer
    assert float(g.learning_rate) == pytest.approx(1e-3) and float(d.learning_rate) == pytest.approx(2e-4)
    assert g.beta_1 == pytest.approx(0.5) and d.beta_1 == pytest.approx(0.5)
    assert model.categorical_weight == 1.0 and model.continuous_weight == 0.1
    # The paper's MNIST networks: G FC 1024 - FC 7x7x128 - deconv 64 - deconv 1; D/Q share conv 64 - conv 128 - FC 1024.
    assert [layer.name for layer in model.generator.layers if layer.weights][:3] == ["fc", "fc_bn", "project"]
    assert model.generator.get_layer("project").kernel.shape == (1024, 7 * 7 * 128)
    assert model.discriminator.get_layer("fc").kernel.shape == (7 * 7 * 128, 1024)
    assert model.discriminator.get_layer("q_fc").kernel.shape == (1024, 128)
    assert model.discriminator.get_layer("q_codes").kernel.shape == (128, 10 + 2)


def test_codes_round_trip_through_the_config_and_bad_specifications_are_refused():
    model = tiny()
    clone = InfoGAN.from_config(model.get_config())
    assert clone.codes == model.codes and clone.latent_dim == model.latent_dim == 3 + 3 + 1
    with pytest.raises(ValueError, match="needs at least 2"):
        tiny(codes=[{"name": "digit", "kind": "categorical", "size": 0}])
    with pytest.raises(ValueError, match="needs at least 2"):
        tiny(codes=[{"name": "digit", "kind": "categorical"}])
    with pytest.raises(ValueError, match="at least one structured code"):
        tiny(codes=[])
    with pytest.raises(ValueError, match="kinds are"):
        tiny(codes=[{"name": "x", "kind": "binary"}])
    with pytest.raises(ValueError, match="repeat"):
        tiny(codes=[{"name": "x", "kind": "continuous"}, {"name": "x", "kind": "continuous"}])


def test_sampled_codes_follow_their_distributions():
    model = tiny()
    latents = np.asarray(model.sample_latents(6000, seed=1))
    parts = model.code_parts(latents)
    onehot = parts["digit"]
    assert set(np.unique(onehot)) == {0.0, 1.0} and np.all(onehot.sum(axis=1) == 1)
    np.testing.assert_allclose(onehot.mean(axis=0), 1 / 3, atol=0.03)
    slant = parts["slant"][:, 0]
    assert -1 <= slant.min() < -0.98 and 0.98 < slant.max() <= 1
    np.testing.assert_allclose(slant.var(), 1 / 3, atol=0.02)  # uniform on [-1, 1]


def test_the_information_term_is_minus_log_q_in_closed_form():
    model = tiny()
    model.compile(categorical_weight=1.0, continuous_weight=0.5)
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4, 3)).astype("float32")
    means = rng.normal(size=(4, 1)).astype("float32")
    latents = np.asarray(model.sample_latents(4, seed=3))
    total, parts = model.auxiliary_terms(tf.constant(np.concatenate([logits, means], 1)), tf.constant(latents))
    codes = model.code_parts(latents)
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    categorical = -(log_softmax * codes["digit"]).sum(axis=1)
    continuous = 0.5 * (codes["slant"][:, 0] - means[:, 0]) ** 2 + 0.5 * np.log(2 * np.pi)  # unit-scale Gaussian
    np.testing.assert_allclose(parts["info_categorical"], categorical, rtol=1e-5)
    np.testing.assert_allclose(parts["info_continuous"], continuous, rtol=1e-5)
    np.testing.assert_allclose(total, categorical + 0.5 * continuous, rtol=1e-5)


def test_q_learns_to_read_the_codes_and_the_generator_uses_them():
    # The information term must fall: G and Q together make the codes readable.
    keras.utils.set_random_seed(0)
    model = tiny(dense_units=32, q_units=16)
    model.compile(discriminator_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5))
    images = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1)).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices(images).batch(32).repeat()
    first = model.fit(ds, steps_per_epoch=2, epochs=1, verbose=0).history["info_categorical"][-1]
    model.fit(ds, steps_per_epoch=80, epochs=1, verbose=0)
    last = model.fit(ds, steps_per_epoch=20, epochs=1, verbose=0).history["info_categorical"][-1]
    assert last < 0.5 * first, (first, last)
    # Q now reads the categorical code back from G's images.
    fake = model.generate(90, seed=1, codes={"digit": np.arange(90) % 3})
    assert np.mean(model.infer_codes(fake)["digit"] == np.arange(90) % 3) > 0.6  # chance: 1/3


def test_generate_takes_codes_and_refuses_bad_ones():
    model = tiny()
    a = model.generate(4, seed=5, codes={"digit": 2, "slant": [-1.0, -0.5, 0.5, 1.0]})
    b = model.generate(4, seed=5, codes={"digit": 2, "slant": [-1.0, -0.5, 0.5, 1.0]})
    np.testing.assert_array_equal(a, b)
    assert a.shape == (4, 8, 8, 1)
    c = model.generate(4, seed=5, codes={"digit": 1, "slant": [-1.0, -0.5, 0.5, 1.0]})
    assert not np.allclose(a, c)
    with pytest.raises(ValueError, match=r"ints in \[0, 3\)"):
        model.generate(2, codes={"digit": 3})
    with pytest.raises(ValueError, match=r"must be in \[-1, 1\]"):
        model.generate(2, codes={"slant": [0.0, 1.5]})
    with pytest.raises(ValueError, match="a number or 2 of them"):
        model.generate(2, codes={"slant": [0.0, 0.5, 1.0]})
    with pytest.raises(ValueError, match="Unknown code"):
        model.generate(2, codes={"width": 0.0})
    inferred = model.infer_codes(a)
    assert inferred["digit"].shape == (4,) and inferred["slant"].shape == (4,)
    np.testing.assert_allclose(inferred["digit_probabilities"].sum(axis=1), 1.0, rtol=1e-5)


def test_matched_accuracy_and_ink_properties_on_known_cases():
    # Code values permuted onto classes: the matching finds the permutation.
    counts = np.array([[0, 90, 10], [100, 0, 0], [5, 5, 90]])
    assert evaluation.matched_accuracy(counts) == pytest.approx(280 / 300)
    assert evaluation.matched_accuracy(np.eye(4) * 7) == 1.0
    # A vertical bar has no slant, a bar leaning right has a positive one; a wider bar is wider.
    images = np.full((3, 28, 28, 1), -1.0)
    images[0, 4:24, 13:15] = 1.0
    for r in range(4, 24):
        images[1, r, 24 - r : 26 - r] = 1.0
    images[2, 4:24, 8:20] = 1.0
    props = evaluation.ink_properties(images)
    assert abs(props["slant"][0]) < 1e-6 and props["slant"][1] > 0.5
    assert props["width"][2] > 3 * props["width"][0] and props["thickness"][2] == pytest.approx(
        6 * props["thickness"][0]
    )


def test_pretrained_entry_reproduces_its_code_figures():
    entry = os.path.join(helpers.REPO, "zoo", "infogan")
    meta = kerasgen.zoo.metadata(entry)
    model = kerasgen.zoo.load(entry)
    heldout, labels = runs.embedded_split(meta["training"], "test")
    results = evaluation.code_metrics(model, heldout, labels)
    for key in ("category_matched_accuracy", "inferred_category_accuracy", "continuous_code_correlation"):
        np.testing.assert_allclose(results[key], meta["metrics"][key], rtol=1e-3, err_msg=key)
    # An untrained network of the same config matches 10 % and infers 13.7 %.
    assert results["category_matched_accuracy"] > 0.7 and results["inferred_category_accuracy"] > 0.6, results
