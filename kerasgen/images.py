"""Image grids: tiling a batch of [-1, 1] images into one PNG.

A leaf module, so that models, callbacks, the CLI and tools draw figures
the same way without importing one another.
"""

import os

import numpy as np

from kerasgen.files import writing_file


def image_grid(images, columns=None):
    """Tiles a batch of [-1, 1] images into one uint8 image (h, w, c).

    Args:
        images: array `(n, height, width, channels)` in [-1, 1].
        columns: images per row (default: the square root of n, rounded up).
    """
    images = np.asarray(images, dtype="float32")
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(f"image_grid takes a non-empty batch (n, height, width, channels); got shape {images.shape}.")
    n, h, w, c = images.shape
    columns = int(columns or np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / columns))
    grid = np.full((rows * (h + 2) + 2, columns * (w + 2) + 2, c), -1.0, dtype="float32")
    for i, image in enumerate(images):
        r, col = divmod(i, columns)
        grid[2 + r * (h + 2) : 2 + r * (h + 2) + h, 2 + col * (w + 2) : 2 + col * (w + 2) + w] = image
    return np.round((np.clip(grid, -1, 1) + 1) * 127.5).astype("uint8")


def rows_above(top, bottom):
    """`top` images above `bottom` images, for `save_image_grid(*rows_above(a, b))`.

    Both sets fill the same square-ish block of rows; the second starts on
    a new row, so image i of `bottom` sits right under image i of `top`.

    Returns:
        `(images, columns)`.
    """
    top, bottom = np.asarray(top, "float32"), np.asarray(bottom, "float32")
    columns = int(np.ceil(np.sqrt(len(top))))
    rows = int(np.ceil(len(top) / columns))
    pad = rows * columns - len(top)
    if pad:
        fill = -np.ones((pad,) + top.shape[1:], "float32")
        return np.concatenate([top, fill, bottom, fill], axis=0), columns
    return np.concatenate([top, bottom], axis=0), columns


def save_image_grid(images, path, columns=None):
    """Writes a grid of [-1, 1] images, in the format of the path's extension (.png, .jpg, ...); returns the path."""
    from PIL import Image

    suffix = _image_suffix(path)
    grid = image_grid(images, columns)
    if grid.shape[-1] == 1:
        grid = grid[..., 0]
    with writing_file(path, suffix=suffix) as tmp:
        Image.fromarray(grid).save(tmp)
    return path


def save_pil_image(image, path):
    """Writes a PIL image atomically, in the format of the path's extension; returns the path."""
    with writing_file(path, suffix=_image_suffix(path)) as tmp:
        image.save(tmp)
    return path


def _image_suffix(path):
    """The path's extension when PIL can write it; no extension means PNG."""
    from PIL import Image

    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if not suffix:
        return ".png"
    if suffix not in Image.registered_extensions():
        raise ValueError(f"cannot write an image to {path}: unknown image extension {suffix!r} (use .png or .jpg).")
    return suffix
