"""Training-throughput benchmarks: kerasgen's `fit` against a textbook loop.

Usage:
    python tools/bench.py vae [--steps 60] [--batch-size 64] [--precision float32 mixed_bfloat16]

For each model and precision, the same networks are trained (1) through
`model.fit`, and (2) by a minimal textbook `tf.function` training step written
the way the Keras and TensorFlow tutorials write it, on the same in-memory
batches in the same process. Images per second after warm-up are printed with
their ratio (fit / textbook; 1.0 means no overhead).
"""

import argparse
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import kerasgen  # noqa: E402


class _Timer(keras.callbacks.Callback):
    def __init__(self, warmup):
        super().__init__()
        self.warmup = warmup
        self.start = None
        self.end = None

    def on_train_batch_end(self, batch, logs=None):
        if batch + 1 == self.warmup:
            self.start = time.perf_counter()
        self.end = time.perf_counter()


def time_fit(model, dataset, batch_size, steps, warmup):
    timer = _Timer(warmup)
    model.fit(dataset, epochs=1, steps_per_epoch=warmup + steps, callbacks=[timer], verbose=0, shuffle=False)
    return steps * batch_size / (timer.end - timer.start)


def time_loop(step_fn, dataset, batch_size, steps, warmup):
    it = iter(dataset)
    for _ in range(warmup):
        loss = step_fn(next(it))
    float(loss)
    start = time.perf_counter()
    for _ in range(steps):
        loss = step_fn(next(it))
    float(loss)  # wait for the last step
    return steps * batch_size / (time.perf_counter() - start)


def mnist_batches(batch_size, binarize=False):
    x, _ = kerasgen.data.mnist("train", binarize=binarize)
    x = kerasgen.data.to_model_range(x)
    return tf.data.Dataset.from_tensor_slices(x).cache().repeat().batch(batch_size, drop_remainder=True).prefetch(4)


def vae_textbook_step(encoder, decoder, latent_dim):
    """The VAE step as tutorials write it: explicit reparameterization and KL."""
    optimizer = keras.optimizers.Adam(1e-3)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            stats = tf.cast(encoder(x, training=True), tf.float32)
            mean, log_var = tf.split(stats, 2, axis=-1)
            z = mean + tf.exp(0.5 * log_var) * tf.random.normal(tf.shape(mean))
            logits = tf.cast(decoder(z, training=True), tf.float32)
            rec = -tf.reduce_sum(
                tf.nn.sigmoid_cross_entropy_with_logits(labels=(x + 1.0) / 2.0, logits=logits), axis=[1, 2, 3]
            )
            kl = 0.5 * tf.reduce_sum(tf.square(mean) + tf.exp(log_var) - 1.0 - log_var, axis=1)
            loss = tf.reduce_mean(kl - rec)
        variables = encoder.trainable_variables + decoder.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    return step


def bench_vae(batch_size, steps, warmup):
    ds = mnist_batches(batch_size, binarize=True)
    model = kerasgen.models.VAE(latent_dim=16, filters=(32, 64), seed=0)
    model.compile()
    fit_rate = time_fit(model, ds, batch_size, steps, warmup)
    textbook = kerasgen.models.VAE(latent_dim=16, filters=(32, 64), seed=0)
    loop_rate = time_loop(vae_textbook_step(textbook.encoder, textbook.decoder, 16), ds, batch_size, steps, warmup)
    return fit_rate, loop_rate


def cyclegan_textbook_step(g, f, d_a, d_b):
    """The CycleGAN step as the TensorFlow tutorial writes it: one persistent
    tape, LSGAN losses, cycle and identity L1, four Adam optimizers (no pool)."""
    optimizers = [keras.optimizers.Adam(2e-4, beta_1=0.5) for _ in range(4)]
    networks = [g, f, d_a, d_b]

    def mse(x, target):
        return tf.reduce_mean(tf.square(tf.cast(x, tf.float32) - target))

    def l1(x, y):
        return tf.reduce_mean(tf.abs(tf.cast(x, tf.float32) - tf.cast(y, tf.float32)))

    @tf.function
    def step(batch):
        real_a, real_b = batch
        with tf.GradientTape(persistent=True) as tape:
            fake_b = g(real_a, training=True)
            rec_a = f(fake_b, training=True)
            fake_a = f(real_b, training=True)
            rec_b = g(fake_a, training=True)
            same_b = g(real_b, training=True)
            same_a = f(real_a, training=True)
            cycle = l1(rec_a, real_a) + l1(rec_b, real_b)
            g_loss = mse(d_b(fake_b, training=True), 1.0) + 10.0 * cycle + 5.0 * l1(same_b, real_b)
            f_loss = mse(d_a(fake_a, training=True), 1.0) + 10.0 * cycle + 5.0 * l1(same_a, real_a)
            da_loss = 0.5 * (mse(d_a(real_a, training=True), 1.0) + mse(d_a(fake_a, training=True), 0.0))
            db_loss = 0.5 * (mse(d_b(real_b, training=True), 1.0) + mse(d_b(fake_b, training=True), 0.0))
        for net, loss, opt in zip(networks, (g_loss, f_loss, da_loss, db_loss), optimizers):
            opt.apply_gradients(zip(tape.gradient(loss, net.trainable_variables), net.trainable_variables))
        return g_loss + f_loss + da_loss + db_loss

    return step


def aae_textbook_step(encoder, decoder, discriminator, prior):
    """The AAE step as tutorials write it: three tapes, three Adam optimizers."""
    rec_opt = keras.optimizers.Adam(1e-3)
    d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            z = tf.cast(encoder(x, training=True), tf.float32)
            rec = tf.reduce_mean(tf.square(tf.cast(decoder(z, training=True), tf.float32) - x))
        ae_vars = encoder.trainable_variables + decoder.trainable_variables
        rec_opt.apply_gradients(zip(tape.gradient(rec, ae_vars), ae_vars))
        fake = tf.cast(encoder(x, training=True), tf.float32)
        real = prior.sample(tf.shape(x)[0])
        with tf.GradientTape() as tape:
            real_logits = tf.cast(discriminator(real, training=True), tf.float32)
            fake_logits = tf.cast(discriminator(fake, training=True), tf.float32)
            d_loss = bce(tf.ones_like(real_logits), real_logits) + bce(tf.zeros_like(fake_logits), fake_logits)
        d_vars = discriminator.trainable_variables
        d_opt.apply_gradients(zip(tape.gradient(d_loss, d_vars), d_vars))
        with tf.GradientTape() as tape:
            fake_logits = tf.cast(discriminator(encoder(x, training=True), training=True), tf.float32)
            g_loss = bce(tf.ones_like(fake_logits), fake_logits)
        g_vars = encoder.trainable_variables
        g_opt.apply_gradients(zip(tape.gradient(g_loss, g_vars), g_vars))
        return rec + d_loss + g_loss
PROGAN_BENCH_CONFIG = dict(resolution=32, channels=1, latent_dim=64, fmap_base=256, fmap_max=64)


def progan_textbook_step(generator, discriminator, generator_ema, stage, alpha, latent_dim, num_stages):
    """One ProGAN step (WGAN-GP + drift, then G, then EMA) as tutorials write it, at a fixed stage."""
    g_opt = keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8)
    d_opt = keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8)
    g_vars = generator.stage_variables(stage)
    d_vars = discriminator.stage_variables(stage)
    factor = 2 ** (num_stages - 1 - stage)

    def critic(x):
        return tf.cast(discriminator(x, stage=stage, alpha=alpha), tf.float32)

    @tf.function
    def step(x):
        real = tf.nn.avg_pool2d(x, factor, factor, "VALID") if factor > 1 else x
        if stage > 0:
            low = tf.nn.avg_pool2d(real, 2, 2, "VALID")
            real = alpha * real + (1.0 - alpha) * tf.repeat(tf.repeat(low, 2, axis=1), 2, axis=2)
        n = tf.shape(real)[0]
        z = tf.random.normal((n, latent_dim))
        with tf.GradientTape() as tape:
            fake = generator(z, stage=stage, alpha=alpha)
            real_out, fake_out = critic(real), critic(fake)
            eps = tf.random.uniform((n, 1, 1, 1))
            x_hat = eps * real + (1.0 - eps) * fake
            with tf.GradientTape() as gp_tape:
                gp_tape.watch(x_hat)
                hat_out = tf.reduce_sum(critic(x_hat))
            grad = gp_tape.gradient(hat_out, x_hat)
            norm = tf.sqrt(tf.reduce_sum(tf.square(grad), axis=[1, 2, 3]) + 1e-10)
            d_loss = tf.reduce_mean(fake_out - real_out) + 10.0 * tf.reduce_mean(tf.square(norm - 1.0)) + 1e-3 * tf.reduce_mean(tf.square(real_out))
        d_opt.apply_gradients(zip(tape.gradient(d_loss, d_vars), d_vars))
        z = tf.random.normal((n, latent_dim))
        with tf.GradientTape() as tape:
            g_loss = -tf.reduce_mean(critic(generator(z, stage=stage, alpha=alpha)))
        g_opt.apply_gradients(zip(tape.gradient(g_loss, g_vars), g_vars))
        for ema, w in zip(generator_ema.variables, generator.variables):
            ema.assign(0.999 * ema + 0.001 * w)
        return d_loss

    return step


def peak_memory_mb():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kilobytes on Linux


def bench_cyclegan(batch_size, steps, warmup, sizes=(64, 128)):
    """CycleGAN at 64 and 128 px, RGB, the paper's batch size 1 and 6 residual
    blocks, with 16 filters (paper 64) so that a CPU finishes in minutes.

    `--batch-size` is ignored (the paper trains with batch size 1) and at most
    3 warm-up steps are run (the first step traces). Prints one line per size
    with the process's peak resident memory; returns the rates over both sizes
    (total images / total time).
    """
    warmup = max(1, min(warmup, 3))
    batch_size = 1
    fit_time = loop_time = 0.0
    for size in sizes:
        shape = (size, size, 3)
        rng = np.random.default_rng(0)
        x = rng.uniform(-1, 1, (8,) + shape).astype("float32")
        y = rng.uniform(-1, 1, (8,) + shape).astype("float32")
        ds = tf.data.Dataset.from_tensor_slices((x, y)).repeat().batch(batch_size).prefetch(4)
        kwargs = dict(image_shape=shape, filters=16, discriminator_filters=16, num_residual_blocks=6, seed=0)
        model = kerasgen.models.CycleGAN(**kwargs)
        model.compile()
        fit_rate = time_fit(model, ds, batch_size, steps, warmup)
        other = kerasgen.models.CycleGAN(**kwargs)
        step = cyclegan_textbook_step(other.generator_ab, other.generator_ba, other.discriminator_a, other.discriminator_b)
        loop_rate = time_loop(step, ds, batch_size, steps, warmup)
        print(
            f"  cyclegan {size}px {keras.config.dtype_policy().name}: fit {fit_rate:.2f} img/s, "
            f"textbook {loop_rate:.2f} img/s, ratio {fit_rate / loop_rate:.2f}, "
            f"peak memory {peak_memory_mb():.0f} MB",
            flush=True,
        )
        fit_time += steps * batch_size / fit_rate
        loop_time += steps * batch_size / loop_rate
    total = steps * batch_size * len(sizes)
    return total / fit_time, total / loop_time


def bench_aae(batch_size, steps, warmup):
    ds = mnist_batches(batch_size)
    kwargs = dict(latent_dim=2, prior="gaussian_mixture", filters=(32, 64), discriminator_units=(512, 512), seed=0)
    model = kerasgen.models.AAE(**kwargs)
    model.compile()
    fit_rate = time_fit(model, ds, batch_size, steps, warmup)
    textbook = kerasgen.models.AAE(**kwargs)
    step = aae_textbook_step(textbook.encoder, textbook.decoder, textbook.discriminator, textbook.prior)
    loop_rate = time_loop(step, ds, batch_size, steps, warmup)
    return fit_rate, loop_rate


def bench_progan(batch_size, steps, warmup):
    """Per resolution stage (printed), mid-fade-in; returns the totals over all stages."""
    from kerasgen.models import ProGAN

    x, _ = kerasgen.data.mnist("train")
    x = tf.image.resize(kerasgen.data.to_model_range(x), (32, 32))  # 28 -> 32 as in the zoo recipe
    ds = tf.data.Dataset.from_tensor_slices(x).cache().repeat().batch(batch_size, drop_remainder=True).prefetch(4)
    total_fit = total_loop = 0.0
    for stage in range(4):
        # Every phase lasts "forever": the timed steps stay at this stage (in
        # its fade-in, so the blended path runs, for stages > 0).
        model = ProGAN(**PROGAN_BENCH_CONFIG, fade_images=10**12, stabilize_images=10**12, batch_sizes={}, seed=0)
        model.compile()
        model.grow(stage)
        fit_rate = time_fit(model, ds, batch_size, steps, warmup)
        twin = ProGAN(**PROGAN_BENCH_CONFIG, seed=0)
        step = progan_textbook_step(twin.generator, twin.discriminator, twin.generator_ema, stage,
                                    tf.constant(0.5), twin.latent_dim, twin.num_stages)
        loop_rate = time_loop(step, ds, batch_size, steps, warmup)
        res = 4 * 2**stage
        print(f"  progan {res}x{res}: fit {fit_rate:8.0f} img/s, textbook {loop_rate:8.0f} img/s, "
              f"ratio {fit_rate / loop_rate:5.2f}", flush=True)
        total_fit += steps * batch_size / fit_rate
        total_loop += steps * batch_size / loop_rate
    return 4 * steps * batch_size / total_fit, 4 * steps * batch_size / total_loop


def gan_textbook_step(generator, discriminator, latent_dim):
    """The GAN step as tutorials write it: D on real and fake, then G, two Adams.

    Same algorithm as the kerasgen step (Algorithm 1 of Goodfellow et al.
    with k = 1, as in the DCGAN reference code): the D step, then the G step
    through the updated D on the same fakes, non-saturating G loss.
    """
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)

    @tf.function
    def step(x):
        z = tf.random.normal((tf.shape(x)[0], latent_dim))
        with tf.GradientTape() as g_tape:
            fake = generator(z, training=True)
            with g_tape.stop_recording(), tf.GradientTape() as d_tape:
                real_logits = tf.cast(discriminator(x, training=True), tf.float32)
                fake_logits = tf.cast(discriminator(tf.stop_gradient(fake), training=True), tf.float32)
                d_loss = bce(tf.ones_like(real_logits), real_logits) + bce(tf.zeros_like(fake_logits), fake_logits)
            with g_tape.stop_recording():
                d_grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
                d_opt.apply_gradients(zip(d_grads, discriminator.trainable_variables))
            logits = tf.cast(discriminator(fake, training=True), tf.float32)
            g_loss = bce(tf.ones_like(logits), logits)
        g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
        g_opt.apply_gradients(zip(g_grads, generator.trainable_variables))
        return d_loss + g_loss

    return step


def _bench_adversarial(make_model, batch_size, steps, warmup):
    ds = mnist_batches(batch_size)
    model = make_model()
    model.compile()
    fit_rate = time_fit(model, ds, batch_size, steps, warmup)
    textbook = make_model()
    step = gan_textbook_step(textbook.generator, textbook.discriminator, textbook.latent_dim)
    loop_rate = time_loop(step, ds, batch_size, steps, warmup)
    return fit_rate, loop_rate


def bench_gan(batch_size, steps, warmup):
    """The `gan` zoo entry's MLPs on MNIST-5k."""
    return _bench_adversarial(lambda: kerasgen.models.GAN(seed=0), batch_size, steps, warmup)


def bench_dcgan(batch_size, steps, warmup):
    """The `dcgan` zoo entry's networks (28x28, 64 filters) on MNIST-5k."""
    return _bench_adversarial(
        lambda: kerasgen.models.DCGAN(image_shape=(28, 28, 1), generator_filters=64, discriminator_filters=64, seed=0),
        batch_size,
        steps,
        warmup,
    )


BENCHES = {
    "vae": bench_vae,
    "aae": bench_aae,
    "gan": bench_gan,
    "dcgan": bench_dcgan,
    "progan": bench_progan,
    "cyclegan": bench_cyclegan,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", help=f"{', '.join(BENCHES)} or all")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3, help="report the best of this many runs")
    parser.add_argument("--precision", nargs="+", default=["float32", "mixed_bfloat16"])
    args = parser.parse_args(argv)
    names = list(BENCHES) if args.models == ["all"] else args.models
    print(f"{'model':10s} {'precision':15s} {'fit img/s':>10s} {'textbook img/s':>15s} {'ratio':>6s}")
    for name in names:
        for precision in args.precision:
            keras.config.set_dtype_policy(precision)
            runs = [BENCHES[name](args.batch_size, args.steps, args.warmup) for _ in range(args.repeats)]
            fit_rate = max(r[0] for r in runs)
            loop_rate = max(r[1] for r in runs)
            print(f"{name:10s} {precision:15s} {fit_rate:10.0f} {loop_rate:15.0f} {fit_rate / loop_rate:6.2f}", flush=True)
            keras.config.set_dtype_policy("float32")
    return 0


if __name__ == "__main__":
    sys.exit(main())
