"""Stateless GAN losses and penalties.

Every adversarial loss takes discriminator *logits* (raw, unbounded scores)
and returns a float32 scalar averaged over the global batch: a per-example
loss vector is computed first and reduced with
`tf.nn.compute_average_loss`, which divides by the per-replica batch size
times the number of replicas in sync. Outside a `tf.distribute` strategy this
is a plain mean; inside one, summing the per-replica values (what gradient
all-reduce does) gives the loss of the global batch. Each replica's value
is therefore 1 / num_replicas of its local mean; multiply by
`tf.distribute.get_strategy().num_replicas_in_sync` before updating a
`keras.metrics.Mean` tracker.

Logits of any rank are accepted: `(batch,)`, `(batch, 1)` or a PatchGAN map
`(batch, h, w, 1)`. Non-batch axes are averaged into one value per example.
Inputs in `bfloat16` or `float16` are cast to float32 before any arithmetic.

Pass `per_example=True` to get the float32 per-example vector instead of the
reduced scalar (for custom weighting). Discriminator losses then return the
per-example sum of their real and fake terms, so both batches must have the
same size.

Naming follows TF-GAN: `<family>_generator_loss` and
`<family>_discriminator_loss`. Generator losses are minimized by G,
discriminator losses are minimized by D.

Example:

```python
real_logits = discriminator(real_images)
fake_logits = discriminator(generator(z))
d_loss = kerasgen.losses.modified_discriminator_loss(real_logits, fake_logits)
g_loss = kerasgen.losses.modified_generator_loss(fake_logits)
```
"""

import keras
import tensorflow as tf


def _float32(x):
    return tf.cast(x, "float32")


def _per_example_mean(x):
    """Casts to float32 and averages every axis except the batch axis."""
    x = tf.cast(x, "float32")
    if x.shape.rank == 0:
        raise ValueError("Expected a tensor with a leading batch axis, got a scalar.")
    if x.shape.rank == 1:
        return x
    return tf.reduce_mean(x, axis=list(range(1, x.shape.rank)))


def _reduce(per_example_loss, per_example):
    if per_example:
        return per_example_loss
    return tf.nn.compute_average_loss(per_example_loss)


def _sum_terms(real_term, fake_term, per_example):
    if per_example:
        return real_term + fake_term
    return tf.nn.compute_average_loss(real_term) + tf.nn.compute_average_loss(fake_term)


# Minimax (Goodfellow et al. 2014). With D(x) = sigmoid(l):
#   -log D(x)      = softplus(-l)
#   -log(1 - D(x)) = softplus(l)


def minimax_generator_loss(fake_logits, per_example=False):
    """Original minimax generator loss: E[log(1 - D(G(z)))].

    Minimized by G. It saturates when D confidently rejects fakes, which is
    why `modified_generator_loss` is used in practice.

    Args:
        fake_logits: discriminator logits on generated samples.
        per_example: return the float32 per-example vector instead of the
            global-batch average.

    Example:

    ```python
    loss = minimax_generator_loss(tf.zeros((4, 1)))  # -log 2
    ```
    """
    per = _per_example_mean(-tf.math.softplus(_float32(fake_logits)))
    return _reduce(per, per_example)


def minimax_discriminator_loss(real_logits, fake_logits, per_example=False):
    """Minimax discriminator loss: -E[log D(x)] - E[log(1 - D(G(z)))].

    This is the negated value function V(D, G), i.e. the sigmoid
    cross-entropy with label 1 on real and 0 on fake samples.

    Args:
        real_logits: discriminator logits on real samples.
        fake_logits: discriminator logits on generated samples.
        per_example: return the float32 per-example vector instead of the
            global-batch average.

    Example:

    ```python
    loss = minimax_discriminator_loss(tf.zeros((4, 1)), tf.zeros((4, 1)))
    ```
    """
    real_term = _per_example_mean(tf.math.softplus(-_float32(real_logits)))
    fake_term = _per_example_mean(tf.math.softplus(_float32(fake_logits)))
    return _sum_terms(real_term, fake_term, per_example)


def modified_generator_loss(fake_logits, per_example=False):
    """Non-saturating generator loss: -E[log D(G(z))].

    Args:
        fake_logits: discriminator logits on generated samples.
        per_example: return the float32 per-example vector instead of the
            global-batch average.

    Example:

    ```python
    loss = modified_generator_loss(tf.zeros((4, 1)))  # log 2
    ```
    """
    per = _per_example_mean(tf.math.softplus(-_float32(fake_logits)))
    return _reduce(per, per_example)


def modified_discriminator_loss(real_logits, fake_logits, per_example=False):
    """Same as `minimax_discriminator_loss`; paired with the modified G loss.

    Args:
        real_logits: discriminator logits on real samples.
        fake_logits: discriminator logits on generated samples.
        per_example: return the float32 per-example vector instead of the
            global-batch average.

    Example:

    ```python
    loss = modified_discriminator_loss(tf.ones((4, 1)), -tf.ones((4, 1)))
    ```
    """
    return minimax_discriminator_loss(real_logits, fake_logits, per_example=per_example)


def least_squares_generator_loss(fake_logits, per_example=False):
    """LSGAN generator loss: 0.5 * E[(D(G(z)) - 1)^2].

    Targets are 1 for real and 0 for fake (Mao et al. 2017, the a=0, b=c=1
    variant used by TF-GAN and CycleGAN). The factor 0.5 follows TF-GAN;
    CycleGAN's reference code uses no factor on G and halves the D loss,
    so callers reproducing it multiply this loss by 2.

    Args:
        fake_logits: discriminator outputs (no activation) on fakes.
        per_example: return the float32 per-example vector instead of the
            global-batch average.

    Example:

    ```python
    loss = least_squares_generator_loss(tf.ones((4, 1)))  # 0.0
    ```
    """
    fake = _float32(fake_logits)
    per = _per_example_mean(0.5 * tf.square(fake - 1.0))
    return _reduce(per, per_example)


def least_squares_discriminator_loss(real_logits, fake_logits, per_example=False):
    """LSGAN discriminator loss: 0.5 * (E[(D(x) - 1)^2] + E[D(G(z))^2]).

    Args:
        real_logits: discriminator outputs (no activation) on real samples.
        fake_logits: discriminator outputs (no activation) on fakes.
        per_example: return the float32 per-example vector instead of the
            global-batch average.

    Example:

    ```python
    loss = least_squares_discriminator_loss(tf.ones((4, 1)), tf.zeros((4, 1)))
    ```
    """
    real = _float32(real_logits)
    fake = _float32(fake_logits)
    real_term = _per_example_mean(0.5 * tf.square(real - 1.0))
    fake_term = _per_example_mean(0.5 * tf.square(fake))
    return _sum_terms(real_term, fake_term, per_example)


def wasserstein_generator_loss(fake_logits, per_example=False):
    """WGAN generator loss: -E[D(G(z))].

    Args:
        fake_logits: critic scores on generated samples.
        per_example: return the float32 per-example vector instead of the
            global-batch average.

    Example:

    ```python
    loss = wasserstein_generator_loss(tf.ones((4, 1)))  # -1.0
    ```
    """
    per = -_per_example_mean(fake_logits)
    return _reduce(per, per_example)


def wasserstein_discriminator_loss(real_logits, fake_logits, per_example=False):
    """WGAN critic loss: E[D(G(z))] - E[D(x)].

    Add `gradient_penalty` (WGAN-GP) or clip weights to keep D Lipschitz.

    Args:
        real_logits: critic scores on real samples.
        fake_logits: critic scores on generated samples.
        per_example: return the float32 per-example vector instead of the
            global-batch average.

    Example:

    ```python
    loss = wasserstein_discriminator_loss(tf.ones((4, 1)), tf.zeros((4, 1)))
    ```
    """
    real_term = -_per_example_mean(real_logits)
    fake_term = _per_example_mean(fake_logits)
    return _sum_terms(real_term, fake_term, per_example)


def hinge_generator_loss(fake_logits, per_example=False):
    """Hinge generator loss: -E[D(G(z))].

    Args:
        fake_logits: discriminator scores on generated samples.
        per_example: return the float32 per-example vector instead of the
            global-batch average.

    Example:

    ```python
    loss = hinge_generator_loss(tf.ones((4, 1)))  # -1.0
    ```
    """
    # The hinge GAN's generator uses the Wasserstein generator loss unchanged.
    return wasserstein_generator_loss(fake_logits, per_example=per_example)


def hinge_discriminator_loss(real_logits, fake_logits, per_example=False):
    """Hinge discriminator loss: E[relu(1 - D(x))] + E[relu(1 + D(G(z)))].

    Args:
        real_logits: discriminator scores on real samples.
        fake_logits: discriminator scores on generated samples.
        per_example: return the float32 per-example vector instead of the
            global-batch average.

    Example:

    ```python
    loss = hinge_discriminator_loss(tf.ones((4, 1)), -tf.ones((4, 1)))  # 0.0
    ```
    """
    real = _float32(real_logits)
    fake = _float32(fake_logits)
    real_term = _per_example_mean(tf.nn.relu(1.0 - real))
    fake_term = _per_example_mean(tf.nn.relu(1.0 + fake))
    return _sum_terms(real_term, fake_term, per_example)


def _input_gradient(discriminator, inputs):
    """Gradient of sum(D(inputs)) with respect to inputs, in float32."""
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        scores = tf.cast(discriminator(inputs), "float32")
        total = tf.reduce_sum(scores)
    grad = tape.gradient(total, inputs)
    return tf.cast(grad, "float32")


def _flat_square_sum(x):
    return tf.reduce_sum(tf.reshape(tf.square(x), [tf.shape(x)[0], -1]), axis=1)


def gradient_penalty(discriminator, real, fake, seed=None, target=1.0, per_example=False, epsilon=None):
    """WGAN-GP penalty: E[(||grad D(x_hat)||_2 - target)^2].

    x_hat = alpha * real + (1 - alpha) * fake with alpha ~ U[0, 1] drawn once
    per example (Gulrajani et al. 2017). Returns the penalty without its
    weight; the caller multiplies by lambda (10 in WGAN-GP and ProGAN).

    The gradient is taken of the sum of D's outputs, so a PatchGAN output
    map is handled the same way as a single score. Call this inside the
    caller's `GradientTape` so the penalty is differentiated with respect
    to the discriminator's weights.

    Args:
        discriminator: callable mapping one batch tensor to scores. Wrap
            a discriminator with extra inputs in a lambda.
        real: batch of real samples.
        fake: batch of generated samples, same shape as `real`.
        seed: a `keras.random.SeedGenerator` (use one inside a compiled
            train step so alpha changes every step), an int, or None.
        target: the gradient norm being enforced (1.0 in WGAN-GP).
        per_example: return the float32 per-example vector instead of the
            global-batch average.
        epsilon: optional interpolation weights of shape
            `(batch, 1, ..., 1)` in [0, 1], used instead of a draw from
            `seed` (e.g. a global-batch draw split across replicas).

    Example:

    ```python
    seed_generator = keras.random.SeedGenerator(0)
    gp = gradient_penalty(discriminator, real, fake, seed=seed_generator)
    d_loss = wasserstein_discriminator_loss(r, f) + 10.0 * gp
    ```
    """
    real = tf.convert_to_tensor(real)
    fake = tf.cast(fake, real.dtype)
    batch = tf.shape(real)[0]
    alpha_shape = tf.concat([[batch], tf.ones([tf.rank(real) - 1], dtype="int32")], axis=0)
    if epsilon is None:
        alpha = keras.random.uniform(alpha_shape, dtype=real.dtype, seed=seed)
    else:
        alpha = tf.cast(tf.reshape(epsilon, alpha_shape), real.dtype)
    x_hat = alpha * real + (1.0 - alpha) * fake
    grad = _input_gradient(discriminator, x_hat)
    # The small constant keeps the sqrt differentiable at a zero gradient.
    norm = tf.sqrt(_flat_square_sum(grad) + 1e-10)
    per = tf.square(norm - target)
    return _reduce(per, per_example)


def r1_penalty(discriminator, real, per_example=False):
    """R1 penalty: E[||grad D(x)||_2^2] on real samples (Mescheder et al. 2018).

    Returned without its weight; the paper's regularizer is
    (gamma / 2) * r1_penalty, so the caller multiplies by gamma / 2.

    Args:
        discriminator: callable mapping one batch tensor to scores.
        real: batch of real samples.
        per_example: return the float32 per-example vector instead of the
            global-batch average.

    Example:

    ```python
    d_loss = d_loss + 0.5 * gamma * r1_penalty(discriminator, real)
    ```
    """
    real = tf.convert_to_tensor(real)
    grad = _input_gradient(discriminator, real)
    per = _flat_square_sum(grad)
    return _reduce(per, per_example)


def cycle_consistency_loss(real, reconstructed, per_example=False):
    """Cycle-consistency L1 loss: mean |real - reconstructed| (Zhu et al. 2017).

    The absolute error is averaged over pixels and channels per example,
    then over the global batch; the caller applies lambda (10 in CycleGAN).

    Args:
        real: original images.
        reconstructed: images after the round trip, e.g. F(G(x)).
        per_example: return the float32 per-example vector instead of the
            global-batch average.

    Example:

    ```python
    cycle = cycle_consistency_loss(real_a, generator_ba(generator_ab(real_a)))
    ```
    """
    real = tf.cast(real, "float32")
    reconstructed = tf.cast(reconstructed, "float32")
    per = _per_example_mean(tf.abs(real - reconstructed))
    return _reduce(per, per_example)


def structure_loss(source, translated, signed=True, per_example=False):
    """Structure loss: 1 - the correlation of two images' pixels, per example.

    The correlation sigma_xy / (sigma_x sigma_y) over each example's pixels
    and channels is the structure term of SSIM (Wang et al. 2004) taken over
    the whole image: 1 when the translation is an increasing affine function
    of the source, whatever its brightness and contrast. `signed=False` uses
    its absolute value, so a reversed contrast (dark ink on light paper)
    counts as the same structure.

    Args:
        source: the images translated.
        translated: their translations, same shape.
        signed: ask for positive correlation, or for either sign.
        per_example: return the float32 per-example vector instead of the
            global-batch average.

    Example:

    ```python
    structure = structure_loss(x, generator(x), signed=False)
    ```
    """
    a = tf.cast(source, "float32")
    b = tf.cast(translated, "float32")
    a = tf.reshape(a, [tf.shape(a)[0], -1])
    b = tf.reshape(b, [tf.shape(b)[0], -1])
    a = a - tf.reduce_mean(a, axis=1, keepdims=True)
    b = b - tf.reduce_mean(b, axis=1, keepdims=True)
    norms = tf.sqrt(tf.reduce_sum(tf.square(a), 1) * tf.reduce_sum(tf.square(b), 1) + 1e-8)
    correlation = tf.reduce_sum(a * b, axis=1) / norms
    return _reduce(1.0 - (correlation if signed else tf.abs(correlation)), per_example)


def identity_loss(real, same, per_example=False):
    """Identity-mapping L1 loss: mean |real - same|, e.g. same = G(y) for y in Y.

    Averaged like `cycle_consistency_loss`; CycleGAN weights it by
    0.5 * lambda.

    Args:
        real: images of the generator's target domain.
        same: the generator applied to those images.
        per_example: return the float32 per-example vector instead of the
            global-batch average.

    Example:

    ```python
    idt = identity_loss(real_b, generator_ab(real_b))
    ```
    """
    return cycle_consistency_loss(real, same, per_example=per_example)


_FAMILIES = {
    "minimax": (minimax_generator_loss, minimax_discriminator_loss),
    "modified": (modified_generator_loss, modified_discriminator_loss),
    "least_squares": (
        least_squares_generator_loss,
        least_squares_discriminator_loss,
    ),
    "wasserstein": (wasserstein_generator_loss, wasserstein_discriminator_loss),
    "hinge": (hinge_generator_loss, hinge_discriminator_loss),
}
_KINDS = ("generator", "discriminator")


def get(identifier, kind=None):
    """Looks up GAN losses by family name.

    Args:
        identifier: a family name (one of "minimax", "modified",
            "least_squares", "wasserstein", "hinge"), a callable, or a
            `(generator_loss, discriminator_loss)` pair of callables.
        kind: None to return the `(generator_loss, discriminator_loss)`
            pair, or "generator" / "discriminator" for one of them.
            A single callable is returned unchanged whatever `kind` is.

    Returns:
        A pair of callables, or one callable when `kind` is given.

    Example:

    ```python
    g_loss_fn, d_loss_fn = get("hinge")
    d_loss_fn = get("least_squares", "discriminator")
    ```
    """
    if kind is not None and kind not in _KINDS:
        raise ValueError(f"Unknown loss kind {kind!r}. Expected one of {list(_KINDS)} or None.")
    if callable(identifier):
        return identifier
    if isinstance(identifier, (tuple, list)):
        if len(identifier) != 2 or not all(callable(f) for f in identifier):
            raise ValueError(f"Expected a (generator_loss, discriminator_loss) pair of callables, got {identifier!r}.")
        pair = tuple(identifier)
    elif isinstance(identifier, str):
        if identifier not in _FAMILIES:
            raise ValueError(f"Unknown GAN loss {identifier!r}. Valid names: {', '.join(sorted(_FAMILIES))}.")
        pair = _FAMILIES[identifier]
    else:
        raise ValueError(
            "Expected a loss family name, a callable or a pair of callables, "
            f"got {identifier!r} of type {type(identifier).__name__}."
        )
    if kind is None:
        return pair
    return pair[_KINDS.index(kind)]
