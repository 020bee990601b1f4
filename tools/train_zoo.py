"""Trains a zoo entry with its registered recipe and writes zoo/<name>/.

Usage:
    python tools/train_zoo.py vae
    python tools/train_zoo.py autoencoder
    python tools/train_zoo.py dcgan_celeba_64   # recipe-only entry: writes config + metadata, no training
    python tools/train_zoo.py vae --evaluate-only   # measure the shipped weights again

The recipe is the entry's registration (`kerasgen.presets`, in the family's
`presets.py`); the run is built by `kerasgen.runs.prepare`, as for
`kerasgen train`. The entry's metadata records this command, the recipe, and
the metrics measured on the held-out split of the embedded data.
"""

import argparse
import json
import os
import sys
import time

import keras

import kerasgen
from kerasgen import files, presets, runs, zoo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def train(name, out_root):
    if presets.get(name)["training"].get("pretrained", True) is False:
        return write_recipe_only(name, out_root)
    run = runs.prepare(name)
    callbacks = []
    if run.training.get("stage_grid"):  # one row of samples per resolution stage
        from kerasgen.models.progan import stage_grid_callback

        callbacks.append(stage_grid_callback(os.path.join(ROOT, run.training["stage_grid"])))
    start = time.time()
    history = run.fit(callbacks)
    seconds = time.time() - start
    metrics = runs.measure(name, run.model)
    metrics["train_seconds_cpu"] = round(seconds, 1)
    metrics["epochs_run"] = len(history.epoch)
    print(metrics)
    path = zoo.save_entry(run.model, os.path.join(out_root, name), metadata(name, metrics), weights=True)
    print(f"Wrote {path}")
    return run.model


def write_recipe_only(name, out_root):
    """A recipe-only entry (`"pretrained": False`): config and metadata, no training, no weights."""
    model = zoo.model_from_config(presets.get(name)["model"])
    path = zoo.save_entry(model, os.path.join(out_root, name), metadata(name, {}), weights=False)
    print(f"Wrote recipe-only entry {path}")
    return model


def metadata(name, metrics):
    preset = presets.get(name)
    # The one command that wrote the entry (for a recipe-only entry, its
    # config and metadata; `kerasgen train NAME --data ...` trains it).
    training = dict(preset["training"], command=f"python tools/train_zoo.py {name}")
    return {
        "name": name,
        "description": preset["description"],
        "paper": preset["paper"],
        "dataset": preset["dataset"],
        "training": training,
        "targets": preset["targets"],
        "metrics": metrics,
        "license": "Apache-2.0",
        "keras_version": keras.__version__,
        "kerasgen_version": kerasgen.__version__,
    }


def reevaluate(name, out_root):
    """Measures an existing entry again and rewrites only its metadata's metrics (weights untouched)."""
    folder = os.path.join(out_root, name)
    model = zoo.load(folder)
    meta = zoo.metadata(folder)
    # What training recorded about itself stays; the measured figures are replaced.
    kept = {k: v for k, v in meta.get("metrics", {}).items() if k in ("train_seconds_cpu", "epochs_run")}
    meta["metrics"] = {**runs.measure(name, model), **kept}
    meta["targets"] = presets.get(name)["targets"]
    print(meta["metrics"])
    with files.writing_file(os.path.join(folder, zoo.METADATA_FILE), suffix=".json") as tmp:
        with open(tmp, "w") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="+", help=f"entries: {', '.join(presets.names())}")
    parser.add_argument("--out", default=os.path.join(ROOT, "zoo"), help="zoo folder")
    parser.add_argument("--evaluate-only", action="store_true", help="re-measure existing entries without training")
    args = parser.parse_args(argv)
    for name in args.names:
        if args.evaluate_only:
            reevaluate(name, args.out)
        else:
            train(name, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
