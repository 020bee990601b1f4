"""Trains a zoo recipe (optionally changed) and prints its sample quality every few epochs; writes nothing.

Usage:
    python tools/probe_zoo.py gan --epochs 500 --every 50
    python tools/probe_zoo.py gan --model '{"generator_units": [256, 512]}' --epochs 400 --every 50
    python tools/probe_zoo.py vae --training '{"validation_images": 500,
        "early_stopping": {"monitor": "val_loss", "patience": 10}}' --epochs 200 --every 20

The figures are those of `kerasgen eval` for generating models (FID,
precision and recall on the digits features, 1,000 samples of seed 0 against
the held-out split), measured during one run: the curve that decides how long
a recipe should train. The model cards cite the curves measured with it.
"""

import argparse
import json
import sys
import time

import keras

from kerasgen import evaluation, runs
from kerasgen.models.base import GENERATE


class SampleQuality(keras.callbacks.Callback):
    """Prints FID, precision and recall every `every` epochs."""

    def __init__(self, heldout, every):
        super().__init__()
        self.heldout, self.every, self.start = heldout, every, time.time()

    def report(self, label):
        # The path `kerasgen eval` takes: held-out digits at the model's size, samples of seed 0.
        r = evaluation.sample_quality(self.model, self.heldout[:1000], seed=0)
        print(
            f"{label} ({time.time() - self.start:.0f} s): FID {r['fid_digits']:.1f}, "
            f"precision {r['precision_digits']:.3f}, recall {r['recall_digits']:.3f}",
            flush=True,
        )

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            self.report(f"epoch {epoch + 1}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="a registered zoo entry that generates")
    parser.add_argument("--model", default="{}", help="JSON of constructor arguments replacing the recipe's")
    parser.add_argument("--training", default="{}", help="JSON of recipe keys replacing the recipe's")
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--every", type=int, default=10, help="epochs between measurements")
    args = parser.parse_args(argv)
    run = runs.prepare(
        args.name,
        model_overrides=json.loads(args.model),
        training_overrides=json.loads(args.training),
        epochs=args.epochs,
    )
    if not run.model.can(GENERATE):
        raise SystemExit(f"{args.name!r} does not generate; its figures come from `kerasgen eval {args.name}`.")
    heldout, _ = runs.embedded_split(run.training, "test")
    quality = SampleQuality(heldout, args.every)
    validation = run.validation if run.training.get("early_stopping") else None
    history = run.model.fit(
        run.dataset(),
        epochs=run.epochs,
        callbacks=[*run.callbacks, quality],
        validation_data=validation,
        shuffle=False,
        verbose=0,
    )
    quality.report(f"end of training, {len(history.epoch)} epochs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
