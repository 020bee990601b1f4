"""Tests for kerasgen.metrics: Frechet / kernel distances and feature extractors."""

import json
import os
import shutil

import numpy as np
import pytest

from kerasgen import data, metrics, zoo


@pytest.fixture(scope="module")
def digits():
    """Train and test digits as float32 in [-1, 1], with test labels."""
    x_train, _ = data.mnist("train")
    x_test, y_test = data.mnist("test")
    return data.to_model_range(x_train[:1000]), data.to_model_range(x_test), y_test


def random_features(n, d, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    mixing = rng.standard_normal((d, d)) * scale / np.sqrt(d)
    return rng.standard_normal((n, d)) @ mixing + rng.standard_normal(d)


def frechet_by_eigendecomposition(mu1, sigma1, mu2, sigma2):
    """The Frechet distance via Tr sqrt(S1^1/2 S2 S1^1/2), using eigh only."""
    w, v = np.linalg.eigh(sigma1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    inner = root1 @ sigma2 @ root1
    trace_sqrt = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh((inner + inner.T) / 2), 0, None)))
    diff = mu1 - mu2
    return diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt


# ---------------------------------------------------------------------------
# Frechet distance
# ---------------------------------------------------------------------------


def test_frechet_distance_of_a_set_with_itself_is_zero():
    mu, sigma = metrics.feature_statistics(random_features(500, 32, seed=0))
    assert abs(metrics.frechet_distance(mu, sigma, mu, sigma)) < 1e-8


@pytest.mark.parametrize("n", [2000, 40])  # 40 < d: singular covariances
def test_frechet_distance_matches_eigendecomposition(n):
    f1 = random_features(n, 64, seed=1)
    f2 = random_features(n, 64, seed=2, scale=2.0)
    mu1, sigma1 = metrics.feature_statistics(f1)
    mu2, sigma2 = metrics.feature_statistics(f2)
    expected = frechet_by_eigendecomposition(mu1, sigma1, mu2, sigma2)
    actual = metrics.frechet_distance(mu1, sigma1, mu2, sigma2)
    assert expected > 1.0
    assert actual == pytest.approx(expected, rel=1e-5)


def test_frechet_distance_checks_shapes():
    with pytest.raises(ValueError, match="Covariances"):
        metrics.frechet_distance(np.zeros(3), np.eye(3), np.zeros(3), np.eye(4))


def test_fid_of_digits_with_themselves_is_zero(digits):
    _, x_test, _ = digits
    assert abs(metrics.fid(x_test, x_test)) < 1e-6


def test_fid_grows_with_gaussian_noise(digits):
    x_ref, x_test, _ = digits
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(x_test.shape).astype("float32")
    scores = [metrics.fid(x_ref, np.clip(x_test + std * noise, -1.0, 1.0)) for std in (0.0, 0.1, 0.2, 0.4, 0.8)]
    assert all(a < b for a, b in zip(scores, scores[1:])), scores
    assert scores[-1] > 5 * scores[0], scores


# ---------------------------------------------------------------------------
# Kernel distance
# ---------------------------------------------------------------------------


def test_kid_of_a_set_with_itself_is_near_zero_and_positive_when_shifted():
    f = random_features(2000, 16, seed=3)
    same_mean, _ = metrics.kernel_distance(f, f, num_subsets=20, subset_size=500)
    shifted_mean, shifted_std = metrics.kernel_distance(f, f + 0.5, num_subsets=20, subset_size=500)
    assert shifted_mean > 0
    assert shifted_mean > 10 * shifted_std
    assert abs(same_mean) < 0.02 * shifted_mean


def test_kid_of_two_samples_of_one_distribution_is_near_zero():
    rng = np.random.default_rng(6)
    g1 = rng.standard_normal((2000, 16))
    g2 = rng.standard_normal((2000, 16))
    mean, std = metrics.kernel_distance(g1, g2, num_subsets=30, subset_size=500)
    shifted, _ = metrics.kernel_distance(g1, g2 + 0.5, num_subsets=30, subset_size=500)
    assert std > 0
    assert abs(mean) < 4 * std
    assert abs(mean) < 0.02 * shifted
    assert metrics.kernel_distance(g1, g2, num_subsets=5, seed=1) == metrics.kernel_distance(
        g1, g2, num_subsets=5, seed=1
    )
    assert metrics.kernel_distance(g1, g2, num_subsets=5, seed=1) != metrics.kernel_distance(
        g1, g2, num_subsets=5, seed=2
    )


def test_kid_subset_kernels_match_full_kernels(monkeypatch):
    f1 = random_features(300, 8, seed=7)
    f2 = random_features(200, 8, seed=8)
    full = metrics.kernel_distance(f1, f2, num_subsets=5, subset_size=100, seed=3)
    monkeypatch.setattr(metrics, "_KID_FULL_KERNEL_ROWS", 0)
    per_subset = metrics.kernel_distance(f1, f2, num_subsets=5, subset_size=100, seed=3)
    np.testing.assert_allclose(per_subset, full, rtol=1e-9)
    # Direct unbiased MMD^2 for one subset covering both sets entirely.
    x, y = f1[:50], f2[:50]
    m = 50

    def k(a, b):
        return (a @ b.T / 8 + 1) ** 3

    expected = (
        (k(x, x).sum() - np.trace(k(x, x))) / (m * (m - 1))
        + (k(y, y).sum() - np.trace(k(y, y))) / (m * (m - 1))
        - 2 * k(x, y).mean()
    )
    mean, std = metrics.kernel_distance(x, y, num_subsets=3, subset_size=50)
    assert mean == pytest.approx(expected, rel=1e-9)
    assert std == pytest.approx(0.0, abs=1e-12)


def test_kid_on_digits_orders_noise_levels(digits):
    x_ref, x_test, _ = digits
    noise = np.random.default_rng(1).standard_normal(x_test.shape).astype("float32")
    clean, _ = metrics.kid(x_ref, x_test, num_subsets=10, subset_size=500)
    noisy, _ = metrics.kid(x_ref, np.clip(x_test + 0.4 * noise, -1, 1), num_subsets=10, subset_size=500)
    assert noisy > clean > 0


# ---------------------------------------------------------------------------
# Inputs and extractors
# ---------------------------------------------------------------------------


def test_uint8_rgb_and_resized_inputs(digits):
    x_uint8, _ = data.mnist("test")
    x_uint8 = x_uint8[:64]
    from_uint8 = metrics.compute_features(x_uint8)
    from_float = metrics.compute_features(data.to_model_range(x_uint8))
    np.testing.assert_allclose(from_uint8, from_float, atol=1e-5)
    assert from_uint8.shape == (64, 128)
    rgb = np.repeat(data.to_model_range(x_uint8), 3, axis=-1)
    np.testing.assert_allclose(metrics.compute_features(rgb), from_float, atol=1e-3)
    padded = np.pad(data.to_model_range(x_uint8), ((0, 0), (2, 2), (2, 2), (0, 0)), constant_values=-1.0)
    assert metrics.compute_features(padded).shape == (64, 128)


def test_float_inputs_outside_model_range_are_refused(digits):
    _, x_test, _ = digits
    with pytest.raises(ValueError, match="outside"):
        metrics.fid(x_test, (x_test + 1.0) * 127.5)


def test_custom_callable_features(digits):
    x_ref, x_test, _ = digits

    def mean_rows(images):
        return images.mean(axis=2).reshape(len(images), -1)

    assert metrics.fid(x_test, x_test, features=mean_rows) == pytest.approx(0.0, abs=1e-6)
    assert metrics.fid(x_ref, -x_test, features=mean_rows) > 1.0


def test_evaluate_generator_is_repeatable(digits):
    x_ref, x_test, _ = digits

    def generate(n, seed=None):
        rng = np.random.default_rng(seed)
        return np.clip(x_test[:n] + 0.2 * rng.standard_normal(x_test[:n].shape), -1, 1).astype("float32")

    first = metrics.evaluate_generator(generate, x_ref, n=300, seed=0)
    again = metrics.evaluate_generator(generate, x_ref, n=300, seed=0)
    assert first == again
    assert first["num_generated"] == 300 and first["num_real"] == 300
    assert first["fid"] > 0 and first["kid"] > 0 and first["kid_std"] > 0
    assert 0 < first["precision"] <= 1 and 0 < first["recall"] <= 1
    assert json.loads(json.dumps(first)) == first


# ---------------------------------------------------------------------------
# Improved precision / recall and memorization
# ---------------------------------------------------------------------------


def test_precision_and_recall_of_a_set_with_itself_are_one():
    f = random_features(400, 8, seed=0)
    assert metrics.manifold_precision_recall(f, f) == (1.0, 1.0)


def test_precision_and_recall_of_disjoint_clusters_are_zero():
    f = random_features(300, 8, seed=0)
    assert metrics.manifold_precision_recall(f, f + 100.0) == (0.0, 0.0)


def test_a_collapsed_generator_has_precision_but_no_recall():
    real = random_features(600, 4, seed=0)
    # All samples near one real point: realistic, but covering a tiny part of the data.
    fake = real[:1] + 0.01 * np.random.default_rng(1).standard_normal((600, 4))
    precision, recall = metrics.manifold_precision_recall(real, fake)
    assert precision == 1.0
    assert recall < 0.05


def test_knn_radius_is_the_kth_other_neighbour():
    f = np.array([[0.0], [1.0], [3.0], [7.0]])
    # From 0: others at 1, 3, 7 -> 2nd nearest is 3.
    np.testing.assert_allclose(metrics._knn_radii(f, 2), [3.0, 2.0, 3.0, 6.0])
    with pytest.raises(ValueError, match="k=4 nearest neighbours need more than 4 rows"):
        metrics._knn_radii(f, 4)


def test_precision_recall_on_digits(digits):
    x_ref, x_test, y_test = digits
    precision, recall = metrics.precision_recall(x_ref, x_test[:1000])
    assert precision > 0.6 and recall > 0.6
    # Only zeros: realistic digits that cover a tenth of the data.
    zeros = x_test[y_test == 0]
    precision, recall = metrics.precision_recall(x_ref, zeros)
    assert precision > 0.6 and recall < 0.4


def flat(images):
    return np.asarray(images).reshape(len(images), -1)


def test_copied_training_images_are_flagged_as_memorized(digits):
    x_ref, x_test, _ = digits
    train, heldout = x_ref[:800], x_test[:500]
    copies = train[:300]
    result = metrics.memorization(copies, train, heldout, features=flat)
    assert result["memorized_share_pixels"] == 1.0
    assert result["memorized_share_features"] == 1.0
    # Fresh digits sit where held-out digits do: about the 5% the threshold lets through.
    fresh = metrics.memorization(x_test[500:800], train, heldout, features=flat)
    assert fresh["memorized_share_pixels"] < 0.15
    assert fresh["memorization_threshold_pixels"] > 0


def test_memorization_checks_its_inputs(digits):
    x_ref, x_test, _ = digits
    with pytest.raises(ValueError, match="percentile must be in"):
        metrics.memorization(x_test[:10], x_ref[:10], x_test[:10], features=flat, percentile=0)
    with pytest.raises(ValueError, match="same image shape"):
        metrics.memorization(x_test[:10, :14], x_ref[:10], x_test[:10], features=flat)


# ---------------------------------------------------------------------------
# The shipped digits classifier
# ---------------------------------------------------------------------------


def test_shipped_classifier_weights_match_metadata():
    folder = metrics.digits_entry_dir()
    with open(os.path.join(folder, zoo.METADATA_FILE), encoding="utf-8") as f:
        meta = json.load(f)
    for key in zoo.REQUIRED_METADATA + ("kind",):
        assert key in meta, key
    assert meta["kind"] == "feature_extractor"
    weights = os.path.join(folder, meta["weights"]["file"])
    assert zoo.SHA256_PATTERN.match(meta["weights"]["sha256"])
    assert zoo.sha256_file(weights) == meta["weights"]["sha256"]
    assert os.path.getsize(weights) == meta["weights"]["size"] < 5 * 1024 * 1024
    assert meta["parameters"] == metrics.build_digits_classifier().count_params()
    assert not os.path.exists(os.path.join(folder, zoo.CONFIG_FILE))


def test_shipped_classifier_accuracy(digits):
    _, x_test, y_test = digits
    accuracy = np.mean(metrics.classify_digits(x_test) == y_test)
    assert accuracy > 0.95


def test_tampered_weights_are_refused_before_loading(tmp_path, monkeypatch):
    good = tmp_path / "good"
    shutil.copytree(metrics.digits_entry_dir(), good)
    assert metrics.load_digits_classifier(str(good)).count_params() > 0

    bad = tmp_path / "bad"
    shutil.copytree(good, bad)
    weights = bad / zoo.WEIGHTS_FILE
    content = bytearray(weights.read_bytes())
    content[len(content) // 2] ^= 0xFF
    weights.write_bytes(bytes(content))

    def must_not_build():
        raise AssertionError("the model was built from tampered weights")

    monkeypatch.setattr(metrics, "build_digits_classifier", must_not_build)
    with pytest.raises(zoo.IntegrityError, match="sha256 mismatch"):
        metrics.digits_features(str(bad))


def test_inception_features_needs_a_local_weights_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="local InceptionV3 weights"):
        metrics.inception_features()
    with pytest.raises(FileNotFoundError, match="never downloads"):
        metrics.inception_features(str(tmp_path / "missing.h5"))
