"""The registry of zoo entries: each family registers its own presets.

One source for every recipe. A family's `presets.py` calls `register_preset`
for each of its entries (the architecture as a Keras config, the paper, the
data and the training recipe), in the spirit of keras-hub's presets and
timm's `register_model`. `kerasgen list`, `kerasgen.zoo.load`, `kerasgen train`
and `tools/train_zoo.py` all read it; `zoo/<entry>/` holds what training
produced (its config, its metadata with measured figures, its weights), and a
test checks that every folder agrees with its registered preset.

Example:
>>> kerasgen.presets.get("vae")["training"]["epochs"]
60
"""

import copy

PRESETS = {}

# What a training recipe may hold, and what each key means.
TRAINING_KEYS = {
    "data": "'mnist' (embedded), 'mnist_translation' (embedded two-domain task), 'mnist_domains' (embedded "
    "eight-domain task), 'tfds:NAME', or a data set "
    "the user passes with --data",
    "binarize": "threshold the embedded digits at half intensity",
    "epochs": "epochs of the run",
    "batch_size": "global batch size",
    "drop_remainder": "drop the last incomplete batch",
    "augment": "random crop from load_size and horizontal flip (translation data)",
    "load_size": "size images are resized to before the random crop",
    "compile": "keyword arguments of model.compile(); 'total_steps': 'auto' is epochs x steps per epoch",
    "kl_warmup_steps": "steps of KLWarmup (0: none)",
    "stage_grid": "path of a one-row-per-stage sample figure written at the end of training",
    "seed": "seed of the run",
    "validation_images": "the last N training images, held back from training as the validation set that "
    "early stopping watches (the test split stays unseen until the final measurement)",
    "early_stopping": "{'monitor': 'val_<metric>', 'patience': epochs}: stop when the validation figure has not "
    "improved for `patience` epochs and keep the best epoch's weights",
    "pretrained": "False for a recipe-only entry (no weights shipped)",
    "attributes": "for a multi-domain model trained on an attribute file, the attributes it learns, in order",
}


def register_preset(name, model, description, paper, dataset, training, targets=None):
    """Registers a zoo entry.

    Args:
        name: entry name, e.g. `"dcgan"`.
        model: `{"class_name": ..., "config": {...}}`, the model's constructor
            arguments as Keras serialization writes them.
        description: one line for `kerasgen list`.
        paper: the paper(s) the entry follows.
        dataset: what it is trained on.
        training: the recipe (keys of `TRAINING_KEYS`).
        targets: optional quality bars the shipped weights must meet,
            metric name -> `["<=", value]` or `[">=", value]`, checked
            against the metrics `kerasgen eval NAME` prints.
    """
    if name in PRESETS:
        raise ValueError(f"Zoo entry {name!r} is registered twice.")
    unknown = set(training) - set(TRAINING_KEYS)
    if unknown:
        raise ValueError(
            f"Unknown training key(s) {sorted(unknown)} in preset {name!r}; known: {sorted(TRAINING_KEYS)}."
        )
    for metric, bar in (targets or {}).items():
        if not (isinstance(bar, list | tuple) and len(bar) == 2 and bar[0] in ("<=", ">=")):
            raise ValueError(
                f"Target {metric!r} of preset {name!r} must be ['<=', value] or ['>=', value]; got {bar!r}."
            )
    PRESETS[name] = {
        "model": model,
        "description": description,
        "paper": paper,
        "dataset": dataset,
        "training": training,
        "targets": dict(targets or {}),
    }


def meets(value, bar):
    """Whether `value` meets the target `bar` (`["<=", x]` or `[">=", x]`); None counts as not met."""
    if value is None:
        return False
    op, limit = bar
    return value <= limit if op == "<=" else value >= limit


def names():
    """Sorted names of the registered entries."""
    # Each family registers its entries when kerasgen.models is imported; the
    # import is deferred so that registering (which runs during that import)
    # does not need it.
    import kerasgen.models  # noqa: F401

    return sorted(PRESETS)


def get(name):
    """A copy of the registered preset `name`."""
    if name not in names():
        import difflib

        close = difflib.get_close_matches(str(name), names(), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"No registered zoo entry {name!r}.{hint} Registered: {', '.join(names())}.")
    return copy.deepcopy(PRESETS[name])
