"""Trains a zoo entry with its recorded recipe and writes zoo/<name>/.

Usage:
    python tools/train_zoo.py vae
    python tools/train_zoo.py autoencoder
    python tools/train_zoo.py dcgan_celeba_64   # recipe-only entry: writes config + metadata, no training

The entry's metadata records this command, the recipe, and the metrics
measured on the held-out split of the embedded data.
"""

import argparse
import os
import sys
import time

import keras

import kerasgen
from kerasgen import recipes, zoo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def train(name, out_root):
    recipe = recipes.recipe(name)
    keras.utils.set_random_seed(recipe["seed"])
    model = zoo.model_from_config(recipe["model"])
    model.compile(**recipe.get("compile", {}))
    if recipe.get("pretrained", True) is False:
        return write_recipe_only(name, recipe, model, out_root)
    images, labels = recipes.embedded_split(recipe, "train")
    test_images, test_labels = recipes.embedded_split(recipe, "test")
    use_labels = bool(recipe.get("labels", False))
    if isinstance(images, tuple):  # unpaired domains (CycleGAN)
        ds = kerasgen.data.unpaired(
            images[0],
            images[1],
            model.image_shape,
            batch_size=recipe["batch_size"],
            seed=recipe["seed"],
            drop_remainder=recipe.get("drop_remainder", False),
        )
    else:
        ds = kerasgen.data.dataset(
            images,
            model.image_shape,
            batch_size=recipe["batch_size"],
            seed=recipe["seed"],
            labels=labels if use_labels else None,
        )
    callbacks = []
    if recipe.get("kl_warmup_steps"):
        callbacks.append(kerasgen.callbacks.KLWarmup(recipe["kl_warmup_steps"]))
    if recipe.get("stage_grid"):  # ProGAN: one row of samples per resolution stage
        from kerasgen.models.progan import stage_grid_callback

        callbacks.append(stage_grid_callback(os.path.join(ROOT, recipe["stage_grid"])))
    start = time.time()
    model.fit(ds, epochs=recipe["epochs"], callbacks=callbacks, shuffle=False, verbose=2)
    seconds = time.time() - start
    metrics = recipes.evaluate(model, test_images, test_labels)
    metrics["train_seconds_cpu"] = round(seconds, 1)
    print(metrics)
    path = zoo.save_entry(model, os.path.join(out_root, name), metadata(name, recipe, metrics), weights=True)
    print(f"Wrote {path}")
    return model


def write_recipe_only(name, recipe, model, out_root):
    """A recipe-only entry (`"pretrained": False`): config and metadata, no training, no weights."""
    path = zoo.save_entry(model, os.path.join(out_root, name), metadata(name, recipe, {}), weights=False)
    print(f"Wrote recipe-only entry {path}")
    return model


def metadata(name, recipe, metrics):
    training = {k: v for k, v in recipe.items() if k not in ("model", "description", "paper", "dataset")}
    training["command"] = f"python tools/train_zoo.py {name}"
    return {
        "name": name,
        "description": recipe["description"],
        "paper": recipe["paper"],
        "dataset": recipe["dataset"],
        "training": training,
        "metrics": metrics,
        "license": "Apache-2.0",
        "keras_version": keras.__version__,
        "kerasgen_version": kerasgen.__version__,
    }


def reevaluate(name, out_root):
    """Measures an existing entry again and rewrites its metadata metrics."""
    folder = os.path.join(out_root, name)
    model = zoo.load(folder)
    recipe = recipes.recipe(name)
    test_images, test_labels = recipes.embedded_split(recipe, "test")
    meta = zoo.metadata(folder)
    seconds = meta.get("metrics", {}).get("train_seconds_cpu")
    meta["metrics"] = recipes.evaluate(model, test_images, test_labels)
    if seconds is not None:
        meta["metrics"]["train_seconds_cpu"] = seconds
    print(meta["metrics"])
    zoo.save_entry(model, folder, meta)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="+", help=f"entries: {', '.join(sorted(recipes.RECIPES))}")
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
