"""The `kerasgen` command: list, train, sample, export, eval."""

import argparse
import json
import os
import shutil
import sys


def _out_dir_state(out):
    return os.path.isdir(out) and bool(os.listdir(out))


def cmd_list(args):
    # Read from the entries' metadata, so listing needs no TensorFlow.
    import importlib.resources

    root = importlib.resources.files("kerasgen._zoo")
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        path = entry / "metadata.json"
        if not path.is_file():
            continue
        meta = json.loads(path.read_text())
        if meta.get("kind") == "feature_extractor":
            continue
        tag = "pretrained" if meta.get("weights") else "recipe"
        print(f"{meta['name']:28s} {tag:10s} {meta['description']}")
    return 0


# The settings a run records in run.json when it starts, and a resume takes back.
RUN_SETTINGS = (
    "data",
    "data_b",
    "attributes",
    "data_dir",
    "image_shape",
    "epochs",
    "steps_per_epoch",
    "batch_size",
    "seed",
    "precision",
    "strategy",
)
RUN_FILE = "run.json"


def _parse_image_shape(text):
    if text == "data":
        return text
    try:
        shape = tuple(int(d) for d in str(text).split(","))
    except ValueError:
        shape = ()
    if len(shape) != 3 or min(shape) < 1:
        raise argparse.ArgumentTypeError(
            f"--image-shape takes H,W,C (three positive integers) or 'data'; got {text!r}."
        )
    return shape


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}.")
    return value


def _flag(key):
    return "--" + key.replace("_", "-")


def _resume_settings(args, out):
    """The run's recorded settings; a flag given again must agree with them.

    A run written before run.json was recorded at the start (checkpoints but
    no run.json) resumes with the flags as given. Settings the file does
    not hold are taken from the flags.
    """
    path = os.path.join(out, RUN_FILE)
    if not os.path.isfile(path):
        if os.path.isdir(os.path.join(out, "checkpoints")):
            print(f"{out} has no {RUN_FILE}: resuming with the settings given on the command line.")
            return {}
        raise FileNotFoundError(f"--resume given but {out} holds no run to resume ({RUN_FILE} is missing).")
    with open(path) as f:
        recorded = json.load(f)
    if recorded.get("entry") != args.name:
        raise ValueError(f"{out} holds a run of {recorded.get('entry')!r}, not {args.name!r}.")
    for key in RUN_SETTINGS:
        if key not in recorded:
            continue
        given, kept = getattr(args, key), recorded[key]
        if key == "image_shape" and given is not None:
            given = None if given == "data" else list(given)  # "data" was resolved to the recorded shape
        if key in PATH_SETTINGS:
            given = _absolute_source(given)
        if given is not None and given != kept:
            raise ValueError(
                f"{_flag(key)} {given} conflicts with the run's recorded {key} {kept} ({path}); a resumed run "
                "keeps its own settings: leave the flag out, or start a new run with --out."
            )
        setattr(args, key, tuple(kept) if key == "image_shape" and kept is not None else kept)
    from kerasgen import presets

    embedded = presets.get(args.name)["training"].get("data")
    if args.data is not None and args.data == embedded:
        args.data = None  # older run.json files recorded the recipe's embedded data ("mnist") here
    for key in ("data", "data_b"):
        source = getattr(args, key)
        if source is not None and not _is_user_source(source):
            # Training on anything else (the embedded digits, say) would not continue this run.
            raise FileNotFoundError(
                f"the run's recorded {key} {source!r} ({path}) does not exist: restore the data there to "
                "resume, or start a new run with --out."
            )
    return recorded


# Local paths among the run settings, recorded absolute so a run resumes from any directory.
PATH_SETTINGS = ("data", "data_b", "data_dir")


def _absolute_source(source):
    if source is None or str(source).startswith("tfds:") or not os.path.exists(str(source)):
        return source
    return os.path.abspath(str(source))


def _is_user_source(source):
    return str(source).startswith("tfds:") or os.path.exists(str(source))


def _looks_like_run(out):
    return any(os.path.exists(os.path.join(out, name)) for name in (RUN_FILE, "checkpoints", "history.csv"))


def _check_overwrite(args, out):
    """--overwrite replaces a run, never a folder that is not one or that holds the training data."""
    if not (args.overwrite and _out_dir_state(out)):
        return
    if not _looks_like_run(out):
        raise ValueError(
            f"--overwrite refuses to delete {out}: it holds no kerasgen run ({RUN_FILE}, checkpoints/). "
            "Choose another --out."
        )
    for source in (args.data, args.data_b):
        if source and os.path.exists(str(source)):
            inside = os.path.abspath(str(source)) + os.sep
            if inside.startswith(out + os.sep) or out.startswith(inside):
                raise ValueError(f"--overwrite refuses to delete {out}: the training data {source} is there.")


def cmd_train(args):
    from kerasgen import distribute

    out = os.path.abspath(args.out or os.path.join("runs", args.name))
    state_dir = os.path.join(out, "checkpoints")
    if args.resume and args.overwrite:
        raise ValueError("--resume and --overwrite exclude each other.")
    # In a cluster sharing one --out, only the chief guards (and writes) it.
    if distribute.is_chief() and _out_dir_state(out) and not (args.resume or args.overwrite):
        print(
            f"error: {out} already holds a run. Pass --resume to continue it, "
            "--overwrite to replace it, or choose another --out.",
            file=sys.stderr,
        )
        return 2
    if args.resume:
        _resume_settings(args, out)
    _check_overwrite(args, out)
    if args.image_shape == "data":
        from kerasgen import data

        if not args.data:
            raise ValueError("--image-shape data takes the shape of the images given with --data.")
        args.image_shape = data.source_image_shape(args.data, data_dir=args.data_dir)
        print(f"Image shape from {args.data}: {','.join(map(str, args.image_shape))}")
    args.precision = args.precision or "float32"
    args.strategy = args.strategy or "auto"

    import keras

    # The model is built under the chosen policy; the caller's policy comes back after.
    previous_policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy(args.precision)
    try:
        return _train(args, out, state_dir)
    finally:
        keras.config.set_dtype_policy(previous_policy)


def _train(args, out, state_dir):
    import keras
    import tensorflow as tf

    from kerasgen import callbacks as kg_callbacks
    from kerasgen import data, distribute, files, runs
    from kerasgen.models.base import DOMAIN_IMAGES, LABELED_IMAGES

    if args.deterministic:
        tf.config.experimental.enable_op_determinism()
    strategy = distribute.strategy(args.strategy)
    if args.attributes and (not args.data or data.attribute_file(args.data) is None):
        raise ValueError(
            f"--attributes names columns of an attribute file, but {args.data or 'the embedded data'} has none "
            f"({data.CELEBA_ATTRIBUTE_FILE} or a CSV); a folder of sub-folders gives one-of-N domains."
        )
    # Everything that can fail on the user's input (data, shapes, recipe) fails
    # here, before a folder is created or an old run replaced.
    run = runs.prepare(
        args.name,
        source=args.data,
        source_b=args.data_b,
        data_dir=args.data_dir,
        download=args.download,
        epochs=args.epochs,
        batch_size=args.batch_size,
        steps_per_epoch=args.steps_per_epoch,
        seed=args.seed,
        strategy=strategy,
        image_shape=args.image_shape,
        training_overrides={"attributes": args.attributes} if args.attributes else None,
    )
    model, stream, val_ds = run.model, run.stream, run.validation
    steps_per_epoch, epochs = run.steps_per_epoch, run.epochs
    # Real images for the figures of models that draw them (reconstructions, translations).
    preview = next(iter(val_ds if val_ds is not None else stream()))
    preview = (preview[0] if isinstance(preview, tuple) else preview)[:32].numpy()

    settings = {
        "entry": args.name,
        "data": _absolute_source(args.data),
        "data_b": _absolute_source(args.data_b),
        "attributes": args.attributes,
        "data_dir": _absolute_source(args.data_dir),
        "image_shape": list(model.image_shape),
        "epochs": epochs,
        "steps_per_epoch": steps_per_epoch,
        "batch_size": run.batch_size,
        "seed": run.seed,
        "precision": args.precision,
        "strategy": args.strategy,
    }
    if args.data and model.batch_structure == LABELED_IMAGES and not str(args.data).startswith("tfds:"):
        settings["class_names"] = data.class_names(args.data)
    if model.batch_structure == DOMAIN_IMAGES:
        settings["label_groups"] = model.get_config()["label_groups"]

    chief = distribute.is_chief(strategy)
    replaced = out + ".replaced"
    step = 0
    if args.resume:
        with strategy.scope():
            step, _ = kg_callbacks.Checkpoint.restore(model, state_dir) if os.path.isdir(state_dir) else (0, None)
        print(
            f"Resuming {out} at step {step} of {epochs * steps_per_epoch} ({epochs} epochs of {steps_per_epoch} "
            f"steps, batch {run.batch_size}, seed {run.seed}, {args.precision}, data {args.data or 'embedded'})."
        )
    elif chief:
        if args.overwrite and os.path.isdir(out):
            # The old run is set aside, and deleted only once the new one has
            # finished: a new run that fails gives it back.
            if os.path.exists(replaced):
                shutil.rmtree(replaced)
            os.rename(out, replaced)
        os.makedirs(out, exist_ok=True)
    if chief:
        with files.writing_file(os.path.join(out, RUN_FILE), suffix=".json") as tmp, open(tmp, "w") as f:
            json.dump(settings, f, indent=2)

    tensorboard = os.path.join(out, "tensorboard") if args.tensorboard and chief else None
    cbs = [
        kg_callbacks.Checkpoint(state_dir, every_steps=args.checkpoint_every).starting_at(step),
        keras.callbacks.TerminateOnNaN(),
        kg_callbacks.SampleGrid(
            os.path.join(out, "samples"), images=preview, every=args.grid_every, tensorboard_dir=tensorboard
        ),
    ]
    if chief:
        cbs.append(keras.callbacks.CSVLogger(os.path.join(out, "history.csv"), append=True))
    if tensorboard:
        cbs.append(keras.callbacks.TensorBoard(tensorboard, write_graph=False))
    cbs.extend(run.callbacks)
    fit_args = dict(validation_data=val_ds, callbacks=cbs, shuffle=False, verbose=args.verbose)
    try:
        _fit_from(model, stream, step, steps_per_epoch, epochs, fit_args)
    except BaseException:
        # A run that fails before its first checkpoint leaves nothing behind,
        # so the same command can simply be run again; a run it was replacing comes back.
        if chief and not args.resume and not os.path.isdir(state_dir):
            shutil.rmtree(out, ignore_errors=True)
            if os.path.isdir(replaced):
                os.rename(replaced, out)
        raise
    if chief:
        model.save(os.path.join(out, "model.keras"))
        model.export(os.path.join(out, "export"), overwrite=True, verbose=False)
        if os.path.isdir(replaced):
            shutil.rmtree(replaced)
        print(f"Run written to {out}: samples/, checkpoints/, model.keras, export/ (SavedModel), {RUN_FILE}")
    return 0


def _fit_from(model, stream, step, steps_per_epoch, epochs, fit_args):
    """Trains from global step `step` to the end of the run.

    A fresh stream's order is fixed by the seed, so skipping the batches
    already taken resumes on exactly the data an uninterrupted run would
    see; a run stopped mid-epoch first finishes that epoch.
    """
    epoch, within = divmod(step, steps_per_epoch)
    if within:
        model.fit(
            stream().skip(step),
            initial_epoch=epoch,
            epochs=epoch + 1,
            steps_per_epoch=steps_per_epoch - within,
            **fit_args,
        )
        epoch += 1
    if epoch < epochs:
        model.fit(
            stream().skip(epoch * steps_per_epoch),
            initial_epoch=epoch,
            epochs=epochs,
            steps_per_epoch=steps_per_epoch,
            **fit_args,
        )


def _load_for_inference(name, weights):
    from kerasgen import zoo

    if name.endswith(".keras"):
        return zoo.load_keras(name)
    return zoo.load(name, weights=weights or "pretrained", compile=False)


def cmd_sample(args):
    from kerasgen.images import save_image_grid

    model = _load_for_inference(args.name, args.weights)
    images = model.generate(args.n, seed=args.seed)
    save_image_grid(images, args.output)
    print(f"Wrote {args.n} samples to {args.output}")
    return 0


def cmd_export(args):
    model = _load_for_inference(args.name, args.weights)
    if os.path.isdir(args.out) and os.listdir(args.out) and not args.overwrite:
        raise FileExistsError(f"{os.path.abspath(args.out)!r} exists and is not empty; pass --overwrite to replace it.")
    model.export(args.out, overwrite=args.overwrite)
    return 0


def cmd_eval(args):
    from kerasgen import evaluation, presets, runs

    if args.limit is not None and not args.data:
        raise ValueError(
            "--limit applies to --data; a zoo entry is measured on its whole held-out split, as its metadata records."
        )
    model = _load_for_inference(args.name, args.weights)
    model.compile()
    if args.data:
        # A run's model.keras sits beside its run.json, which names its classes.
        recorded = os.path.join(os.path.dirname(os.path.abspath(args.name)), RUN_FILE)
        class_names = None
        if args.name.endswith(".keras") and os.path.isfile(recorded):
            with open(recorded) as f:
                class_names = json.load(f).get("class_names")
        heldout, labels = runs.user_heldout(
            model, args.data, data_dir=args.data_dir, limit=args.limit or 1000, class_names=class_names
        )
        results = evaluation.evaluate(
            model, heldout, labels, num_importance_samples=args.importance_samples, digits=False
        )
        results["heldout"] = f"{len(heldout)} images of {args.data}"
    elif args.name in presets.names() and not args.weights:
        results = runs.measure(args.name, model, num_importance_samples=args.importance_samples)
    else:
        # A model trained on the user's data scored against the digits would give a meaningless figure.
        raise ValueError(
            f"kerasgen does not know what {args.name}{' with ' + args.weights if args.weights else ''} was trained "
            "on: pass --data with held-out images of its kind (a folder or tfds:NAME)."
        )
    print(json.dumps(results, indent=2))
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="kerasgen", description="Generative models for Keras 3: train, sample, export."
    )
    parser.add_argument(
        "--verbose",
        dest="startup_logs",
        action="store_true",
        help="show TensorFlow's start-up logs (hidden by default), e.g. kerasgen --verbose train vae",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("list", help="list the zoo entries").set_defaults(fn=cmd_list)

    p = sub.add_parser("train", help="train a zoo entry's recipe on the embedded data or your own")
    p.add_argument("name", help="zoo entry, e.g. vae")
    p.add_argument(
        "--data",
        help="your data instead of the embedded digits: an image folder or tfds:NAME; for a conditional model a "
        "folder with one sub-folder per class; for a translation model a folder holding trainA/ and trainB/, "
        "tfds:NAME with those splits, or domain A (with --data-b); for a multi-domain model (StarGAN) a folder "
        "with one sub-folder per domain, or CelebA's folder (list_attr_celeba.txt), or a folder with a CSV "
        "'filename,attr1,...' beside its images",
    )
    p.add_argument(
        "--attributes",
        type=lambda text: [a.strip() for a in text.split(",") if a.strip()],
        help="multi-domain models on an attribute file: the attributes to learn, e.g. Black_Hair,Blond_Hair,Male "
        "(default: the recipe's, or every column)",
    )
    p.add_argument("--data-b", help="domain B's image folder or tfds:NAME (translation models)")
    p.add_argument("--data-dir", help="tfds data directory")
    p.add_argument("--download", action="store_true", help="allow tfds to download")
    p.add_argument(
        "--image-shape",
        type=_parse_image_shape,
        help="H,W,C instead of the recipe's, e.g. 64,64,3; 'data' takes the first image's",
    )
    p.add_argument("--epochs", type=_positive_int)
    p.add_argument("--batch-size", type=_positive_int, help="global batch size")
    p.add_argument("--steps-per-epoch", type=_positive_int)
    p.add_argument("--seed", type=int)
    p.add_argument("--out", help="run folder (default runs/NAME)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out with its recorded settings")
    p.add_argument("--overwrite", action="store_true", help="replace the run in --out")
    p.add_argument("--strategy", help="auto (default), default, mirrored, multi_worker or tpu")
    p.add_argument("--grid-every", type=_positive_int, default=1, help="write a sample grid every N epochs")
    p.add_argument("--checkpoint-every", type=_positive_int, help="also checkpoint every N steps (default: each epoch)")
    p.add_argument("--deterministic", action="store_true", help="enable TensorFlow op determinism")
    p.add_argument(
        "--precision",
        choices=("float32", "mixed_bfloat16", "mixed_float16"),
        help="Keras dtype policy of the run, float32 by default (mixed_float16 scales the loss of every optimizer)",
    )
    p.add_argument(
        "--no-tensorboard",
        dest="tensorboard",
        action="store_false",
        help="do not write TensorBoard logs (scalars and sample grids, in OUT/tensorboard)",
    )
    p.add_argument("--verbose", type=int, default=1)
    p.set_defaults(fn=cmd_train)

    p = sub.add_parser("sample", help="write a PNG grid of samples")
    p.add_argument("name", help="zoo entry or .keras file")
    p.add_argument("-n", type=_positive_int, default=64)
    p.add_argument("-o", "--output", default="samples.png")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--weights", help="a .weights.h5 file instead of the pretrained weights")
    p.set_defaults(fn=cmd_sample)

    p = sub.add_parser("export", help="export a SavedModel with named signatures")
    p.add_argument("name", help="zoo entry or .keras file")
    p.add_argument("out")
    p.add_argument("--weights")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(fn=cmd_export)

    p = sub.add_parser("eval", help="measure a model on held-out data (the entry's embedded split, or --data)")
    p.add_argument("name", help="zoo entry or .keras file")
    p.add_argument("--weights")
    p.add_argument("--importance-samples", type=_positive_int, default=1000)
    p.add_argument("--data", help="held-out images of the model's kind (folder or tfds:NAME, its 'test' split)")
    p.add_argument("--data-dir", help="tfds data directory")
    p.add_argument("--limit", type=_positive_int, help="with --data: at most this many held-out images (1000)")
    p.set_defaults(fn=cmd_eval)
    return parser


def _load_tensorflow_quietly():
    """Imports TensorFlow with its native start-up lines (CUDA probes, absl notices) sent to /dev/null.

    Those lines are written by C++ code at load and at the first op, before
    any log level applies, so stderr itself is silenced for that moment.
    """
    import logging

    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    if "tensorflow" not in sys.modules:
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
            import tensorflow as tf

            # Probes CUDA (its failure lines go to /dev/null) without starting
            # the runtime, which multi-worker strategies must configure first.
            tf.config.list_physical_devices("GPU")
            import tensorflow_probability  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
    # Deprecation notices of TensorFlow's own Python code (e.g. LinearOperator.graph_parents).
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command != "list" and not args.startup_logs:
        _load_tensorflow_quietly()
    try:
        return args.fn(args)
    except (ValueError, FileNotFoundError, FileExistsError, NotImplementedError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
