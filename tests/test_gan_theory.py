"""Goodfellow et al. (2014), Proposition 1 and Theorem 1, on a 1-D problem.

p_data = N(0, 1) and a fixed generator p_g = N(1.5, 0.7^2). For a fixed G the
optimal discriminator is D*(x) = p_data(x) / (p_data(x) + p_g(x)), and
V(G, D*) = E_data[log D*(x)] + E_g[log(1 - D*(x))] = 2 JSD(p_data || p_g) - log 4.
A small MLP trained with `modified_discriminator_loss` must approach D*.
"""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import integrate, stats

from kerasgen import losses

MU_G, SIGMA_G = 1.5, 0.7
P_DATA = stats.norm(0.0, 1.0)
P_G = stats.norm(MU_G, SIGMA_G)
LIMIT = 12.0  # both densities are below 1e-30 beyond +-12
GRID = np.linspace(-LIMIT, LIMIT, 24001)

# The region where both densities are non-negligible (each > 1e-4 of its
# peak or so) and where D is checked pointwise.
CHECK_GRID = np.linspace(-1.5, 2.5, 81)
D_TOLERANCE = 0.03  # max |sigmoid(D(x)) - D*(x)| on CHECK_GRID
V_TOLERANCE = 0.005  # |V(G, D) - (2 JSD - log 4)| in nats
STEPS = 2500
BATCH = 512


def log_d_star(x):
    """log D*(x) and log(1 - D*(x)) from the log densities."""
    log_p, log_q = P_DATA.logpdf(x), P_G.logpdf(x)
    log_sum = np.logaddexp(log_p, log_q)
    return log_p - log_sum, log_q - log_sum


def jsd():
    def integrand(x):
        log_p, log_q = P_DATA.logpdf(x), P_G.logpdf(x)
        log_m = np.logaddexp(log_p, log_q) - math.log(2.0)
        return 0.5 * (np.exp(log_p) * (log_p - log_m) + np.exp(log_q) * (log_q - log_m))

    value, _ = integrate.quad(integrand, -LIMIT, LIMIT, epsabs=1e-12, epsrel=1e-12, limit=200)
    return value


def value_on_grid(logits):
    """V(G, D) by the trapezoid rule with the true densities.

    With D = sigmoid(l): log D = -softplus(-l) and log(1 - D) = -softplus(l).
    """
    log_d = -np.logaddexp(0.0, -logits)
    log_one_minus_d = -np.logaddexp(0.0, logits)
    integrand = P_DATA.pdf(GRID) * log_d + P_G.pdf(GRID) * log_one_minus_d
    return np.trapezoid(integrand, GRID)


def test_optimal_discriminator_value_is_shifted_jsd():
    def integrand(x):
        log_d, log_one_minus_d = log_d_star(x)
        return P_DATA.pdf(x) * log_d + P_G.pdf(x) * log_one_minus_d

    value, _ = integrate.quad(integrand, -LIMIT, LIMIT, epsabs=1e-12, epsrel=1e-12, limit=200)
    target = 2.0 * jsd() - math.log(4.0)
    assert abs(value - target) < 1e-6
    # Sanity: the distributions differ, so V(G, D*) is above its minimum -log 4.
    assert target > -math.log(4.0) + 0.1


@pytest.fixture(scope="module")
def trained_discriminator():
    keras.utils.set_random_seed(0)
    discriminator = keras.Sequential(
        [
            keras.Input((1,)),
            keras.layers.Dense(32, activation="tanh"),
            keras.layers.Dense(32, activation="tanh"),
            keras.layers.Dense(1),
        ]
    )
    schedule = keras.optimizers.schedules.CosineDecay(3e-3, decay_steps=STEPS, alpha=0.05)
    optimizer = keras.optimizers.Adam(schedule)
    seed_generator = keras.random.SeedGenerator(0)

    @tf.function
    def train_step():
        real = keras.random.normal((BATCH, 1), seed=seed_generator)
        fake = MU_G + SIGMA_G * keras.random.normal((BATCH, 1), seed=seed_generator)
        with tf.GradientTape() as tape:
            loss = losses.modified_discriminator_loss(
                discriminator(real, training=True),
                discriminator(fake, training=True),
            )
        grads = tape.gradient(loss, discriminator.trainable_variables)
        optimizer.apply_gradients(zip(grads, discriminator.trainable_variables))
        return loss

    for _ in range(STEPS):
        train_step()
    return discriminator


def logits_of(discriminator, x):
    x = np.asarray(x, "float32").reshape(-1, 1)
    return discriminator.predict(x, batch_size=8192, verbose=0).reshape(-1).astype("float64")


def test_trained_discriminator_approaches_optimum(trained_discriminator):
    d = 1.0 / (1.0 + np.exp(-logits_of(trained_discriminator, CHECK_GRID)))
    d_star = np.exp(log_d_star(CHECK_GRID)[0])
    # D* spans most of (0, 1) here, so this is not satisfied by a constant.
    assert d_star.max() > 0.99 and d_star.min() < 0.1
    assert np.max(np.abs(d - d_star)) < D_TOLERANCE


def test_trained_value_matches_shifted_jsd(trained_discriminator):
    target = 2.0 * jsd() - math.log(4.0)
    trained = value_on_grid(logits_of(trained_discriminator, GRID))
    log_d, log_one_minus_d = log_d_star(GRID)
    optimum = np.trapezoid(P_DATA.pdf(GRID) * log_d + P_G.pdf(GRID) * log_one_minus_d, GRID)
    assert abs(optimum - target) < 1e-6
    # D* maximizes the integrand pointwise, so no D can exceed it.
    assert trained <= optimum + 1e-9
    assert abs(trained - target) < V_TOLERANCE


def test_loss_is_monte_carlo_estimate_of_negative_value(trained_discriminator):
    rng = np.random.default_rng(1)
    real = rng.normal(size=200_000)
    fake = MU_G + SIGMA_G * rng.normal(size=200_000)
    loss = losses.modified_discriminator_loss(
        logits_of(trained_discriminator, real)[:, None],
        logits_of(trained_discriminator, fake)[:, None],
    )
    trained = value_on_grid(logits_of(trained_discriminator, GRID))
    # Standard error of the estimate is about 0.002 nats.
    assert abs(-float(loss) - trained) < 0.01
