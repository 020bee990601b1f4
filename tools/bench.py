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


BENCHES = {"vae": bench_vae, "cyclegan": bench_cyclegan}


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
