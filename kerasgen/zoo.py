"""The kerasgen model zoo: registered configs and sha256-checked weights.

An entry is a folder `zoo/<name>/` with

- `config.json`: the model's Keras serialization (`class_name`, `config`),
- `metadata.json`: description, paper, dataset, training command, measured
  metrics, parameter count, and the weights' sha256 and size,
- `model.weights.h5`: the pretrained weights, when the entry has them.

Entries are data, never code: the architecture is built by kerasgen from the
config (only registered kerasgen model classes, only the constructor's own
keys), then the weights are loaded after their sha256 has been verified.

Example:
>>> kerasgen.zoo.list()
{'autoencoder': 'Convolutional autoencoder ...', 'vae': ...}
>>> model = kerasgen.zoo.load("vae")
>>> images = model.generate(16, seed=0)
"""

import contextlib
import difflib
import hashlib
import importlib.resources
import inspect
import json
import os
import re
import shutil
import tempfile
import urllib.parse
import urllib.request

import keras

import kerasgen.models  # noqa: F401 - each family registers its presets
from kerasgen import presets
from kerasgen.files import writing_folder

CONFIG_FILE = "config.json"
METADATA_FILE = "metadata.json"
WEIGHTS_FILE = "model.weights.h5"
CACHE_DIR = os.path.join("~", ".keras", "kerasgen")
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
REQUIRED_METADATA = (
    "name",
    "description",
    "paper",
    "dataset",
    "image_shape",
    "training",
    "metrics",
    "parameters",
    "weights",
    "license",
)
# Largest weights file kerasgen will read (an HDF5 size bomb guard).
MAX_WEIGHTS_BYTES = 512 * 1024 * 1024


class IntegrityError(ValueError):
    """A weights file does not match the sha256 recorded in its metadata."""


def zoo_root():
    """The folder holding the zoo entries that ship with kerasgen."""
    return str(importlib.resources.files("kerasgen._zoo"))


def sha256_file(path):
    """Full hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def names(kind="model"):
    """Sorted names of the zoo entries that ship with kerasgen.

    Args:
        kind: `"model"` for the generative models, `"feature_extractor"` for
            the networks behind the sample-quality metrics, None for all.
    """
    root = zoo_root()
    found = sorted(
        d for d in os.listdir(root) if NAME_PATTERN.match(d) and os.path.isfile(os.path.join(root, d, METADATA_FILE))
    )
    if kind is None:
        return found
    return [d for d in found if _read_json(os.path.join(root, d, METADATA_FILE)).get("kind", "model") == kind]


def list():  # noqa: A001 - the public name the design asks for
    """Model entry names with a one-line description each (the registered presets).

    Returns:
        dict mapping entry name to its description.
    """
    return {name: presets.get(name)["description"] for name in presets.names()}


def validate_name(name):
    """Checks an entry name: lowercase letters, digits, `_` and `-` only."""
    if isinstance(name, str) and name.endswith(".keras"):
        raise ValueError(f"{name!r} is a .keras file, not a zoo entry: load it with kerasgen.zoo.load_keras({name!r}).")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        close = (
            difflib.get_close_matches(name.lower(), names(kind=None), n=3, cutoff=0.5) if isinstance(name, str) else []
        )
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(
            f"Invalid zoo entry name {name!r}: names use lowercase letters, digits, "
            f"'_' and '-' only (no path separators).{hint} To load an entry folder, pass "
            "its path (it must contain config.json and metadata.json)."
        )
    return name


def entry_dir(name_or_path):
    """Resolves an entry name, a local entry folder, or an https URL to a folder."""
    if isinstance(name_or_path, os.PathLike):
        name_or_path = os.fspath(name_or_path)
    if not isinstance(name_or_path, str):
        raise TypeError(f"Expected an entry name, folder or URL; got {type(name_or_path).__name__}.")
    if re.match(r"^[a-z]+://", name_or_path):
        return _fetch_entry(name_or_path)
    if os.sep in name_or_path or (os.altsep and os.altsep in name_or_path) or os.path.isdir(name_or_path):
        path = os.path.abspath(name_or_path)
        if path.endswith(".keras"):
            raise ValueError(
                f"{path!r} is a .keras file, not a zoo entry: load it with kerasgen.zoo.load_keras({name_or_path!r})."
            )
        _refuse_non_entry(path)
        if not os.path.isfile(os.path.join(path, CONFIG_FILE)):
            raise FileNotFoundError(f"{path!r} is not a zoo entry folder: it has no {CONFIG_FILE}.")
        return path
    validate_name(name_or_path)
    available = names(kind=None)
    if name_or_path not in available:
        close = difflib.get_close_matches(name_or_path, available, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"Unknown zoo entry {name_or_path!r}.{hint} Available: {', '.join(available)}.")
    return os.path.join(zoo_root(), name_or_path)


def _refuse_non_entry(path):
    """Explains what to use instead of a full-model file or SavedModel."""
    if os.path.isfile(path) and path.endswith((".h5", ".hdf5")) and not path.endswith(".weights.h5"):
        raise ValueError(
            f"{path!r} is a legacy HDF5 full-model file, which can carry code and is "
            "never loaded as a model source. Save the model as .keras and use "
            "kerasgen.zoo.load_keras(path), or load its weights into a zoo model with "
            "kerasgen.zoo.load(name, weights=path_to.weights.h5)."
        )
    if os.path.isdir(path) and os.path.isfile(os.path.join(path, "saved_model.pb")):
        raise ValueError(
            f"{path!r} is a SavedModel folder: it is an export for serving, not a "
            "model source. Load it with tf.saved_model.load(path) to serve it, or "
            "load a zoo entry / a .keras file to train."
        )


def metadata(name_or_path):
    """The parsed `metadata.json` of an entry."""
    path = os.path.join(entry_dir(name_or_path), METADATA_FILE)
    return _read_json(path)


def _read_json(path):
    with open(path, encoding="utf-8") as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path} is not valid JSON: {e}") from e


def registered_classes():
    """kerasgen model classes that a zoo config may name."""
    from kerasgen import models

    return {
        cls.__name__: cls
        for cls in vars(models).values()
        if inspect.isclass(cls) and issubclass(cls, models.GenerativeModel) and cls is not models.GenerativeModel
    }


def model_from_config(config, **overrides):
    """Builds a kerasgen model from a zoo config dict, refusing anything else.

    Args:
        config: `{"class_name": ..., "config": {...}}` as written by
            `keras.saving.serialize_keras_object`.
        **overrides: constructor arguments that replace the config's.
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("A zoo config must be a JSON object with a 'class_name' key.")
    unknown_top = set(config) - {"module", "class_name", "config", "registered_name", "build_config", "compile_config"}
    if unknown_top:
        raise ValueError(f"Unknown key(s) in zoo config: {sorted(unknown_top)}.")
    classes = registered_classes()
    class_name = config["class_name"]
    registered = config.get("registered_name")
    if class_name not in classes or (registered not in (None, f"kerasgen>{class_name}")):
        raise ValueError(
            f"Class {registered or class_name!r} is not a registered kerasgen model; "
            f"a zoo config may only name one of {sorted(classes)}."
        )
    cls = classes[class_name]
    kwargs = dict(config.get("config", {}))
    kwargs.update(overrides)
    allowed = set(inspect.signature(cls.__init__).parameters) - {"self", "args", "kwargs"}
    allowed |= {"name", "trainable", "dtype"}
    unknown = set(kwargs) - allowed
    if unknown:
        raise ValueError(
            f"Unknown key(s) for {class_name}: {sorted(unknown)}. Accepted keys: {sorted(allowed - {'trainable', 'dtype'})}."
        )
    kwargs.pop("trainable", None)
    kwargs.pop("dtype", None)
    return cls.from_config(kwargs)


def verify_weights(path, expected_sha256, remove_on_mismatch=False):
    """Checks a weights file's sha256 before any byte of it is deserialized."""
    if not isinstance(expected_sha256, str) or not SHA256_PATTERN.match(expected_sha256):
        raise IntegrityError(
            f"The expected sha256 for {path!r} must be 64 lowercase hex digits; got {expected_sha256!r}."
        )
    size = os.path.getsize(path)
    if size > MAX_WEIGHTS_BYTES:
        raise IntegrityError(f"{path!r} is {size} bytes, over the {MAX_WEIGHTS_BYTES}-byte limit.")
    actual = sha256_file(path)
    if actual != expected_sha256:
        if remove_on_mismatch:
            os.remove(path)
        raise IntegrityError(
            f"sha256 mismatch for {path!r}: expected {expected_sha256}, got {actual}. "
            "The file is corrupted or was tampered with; it was not loaded."
            + (" The cached copy was removed." if remove_on_mismatch else "")
        )
    return path


def entry_weights(folder, meta):
    """Path of an entry's weights file, checked against its metadata's sha256 before any read.

    Args:
        folder: the entry folder.
        meta: its parsed metadata (`weights`: `file`, `sha256`).

    Raises:
        ValueError: the entry has no weights, or names a file outside its folder.
        IntegrityError: the file does not match the recorded sha256.
    """
    info = meta.get("weights")
    if not info:
        raise ValueError(
            f"Zoo entry {os.path.basename(folder)!r} is a recipe without pretrained weights; "
            "load it with weights=None and train it (see its metadata 'training')."
        )
    folder = os.path.abspath(folder)
    path = os.path.abspath(os.path.join(folder, info.get("file", WEIGHTS_FILE)))
    if os.path.dirname(path) != folder or not path.endswith(".weights.h5"):
        raise ValueError(f"Weights file name {info.get('file')!r} must be a .weights.h5 file inside {folder!r}.")
    return verify_weights(path, info.get("sha256"))


def load(name_or_path, weights="pretrained", compile=True, strategy=None, **overrides):
    """Builds a zoo model from its registered config and loads its weights.

    Args:
        name_or_path: entry name (see `kerasgen.zoo.list()`), a local entry
            folder, or an https URL of one.
        weights: `"pretrained"` for the entry's own weights (sha256 checked)
            in the model the entry ships (`GenerativeModel.entry_model`),
            `None` for a freshly initialized model as the recipe trains it,
            or a path to a `.weights.h5` file of the recipe's model.
        compile: compile with the paper's recipe (`model.compile()`).
        strategy: optional `tf.distribute.Strategy`; the model, its optimizers
            and metrics are created in its scope.
        **overrides: constructor arguments replacing the entry's, e.g.
            `image_shape=(64, 64, 3)` (then pass `weights=None`).

    Returns:
        the built (and compiled) model.

    Example:
    >>> model = kerasgen.zoo.load("vae")
    >>> fresh = kerasgen.zoo.load("vae", weights=None, latent_dim=32)
    """
    folder = entry_dir(name_or_path)
    meta_path = os.path.join(folder, METADATA_FILE)
    meta = _read_json(meta_path) if os.path.isfile(meta_path) else {}
    if meta.get("kind", "model") != "model":
        raise ValueError(
            f"Zoo entry {name_or_path!r} is a {meta['kind']}, not a generative model; "
            "it is used through kerasgen.metrics (e.g. kerasgen.metrics.digits_features())."
        )
    if isinstance(name_or_path, str) and name_or_path in presets.names() and weights != "pretrained":
        # A fresh registered model, or one for the user's own weights, is the
        # recipe's (what `kerasgen train NAME` trains). The pretrained weights
        # fit config.json: the recipe's model as `entry_model` ships it (a
        # GAN with an EMA ships the average only); a test checks they agree.
        config = presets.get(name_or_path)["model"]
    else:
        config = _read_json(os.path.join(folder, CONFIG_FILE))
    weights_path = None
    if weights == "pretrained":
        if meta.get("weights") and overrides:
            raise ValueError(
                f"Pretrained weights of {name_or_path!r} fit the entry's own architecture; "
                f"overriding {sorted(overrides)} changes it. Pass weights=None for a fresh model."
            )
        weights_path = entry_weights(folder, meta)
    elif weights is not None:
        weights_path = os.fspath(weights)
        if not weights_path.endswith(".weights.h5"):
            raise ValueError(
                f"weights must be 'pretrained', None, or a path to a .weights.h5 file; got {weights_path!r}."
            )
        if not os.path.isfile(weights_path):
            raise FileNotFoundError(f"Weights file {weights_path!r} does not exist.")

    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope:
        model = model_from_config(config, **overrides)
        model.build_for_weights()
        if weights_path is not None:
            try:
                model.load_weights(weights_path)
            except ValueError as e:
                raise ValueError(
                    f"The weights in {weights_path!r} do not fit the model of {name_or_path!r} "
                    f"({type(model).__name__}, {model.count_params():,} parameters): {e}"
                ) from e
        if compile:
            model.compile()
    return model


def load_keras(path):
    """Loads a full `.keras` model file with Keras's safe mode on.

    kerasgen never turns safe mode off: a `.keras` file whose config holds
    code (a Lambda layer, say) is refused by Keras.
    """
    path = os.fspath(path)
    _refuse_non_entry(path)
    if not path.endswith(".keras"):
        raise ValueError(
            f"{path!r} is not a .keras file. kerasgen loads full models only from "
            ".keras files (with safe_mode=True); for a zoo entry use kerasgen.zoo.load."
        )
    return keras.saving.load_model(path, safe_mode=True)


def save_entry(model, directory, metadata_dict, weights=True):
    """Writes a zoo entry folder for `model` (used by tools/train_zoo.py).

    Files are written to a temporary folder first and moved into place only
    when all of them are complete, so a failure leaves the old entry intact.
    """
    directory = os.path.abspath(directory)
    # mkdtemp makes the folder private; an entry is readable by all.
    with writing_folder(directory, prefix=".tmp-", mode=0o755) as tmp:
        # An uncompiled twin: an entry holds the weights that sample (see
        # `entry_model`), not the optimizer state that save_weights would add.
        twin = model.entry_model()
        config = keras.saving.serialize_keras_object(twin)
        config = {k: config[k] for k in ("module", "class_name", "config", "registered_name") if k in config}
        with open(os.path.join(tmp, CONFIG_FILE), "w") as f:
            json.dump(config, f, indent=2, sort_keys=True)
            f.write("\n")
        meta = dict(metadata_dict)
        meta["parameters"] = int(twin.count_params())
        meta["image_shape"] = [int(d) for d in twin.image_shape]
        if weights:
            wpath = os.path.join(tmp, WEIGHTS_FILE)
            twin.save_weights(wpath)
            meta["weights"] = {
                "file": WEIGHTS_FILE,
                "sha256": sha256_file(wpath),
                "size": os.path.getsize(wpath),
            }
        else:
            meta["weights"] = None
        with open(os.path.join(tmp, METADATA_FILE), "w") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")
        if os.path.isdir(directory):
            # Keep files that are not part of the entry proper (e.g. figures).
            for fname in os.listdir(directory):
                if fname not in (CONFIG_FILE, METADATA_FILE, WEIGHTS_FILE):
                    shutil.copy2(os.path.join(directory, fname), tmp)
    return directory


def cache_dir():
    """Where downloaded entries are kept (`KERASGEN_CACHE` overrides it)."""
    return os.path.abspath(os.path.expanduser(os.environ.get("KERASGEN_CACHE", CACHE_DIR)))


def _safe_join(root, *parts):
    path = os.path.abspath(os.path.join(root, *parts))
    if os.path.commonpath([path, os.path.abspath(root)]) != os.path.abspath(root):
        raise ValueError(f"Path {os.path.join(*parts)!r} escapes the cache directory {root!r}.")
    return path


def _download(url, dest, expected_sha256=None, max_bytes=MAX_WEIGHTS_BYTES):
    """Downloads to a temporary file; renames into place only when complete and verified."""
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".download-", dir=os.path.dirname(dest))
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as resp:
            total = 0
            for chunk in iter(lambda: resp.read(1 << 20), b""):
                total += len(chunk)
                if total > max_bytes:
                    raise IntegrityError(f"{url} is larger than {max_bytes} bytes; refused.")
                out.write(chunk)
        if expected_sha256 is not None:
            verify_weights(tmp, expected_sha256)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return dest


def _fetch_entry(url):
    """Fetches an entry folder from an http(s) URL into the cache."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in ("https", "http"):
        raise ValueError(f"Only https URLs of zoo entries are supported; got {url!r}.")
    base = url.rstrip("/") + "/"
    key = hashlib.sha256(base.encode()).hexdigest()[:16]
    entry_name = os.path.basename(parsed.path.rstrip("/")) or "entry"
    if not NAME_PATTERN.match(entry_name):
        entry_name = "entry"
    root = cache_dir()
    folder = _safe_join(root, f"{entry_name}-{key}")
    for fname in (CONFIG_FILE, METADATA_FILE):
        _download(urllib.parse.urljoin(base, fname), _safe_join(folder, fname), max_bytes=1 << 20)
    meta = _read_json(os.path.join(folder, METADATA_FILE))
    info = meta.get("weights")
    if info:
        fname = info.get("file", WEIGHTS_FILE)
        if not re.match(r"^[A-Za-z0-9_.\-]+\.weights\.h5$", fname):
            raise ValueError(f"Invalid weights file name {fname!r} in {url} metadata.")
        dest = _safe_join(folder, fname)
        if os.path.isfile(dest):
            # Verify every cache hit; a bad cached file is removed, then fetched again.
            try:
                verify_weights(dest, info.get("sha256"), remove_on_mismatch=True)
            except IntegrityError:
                _download(urllib.parse.urljoin(base, fname), dest, info.get("sha256"))
        else:
            _download(urllib.parse.urljoin(base, fname), dest, info.get("sha256"))
    return folder
