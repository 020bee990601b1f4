"""CycleGAN on a task whose answer is known: MNIST digits <-> thick dark ink.

Domain A is MNIST digits (white strokes on black); domain B is a fixed
transform T of *other* digits (`kerasgen.data.ink_transform`: strokes
thickened by a 3x3 dilation, then inverted). The two training sets are
disjoint halves of the embedded MNIST-5k training split, so they are
unpaired, but the right translation of any digit x is T(x). On the 1,000
held-out digits the command reports mean absolute errors (in [-1, 1] pixel
units) of

- G(x) against T(x), F(T(x)) against x, F(G(x)) against x,

next to two baselines for each direction: the identity map and the mean
image of the target domain's training set.

Usage:
    python tools/cyclegan_task.py [--epochs N] [--batch-size N] [--filters N] [--blocks N] [--ema-decay D]
    python tools/cyclegan_task.py --paired [--decay] [--epochs N] [--filters N] ...
    python tools/cyclegan_task.py --figure docs/images/cyclegan_translations.png [--entry zoo/cyclegan]

The first form trains the `cyclegan` entry's recipe; each option given
replaces the recipe's value (`--ema-decay 0`: no moving average of the
generators; `--decay`: the learning rate decays linearly to 0 over the
second half of the run, where the recipe keeps it constant; the earlier
recipes were `--epochs 6 --batch-size 8 --ema-decay 0 --decay` and
`--epochs 8 --decay`). `--paired` trains the same two generators
on pairs instead, G on (x, T(x)) and F on (T(x), x) with an L1 loss, the
same steps, batch and Adam schedule and no discriminators (and no moving
average): what these networks learn when told the answer, a bound for the
unpaired run. The
`--figure` form draws the pretrained entry's translations of held-out
digits: rows are x, G(x), the known answer T(x), the cycle F(G(x)), and
F(T(x)).
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


import kerasgen  # noqa: E402
from kerasgen import evaluation  # noqa: E402


def train(
    epochs=None,
    batch_size=None,
    filters=None,
    discriminator_filters=None,
    blocks=None,
    identity_weight=None,
    seed=None,
    steps_per_epoch=None,
    paired=False,
    verbose=2,
    ema_decay=None,
    decay=False,
):
    """Trains the `cyclegan` entry's recipe on the task; returns (model, task, seconds).

    Every argument left at None keeps the recipe's value
    (`kerasgen.presets.get("cyclegan")`). The learning rate decays over the
    second half of the run actually trained when the recipe decays it or
    `decay` is True, and stays constant otherwise. `paired=True` trains
    the two generators alone on (x, T(x)) and (T(x), x) with an L1 loss,
    each with the recipe's optimizer, for the same epochs and batch size,
    and no moving average (they are fitted directly). `ema_decay` 0 trains
    without a moving average of the generators.
    """
    model_overrides = {
        key: value
        for key, value in dict(
            filters=filters, discriminator_filters=discriminator_filters, num_residual_blocks=blocks, seed=seed
        ).items()
        if value is not None
    }
    if paired or ema_decay == 0:
        model_overrides["ema_decay"] = None
    elif ema_decay is not None:
        model_overrides["ema_decay"] = ema_decay
    compile_args = dict(kerasgen.presets.get("cyclegan")["training"]["compile"])
    if decay or "total_steps" in compile_args:
        compile_args["total_steps"] = "auto"
    if identity_weight is not None:
        compile_args["identity_weight"] = identity_weight
    run = kerasgen.runs.prepare(
        "cyclegan",
        epochs=epochs,
        batch_size=batch_size,
        steps_per_epoch=steps_per_epoch,
        seed=seed,
        model_overrides=model_overrides,
        training_overrides={"compile": compile_args},
    )
    task = kerasgen.data.mnist_translation_task()
    start = time.time()
    if paired:
        x = task["train_a"]
        tx = kerasgen.data.ink_transform(x)
        for network, inputs, targets in ((run.model.generator_ab, x, tx), (run.model.generator_ba, tx, x)):
            network.compile(optimizer=run.model.default_optimizer("generator_optimizer"), loss="mae")
            network.fit(inputs, targets, batch_size=run.batch_size, epochs=run.epochs, verbose=verbose)
    elif steps_per_epoch:
        run.model.fit(run.stream(), epochs=run.epochs, steps_per_epoch=run.steps_per_epoch, verbose=verbose)
    else:
        run.model.fit(run.dataset(), epochs=run.epochs, verbose=verbose)
    return run.model, task, time.time() - start


def figure(path, entry, n=10):
    """Writes a PNG grid of a pretrained entry's translations of held-out digits."""
    import numpy as np

    model = kerasgen.zoo.load(entry)
    task = kerasgen.data.mnist_translation_task()
    x, tx = task["test_a"][:n], task["test_b"][:n]
    g_x = model.translate(x, "a2b")
    rows = [x, g_x, tx, model.translate(g_x, "b2a"), model.translate(tx, "b2a")]
    kerasgen.images.save_image_grid(np.concatenate(rows), path, columns=n)
    print(f"Wrote {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--figure", help="write the translations of a pretrained entry to this PNG and exit")
    parser.add_argument(
        "--entry",
        default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "zoo", "cyclegan"),
        help="entry for --figure",
    )
    # None keeps the `cyclegan` recipe's value.
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--filters", type=int)
    parser.add_argument("--discriminator-filters", type=int)
    parser.add_argument("--blocks", type=int)
    parser.add_argument("--identity-weight", type=float)
    parser.add_argument("--steps-per-epoch", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--ema-decay", type=float, help="decay of the generators' moving average; 0: none")
    parser.add_argument("--paired", action="store_true", help="train both generators on (x, T(x)) pairs instead")
    parser.add_argument("--decay", action="store_true", help="decay the learning rate over the second half")
    args = parser.parse_args(argv)
    if args.figure:
        figure(args.figure, args.entry)
        return 0
    model, task, seconds = train(
        args.epochs,
        args.batch_size,
        args.filters,
        args.discriminator_filters,
        args.blocks,
        args.identity_weight,
        args.seed,
        args.steps_per_epoch,
        args.paired,
        ema_decay=args.ema_decay,
        decay=args.decay,
    )
    results = evaluation.translation_task_metrics(model, task)
    results["train_seconds_cpu"] = round(seconds, 1)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
