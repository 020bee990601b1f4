"""How close can the `stargan` entry's generator get to the known answer when it is told it?

Trains the generator of the `stargan` recipe (the same architecture and
conditioning, freshly initialized) on *pairs* of the eight-domain task: for
a training digit d and domains a, b drawn at random, G(T_a(d), b) is fitted
to T_b(d) with an L1 loss, Adam(2e-4, 0.5, 0.999), batch 16, no
discriminator and no cycle. Then it prints the figures `kerasgen eval
stargan` prints, on the 1,000 held-out digits. The unpaired StarGAN
objective never sees a digit in two domains; this is the bound its
networks set, as `tools/cyclegan_task.py --paired` is for CycleGAN.

Usage:
    python tools/stargan_paired.py               # 7,500 steps: the entry's G updates
    python tools/stargan_paired.py --steps 1500
"""

import argparse
import json
import time

import keras
import numpy as np
import tensorflow as tf

from kerasgen import data, evaluation, presets, zoo


def train_paired(steps, batch_size=16, learning_rate=2e-4, seed=0, log_every=1500):
    """The entry's StarGAN with its generator trained on pairs; returns the model."""
    model = zoo.model_from_config(presets.get("stargan")["model"])
    generator = model.generator
    train, _ = data.mnist("train")
    digits = data.to_model_range(train).astype("float32")
    answers = tf.constant(np.stack([data.domain_transform(digits, data.domain_attributes(k)) for k in range(8)]))
    attributes = tf.constant(np.stack([data.domain_attributes(k) for k in range(8)]))
    optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.5, beta_2=0.999)

    @tf.function
    def step(index, source, target):
        x = tf.gather_nd(answers, tf.stack([source, index], 1))
        y = tf.gather_nd(answers, tf.stack([target, index], 1))
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.abs(generator([x, tf.gather(attributes, target)], training=True) - y))
        optimizer.apply_gradients(
            zip(tape.gradient(loss, generator.trainable_variables), generator.trainable_variables)
        )
        return loss

    rng = np.random.default_rng(seed)
    start = time.time()
    for i in range(steps):
        index = rng.integers(0, len(digits), batch_size)
        source, target = rng.integers(0, 8, batch_size), rng.integers(0, 8, batch_size)
        loss = step(tf.constant(index), tf.constant(source), tf.constant(target))
        if (i + 1) % log_every == 0:
            print(f"step {i + 1}: L1 {float(loss):.4f} ({time.time() - start:.0f} s)", flush=True)
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=7500, help="training steps (the entry makes 7,500 G updates)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    keras.utils.set_random_seed(args.seed)
    model = train_paired(args.steps, seed=args.seed)
    test, test_labels = data.mnist("test")
    figures = evaluation.domain_task_metrics(model, test, test_labels)
    print(json.dumps({k: v for k, v in figures.items() if k != "translation_protocol"}, indent=1))


if __name__ == "__main__":
    main()
