"""Sample-quality metrics: FID, KID, improved precision/recall and a memorization check.

Both metrics compare two sets of images through a feature extractor: any
callable that maps a float32 batch of images in [-1, 1], NHWC, to a `(n, d)`
array of features. Two extractors ship with kerasgen:

- `digits_features()`: the penultimate layer (128 units) of a small CNN
  classifier trained on the embedded MNIST digits, stored in the zoo as
  `mnist_classifier`. It is fast on a CPU and is the default for digits.
  Scores computed with it are comparable with each other, not with FID
  values published for Inception features.
- `inception_features(weights_path)`: the 2048-d pool features of
  InceptionV3, the extractor of published FID / KID numbers. kerasgen never
  downloads its weights; pass the path of a local copy.

Example:
>>> real, _ = kerasgen.data.mnist("test")
>>> fake = model.generate(1000, seed=0)
>>> score = kerasgen.metrics.fid(real, fake)
>>> kid_mean, kid_std = kerasgen.metrics.kid(real, fake, subset_size=500)
"""

import functools
import json
import os
import warnings

import keras
import numpy as np
import tensorflow as tf
from scipy import linalg

from kerasgen import data, zoo

DIGITS_ENTRY = "mnist_classifier"
DIGITS_IMAGE_SHAPE = (28, 28, 1)
INCEPTION_IMAGE_SHAPE = (299, 299, 3)
# Added to both covariance diagonals when sqrtm(sigma1 @ sigma2) is not
# finite (a singular product), as in the reference FID implementations.
FID_EPS = 1e-6
# kernel_distance precomputes full kernel matrices for sets up to this size.
_KID_FULL_KERNEL_ROWS = 2500
# Neighbourhood size of improved precision and recall, as in Kynkaanniemi et al. (2019).
PRECISION_RECALL_K = 3


# ---------------------------------------------------------------------------
# Distances between feature sets.
# ---------------------------------------------------------------------------


def feature_statistics(features):
    """Mean and covariance of a feature array, in float64.

    Args:
        features: array of shape `(n, d)` with `n >= 2`.

    Returns:
        `(mu, sigma)`: arrays of shape `(d,)` and `(d, d)`.

    Example:
    >>> mu, sigma = feature_statistics(np.random.randn(500, 16))
    """
    features = _check_features(features, "features")
    if features.shape[0] < 2:
        raise ValueError(f"At least 2 feature vectors are needed for a covariance; got {features.shape[0]}.")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=FID_EPS):
    """Frechet distance between two Gaussians N(mu1, sigma1) and N(mu2, sigma2).

    d^2 = ||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 sqrtm(sigma1 @ sigma2)).

    When `sigma1 @ sigma2` is singular its square root can come out with
    Inf or NaN entries; `eps` is then added to both diagonals and the root
    taken again. A small imaginary part that numerical error leaves in the
    root is dropped; a large one is an error.

    Args:
        mu1, mu2: means, shape `(d,)`.
        sigma1, sigma2: covariances, shape `(d, d)`.
        eps: diagonal offset used only when the plain root is not finite.

    Returns:
        the distance as a Python float.

    Example:
    >>> mu, sigma = feature_statistics(np.random.randn(500, 16))
    >>> frechet_distance(mu, sigma, mu, sigma)  # 0 up to rounding
    1.06...e-14
    """
    mu1 = np.atleast_1d(np.asarray(mu1, dtype=np.float64))
    mu2 = np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    sigma1 = np.atleast_2d(np.asarray(sigma1, dtype=np.float64))
    sigma2 = np.atleast_2d(np.asarray(sigma2, dtype=np.float64))
    if mu1.shape != mu2.shape or mu1.ndim != 1:
        raise ValueError(f"Means must be vectors of the same length; got {mu1.shape} and {mu2.shape}.")
    d = mu1.shape[0]
    if sigma1.shape != (d, d) or sigma2.shape != (d, d):
        raise ValueError(f"Covariances must have shape ({d}, {d}); got {sigma1.shape} and {sigma2.shape}.")

    diff = mu1 - mu2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        covmean = linalg.sqrtm(sigma1 @ sigma2)
        if not np.all(np.isfinite(covmean)):
            offset = np.eye(d) * eps
            covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if not np.all(np.isfinite(covmean)):
        raise ValueError("sqrtm(sigma1 @ sigma2) is not finite even with the eps offset.")
    if np.iscomplexobj(covmean):
        imag = np.max(np.abs(np.diagonal(covmean).imag))
        if imag > 1e-3:
            raise ValueError(
                f"sqrtm(sigma1 @ sigma2) has an imaginary component of {imag:.3g}; "
                "the covariances are probably not positive semi-definite."
            )
        covmean = covmean.real
    distance = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean)
    return float(distance)


def kernel_distance(f1, f2, num_subsets=100, subset_size=1000, seed=0):
    """Kernel distance (KID): unbiased MMD^2 with a cubic polynomial kernel.

    k(x, y) = (x . y / d + 1)^3. The unbiased MMD^2 estimate is computed on
    `num_subsets` random subsets of `subset_size` rows drawn without
    replacement from each set (fewer if a set is smaller), and averaged.
    The estimate is unbiased, so the subset size changes only its spread;
    when `subset_size` covers both sets every subset is the whole set and
    the std is 0. Comparing a set with itself gives a slightly negative
    value (the two draws share rows), not exactly 0.

    Args:
        f1, f2: feature arrays of shape `(n1, d)` and `(n2, d)`.
        num_subsets: number of subsets to average over.
        subset_size: rows per subset.
        seed: seed of the subset draws.

    Returns:
        `(mean, std)` of the estimate over the subsets, as Python floats.

    Example:
    >>> f = np.random.default_rng(0).standard_normal((1000, 16))
    >>> kernel_distance(f, f + 1.0, num_subsets=10, subset_size=500)
    (7.84..., 0.23...)
    """
    f1 = _check_features(f1, "f1")
    f2 = _check_features(f2, "f2")
    if f1.shape[1] != f2.shape[1]:
        raise ValueError(f"Feature sizes differ: {f1.shape[1]} and {f2.shape[1]}.")
    if num_subsets < 1:
        raise ValueError(f"num_subsets must be at least 1; got {num_subsets}.")
    m = min(int(subset_size), f1.shape[0], f2.shape[0])
    if m < 2:
        raise ValueError(f"KID needs subsets of at least 2 rows; got {m}.")
    # For small sets the full kernel matrices are computed once and each
    # subset reads its block; larger sets compute each subset's kernels.
    full = max(f1.shape[0], f2.shape[0]) <= _KID_FULL_KERNEL_ROWS
    if full:
        k11, k22, k12 = _poly_kernel(f1, f1), _poly_kernel(f2, f2), _poly_kernel(f1, f2)
    rng = np.random.default_rng(seed)
    estimates = np.empty(num_subsets)
    for i in range(num_subsets):
        a = rng.choice(f1.shape[0], m, replace=False)
        b = rng.choice(f2.shape[0], m, replace=False)
        if full:
            k_xx, k_yy, k_xy = k11[np.ix_(a, a)], k22[np.ix_(b, b)], k12[np.ix_(a, b)]
        else:
            x, y = f1[a], f2[b]
            k_xx, k_yy, k_xy = _poly_kernel(x, x), _poly_kernel(y, y), _poly_kernel(x, y)
        within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
        estimates[i] = within - 2.0 * k_xy.sum() / (m * m)
    return float(estimates.mean()), float(estimates.std())


def pairwise_distances(a, b, chunk=1000):
    """Euclidean distances between every row of `a` and every row of `b`, float64 `(len(a), len(b))`."""
    a = _check_features(a, "a")
    b = _check_features(b, "b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"Feature sizes differ: {a.shape[1]} and {b.shape[1]}.")
    b_sq = np.sum(b * b, axis=1)
    out = np.empty((a.shape[0], b.shape[0]))
    for start in range(0, a.shape[0], chunk):
        x = a[start : start + chunk]
        d2 = np.sum(x * x, axis=1)[:, None] + b_sq[None, :] - 2.0 * x @ b.T
        out[start : start + chunk] = np.sqrt(np.maximum(d2, 0.0))
    return out


def _knn_radii(features, k):
    """Distance from each row to its k-th nearest other row of the same set."""
    if features.shape[0] <= k:
        raise ValueError(f"k={k} nearest neighbours need more than {k} rows; got {features.shape[0]}.")
    d = pairwise_distances(features, features)
    # Column 0 of the sorted rows is the row itself (distance 0).
    return np.partition(d, k, axis=1)[:, k]


def manifold_precision_recall(real_features, fake_features, k=3):
    """Improved precision and recall (Kynkaanniemi et al., 2019) between two feature sets.

    Each set's manifold is the union of balls around its rows, each ball
    reaching that row's k-th nearest neighbour in the same set. Precision
    is the share of fake rows inside the real manifold (are samples
    realistic?), recall the share of real rows inside the fake manifold (do
    samples cover the data?). The paper uses k=3.

    Args:
        real_features: `(n, d)` features of real images.
        fake_features: `(m, d)` features of generated images.
        k: neighbourhood size of the manifold estimate.

    Returns:
        `(precision, recall)`, each in [0, 1].

    Example:
    >>> f = np.random.default_rng(0).standard_normal((500, 8))
    >>> manifold_precision_recall(f, f)
    (1.0, 1.0)
    """
    real = _check_features(real_features, "real_features")
    fake = _check_features(fake_features, "fake_features")
    if k < 1:
        raise ValueError(f"k must be at least 1; got {k}.")
    real_radii, fake_radii = _knn_radii(real, k), _knn_radii(fake, k)
    d = pairwise_distances(fake, real)  # (m, n)
    precision = np.mean(np.any(d <= real_radii[None, :], axis=1))
    recall = np.mean(np.any(d.T <= fake_radii[None, :], axis=1))
    return float(precision), float(recall)


def nearest_distances(queries, references):
    """Distance from each query row to its nearest reference row."""
    return pairwise_distances(queries, references).min(axis=1)


def memorization(samples, train, heldout, features="digits", percentile=5.0, batch_size=250):
    """Share of samples that sit closer to a training image than held-out images usually do.

    The threshold is the `percentile`-th percentile of the distances from
    each held-out image to its nearest training image: by construction
    that share of held-out images falls under it. A model that copies its
    training images puts far more of its samples under it; one that does
    not copy stays near `percentile` percent. Measured in pixel space and
    in the features of `features`.

    Args:
        samples: generated images, float in [-1, 1] or uint8, NHWC.
        train: the images the model was trained on, same conventions.
        heldout: images the model never saw, from the same distribution.
        features: `"digits"` or a feature-extractor callable.
        percentile: the held-out percentile used as the threshold.
        batch_size: images per feature-extractor call.

    Returns:
        dict with `memorized_share_pixels`, `memorized_share_features`
        (each in [0, 1]; about `percentile / 100` when nothing is copied),
        the two thresholds and `memorization_percentile`.

    Example:
    >>> memorization(model.generate(1000, seed=0), train_images, test_images)
    {'memorized_share_pixels': 0.03, 'memorized_share_features': 0.05, ...}
    """
    if not 0.0 < percentile < 100.0:
        raise ValueError(f"percentile must be in (0, 100); got {percentile}.")
    sets = {
        "samples": _to_model_range(samples, "samples"),
        "train": _to_model_range(train, "train"),
        "heldout": _to_model_range(heldout, "heldout"),
    }
    shapes = {name: x.shape[1:] for name, x in sets.items()}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"samples, train and heldout must have the same image shape; got {shapes}.")
    results = {"memorization_percentile": float(percentile)}
    extractor = _resolve_features(features)
    spaces = {
        "pixels": {name: x.reshape(len(x), -1) for name, x in sets.items()},
        "features": {name: compute_features(x, extractor, batch_size, name=name) for name, x in sets.items()},
    }
    for space, f in spaces.items():
        threshold = np.percentile(nearest_distances(f["heldout"], f["train"]), percentile)
        share = np.mean(nearest_distances(f["samples"], f["train"]) < threshold)
        results[f"memorized_share_{space}"] = float(share)
        results[f"memorization_threshold_{space}"] = float(threshold)
    return results


def _poly_kernel(x, y):
    """The KID kernel k(x, y) = (x . y / d + 1)^3 for all pairs of rows."""
    k = x @ y.T / x.shape[1] + 1.0
    return k * k * k


def _check_features(features, name):
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or features.shape[0] == 0:
        raise ValueError(f"{name} must have shape (n, d) with n > 0; got {features.shape}.")
    if not np.all(np.isfinite(features)):
        raise ValueError(f"{name} contains NaN or Inf values.")
    return features


# ---------------------------------------------------------------------------
# Feature extractors.
# ---------------------------------------------------------------------------


class FeatureExtractor:
    """Wraps a Keras model as a feature extractor for FID / KID.

    Any callable that maps a float32 `(n, h, w, c)` batch in [-1, 1] to an
    `(n, d)` array works as a feature extractor; this class adapts the
    images to a Keras model's input first: RGB is converted to gray (or
    gray repeated to RGB) and other sizes are resized with antialiasing.

    Args:
        model: Keras model taking images in [-1, 1] of shape `image_shape`.
        image_shape: `(height, width, channels)` of the model's input.
        name: short name used in reports.

    Example:
    >>> extractor = FeatureExtractor(my_model, (32, 32, 3), name="mine")
    >>> features = extractor(images)  # (n, d) numpy array
    """

    def __init__(self, model, image_shape, name="features"):
        self.model = model
        self.image_shape = tuple(int(s) for s in image_shape)
        self.name = name
        self._forward = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec((None,) + self.image_shape, tf.float32)],
        )

    def preprocess(self, images):
        """Converts a [-1, 1] batch to the model's size and channel count."""
        x = tf.convert_to_tensor(images, dtype=tf.float32)
        if x.shape.rank != 4:
            raise ValueError(f"Expected a batch of shape (n, h, w, c); got {x.shape}.")
        height, width, channels = self.image_shape
        have = x.shape[-1]
        if have != channels:
            if have == 3 and channels == 1:
                x = tf.image.rgb_to_grayscale(x)
            elif have == 1 and channels == 3:
                x = tf.repeat(x, 3, axis=-1)
            else:
                raise ValueError(f"The {self.name} extractor takes 1- or 3-channel images; got {have} channels.")
        if x.shape[1] != height or x.shape[2] != width:
            x = tf.image.resize(x, (height, width), method="bilinear", antialias=True)
            x = tf.clip_by_value(x, -1.0, 1.0)
        return x

    def __call__(self, images):
        """Features of a batch as a float32 numpy array of shape `(n, d)`."""
        features = self._forward(self.preprocess(images))
        return np.asarray(features, dtype=np.float32).reshape(features.shape[0], -1)


def build_digits_classifier():
    """The small CNN whose penultimate layer gives the digits features.

    conv 3x3 32 - max-pool - conv 3x3 64 - max-pool - dropout - dense 128
    ("features") - dropout - dense 10 ("logits"). Input: (28, 28, 1) in
    [-1, 1]. Only the architecture is built here; weights are loaded by
    `digits_features()` / `classify_digits()` from the zoo.

    Returns:
        a `keras.Model` mapping images to the 10 class logits.

    Example:
    >>> model = build_digits_classifier()
    >>> model.output.shape
    (None, 10)
    """
    inputs = keras.Input(DIGITS_IMAGE_SHAPE, name="images")
    x = keras.layers.Conv2D(32, 3, activation="relu", name="conv1")(inputs)
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = keras.layers.Conv2D(64, 3, activation="relu", name="conv2")(x)
    x = keras.layers.MaxPooling2D(2, name="pool2")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dropout(0.25, name="dropout1")(x)
    x = keras.layers.Dense(128, activation="relu", name="features")(x)
    x = keras.layers.Dropout(0.5, name="dropout2")(x)
    outputs = keras.layers.Dense(10, name="logits")(x)
    return keras.Model(inputs, outputs, name="digits_classifier")


def digits_entry_dir():
    """Folder of the shipped `mnist_classifier` zoo entry.

    The entry is looked up beside this kerasgen package first, so that the
    weights come from the same tree as `build_digits_classifier()`: inside
    the package as `kerasgen/_zoo` (a built wheel), or the top-level `zoo/`
    folder of a source checkout (setup.cfg maps it to `kerasgen._zoo`).
    """
    package = os.path.dirname(os.path.abspath(__file__))
    for root in (os.path.join(package, "_zoo"), os.path.join(os.path.dirname(package), "zoo")):
        if os.path.isfile(os.path.join(root, DIGITS_ENTRY, zoo.METADATA_FILE)):
            return os.path.join(root, DIGITS_ENTRY)
    return os.path.join(zoo.zoo_root(), DIGITS_ENTRY)


def load_digits_classifier(entry_dir=None):
    """Builds the digits classifier and loads its sha256-verified weights.

    Args:
        entry_dir: folder holding `metadata.json` and the weights file;
            defaults to the shipped `mnist_classifier` entry.

    Returns:
        the classifier (`build_digits_classifier()`) with trained weights.

    Raises:
        kerasgen.zoo.IntegrityError: the weights do not match the sha256 in
            the metadata; nothing is read from them.

    Example:
    >>> classifier = load_digits_classifier()
    """
    folder = os.path.abspath(entry_dir or digits_entry_dir())
    meta_path = os.path.join(folder, zoo.METADATA_FILE)
    if not os.path.isfile(meta_path):
        raise FileNotFoundError(
            f"{folder!r} has no {zoo.METADATA_FILE}; the digits classifier entry is missing. "
            "Recreate it with `python tools/train_classifier.py`."
        )
    with open(meta_path, encoding="utf-8") as f:
        meta = json.load(f)
    if meta.get("kind") != "feature_extractor":
        raise ValueError(f"{folder!r} is not a feature-extractor entry (metadata 'kind').")
    weights_path = zoo.entry_weights(folder, meta)
    model = build_digits_classifier()
    model.load_weights(weights_path)
    return model


@functools.lru_cache(maxsize=4)
def _digits_extractors(entry_dir):
    """(features extractor, logits extractor) of one classifier entry, loaded once."""
    classifier = load_digits_classifier(entry_dir)
    features = keras.Model(classifier.inputs, classifier.get_layer("features").output)
    return (
        FeatureExtractor(features, DIGITS_IMAGE_SHAPE, name="digits"),
        FeatureExtractor(classifier, DIGITS_IMAGE_SHAPE, name="digits classifier"),
    )


def digits_features(entry_dir=None):
    """Feature extractor for digits: the classifier's 128-unit layer.

    Images of another size are resized to 28x28 and RGB is converted to
    gray. The weights' sha256 is checked against the entry metadata before
    they are read; the extractor is built once per folder and process.

    Args:
        entry_dir: folder of a classifier entry; defaults to the shipped
            `mnist_classifier`.

    Returns:
        a `FeatureExtractor` giving `(n, 128)` features.

    Example:
    >>> extractor = digits_features()
    >>> extractor(images).shape
    (1000, 128)
    """
    return _digits_extractors(os.path.abspath(entry_dir or digits_entry_dir()))[0]


def classify_digits(images, batch_size=500, entry_dir=None):
    """Predicted digit labels, e.g. to check a conditional generator.

    Args:
        images: uint8 images, or floats in [-1, 1], of shape `(n, h, w)` or
            `(n, h, w, c)`; resized to 28x28 and converted to gray.
        batch_size: images per forward pass.
        entry_dir: folder of a classifier entry; defaults to the shipped one.

    Returns:
        int64 numpy array of shape `(n,)`.

    Example:
    >>> images, labels = kerasgen.data.mnist("test")
    >>> (classify_digits(images) == labels).mean()
    0.982
    """
    extractor = _digits_extractors(os.path.abspath(entry_dir or digits_entry_dir()))[1]
    logits = compute_features(images, extractor, batch_size=batch_size)
    return np.argmax(logits, axis=1)


def inception_features(weights_path=None, sha256=None):
    """Feature extractor with InceptionV3's 2048-d average-pooled features.

    The network is `keras.applications.InceptionV3(include_top=False,
    pooling="avg")` with weights from a local file only; kerasgen never
    downloads them. Images are resized to 299x299 and gray images repeated
    to RGB; pixels stay in [-1, 1], the range InceptionV3 expects.

    Args:
        weights_path: local path of the Keras InceptionV3 "notop" weights,
            e.g. `inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5`.
        sha256: optional 64-hex digest; the file is checked before loading.

    Returns:
        a `FeatureExtractor` giving `(n, 2048)` features.

    Example:
    >>> extractor = inception_features("/data/inception_v3_notop.h5")
    >>> kerasgen.metrics.fid(real, fake, features=extractor)
    """
    if weights_path is None or not os.path.isfile(os.fspath(weights_path)):
        where = "no path was given" if weights_path is None else f"{os.fspath(weights_path)!r} does not exist"
        raise FileNotFoundError(
            f"inception_features needs a local InceptionV3 weights file, but {where}. "
            "kerasgen never downloads weights: fetch "
            "'inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5' (Keras "
            "applications) yourself and pass its path, or use features='digits'."
        )
    weights_path = os.fspath(weights_path)
    if sha256 is not None:
        zoo.verify_weights(weights_path, sha256)
    model = keras.applications.InceptionV3(
        include_top=False,
        pooling="avg",
        weights=weights_path,
        input_shape=INCEPTION_IMAGE_SHAPE,
    )
    return FeatureExtractor(model, INCEPTION_IMAGE_SHAPE, name="inception")


# ---------------------------------------------------------------------------
# FID / KID on images.
# ---------------------------------------------------------------------------


def _resolve_features(features):
    if isinstance(features, str):
        if features == "digits":
            return digits_features()
        raise ValueError(
            f"Unknown features {features!r}: use 'digits', inception_features(path), "
            "or any callable mapping [-1, 1] NHWC images to (n, d) features."
        )
    if not callable(features):
        raise TypeError(f"features must be 'digits' or a callable; got {type(features).__name__}.")
    return features


def _to_model_range(images, name):
    images = np.asarray(images)
    if np.issubdtype(images.dtype, np.floating):
        # Floats are [-1, 1] by convention; an array of only non-negative
        # values must not be mistaken for [0, 1].
        return data.to_model_range(images, value_range=(-1.0, 1.0), name=name)
    return data.to_model_range(images, name=name)


def compute_features(images, features="digits", batch_size=250, name="images"):
    """Runs a feature extractor over images in batches.

    Args:
        images: float images in [-1, 1] or uint8 images, `(n, h, w[, c])`.
        features: `"digits"` or a feature-extractor callable.
        batch_size: images per call of the extractor.
        name: what to call the images in error messages.

    Returns:
        float64 numpy array of shape `(n, d)`.

    Example:
    >>> compute_features(images, "digits").shape
    (1000, 128)
    """
    extractor = _resolve_features(features)
    images = _to_model_range(images, name)
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive; got {batch_size}.")
    chunks = []
    for start in range(0, images.shape[0], batch_size):
        batch = images[start : start + batch_size]
        out = np.asarray(extractor(batch), dtype=np.float64)
        if out.ndim != 2 or out.shape[0] != batch.shape[0]:
            raise ValueError(
                f"A feature extractor must return shape (n, d); got {out.shape} for {batch.shape[0]} images."
            )
        chunks.append(out)
    return np.concatenate(chunks, axis=0)


def fid(real_images, fake_images, features="digits", batch_size=250):
    """Frechet distance between the features of real and generated images.

    Args:
        real_images: reference images, float in [-1, 1] or uint8, NHWC.
        fake_images: generated images, same conventions.
        features: `"digits"` (default), `inception_features(path)`, or any
            callable mapping [-1, 1] NHWC images to `(n, d)` features.
        batch_size: images per feature-extractor call.

    Returns:
        FID as a Python float (lower is better).

    Example:
    >>> real, _ = kerasgen.data.mnist("test")
    >>> fid(real, model.generate(1000, seed=0))
    """
    extractor = _resolve_features(features)
    f_real = compute_features(real_images, extractor, batch_size, name="real_images")
    f_fake = compute_features(fake_images, extractor, batch_size, name="fake_images")
    mu1, sigma1 = feature_statistics(f_real)
    mu2, sigma2 = feature_statistics(f_fake)
    return frechet_distance(mu1, sigma1, mu2, sigma2)


def kid(real_images, fake_images, features="digits", batch_size=250, num_subsets=100, subset_size=1000, seed=0):
    """Kernel distance (KID) between real and generated images.

    Args:
        real_images: reference images, float in [-1, 1] or uint8, NHWC.
        fake_images: generated images, same conventions.
        features: `"digits"` (default) or a feature-extractor callable.
        batch_size: images per feature-extractor call.
        num_subsets: subsets averaged by `kernel_distance`.
        subset_size: rows per subset.
        seed: seed of the subset draws.

    Returns:
        `(mean, std)` over the subsets (lower is better).

    Example:
    >>> kid_mean, kid_std = kid(real, model.generate(1000, seed=0))
    """
    extractor = _resolve_features(features)
    f_real = compute_features(real_images, extractor, batch_size, name="real_images")
    f_fake = compute_features(fake_images, extractor, batch_size, name="fake_images")
    return kernel_distance(f_real, f_fake, num_subsets=num_subsets, subset_size=subset_size, seed=seed)


def precision_recall(real_images, fake_images, features="digits", k=3, batch_size=250):
    """Improved precision and recall (Kynkaanniemi et al., 2019) of generated images.

    Args:
        real_images: reference images, float in [-1, 1] or uint8, NHWC.
        fake_images: generated images, same conventions.
        features: `"digits"` (default) or a feature-extractor callable.
        k: neighbourhood size of the manifold estimate (3 in the paper).
        batch_size: images per feature-extractor call.

    Returns:
        `(precision, recall)`, each in [0, 1] (higher is better).

    Example:
    >>> precision, recall = precision_recall(real, model.generate(1000, seed=0))
    """
    extractor = _resolve_features(features)
    f_real = compute_features(real_images, extractor, batch_size, name="real_images")
    f_fake = compute_features(fake_images, extractor, batch_size, name="fake_images")
    return manifold_precision_recall(f_real, f_fake, k=k)


def evaluate_generator(generate_fn, real_images, n=1000, seed=0, features="digits", batch_size=250):
    """FID, KID, precision and recall of a generator for a fixed sample count and seed.

    The first `n` real images (all of them if there are fewer) are compared
    with `generate_fn(n, seed=seed)`, so the numbers can be recorded in zoo
    metadata and reproduced. KID uses 100 subsets of half the smaller set
    (at most 1,000 rows), so that its std reflects the sampling spread.

    Args:
        generate_fn: callable `(n, seed=...) -> images` in [-1, 1], NHWC,
            e.g. `model.generate`.
        real_images: reference images, float in [-1, 1] or uint8.
        n: number of generated images.
        seed: seed passed to `generate_fn` and to KID's subset draws.
        features: `"digits"` or a feature-extractor callable.
        batch_size: images per feature-extractor call.

    Returns:
        dict with `fid`, `kid`, `kid_std`, `precision`, `recall` (k=3),
        `kid_subset_size`,
        `num_generated`, `num_real`, `seed` and `features`.

    Example:
    >>> real, _ = kerasgen.data.mnist("test")
    >>> evaluate_generator(model.generate, real, n=1000)
    {'fid': 8.1, 'kid': 0.003, 'kid_std': 0.0004, ...}
    """
    extractor = _resolve_features(features)
    real_images = np.asarray(real_images)[:n]
    fake_images = generate_fn(n, seed=seed)
    fake_images = np.asarray(fake_images)
    if fake_images.shape[0] != n:
        raise ValueError(f"generate_fn({n}) returned {fake_images.shape[0]} images.")
    f_real = compute_features(real_images, extractor, batch_size, name="real_images")
    f_fake = compute_features(fake_images, extractor, batch_size, name="generated images")
    mu1, sigma1 = feature_statistics(f_real)
    mu2, sigma2 = feature_statistics(f_fake)
    subset_size = max(2, min(1000, min(len(f_real), len(f_fake)) // 2))
    kid_mean, kid_std = kernel_distance(f_real, f_fake, subset_size=subset_size, seed=seed)
    precision, recall = manifold_precision_recall(f_real, f_fake, k=PRECISION_RECALL_K)
    name = features if isinstance(features, str) else getattr(extractor, "name", type(extractor).__name__)
    return {
        "fid": frechet_distance(mu1, sigma1, mu2, sigma2),
        "kid": kid_mean,
        "kid_std": kid_std,
        "precision": precision,
        "recall": recall,
        "kid_subset_size": subset_size,
        "num_generated": int(n),
        "num_real": int(real_images.shape[0]),
        "seed": int(seed),
        "features": name,
    }
