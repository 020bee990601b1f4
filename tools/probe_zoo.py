"""Trains a zoo recipe (optionally changed) and prints its held-out figures every few epochs; writes nothing.

Usage:
    python tools/probe_zoo.py gan --epochs 500 --every 50
    python tools/probe_zoo.py gan --model '{"generator_units": [256, 512]}' --epochs 400 --every 50
    python tools/probe_zoo.py vae --training '{"validation_images": 500,
        "early_stopping": {"monitor": "val_loss", "patience": 10}}' --epochs 200 --every 20
    python tools/probe_zoo.py infogan --epochs 300 --every 30
    python tools/probe_zoo.py stargan --epochs 10 --every 5 --show mae_translation_inverting,mae_same_domain
    python tools/probe_zoo.py part_to_whole --epochs 350 --every 50 \
        --ema 0.999 --ema-networks patch_encoder,mask_decoder,image_generator

The figures are those of `kerasgen eval` (`kerasgen.evaluation.evaluate` on
the held-out split): FID, precision and recall for a generating model and
the entry's target figures, measured during one run: the curve that decides
how long a recipe should train. The model cards cite the curves measured
with it.
"""

import argparse
import json
import sys
import time

import keras
import tensorflow as tf

from kerasgen import evaluation, presets, runs, zoo
from kerasgen.models.base import moving_average_copy, update_moving_average

ALWAYS = ("fid_digits", "precision_digits", "recall_digits")


def _format(value):
    return value if isinstance(value, str) else f"{value:.4g}"


def check_shown(name, extra):
    """Stops before training when the entry's shipped figures name no such figure."""
    try:
        known = zoo.metadata(name).get("metrics")
    except (OSError, ValueError):
        known = None
    if not known:
        return  # a recipe-only entry: the first report checks the names
    unknown = [k for k in extra if k not in known]
    if unknown:
        raise SystemExit(f"--show: no figure named {', '.join(unknown)}; this entry has {', '.join(sorted(known))}.")


class MovingAverage(keras.callbacks.Callback):
    """Keeps an exponential moving average of some of the model's networks, updated after every step.

    For measuring whether averaging the weights would help a family that has
    no `ema_decay` of its own; the same update (and warm-up) as the
    models' `update_ema`.
    """

    def __init__(self, decay, network_names):
        super().__init__()
        self.decay, self.network_names = float(decay), list(network_names)
        self.pairs = None

    def on_train_begin(self, logs=None):
        if self.pairs is None:
            networks = [getattr(self.model, n) for n in self.network_names]
            self.pairs = []
            for network in networks:
                self.pairs.append((moving_average_copy(network, f"probe_ema_{network.name}"), network))
            self.step = tf.Variable(0.0, trainable=False)
            self._update = tf.function(self._update_all)

    def _update_all(self):
        for average, network in self.pairs:
            update_moving_average(average, network, self.decay, step=self.step)
        self.step.assign_add(1.0)

    def on_train_batch_end(self, batch, logs=None):
        self._update()

    def swapped(self):
        """Puts the averages in the networks' place; returns the weights to restore."""
        saved = [network.get_weights() for _, network in self.pairs]
        for average, network in self.pairs:
            network.set_weights(average.get_weights())
        return saved

    def restore(self, saved):
        for (_, network), weights in zip(self.pairs, saved):
            network.set_weights(weights)


class HeldoutFigures(keras.callbacks.Callback):
    """Prints the entry's target figures (and FID, precision, recall) every `every` epochs."""

    def __init__(self, heldout, labels, names, every, extra=(), average=None):
        super().__init__()
        self.heldout, self.labels, self.names, self.every = heldout, labels, [*names, *extra], every
        self.extra = list(extra)
        self.average = average
        self.start = time.time()

    def report(self, label):
        self.report_one(label)
        if self.average is not None and self.average.pairs is not None:
            saved = self.average.swapped()
            try:
                self.report_one(f"{label}, EMA {self.average.decay}")
            finally:
                self.average.restore(saved)

    def report_one(self, label):
        # Evaluation restarts the model's random streams from a fixed seed;
        # training then continues from where its streams were.
        states = self.model.random_state()
        figures = evaluation.evaluate(self.model, self.heldout, self.labels, num_importance_samples=1)
        self.model.set_random_state(states)
        unknown = [k for k in self.extra if k not in figures]
        if unknown:
            raise SystemExit(
                f"--show: no figure named {', '.join(unknown)}; this entry has {', '.join(sorted(figures))}."
            )
        shown = [f"{k} {_format(figures[k])}" for k in self.names if isinstance(figures.get(k), (int, float, str))]
        print(f"{label} ({time.time() - self.start:.0f} s): " + ", ".join(shown), flush=True)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            self.report(f"epoch {epoch + 1}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="a registered zoo entry")
    parser.add_argument("--model", default="{}", help="JSON of constructor arguments replacing the recipe's")
    parser.add_argument("--training", default="{}", help="JSON of recipe keys replacing the recipe's")
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--every", type=int, default=10, help="epochs between measurements")
    parser.add_argument("--show", default="", help="comma-separated figures to print besides the entry's targets")
    parser.add_argument("--ema", type=float, default=None, help="also score an EMA of the networks, of this decay")
    parser.add_argument("--ema-networks", default="", help="comma-separated attributes of the model to average")
    args = parser.parse_args(argv)
    names = [*ALWAYS, *(k for k in presets.get(args.name)["targets"] if k not in ALWAYS)]
    extra = [k for k in args.show.split(",") if k and k not in names]
    check_shown(args.name, extra)
    run = runs.prepare(
        args.name,
        model_overrides=json.loads(args.model),
        training_overrides=json.loads(args.training),
        epochs=args.epochs,
    )
    heldout, labels = runs.embedded_split(run.training, "test")
    average = None
    if args.ema is not None:
        if not 0.0 < args.ema < 1.0 or not args.ema_networks:
            raise SystemExit("--ema takes a decay in (0, 1) and needs --ema-networks.")
        if getattr(run.model, "ema_decay", None) is not None:
            # Its own averages are what the model scores: swapping the trained networks would change nothing.
            raise SystemExit(
                f"--ema: this model keeps its own moving average (ema_decay={run.model.ema_decay}), which is "
                "what it is scored with; add --model '{\"ema_decay\": null}' to score a probe average instead."
            )
        average = MovingAverage(args.ema, args.ema_networks.split(","))
    figures = HeldoutFigures(heldout, labels, names, args.every, extra, average)
    history = run.fit([c for c in (average, figures) if c is not None], verbose=0)
    figures.report(f"end of training, {len(history.epoch)} epochs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
