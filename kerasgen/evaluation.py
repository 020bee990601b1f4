"""One evaluation path for every model: the figures follow from what the model can do.

`evaluate(model, heldout)` asks the model (`model.capabilities`), never its
class:

- reconstruct: its `test_step` figures on the held-out images (reconstruction
  error; ELBO for the VAE);
- generate: FID and KID of as many samples as held-out images on the digits
  classifier's features, the held-out images resized to the model's size;
  improved precision and recall (k=3); with `reference` images (the
  training split) the real-data floor, FID of reference against held-out
  images processed the same way, and the memorization check (share of
  samples nearer a training image than the 5th percentile of held-out
  images' nearest-training distances, in pixels and features);
- conditional: `label_accuracy`, the share of class-conditional samples the
  digits classifier assigns to the class they were drawn for;
- log_likelihood: the importance-weighted bound on log p(x);
- prior_match: MMD^2 between held-out codes and prior samples, with the floor
  of two prior draws and the baseline of a Gaussian fitted to the codes
  (codes that follow the prior's shape score well below that baseline);
- translate: mean absolute errors against the known answer of a translation
  task, with identity and mean-image baselines; for a multi-domain model
  (`batch_structure` DOMAIN_IMAGES) over every ordered pair of the
  embedded eight-domain task's domains, with the share of digits whose
  class survives a translation back to the plain domain;
- complete: key patches cropped from each held-out image (fixed seed), the
  whole image completed from them: where the predicted masks put the
  patches (IoU with the true boxes), how well the completion reproduces each
  patch where its mask puts it, the digits classifier's agreement with the
  source digit's class and FID of the completions, beside the patches
  alone pasted on a blank canvas at their true positions and at the centre;
- codes: for a model with structured codes (InfoGAN), how well a
  categorical code matches the digit classes (1,000 samples per code value,
  classified, codes matched one-to-one to classes by the Hungarian method),
  the same for Q's inferred codes of held-out digits, and how monotonically
  each continuous code moves a measurable property of the ink (slant,
  thickness, width).
"""

import numpy as np

from kerasgen import data
from kerasgen.models.base import (
    CODES,
    COMPLETE,
    CONDITIONAL,
    DOMAIN_IMAGES,
    GENERATE,
    LABELED_IMAGES,
    LOG_LIKELIHOOD,
    PRIOR_MATCH,
    RECONSTRUCT,
    TRANSLATE,
)


def evaluate(model, heldout, labels=None, num_importance_samples=1000, seed=0, reference=None, task=None, digits=True):
    """Measures a trained model on held-out data.

    Args:
        model: a kerasgen model.
        heldout: held-out images (uint8 or [-1, 1]); for a translation model
            the pair `(images_a, images_b)` where `images_b` holds the known
            right translations of `images_a`.
        labels: held-out labels (unused unless the model needs them).
        num_importance_samples: K of the importance-weighted bound.
        seed: seed of every random draw, so figures can be recorded and reproduced.
        reference: optional training images, for the real-data floor of FID.
        task: optional translation task dict (`train_a`, `train_b`) for the
            mean-image baselines of a translation model.
        digits: whether the images are digits and label i means digit i (the
            embedded data). False (your own data) skips the figures only the
            digits classifier can judge: `label_accuracy` and the InfoGAN
            code figures.

    Returns:
        dict of metric name -> float (and the protocol as a string).

    Example:
    >>> images, labels = kerasgen.data.mnist("test")
    >>> kerasgen.evaluation.evaluate(kerasgen.zoo.load("vae"), images, labels)
    """
    import keras

    keras.utils.set_random_seed(seed)
    # The held-out ELBO, the importance-weighted bound and the AAE's
    # discriminator figures are Monte Carlo estimates: restarting the model's
    # own random streams makes them the same on every run.
    model.reseed(seed)
    results = {}
    if model.can(TRANSLATE) and model.batch_structure == DOMAIN_IMAGES:
        results.update(domain_task_metrics(model, heldout, labels))
        return results
    if model.can(TRANSLATE):
        a, b = heldout
        results.update(translation_task_metrics(model, dict(task or {}, test_a=a, test_b=b)))
        return results
    x = data.to_model_range(heldout)
    if model.can(COMPLETE):
        results.update(completion_metrics(model, x, labels, seed=seed))
    if model.can(RECONSTRUCT):
        # A model that trains on (images, labels), such as the supervised
        # AAE, is evaluated on the held-out labels too.
        labeled = model.batch_structure == LABELED_IMAGES
        if labeled and labels is None:
            raise ValueError(f"{type(model).__name__} trains on (images, labels): evaluate needs the held-out labels.")
        ds = data.dataset(
            x, model.image_shape, batch_size=250, shuffle=False, cache=False, labels=labels if labeled else None
        )
        results.update({f"test_{k}": float(v) for k, v in model.evaluate(ds, verbose=0, return_dict=True).items()})
    if model.can(GENERATE):
        results.update(sample_quality(model, x, seed=seed, reference=reference))
    if model.can(CODES) and digits:
        results.update(code_metrics(model, x, labels, seed=seed))
    if model.can(CONDITIONAL) and digits:
        from kerasgen import metrics

        wanted = model.sample_labels(len(x), seed)
        fake = model.generate(len(x), labels=wanted, seed=seed)
        results["label_accuracy"] = float(np.mean(metrics.classify_digits(fake) == wanted))
    if model.can(LOG_LIKELIHOOD):
        bounds = np.concatenate(
            [model.log_likelihood(x[i : i + 50], num_samples=num_importance_samples) for i in range(0, len(x), 50)]
        )
        results[f"test_log_likelihood_iwae_k{num_importance_samples}"] = float(np.mean(bounds))
    if model.can(PRIOR_MATCH):
        # How closely the held-out codes follow the prior (fixed-kernel MMD^2;
        # two independent prior draws of the same size give the floor).
        from kerasgen import distributions

        results["test_prior_mmd"] = model.prior_match(x, seed=seed)
        floor = [np.asarray(model.sample_latents(len(x), seed=s)) for s in (seed + 1, seed + 2)]
        results["prior_mmd_floor"] = distributions.maximum_mean_discrepancy(*floor)
        # A Gaussian with the codes' mean and covariance: codes that merely
        # sit in the right region, without the prior's shape, score like it.
        codes = np.asarray(model.encode(x), dtype=np.float64)
        gaussian = np.random.default_rng(seed).multivariate_normal(
            codes.mean(axis=0), np.atleast_2d(np.cov(codes, rowvar=False)), size=len(codes)
        )
        prior = np.asarray(model.sample_latents(len(x), seed=seed))
        results["prior_mmd_gaussian_baseline"] = distributions.maximum_mean_discrepancy(gaussian, prior)
        # How many times closer to the prior the codes are than that Gaussian
        # (None when the codes' MMD is at or below 0: as close as two prior draws).
        mmd = results["test_prior_mmd"]
        results["prior_mmd_gaussian_factor"] = results["prior_mmd_gaussian_baseline"] / mmd if mmd > 0 else None
    return results


def at_size(images, image_shape):
    """Images in [-1, 1] resized (bilinear) to `image_shape`'s height and width; unchanged when they match."""
    import tensorflow as tf

    x = data.to_model_range(images)
    if tuple(x.shape[1:3]) == tuple(image_shape[:2]):
        return x
    return np.clip(tf.image.resize(x, image_shape[:2]).numpy(), -1.0, 1.0)


def sample_quality(model, real, seed=0, reference=None):
    """FID / KID of `len(real)` samples against `real` resized to the model's size (digits features).

    A model trained on resized digits (ProGAN at 32x32) is compared with
    held-out digits resized the same way, so the figure scores the
    generator and not the two resizings.
    """
    from kerasgen import metrics

    real = at_size(real, model.image_shape)
    # One set of samples serves every figure below.
    samples = model.generate(len(real), seed=seed)
    quality = metrics.evaluate_generator(lambda n, seed: samples[:n], real, n=len(real), seed=seed, features="digits")
    results = {f"{k}_digits": quality[k] for k in ("fid", "kid", "kid_std", "precision", "recall")}
    resized = "" if tuple(real.shape[1:3]) == (28, 28) else f" resized to {real.shape[1]}x{real.shape[2]}"
    results["sample_quality_protocol"] = (
        f"{quality['num_generated']} samples (seed {seed}) vs the {quality['num_real']} held-out digits{resized}, "
        f"digits-classifier features; KID over subsets of {quality['kid_subset_size']}; "
        f"precision/recall with k={metrics.PRECISION_RECALL_K}"
    )
    if reference is not None:
        reference = at_size(reference, model.image_shape)
        results["reference_fid_digits_train_vs_test"] = metrics.fid(real, reference[: len(real)])
        # Samples closer to a training image than 95% of held-out images are
        # flagged: a model that copies its training set scores near 1.
        results.update(metrics.memorization(samples, reference, real, features="digits"))
    results["resolution"] = int(samples.shape[1])
    return results


def translation_task_metrics(model, task):
    """Mean absolute errors of a two-domain translation model on a known-answer task, with baselines.

    `task` holds `test_a` (images x) and `test_b` (their right translations
    T(x)), float32 in [-1, 1]; when it also holds `train_a` / `train_b` the mean-image baselines
    use those, otherwise the MNIST-5k task's training halves. Errors are in
    [-1, 1] pixel units.

    Returns:
        dict: `mae_g_vs_t` |G(x) - T(x)|, `mae_f_vs_x` |F(T(x)) - x|,
        `mae_cycle_a` |F(G(x)) - x|, and baselines `*_identity_baseline`
        (the input itself) and `*_mean_image_baseline` (the mean training
        image of the target domain).
    """
    x, tx = np.asarray(task["test_a"], "float32"), np.asarray(task["test_b"], "float32")
    if "train_a" not in task:
        task = dict(data.mnist_translation_task(), test_a=x, test_b=tx)
    g_x = model.translate(x, "a2b")
    f_tx = model.translate(tx, "b2a")
    f_g_x = model.translate(g_x, "b2a")
    mean_b = task["train_b"].mean(axis=0, keepdims=True)
    mean_a = task["train_a"].mean(axis=0, keepdims=True)

    def mae(p, q):
        return float(np.mean(np.abs(p - q)))

    return {
        "mae_g_vs_t": mae(g_x, tx),
        "mae_g_identity_baseline": mae(x, tx),
        "mae_g_mean_image_baseline": mae(mean_b, tx),
        "mae_f_vs_x": mae(f_tx, x),
        "mae_f_identity_baseline": mae(tx, x),
        "mae_f_mean_image_baseline": mae(mean_a, x),
        "mae_cycle_a": mae(f_g_x, x),
    }


def domain_translations(model, digits):
    """Every translation of the eight-domain task: yields `(a, b, source, translation, answer)` for a, b in 0..7.

    The source is T_a(d) of the held-out digits d, the translation
    `model.translate(T_a(d), b)`, the answer T_b(d)
    (`kerasgen.data.domain_transform`); a == b is translating into the
    domain the image is in.

    Args:
        model: a multi-label translation model over `kerasgen.data.DOMAIN_ATTRIBUTES`.
        digits: plain digits in [-1, 1].
    """
    answers = [data.domain_transform(digits, data.domain_attributes(k)) for k in range(8)]
    for a in range(8):
        for b in range(8):
            yield a, b, answers[a], np.asarray(model.translate(answers[a], data.domain_attributes(b))), answers[b]


def domain_task_metrics(model, digits, digit_labels, train=None):
    """Errors of a multi-domain translation model on the embedded eight-domain task, with baselines.

    For every held-out digit d and every ordered pair of distinct domains
    (a, b), the model translates T_a(d) to domain b and is compared with
    T_b(d) (`kerasgen.data.domain_transform`). Errors are mean absolute
    differences in [-1, 1] pixel units.

    Args:
        model: a model whose label set is the task's attributes
            (`kerasgen.data.DOMAIN_ATTRIBUTES`, multi-label).
        digits: plain held-out digits in [-1, 1].
        digit_labels: their classes (for `digit_kept_accuracy`).
        train: optional `(images, attribute vectors)` of the training
            domains, for the mean-image baseline (default: the task's).

    Returns:
        dict: `mae_translation_mean` (over the 56 pairs), split into the
        24 pairs that keep the ink's polarity and the 32 that invert it
        (`mae_translation_keeping_polarity`, `mae_translation_inverting`),
        `mae_translation_worst_pair` and its name, `mae_same_domain`
        (translating into the domain it is already in), the baselines
        `mae_identity_baseline` (T_a(d) itself) and
        `mae_target_mean_image_baseline` (the mean training image of domain
        b), and `digit_kept_accuracy`: the share of translations from the
        seven other domains back to the plain one that the digits
        classifier assigns to the digit's class (`digit_kept_worst_domain`
        for the worst source domain).
    """
    from kerasgen import metrics

    groups = getattr(model, "label_groups", [])
    expected = list(data.DOMAIN_ATTRIBUTES)
    if len(groups) != 1 or not groups[0]["multi_label"] or groups[0]["labels"] != expected:
        raise ValueError(
            f"The multi-domain task scores a model whose one label set is the attributes {expected}; "
            f"this model has {[(g['name'], g['labels']) for g in groups]}."
        )
    digits = data.to_model_range(digits)
    if train is None:
        task = data.mnist_domain_task()
        train = task["train_images"], task["train_labels"]
    names = ["+".join(n for n, bit in zip(expected, data.domain_attributes(k)) if bit) or "plain" for k in range(8)]
    codes = np.asarray(train[1]) @ (2 ** np.arange(len(expected)))
    means = [np.asarray(train[0])[codes == b].mean(axis=0, keepdims=True) for b in range(8)]
    errors, same, identity, mean_image, kept = {}, [], [], [], []
    for a, b, source, out, answer in domain_translations(model, digits):
        error = float(np.mean(np.abs(out - answer)))
        if a == b:
            same.append(error)
            continue
        errors[(a, b)] = error
        identity.append(float(np.mean(np.abs(source - answer))))
        mean_image.append(float(np.mean(np.abs(means[b] - answer))))
        if b == 0:
            kept.append(float(np.mean(metrics.classify_digits(out) == np.asarray(digit_labels))))
    worst = max(errors, key=errors.get)
    inverted = expected.index("inverted")
    flips = [e for (a, b), e in errors.items() if (a >> inverted & 1) != (b >> inverted & 1)]
    keeps = [e for (a, b), e in errors.items() if (a >> inverted & 1) == (b >> inverted & 1)]
    return {
        "mae_translation_mean": float(np.mean(list(errors.values()))),
        "mae_translation_keeping_polarity": float(np.mean(keeps)),
        "mae_translation_inverting": float(np.mean(flips)),
        "mae_translation_worst_pair": errors[worst],
        "mae_translation_worst_pair_name": f"{names[worst[0]]} -> {names[worst[1]]}",
        "mae_same_domain": float(np.mean(same)),
        "mae_identity_baseline": float(np.mean(identity)),
        "mae_target_mean_image_baseline": float(np.mean(mean_image)),
        "digit_kept_accuracy": float(np.mean(kept)),
        "digit_kept_worst_domain": float(np.min(kept)),
        "translation_protocol": (
            f"{len(digits)} held-out digits, each translated from every domain to every other (56 ordered pairs), "
            "mean absolute error against the known answer in [-1, 1] pixel units"
        ),
    }


def _box_sums(masks, heights, widths):
    """Sum of each `(n, H, W)` mask over every placement of an `h x w` box: `(n, H - h + 1, W - w + 1)`."""
    padded = np.pad(np.cumsum(np.cumsum(masks, axis=1), axis=2), ((0, 0), (1, 0), (1, 0)))
    h, w = heights, widths
    return padded[:, h:, w:] - padded[:, :-h, w:] - padded[:, h:, :-w] + padded[:, :-h, :-w]


def mask_boxes(masks, sizes):
    """Where each predicted mask puts its patch: the box of the patch's size holding most of the mask.

    Args:
        masks: `(n, H, W, K)` predicted masks in [0, 1].
        sizes: int `(n, K, 2)` patch heights and widths.

    Returns:
        int boxes `(n, K, 4)` as `(top, left, height, width)`.
    """
    n, height, width, k = masks.shape
    boxes = np.zeros((n, k, 4), "int64")
    boxes[..., 2:] = sizes
    for j in range(k):
        for h, w in {tuple(s) for s in sizes[:, j]}:
            rows = np.flatnonzero((sizes[:, j, 0] == h) & (sizes[:, j, 1] == w))
            sums = _box_sums(masks[rows, :, :, j], h, w)
            best = sums.reshape(len(rows), -1).argmax(axis=1)
            boxes[rows, j, 0], boxes[rows, j, 1] = best // sums.shape[2], best % sums.shape[2]
    return boxes


def centred_patches(images, boxes, background=-1.0):
    """Each image's patches moved to the centre of a blank canvas (overlaps keep the brighter pixel)."""
    canvas = np.full(images.shape, background, "float32")
    height, width = images.shape[1:3]
    for i, image_boxes in enumerate(boxes):
        for top, left, h, w in image_boxes:
            y, x = (height - h) // 2, (width - w) // 2
            canvas[i, y : y + h, x : x + w] = np.maximum(
                canvas[i, y : y + h, x : x + w], images[i, top : top + h, left : left + w]
            )
    return canvas


def completion_metrics(model, images, labels=None, seed=0):
    """How well a part-to-whole model completes held-out images from their key patches, with baselines.

    K patches are cropped from each image (`model.key_patches`, seed
    `seed`) and completed with noise of the same seed.

    Returns:
        dict: `mask_iou` (mean over patches of the IoU of the predicted mask,
        thresholded at 0.5, with the patch's true box); `patch_mae` (mean
        absolute error between each patch and the completion inside the box
        of the patch's size where its mask is densest, [-1, 1] units) and
        `patch_mae_true_position` (the completion at the patch's true box);
        `patch_located` (share of patches whose mask box overlaps the true
        box with IoU >= 0.5); with `labels`, `class_agreement` of the
        digits classifier on the completions and its baselines
        `class_agreement_pasted_baseline` (the patches alone on a blank
        canvas at their true positions) and `class_agreement_centre_baseline`
        (at the centre); `fid_digits` of the completions against the
        images, with the same two baselines.
    """
    from kerasgen import metrics
    from kerasgen.models.part_to_whole import paste_patches

    x = at_size(images, model.image_shape)
    patches, boxes = model.key_patches(x, seed=seed)
    completed, masks = model.complete(patches, seed=seed)
    height, width = model.image_shape[:2]
    truth = data.box_masks(boxes, height, width).numpy() > 0
    predicted = masks > 0.5
    iou = (predicted & truth).sum(axis=(1, 2)) / np.maximum((predicted | truth).sum(axis=(1, 2)), 1)
    found = mask_boxes(masks, boxes[..., 2:])

    def box_error(where):
        errors = []
        for i in range(len(x)):
            for (top, left, h, w), (t, l, _, _) in zip(boxes[i], where[i]):
                errors.append(
                    np.mean(np.abs(completed[i, t : t + h, l : l + w] - x[i, top : top + h, left : left + w]))
                )
        return float(np.mean(errors))

    overlap = np.maximum(
        0,
        np.minimum(found[..., 0] + found[..., 2], boxes[..., 0] + boxes[..., 2])
        - np.maximum(found[..., 0], boxes[..., 0]),
    ) * np.maximum(
        0,
        np.minimum(found[..., 1] + found[..., 3], boxes[..., 1] + boxes[..., 3])
        - np.maximum(found[..., 1], boxes[..., 1]),
    )
    areas = boxes[..., 2] * boxes[..., 3]
    box_iou = overlap / (2 * areas - overlap)
    pasted, centred = paste_patches(x, boxes), centred_patches(x, boxes)
    results = {
        "mask_iou": float(np.mean(iou)),
        "patch_located": float(np.mean(box_iou >= 0.5)),
        "patch_mae": box_error(found),
        "patch_mae_true_position": box_error(boxes),
    }
    if labels is not None:
        labels = np.asarray(labels)
        for name, shown in (("", completed), ("_pasted_baseline", pasted), ("_centre_baseline", centred)):
            results[f"class_agreement{name}"] = float(np.mean(metrics.classify_digits(shown) == labels))
    for name, shown in (("", completed), ("_pasted_baseline", pasted), ("_centre_baseline", centred)):
        results[f"fid_digits{name}"] = metrics.fid(x, shown)
    low, high = model.patch_size
    sizes = f"{low} px" if low == high else f"{low}-{high} px"
    results["completion_protocol"] = (
        f"{len(x)} held-out images, {model.num_patches} key patches of {sizes} each "
        f"(kerasgen.data.key_patches, seed {seed}), completed with noise of seed {seed}; "
        "IoU of masks thresholded at 0.5; errors in [-1, 1] pixel units"
    )
    return results


def matched_accuracy(counts):
    """Accuracy of the best one-to-one matching of rows (code values) to columns (classes) of a count matrix.

    Rows left unmatched (more code values than classes) count as errors.
    """
    from scipy.optimize import linear_sum_assignment

    counts = np.asarray(counts, dtype=np.float64)
    rows, cols = linear_sum_assignment(-counts)
    return float(counts[rows, cols].sum() / counts.sum())


def ink_properties(images):
    """Per image: `slant` (angle of the ink's principal axis from vertical, radians), `thickness`
    (ink mass, in pixels) and `width` (standard deviation of the ink's column, in pixels).

    Ink is (x + 1) / 2 of the channel mean, so bright strokes on a dark ground.
    """
    ink = (np.asarray(images, dtype=np.float64).mean(axis=-1) + 1.0) / 2.0
    n, height, width = ink.shape
    rows, cols = np.mgrid[0:height, 0:width]
    mass = ink.sum(axis=(1, 2)) + 1e-9
    mean_r = (ink * rows).sum(axis=(1, 2)) / mass
    mean_c = (ink * cols).sum(axis=(1, 2)) / mass
    dr, dc = rows[None] - mean_r[:, None, None], cols[None] - mean_c[:, None, None]
    var_r = (ink * dr**2).sum(axis=(1, 2)) / mass
    var_c = (ink * dc**2).sum(axis=(1, 2)) / mass
    cov = (ink * dr * dc).sum(axis=(1, 2)) / mass
    # The principal axis's angle from the vertical: positive leans right at the top.
    slant = 0.5 * np.arctan2(-2.0 * cov, var_r - var_c)
    return {"slant": slant, "thickness": mass, "width": np.sqrt(var_c)}


def code_metrics(model, images, labels=None, seed=0, per_value=1000, settings=100, steps=11):
    """How interpretable a model's structured codes are, on digits.

    Returns:
        dict: for each categorical code `code_NAME_matched_accuracy` (samples
        of each code value, classified by the digits classifier, code values
        matched one-to-one to digits) and, with `labels`,
        `code_NAME_inferred_accuracy` (Q's code for the held-out digits,
        matched the same way to their labels); for each continuous code
        `code_NAME_correlation_PROPERTY`: the Pearson correlation between
        the code, swept from -1 to 1 in `steps` steps with everything else
        fixed, and an ink property (`ink_properties`), averaged over
        `settings` draws of the rest. The first categorical code's figures
        are also `category_matched_accuracy` / `inferred_category_accuracy`,
        and the largest absolute mean correlation of any continuous code is
        `continuous_code_correlation` (with `continuous_code_best`, code and property).
    """
    from kerasgen import metrics

    results, first = {}, True
    digits = tuple(model.image_shape) == (28, 28, 1)
    for code in model.codes:
        name = code["name"]
        if code["kind"] != "categorical":
            continue
        if digits:
            counts = np.zeros((code["size"], 10))
            for value in range(code["size"]):
                fake = model.generate(per_value, seed=seed + value, codes={name: value})
                counts[value] = np.bincount(metrics.classify_digits(fake), minlength=10)[:10]
            results[f"code_{name}_matched_accuracy"] = matched_accuracy(counts)
        if labels is not None:
            inferred = model.infer_codes(images)[name]
            counts = np.zeros((code["size"], int(np.max(labels)) + 1))
            np.add.at(counts, (inferred, np.asarray(labels, dtype=int)), 1)
            results[f"code_{name}_inferred_accuracy"] = matched_accuracy(counts)
        if first:
            first = False
            if f"code_{name}_matched_accuracy" in results:
                results["category_matched_accuracy"] = results[f"code_{name}_matched_accuracy"]
            if f"code_{name}_inferred_accuracy" in results:
                results["inferred_category_accuracy"] = results[f"code_{name}_inferred_accuracy"]
    sweep = np.linspace(-1.0, 1.0, steps)
    best = (0.0, None)
    for code in model.codes:
        if code["kind"] != "continuous":
            continue
        name = code["name"]
        rest = np.array(model.sample_latents(settings, seed=seed + 100))
        column = model.noise_dim + model.code_offsets[model.codes.index(code)]
        latents = np.repeat(rest, steps, axis=0)
        latents[:, column] = np.tile(sweep, settings)
        props = ink_properties(model.decode_in_batches(latents))
        for prop, values in props.items():
            values = values.reshape(settings, steps)
            centred = values - values.mean(axis=1, keepdims=True)
            spread = np.sqrt((centred**2).sum(axis=1)) * np.sqrt(((sweep - sweep.mean()) ** 2).sum())
            r = (centred * (sweep - sweep.mean())).sum(axis=1) / np.maximum(spread, 1e-12)
            mean_r = float(np.mean(r))
            results[f"code_{name}_correlation_{prop}"] = mean_r
            if abs(mean_r) > abs(best[0]):
                best = (mean_r, f"{name} ~ {prop}")
    if best[1] is not None:
        results["continuous_code_correlation"] = abs(best[0])
        results["continuous_code_best"] = best[1]
    results["codes_protocol"] = (
        f"{per_value} samples per categorical code value (seeds {seed}..), digits classifier, Hungarian matching; "
        f"continuous codes swept from -1 to 1 in {steps} steps over {settings} draws of the rest, Pearson "
        "correlation with the ink's slant, thickness and width, averaged over draws"
    )
    return results
