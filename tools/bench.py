"""Training-throughput benchmarks: kerasgen's `fit` against a textbook loop.

Usage:
    python tools/bench.py all --markdown docs/performance.md
    python tools/bench.py dcgan gan --precision float32 --rounds 7

For each model and precision the same networks are trained (1) through
`model.fit` and (2) by a minimal textbook `tf.function` step written the way
the Keras and TensorFlow tutorials write it, on the same in-memory batches in
the same process. After a warm-up the two alternate in timed segments (fit,
textbook, textbook, fit, ...), so that a slow drift of the machine hits both
alike. Printed per model and precision:

- images per second of each (median over rounds) and their ratio (median of
  the per-round ratios, with its range; 1.0 means `fit` costs nothing extra);
- `bf16/f32`: mixed_bfloat16 throughput over our own float32 throughput;
- FLOPs per image, counted from the textbook step's graph by TensorFlow's
  profiler, the FLOP rate `fit` achieves, and that rate as a share of this
  machine's measured matrix-multiply peak in the same precision;
- the peak resident memory of the process (each model and precision runs in
  a process of its own; the line `baseline` is a process that only imports).

`folder` measures the input pipeline alone: `kerasgen.data.dataset` on a
folder of PNG files (parallel decode, cache, prefetch), first epoch (decode)
and later epochs (cached), next to the fastest model's training throughput
at the same image size.

Throughput ratios only mean something on an otherwise idle machine.
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import kerasgen  # noqa: E402

# -- timing -------------------------------------------------------------------


class _Timer(keras.callbacks.Callback):
    """Wall time from the start of batch `skip` to the end of the epoch.

    No `on_train_batch_end` hook: one would make Keras convert every step's
    logs to Python numbers, a cost `fit` does not otherwise have.
    """

    def __init__(self, skip):
        super().__init__()
        self.skip = skip
        self.start = self.end = None

    def on_train_batch_begin(self, batch, logs=None):
        if batch == self.skip:
            self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.end = time.perf_counter()


class Case:
    """One thing to time: a compiled model for `fit` and a textbook step on twin networks.

    Args:
        label: name printed for the case.
        model: compiled kerasgen model (trained by `fit`).
        dataset: infinite `tf.data.Dataset` of batches, shared by both.
        step: `tf.function` taking one batch (the textbook step).
        batch_size: images per step.
        steps: timed steps per segment (None: the command's `--steps`).
    """

    def __init__(self, label, model, dataset, step, batch_size, steps=None):
        self.label, self.model, self.dataset, self.step = label, model, dataset, step
        self.batch_size, self.steps = batch_size, steps
        self.iterator = None

    def fit_seconds(self, steps, skip=2):
        # `skip` untimed batches absorb the new iterator each `fit` call makes.
        # With steps_per_execution k, batch hooks run every k steps: skip and
        # steps are multiples of k (the caller rounds `steps`).
        per_call = COMPILE_KWARGS.get("steps_per_execution", 1)
        skip = -(-skip // per_call) * per_call
        timer = _Timer(skip)
        self.model.fit(self.dataset, epochs=1, steps_per_epoch=skip + steps, callbacks=[timer], verbose=0)
        return timer.end - timer.start

    def loop_seconds(self, steps):
        if self.iterator is None:
            self.iterator = iter(self.dataset)
        out = None
        start = time.perf_counter()
        for _ in range(steps):
            out = self.step(next(self.iterator))
        float(out)  # wait for the last step
        return time.perf_counter() - start

    def flops_per_image(self):
        """FLOPs of one textbook step, from its graph, over the batch size."""
        from tensorflow.python.profiler import model_analyzer, option_builder

        graph = self.step.get_concrete_function(self.dataset.element_spec).graph
        options = option_builder.ProfileOptionBuilder.float_operation()
        options["output"] = "none"
        return model_analyzer.profile(graph, options=options).total_float_ops / self.batch_size


def measure(case, steps, warmup, rounds):
    """Alternating timed segments; returns medians and the per-round ratios."""
    per_call = COMPILE_KWARGS.get("steps_per_execution", 1)
    steps = -(-(case.steps or steps) // per_call) * per_call
    case.fit_seconds(max(per_call, warmup - 2))  # traces the train function
    case.loop_seconds(warmup)  # traces the textbook step
    fit_rates, loop_rates = [], []
    for r in range(rounds):
        order = ("fit", "loop") if r % 2 == 0 else ("loop", "fit")
        for which in order:
            if which == "fit":
                fit_rates.append(steps * case.batch_size / case.fit_seconds(steps))
            else:
                loop_rates.append(steps * case.batch_size / case.loop_seconds(steps))
    ratios = [f / l for f, l in zip(fit_rates, loop_rates)]
    return dict(
        fit=statistics.median(fit_rates),
        textbook=statistics.median(loop_rates),
        ratio=statistics.median(ratios),
        ratio_min=min(ratios),
        ratio_max=max(ratios),
    )


def peak_memory_mb():
    """Peak resident memory of this process (VmHWM; ru_maxrss survives exec on Linux)."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024.0
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def matmul_peak_gflops(dtype, sizes=(1024, 2048, 4096), calls=5):
    """Best rate of square matrix products in `dtype` on this machine."""
    rng = np.random.default_rng(0)
    matmul = tf.function(tf.matmul)
    best = 0.0
    for n in sizes:
        a = tf.cast(rng.standard_normal((n, n)), dtype)
        b = tf.cast(rng.standard_normal((n, n)), dtype)
        matmul(a, b).numpy()
        for _ in range(calls):
            start = time.perf_counter()
            matmul(a, b).numpy()
            best = max(best, 2 * n**3 / (time.perf_counter() - start) / 1e9)
    return best


# -- data ---------------------------------------------------------------------


def mnist_batches(batch_size, binarize=False, size=None):
    x, _ = kerasgen.data.mnist("train", binarize=binarize)
    x = kerasgen.data.to_model_range(x)
    if size is not None:
        x = tf.image.resize(x, (size, size)).numpy()
    return tf.data.Dataset.from_tensor_slices(x).repeat().batch(batch_size, drop_remainder=True).prefetch(4)


# -- textbook steps -----------------------------------------------------------


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

    return step


def stargan_textbook_step(g, d, n_critic=5):
    """The StarGAN iteration as its reference code writes it: a WGAN-GP D step with the
    classification loss on real images; every n_critic-th call, a G step with the
    adversarial, classification and reconstruction losses (multi-label attributes)."""
    g_opt = keras.optimizers.Adam(1e-4, beta_1=0.5, beta_2=0.999)
    d_opt = keras.optimizers.Adam(1e-4, beta_1=0.5, beta_2=0.999)
    counter = tf.Variable(0, dtype=tf.int64)

    def bce(logits, labels):
        return tf.reduce_mean(
            tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=tf.cast(logits, tf.float32)), 1)
        )

    def outputs(x):
        src, cls = d(x, training=True)
        return tf.cast(src, tf.float32), cls

    @tf.function
    def step(batch):
        x, labels = batch
        n = tf.shape(x)[0]
        target = tf.gather(labels, tf.random.shuffle(tf.range(n)))
        fake = g([x, target], training=True)
        with tf.GradientTape() as tape:
            src_real, cls_real = outputs(x)
            src_fake, _ = outputs(fake)
            eps = tf.random.uniform((n, 1, 1, 1))
            x_hat = eps * x + (1.0 - eps) * fake
            with tf.GradientTape() as gp_tape:
                gp_tape.watch(x_hat)
                hat = tf.reduce_sum(outputs(x_hat)[0])
            grad = gp_tape.gradient(hat, x_hat)
            norm = tf.sqrt(tf.reduce_sum(tf.square(grad), axis=[1, 2, 3]))
            d_loss = (
                tf.reduce_mean(src_fake)
                - tf.reduce_mean(src_real)
                + bce(cls_real, labels)
                + 10.0 * tf.reduce_mean(tf.square(norm - 1.0))
            )
        d_opt.apply_gradients(zip(tape.gradient(d_loss, d.trainable_variables), d.trainable_variables))
        counter.assign_add(1)
        if counter % n_critic == 0:
            with tf.GradientTape() as tape:
                fake = g([x, target], training=True)
                src, cls = outputs(fake)
                rec = g([fake, labels], training=True)
                g_loss = (
                    -tf.reduce_mean(src)
                    + bce(cls, target)
                    + 10.0 * tf.reduce_mean(tf.abs(x - tf.cast(rec, tf.float32)))
                )
            g_opt.apply_gradients(zip(tape.gradient(g_loss, g.trainable_variables), g.trainable_variables))
        return d_loss

    return step


def part_to_whole_textbook_step(
    encoder,
    masker,
    generator,
    discriminator,
    num_patches,
    patch_size,
    latent_dim,
    place_patches=False,
    reconstruction_weight=0.0,
    drawn_patch_weight=0.0,
):
    """The part-to-whole step as the reference code writes it: crop patches, D on the real image, the
    fake and the two composites, then the encoder, mask decoder and generator on the adversarial,
    mask and appearance losses (the zoo entry's weights) and the entry's two extra L1 terms, two Adams."""
    from kerasgen.models.part_to_whole.part_to_whole_gan import patches_at_masks

    g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.999)
    d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.999)
    g_vars = encoder.trainable_variables + masker.trainable_variables + generator.trainable_variables
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    k, side = num_patches, patch_size

    def judge(x, mask):
        return tf.cast(discriminator(tf.concat([x, mask[..., None]], -1), training=True), tf.float32)

    @tf.function
    def step(x):
        n, height, width = tf.shape(x)[0], x.shape[1], x.shape[2]
        noise = tf.random.uniform((n, k, 2))
        patches, boxes = kerasgen.data.crop_key_patches(x, k, (side, side), side, noise)
        masks = kerasgen.data.box_masks(boxes, height, width)
        union = tf.reduce_max(masks, -1)
        other = tf.roll(x, 1, axis=0)
        z = tf.random.uniform((n, latent_dim), -1.0, 1.0)
        with tf.GradientTape() as g_tape:
            codes = tf.reshape(encoder(tf.reshape(patches, (-1, side, side, x.shape[-1])), training=True), (n, k, -1))
            pooled = tf.reduce_sum(codes, 1)
            pairs = tf.concat([codes, tf.repeat(pooled[:, None], k, 1)], -1)
            outs = masker(tf.reshape(pairs, (n * k, -1)), training=True)
            feats = [tf.reduce_sum(tf.reshape(f, tf.concat([[n, k], tf.shape(f)[1:]], 0)), 1) for f in outs[:-1]]
            predicted = tf.transpose(tf.reshape(tf.cast(outs[-1], tf.float32), (n, k, height, width)), (0, 2, 3, 1))
            if place_patches:  # the patches drawn where the masks put them, the generator's last input
                drawn, coverage = patches_at_masks(patches, tf.stop_gradient(predicted))
                feats.append(tf.concat([drawn, coverage], -1))
            fake = tf.cast(
                generator([tf.concat([tf.cast(pooled, tf.float32), z], -1)] + feats, training=True), tf.float32
            )
            with g_tape.stop_recording():
                with tf.GradientTape() as d_tape:
                    inside = union[..., None]
                    real_l, fake_l = judge(x, union), judge(tf.stop_gradient(fake), union)
                    a, b = (
                        judge(x * inside + other * (1 - inside), union),
                        judge(other * inside + x * (1 - inside), union),
                    )
                    d_loss = (
                        bce(tf.ones_like(real_l), real_l)
                        + bce(tf.zeros_like(fake_l), fake_l)
                        + bce(tf.zeros_like(a), a)
                        + bce(tf.zeros_like(b), b)
                    )
                d_opt.apply_gradients(
                    zip(d_tape.gradient(d_loss, discriminator.trainable_variables), discriminator.trainable_variables)
                )
            g_adv = judge(fake, union)
            clipped = tf.clip_by_value(predicted, 1e-6, 1 - 1e-6)
            spatial = -tf.reduce_mean(masks * tf.math.log(clipped) + (1 - masks) * tf.math.log(1 - clipped))
            appearance = tf.reduce_mean(tf.abs(fake * tf.reduce_max(predicted, -1)[..., None] - x * union[..., None]))
            g_loss = bce(tf.ones_like(g_adv), g_adv) + 10.0 * spatial + 100.0 * appearance
            g_loss += reconstruction_weight * tf.reduce_mean(tf.abs(fake - x))
            if place_patches:
                g_loss += drawn_patch_weight * tf.reduce_mean(tf.abs(fake - drawn) * coverage)
        g_opt.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars))
        return d_loss

    return step


def infogan_textbook_step(generator, discriminator, noise_dim, categories, continuous):
    """The InfoGAN step as the authors' trainer writes it: D (with Q's head) on real and fake images
    minus the information term, then G with the same term, two Adams (2e-4, 1e-3)."""
    g_opt = keras.optimizers.Adam(1e-3, beta_1=0.5)
    d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    def information(codes, params, digit):
        categorical = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=digit, logits=params[:, :categories])
        squared = 0.5 * tf.reduce_sum(tf.square(codes - params[:, categories:]), axis=1)
        return tf.reduce_mean(categorical + 0.1 * squared)

    @tf.function
    def step(x):
        n = tf.shape(x)[0]
        z = tf.random.uniform((n, noise_dim), -1.0, 1.0)
        digit = tf.random.uniform((n,), 0, categories, dtype=tf.int32)
        codes = tf.random.uniform((n, continuous), -1.0, 1.0)
        latents = tf.concat([z, tf.one_hot(digit, categories), codes], axis=1)
        with tf.GradientTape() as g_tape:
            fake = generator(latents, training=True)
            with g_tape.stop_recording():
                with tf.GradientTape() as d_tape:
                    real_logits, _ = discriminator(x, training=True)
                    fake_logits, params = discriminator(tf.stop_gradient(fake), training=True)
                    d_loss = (
                        bce(tf.ones_like(real_logits), real_logits)
                        + bce(tf.zeros_like(fake_logits), fake_logits)
                        + information(codes, params, digit)
                    )
                d_opt.apply_gradients(
                    zip(d_tape.gradient(d_loss, discriminator.trainable_variables), discriminator.trainable_variables)
                )
            logits, params = discriminator(fake, training=True)
            g_loss = bce(tf.ones_like(logits), logits) + information(codes, params, digit)
        g_opt.apply_gradients(
            zip(g_tape.gradient(g_loss, generator.trainable_variables), generator.trainable_variables)
        )
        return d_loss

    return step


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
            d_loss = (
                tf.reduce_mean(fake_out - real_out)
                + 10.0 * tf.reduce_mean(tf.square(norm - 1.0))
                + 1e-3 * tf.reduce_mean(tf.square(real_out))
            )
        d_opt.apply_gradients(zip(tape.gradient(d_loss, d_vars), d_vars))
        z = tf.random.normal((n, latent_dim))
        with tf.GradientTape() as tape:
            g_loss = -tf.reduce_mean(critic(generator(z, stage=stage, alpha=alpha)))
        g_opt.apply_gradients(zip(tape.gradient(g_loss, g_vars), g_vars))
        for ema, w in zip(generator_ema.variables, generator.variables):
            ema.assign(0.999 * ema + 0.001 * w)
        return d_loss

    return step


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


# -- cases --------------------------------------------------------------------

COMPILE_KWARGS = {}  # extra `compile` arguments of the models trained by `fit`


def cases_vae(batch_size):
    ds = mnist_batches(batch_size, binarize=True)
    kwargs = dict(latent_dim=16, filters=(32, 64), seed=0)
    model = kerasgen.models.VAE(**kwargs)
    model.compile(**COMPILE_KWARGS)
    twin = kerasgen.models.VAE(**kwargs)
    return [Case("vae", model, ds, vae_textbook_step(twin.encoder, twin.decoder, 16), batch_size)]


def cases_aae(batch_size):
    ds = mnist_batches(batch_size)
    kwargs = dict(latent_dim=2, prior="gaussian_mixture", filters=(32, 64), discriminator_units=(512, 512), seed=0)
    model = kerasgen.models.AAE(**kwargs)
    model.compile(**COMPILE_KWARGS)
    twin = kerasgen.models.AAE(**kwargs)
    step = aae_textbook_step(twin.encoder, twin.decoder, twin.discriminator, twin.prior)
    return [Case("aae", model, ds, step, batch_size)]


def _adversarial(label, make_model, batch_size):
    ds = mnist_batches(batch_size)
    model = make_model()
    model.compile(**COMPILE_KWARGS)
    twin = make_model()
    return [Case(label, model, ds, gan_textbook_step(twin.generator, twin.discriminator, twin.latent_dim), batch_size)]


def cases_gan(batch_size):
    """The `gan` zoo entry's MLPs on MNIST-5k."""
    return _adversarial("gan", lambda: kerasgen.models.GAN(seed=0), batch_size)


def cases_dcgan(batch_size):
    """The `dcgan` zoo entry's networks (28x28, 64 filters) on MNIST-5k."""
    return _adversarial(
        "dcgan",
        lambda: kerasgen.models.DCGAN(image_shape=(28, 28, 1), generator_filters=64, discriminator_filters=64, seed=0),
        batch_size,
    )


def cases_progan(batch_size):
    """One case per resolution stage, mid-fade-in (the blended path runs for stages > 0)."""
    from kerasgen.models import ProGAN

    ds = mnist_batches(batch_size, size=32)  # 28 -> 32 as in the zoo recipe
    cases = []
    for stage in range(4):
        # Every phase lasts "forever": the timed steps stay at this stage.
        model = ProGAN(**PROGAN_BENCH_CONFIG, fade_images=10**12, stabilize_images=10**12, batch_sizes={}, seed=0)
        model.compile(**COMPILE_KWARGS)
        model.grow(stage)
        twin = ProGAN(**PROGAN_BENCH_CONFIG, seed=0)
        step = progan_textbook_step(
            twin.generator,
            twin.discriminator,
            twin.generator_ema,
            stage,
            tf.constant(0.5),
            twin.latent_dim,
            twin.num_stages,
        )
        res = 4 * 2**stage
        cases.append(Case(f"progan {res}x{res}", model, ds, step, batch_size))
    return cases


def cases_cyclegan(batch_size, sizes=(64, 128)):
    """The paper's networks (64 filters, 6 residual blocks) at 64 and 128 px
    RGB with the paper's batch size 1 (`--batch-size` is ignored)."""
    cases = []
    for size in sizes:
        shape = (size, size, 3)
        rng = np.random.default_rng(0)
        x = rng.uniform(-1, 1, (8,) + shape).astype("float32")
        y = rng.uniform(-1, 1, (8,) + shape).astype("float32")
        ds = tf.data.Dataset.from_tensor_slices((x, y)).repeat().batch(1, drop_remainder=True).prefetch(4)
        kwargs = dict(image_shape=shape, filters=64, discriminator_filters=64, num_residual_blocks=6, seed=0)
        model = kerasgen.models.CycleGAN(**kwargs)
        model.compile(**COMPILE_KWARGS)
        twin = kerasgen.models.CycleGAN(**kwargs)
        step = cyclegan_textbook_step(twin.generator_ab, twin.generator_ba, twin.discriminator_a, twin.discriminator_b)
        cases.append(Case(f"cyclegan {size}px", model, ds, step, 1, steps=6 if size <= 64 else 3))
    return cases


def cases_stargan(batch_size):
    """The `stargan` zoo entry's networks (28 px, three attributes) on its task, with the
    paper's batch size 16 (`--batch-size` is ignored); steps include the G step of every fifth."""
    task = kerasgen.data.mnist_domain_task()
    ds = (
        tf.data.Dataset.from_tensor_slices((task["train_images"], task["train_labels"]))
        .repeat()
        .batch(16, drop_remainder=True)
        .prefetch(4)
    )
    config = kerasgen.presets.get("stargan")["model"]["config"]
    model = kerasgen.zoo.model_from_config({"class_name": "StarGAN", "config": config})
    model.compile(**COMPILE_KWARGS)
    twin = kerasgen.zoo.model_from_config({"class_name": "StarGAN", "config": config})
    return [Case("stargan 28px", model, ds, stargan_textbook_step(twin.generator, twin.discriminator), 16, steps=20)]


def cases_infogan(batch_size):
    """The `infogan` zoo entry's networks (the paper's MNIST model) on MNIST-5k."""
    config = kerasgen.presets.get("infogan")["model"]["config"]
    model = kerasgen.zoo.model_from_config({"class_name": "InfoGAN", "config": config})
    model.compile(**COMPILE_KWARGS)
    twin = kerasgen.zoo.model_from_config({"class_name": "InfoGAN", "config": config})
    step = infogan_textbook_step(twin.generator, twin.discriminator, twin.noise_dim, 10, 2)
    return [Case("infogan 28px", model, mnist_batches(batch_size), step, batch_size)]


def cases_part_to_whole(batch_size):
    """The `part_to_whole` zoo entry's networks (28 px, 3 patches of 12 px) on MNIST-5k, batch 64."""
    config = kerasgen.presets.get("part_to_whole")["model"]["config"]
    model = kerasgen.zoo.model_from_config({"class_name": "PartToWholeGAN", "config": config})
    compile_args = kerasgen.presets.get("part_to_whole")["training"]["compile"]
    model.compile(**compile_args, **COMPILE_KWARGS)
    twin = kerasgen.zoo.model_from_config({"class_name": "PartToWholeGAN", "config": config})
    step = part_to_whole_textbook_step(
        twin.patch_encoder,
        twin.mask_decoder,
        twin.image_generator,
        twin.discriminator,
        twin.num_patches,
        twin.patch_size[0],
        twin.latent_dim,
        twin.place_patches,
        compile_args.get("reconstruction_weight", 0.0),
        compile_args.get("drawn_patch_weight", 0.0),
    )
    return [Case("part_to_whole 28px", model, mnist_batches(64), step, 64)]


BENCHES = {
    "vae": cases_vae,
    "aae": cases_aae,
    "gan": cases_gan,
    "dcgan": cases_dcgan,
    "progan": cases_progan,
    "cyclegan": cases_cyclegan,
    "stargan": cases_stargan,
    "infogan": cases_infogan,
    "part_to_whole": cases_part_to_whole,
}


def run_model(name, precision, args):
    """Measures every case of one model in this process; returns result dicts."""
    keras.config.set_dtype_policy(precision)
    if args.steps_per_execution > 1:
        COMPILE_KWARGS["steps_per_execution"] = args.steps_per_execution
    results = []
    for case in BENCHES[name](args.batch_size):
        row = dict(
            model=name, case=case.label, precision=precision, **measure(case, args.steps, args.warmup, args.rounds)
        )
        row["gflop_per_image"] = case.flops_per_image() / 1e9
        row["peak_memory_mb"] = peak_memory_mb()
        results.append(row)
        print(json.dumps(row), flush=True)
    return results


# -- input pipeline -----------------------------------------------------------


def bench_folder(batch_size, epochs=3):
    """`kerasgen.data.dataset` on 4,000 28x28 PNG files (the MNIST-5k training split)."""
    from PIL import Image

    x, _ = kerasgen.data.mnist("train")
    with tempfile.TemporaryDirectory() as folder:
        for i, image in enumerate(x.astype("uint8")):
            Image.fromarray(image[..., 0]).save(os.path.join(folder, f"{i:05d}.png"))
        start = time.perf_counter()
        ds = kerasgen.data.dataset(folder, (28, 28, 1), batch_size=batch_size)
        scan = time.perf_counter() - start
        rates = []
        for _ in range(epochs):
            start, n = time.perf_counter(), 0
            for batch in ds:
                n += int(batch.shape[0])
            rates.append(n / (time.perf_counter() - start))
    return dict(files=len(x), scan_seconds=scan, first_epoch=rates[0], cached=statistics.median(rates[1:]))


# -- report -------------------------------------------------------------------


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}"
    )


def table(rows, peaks):
    f32 = {r["case"]: r["fit"] for r in rows if r["precision"] == "float32"}
    lines = [
        "| model | precision | fit img/s | textbook img/s | ratio (range) | bf16/f32 | GFLOP/img | fit GFLOP/s | % of matmul peak | peak memory MB |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        speedup = f"{r['fit'] / f32[r['case']]:.2f}" if r["precision"] != "float32" and r["case"] in f32 else ""
        rate = r["fit"] * r["gflop_per_image"]
        lines.append(
            f"| {r['case']} | {r['precision']} | {r['fit']:.1f} | {r['textbook']:.1f} | "
            f"{r['ratio']:.2f} ({r['ratio_min']:.2f}-{r['ratio_max']:.2f}) | {speedup} | "
            f"{r['gflop_per_image']:.4f} | {rate:.1f} | {100 * rate / peaks[r['precision']]:.0f}% | "
            f"{r['peak_memory_mb']:.0f} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", help=f"{', '.join(BENCHES)}, folder, or all")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per segment")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5, help="fit/textbook segment pairs per case")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--precision", nargs="+", default=["float32", "mixed_bfloat16"])
    parser.add_argument(
        "--steps-per-execution",
        type=int,
        default=1,
        help="compile the fit models with this many steps per call (Keras's steps_per_execution)",
    )
    parser.add_argument("--markdown", help="also write the tables to this Markdown file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    names = list(BENCHES) + ["folder"] if args.models == ["all"] else args.models
    unknown = [n for n in names if n not in BENCHES and n != "folder"]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {', '.join(BENCHES)}, folder, all")
    if args.child:
        for name in names:
            for precision in args.precision:
                run_model(name, precision, args)
        return 0

    baseline = peak_memory_mb()
    print(f"machine: {machine()}", flush=True)
    peaks = {
        p: matmul_peak_gflops(tf.bfloat16 if "bfloat16" in p else tf.float16 if "float16" in p else tf.float32)
        for p in args.precision
    }
    for p, v in peaks.items():
        print(f"matmul peak ({p} compute): {v:.0f} GFLOP/s", flush=True)
    rows = []
    common = [
        "--steps",
        str(args.steps),
        "--warmup",
        str(args.warmup),
        "--rounds",
        str(args.rounds),
        "--batch-size",
        str(args.batch_size),
        "--steps-per-execution",
        str(args.steps_per_execution),
    ]
    for name in names:
        if name == "folder":
            continue
        for precision in args.precision:
            cmd = [sys.executable, os.path.abspath(__file__), name, "--child", "--precision", precision] + common
            out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
            rows += [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    text = []
    if rows:
        text.append(table(rows, peaks))
        print("\n" + text[-1], flush=True)
    if "folder" in names:
        folder = bench_folder(args.batch_size)
        fastest = max(
            (r for r in rows if r["model"] in ("vae", "aae", "gan", "dcgan")), key=lambda r: r["fit"], default=None
        )
        line = (
            f"image folder, {folder['files']} PNG files 28x28: scan {folder['scan_seconds']:.1f} s, "
            f"first epoch (decode) {folder['first_epoch']:.0f} img/s, cached epochs {folder['cached']:.0f} img/s"
        )
        if fastest:
            line += (
                f"; fastest 28x28 training ({fastest['case']}, {fastest['precision']}) {fastest['fit']:.0f} img/s: "
                f"decode {folder['first_epoch'] / fastest['fit']:.1f}x, cached {folder['cached'] / fastest['fit']:.1f}x"
            )
        text.append(line)
        print("\n" + line, flush=True)
    summary = "matmul peak: " + ", ".join(f"{p} {v:.0f} GFLOP/s" for p, v in peaks.items())
    summary += f"; baseline process memory (imports only) {baseline:.0f} MB"
    print(summary)
    if args.markdown:
        command = "python tools/bench.py " + " ".join(argv if argv is not None else sys.argv[1:])
        with open(args.markdown, "w") as f:
            f.write(f"Machine: {machine()}.\n\n`{command}`, {time.strftime('%Y-%m-%d')}\n\n{summary}.\n\n")
            f.write("\n\n".join(text) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
