"""The run builder: a registered recipe plus data gives the model, its data streams and callbacks.

`kerasgen train` and `tools/train_zoo.py` both start a run here, so an entry
trains the same way from either. What the data must look like comes from
the model (`model.batch_structure`): images, `(images, labels)`, or unpaired
`(images_a, images_b)`.

Example:
>>> run = kerasgen.runs.prepare("dcgan", epochs=1)
>>> history = run.fit()
"""

import contextlib
import dataclasses

from kerasgen import data, presets, zoo
from kerasgen.models.base import COMPLETE, DOMAIN_IMAGES, IMAGE_PAIRS, LABELED_IMAGES, TRANSLATE


@dataclasses.dataclass
class Run:
    """A prepared run.

    Attributes:
        name: the zoo entry.
        model: the compiled model.
        training: the recipe (`presets.get(name)["training"]`, with overrides).
        stream: callable returning a new infinite, seeded training stream (a
            dataset object reshuffles differently on each pass, so a resumed
            run starts from a fresh stream and skips what was taken).
        dataset: callable returning the finite training dataset of one epoch
            (reshuffled on each pass over it).
        steps_per_epoch: batches per epoch.
        validation: held-out dataset for `fit(validation_data=...)`, or None.
        callbacks: the recipe's own callbacks (e.g. `KLWarmup`).
        epochs: epochs of the run.
        batch_size: global batch size.
        seed: seed of the run.
    """

    name: str
    model: object
    training: dict
    stream: object
    dataset: object
    steps_per_epoch: int
    validation: object
    callbacks: list
    epochs: int
    batch_size: int
    seed: int

    def fit(self, callbacks=(), verbose=2):
        """Trains the model for the run's epochs, with the recipe's callbacks and `callbacks`; returns the History.

        The held-back validation images are evaluated only when the recipe
        stops early on them: otherwise they would cost time and decide nothing.
        """
        validation = self.validation if self.training.get("early_stopping") else None
        return self.model.fit(
            self.dataset(),
            epochs=self.epochs,
            callbacks=[*self.callbacks, *callbacks],
            validation_data=validation,
            shuffle=False,
            verbose=verbose,
        )


def embedded_split(training, split):
    """`(images, labels)` of the embedded data a recipe names, for `split` "train" or "test".

    A two-domain task gives `((images_a, images_b), None)`: for "train" the two
    unpaired domains, for "test" the held-out images and their known right
    translations.
    """
    if training.get("data") == "mnist_translation":
        task = data.mnist_translation_task()
        if split == "test":
            return (task["test_a"], task["test_b"]), None
        return (task["train_a"], task["train_b"]), None
    if training.get("data") == "mnist_domains":
        task = data.mnist_domain_task()
        if split == "test":
            return task["test_digits"], task["test_digit_labels"]
        return task["train_images"], task["train_labels"]
    if training.get("data", "mnist") != "mnist":
        raise ValueError(
            f"The recipe's data {training.get('data')!r} is not embedded: pass your copy of it "
            "(kerasgen train NAME --data DIR or tfds:NAME --data-dir DIR)."
        )
    return data.mnist(split, binarize=bool(training.get("binarize", False)))


def training_data(
    model, training, batch_size, seed, source=None, data_dir=None, download=False, source_b=None, domains=None
):
    """(stream factory, finite dataset factory, steps per epoch, validation dataset or None).

    Args:
        model: the model; its `image_shape` and `batch_structure` decide the batches.
        training: the recipe.
        batch_size: global batch size.
        seed: seed of the shuffling.
        source: the user's data (folder, `tfds:NAME`, array, dataset) instead
            of the recipe's embedded data: images for a model that trains
            on images; a folder with one sub-folder per class (or a tfds
            dataset with labels) for a conditional model; for a translation
            model a folder holding `trainA/` and `trainB/`, `tfds:NAME` with
            those splits, or domain A with `source_b` domain B.
        data_dir: tfds data directory.
        download: allow tfds to download.
        source_b: the second domain of a translation model.
        domains: for a multi-domain model, what `kerasgen.data.domain_source`
            found in `source` (read again when None).
    """
    if source_b is not None and model.batch_structure != IMAGE_PAIRS:
        raise ValueError(f"A second data source is for translation models; {type(model).__name__} trains on one.")
    if source is not None:
        return _user_data(model, training, batch_size, seed, source, data_dir, download, source_b, domains)

    images, labels = embedded_split(training, "train")
    held_back = int(training.get("validation_images", 0))
    if held_back and model.batch_structure != IMAGE_PAIRS:
        if not 0 < held_back < len(images):
            raise ValueError(f"validation_images must be in (0, {len(images)}); got {held_back}.")
        # The last images of the (already shuffled) training split validate; the test split stays unseen.
        val_images, val_labels = images[-held_back:], None if labels is None else labels[-held_back:]
        images, labels = images[:-held_back], None if labels is None else labels[:-held_back]
    if model.batch_structure == IMAGE_PAIRS:
        drop = bool(training.get("drop_remainder", False))
        options = dict(
            batch_size=batch_size,
            seed=seed,
            drop_remainder=drop,
            augment=bool(training.get("augment", False)),
            load_size=training.get("load_size"),
        )

        def dataset():
            return data.unpaired(images[0], images[1], model.image_shape, **options)

        larger = max(len(images[0]), len(images[1]))
        steps = larger // batch_size if drop else -(-larger // batch_size)
        return (lambda: dataset().repeat()), dataset, steps, None

    use_labels = model.batch_structure in (LABELED_IMAGES, DOMAIN_IMAGES)

    def stream():
        return data.dataset(
            images,
            model.image_shape,
            batch_size=batch_size,
            seed=seed,
            repeat=True,
            labels=labels if use_labels else None,
        )

    def dataset():
        return data.dataset(
            images, model.image_shape, batch_size=batch_size, seed=seed, labels=labels if use_labels else None
        )

    validation = None
    # The held-out split of a multi-domain task is scored by its known answers, not by test_step.
    if held_back or model.batch_structure != DOMAIN_IMAGES:
        test_images, test_labels = (val_images, val_labels) if held_back else embedded_split(training, "test")
        validation = data.dataset(
            test_images, model.image_shape, batch_size=250, shuffle=False, labels=test_labels if use_labels else None
        )
    return stream, dataset, -(-len(images) // batch_size), validation


def _user_data(model, training, batch_size, seed, source, data_dir, download, source_b, domains=None):
    tfds_args = {}
    if any(isinstance(x, str) and x.startswith("tfds:") for x in (source, source_b)):
        tfds_args = dict(data_dir=data_dir, download=download)
    if model.batch_structure == IMAGE_PAIRS:
        a, b, split = data.translation_domains(source, source_b)
        options = dict(
            augment=bool(training.get("augment", False)),
            load_size=training.get("load_size"),
            drop_remainder=bool(training.get("drop_remainder", False)),
            split=split,
            **tfds_args,
        )

        def dataset():
            return data.unpaired(a, b, model.image_shape, batch_size=batch_size, seed=seed, **options)

        steps = int(dataset().cardinality())
        if steps == 0:
            raise ValueError(f"The training data {source!r} gives no batch of {batch_size}.")
        return (lambda: dataset().repeat()), dataset, steps, None

    if model.batch_structure == DOMAIN_IMAGES:
        # The files are listed and decoded once; each stream rebuilds only the pipeline.
        domains = domains or data.domain_source(source, _attributes_for(source, training))
        options = dict(augment=bool(training.get("augment", False)))
        steps = -(-len(domains["files"]) // batch_size)

        def stream():
            return data.domain_dataset(
                domains, model.image_shape, batch_size=batch_size, seed=seed, repeat=True, **options
            )

        def dataset():
            return data.domain_dataset(domains, model.image_shape, batch_size=batch_size, seed=seed, **options)

        return stream, dataset, steps, None

    labels = None
    if model.batch_structure == LABELED_IMAGES and not str(source).startswith("tfds:"):
        labels = data.INFERRED
        names = data.class_names(source)
        num_classes = getattr(model, "num_classes", None)
        if num_classes is not None and len(names) > num_classes:
            raise ValueError(
                f"{source!r} has {len(names)} class folders ({', '.join(names[:5])}...) but the model has "
                f"num_classes={num_classes}."
            )
    kwargs = dict(labels=labels, **tfds_args)
    finite = data.dataset(source, model.image_shape, batch_size=batch_size, shuffle=False, **kwargs)
    data.check_dataset_not_empty(finite, "training dataset")
    if model.batch_structure == LABELED_IMAGES and not isinstance(finite.element_spec, tuple):
        raise ValueError(f"{type(model).__name__} trains on labeled images, but {source!r} yields no labels.")
    num_batches = int(finite.cardinality())
    if num_batches < 0:
        num_batches = sum(1 for _ in finite)

    def stream():
        return data.dataset(source, model.image_shape, batch_size=batch_size, seed=seed, repeat=True, **kwargs)

    def dataset():
        return data.dataset(source, model.image_shape, batch_size=batch_size, seed=seed, **kwargs)

    return stream, dataset, num_batches, None


def prepare(
    name,
    source=None,
    data_dir=None,
    download=False,
    epochs=None,
    batch_size=None,
    steps_per_epoch=None,
    seed=None,
    strategy=None,
    model_overrides=None,
    training_overrides=None,
    source_b=None,
    image_shape=None,
):
    """Builds the run of a registered entry: seeded model, data, compiled optimizers, callbacks.

    Args:
        name: registered zoo entry (`kerasgen.presets.names()`).
        source: the user's training data instead of the recipe's embedded data.
        data_dir: tfds data directory.
        download: allow tfds to download.
        epochs, batch_size, steps_per_epoch, seed: override the recipe's.
        strategy: optional `tf.distribute.Strategy`; the model and its
            optimizers are created in its scope.
        model_overrides: constructor arguments replacing the preset's.
        training_overrides: recipe keys replacing the preset's.
        source_b: the second domain of a translation model's data.
        image_shape: `(height, width, channels)` instead of the recipe's.

    Returns:
        a `Run`.
    """
    import keras

    from kerasgen import callbacks as kg_callbacks

    for flag, value in (("epochs", epochs), ("batch_size", batch_size), ("steps_per_epoch", steps_per_epoch)):
        if value is not None and int(value) < 1:
            raise ValueError(f"{flag} must be a positive integer; got {value}.")
    preset = presets.get(name)
    training = {**preset["training"], **(training_overrides or {})}
    seed = training.get("seed", 0) if seed is None else int(seed)
    keras.utils.set_random_seed(seed)

    def scope():
        return strategy.scope() if strategy is not None else contextlib.nullcontext()

    overrides = dict(model_overrides or {})
    if image_shape is not None:
        overrides["image_shape"] = tuple(int(d) for d in image_shape)
    domains = None
    if source is not None and "label_groups" not in overrides:
        domains = domains_of(preset["model"], source, training)
        if domains is not None:
            # The data's own domains (not the entry's `name`, which the run keeps).
            label_set = "attributes" if domains["multi_label"] else "domains"
            overrides["label_groups"] = [
                {"name": label_set, "labels": domains["names"], "multi_label": domains["multi_label"]}
            ]
    classes = _class_folders(preset["model"], source) if source is not None else []
    if classes and "num_classes" not in overrides:
        overrides["num_classes"] = len(classes)  # one class per sub-folder of the user's data, not ten digits
    with scope():
        model = zoo.model_from_config(preset["model"], **overrides)
    if source is not None and image_shape is None:
        check_channels(model, source, data_dir, name, source_b)
    if source is not None and model.can(COMPLETE) and not str(source).startswith("tfds:"):
        data.check_images_hold_patches(source, model.patch_size[1])
    batch_size = int(training.get("batch_size", 64) if batch_size is None else batch_size)
    stream, dataset, steps, validation = training_data(
        model,
        training,
        batch_size,
        seed,
        source=source,
        data_dir=data_dir,
        download=download,
        source_b=source_b,
        domains=domains,
    )
    steps = int(steps if steps_per_epoch is None else steps_per_epoch)
    epochs = int(training.get("epochs", 10) if epochs is None else epochs)
    compile_args = dict(training.get("compile", {}))
    if compile_args.get("total_steps") == "auto":
        compile_args["total_steps"] = epochs * steps
    with scope():
        model.compile(**compile_args)
    callbacks = []
    if training.get("kl_warmup_steps"):
        callbacks.append(kg_callbacks.KLWarmup(training["kl_warmup_steps"]))
    if training.get("early_stopping"):
        if not training.get("validation_images"):
            raise ValueError(f"Preset {name!r}: early_stopping watches the held-back validation_images; set both.")
        callbacks.append(keras.callbacks.EarlyStopping(restore_best_weights=True, **training["early_stopping"]))
    return Run(name, model, training, stream, dataset, steps, validation, callbacks, epochs, batch_size, seed)


def _class_folders(model_config, source):
    """The class folders of `source` when the recipe is a class-conditional model; else []."""
    if not model_config.get("config", {}).get("num_classes") or str(source).startswith("tfds:"):
        return []
    try:
        return data.class_names(source)
    except (OSError, ValueError):
        return []  # not a folder of class folders: the data checks that follow say what is wrong


def _attributes_for(source, training):
    # A recipe's attributes name columns of an attribute file; class folders define their own domains.
    return training.get("attributes") if data.attribute_file(source) is not None else None


def domains_of(model_config, source, training):
    """For a multi-domain model, what `kerasgen.data.domain_source` finds in the user's data; else None.

    One sub-folder per domain gives one-of-N domains named by the folders; an
    attribute file gives its attributes (the recipe's `attributes`, or all).
    """
    cls = zoo.registered_classes().get(model_config.get("class_name"))
    if cls is None or cls.batch_structure != DOMAIN_IMAGES or str(source).startswith("tfds:"):
        return None
    return data.domain_source(source, _attributes_for(source, training))


def check_channels(model, source, data_dir, name, source_b=None):
    """Refuses data whose channel count differs from the model's, before anything is trained or written."""
    sources = [source] if source_b is None else [source, source_b]
    if model.batch_structure == IMAGE_PAIRS and source_b is None:
        sources = list(data.translation_domains(source)[:2])
    expected = model.image_shape[-1]
    h, w, _ = model.image_shape
    for each in dict.fromkeys(s for s in sources if isinstance(s, str)):
        channels = data.source_channels(each, data_dir=data_dir)
        if channels is not None and channels != expected:
            kind = "RGB" if channels == 3 else "grayscale"
            raise ValueError(
                f"{each!r} holds {kind} images ({channels} channel(s)) but the {name} recipe is "
                f"{h}x{w}x{expected}: pass --image-shape {h},{w},{channels} (image_shape=({h}, {w}, {channels})) "
                f"to train at the data's channels, or --image-shape {h},{w},{expected} to convert the images."
            )


def measure(name, model, num_importance_samples=1000):
    """The held-out figures of a registered entry's model, on its recorded split of the embedded data.

    `kerasgen eval NAME` and `tools/train_zoo.py` both call this, so the
    figures in an entry's metadata are the ones `kerasgen eval` prints.
    """
    from kerasgen import evaluation

    training = presets.get(name)["training"] if name in presets.names() else {}
    heldout, labels = embedded_split(training, "test")
    reference, _ = embedded_split(training, "train")
    return evaluation.evaluate(
        model, heldout, labels, num_importance_samples=num_importance_samples, reference=reference
    )


def user_heldout(model, source, data_dir=None, limit=1000, class_names=None):
    """Up to `limit` held-out images (and labels, for a conditional model) of the user's data, at the model's shape.

    A conditional model reads labels from one sub-folder per class (or a
    tfds dataset's labels). Translation models are scored on a task with
    known answers, which a folder of unpaired images does not give.
    """
    import numpy as np

    if model.can(TRANSLATE):
        raise ValueError(
            f"{type(model).__name__} is scored on a translation task with known answers (kerasgen eval NAME on the "
            "embedded task); a folder of images has none."
        )
    labeled = model.batch_structure == LABELED_IMAGES
    labels = data.INFERRED if labeled and not str(source).startswith("tfds:") else None
    if labels and class_names is not None:
        found = data.class_names(source)
        if found != list(class_names):
            raise ValueError(
                f"{source!r} has the class folders {found} but the model was trained on "
                f"{list(class_names)}: label i must mean the same class in both."
            )
    kwargs = dict(data_dir=data_dir) if str(source).startswith("tfds:") else {}
    # A seeded shuffle, so that `limit` images span every class folder.
    ds = data.dataset(
        source, model.image_shape, batch_size=250, shuffle=True, seed=0, labels=labels, split="test", **kwargs
    )
    images, classes = [], []
    for batch in ds.take(-(-limit // 250)):
        image, label = batch if isinstance(batch, tuple) else (batch, None)
        images.append(image.numpy())
        if label is not None:
            classes.append(label.numpy())
    if labeled and not classes:
        raise ValueError(
            f"{type(model).__name__} is conditional: {source!r} must give labels (one sub-folder per class)."
        )
    images = np.concatenate(images)[:limit]
    if len(images) < 4:
        # Precision and recall need more images than their k = 3 neighbours.
        raise ValueError(f"{source!r} gives {len(images)} image(s); at least 4 are needed to score a model.")
    return images, (np.concatenate(classes)[:limit] if classes else None)
