import glob
import os

import numpy as np
import pytest
from PIL import Image

from kerasgen.callbacks import KLWarmup, SampleGrid, image_grid
from kerasgen.models import VAE, Autoencoder
from tests import helpers

TINY = dict(image_shape=(8, 8, 1), latent_dim=3, filters=(4, 8), seed=1)


def test_image_grid_layout_and_scaling():
    images = np.stack([np.full((4, 4, 1), v, "float32") for v in (-1.0, 0.0, 1.0)])
    grid = image_grid(images, columns=2)
    assert grid.shape == (2 * 6 + 2, 2 * 6 + 2, 1) and grid.dtype == np.uint8
    assert grid[2, 2, 0] == 0 and grid[2, 8, 0] == 128 and grid[8, 2, 0] == 255


def test_sample_grid_uses_one_fixed_latent_batch(tmp_path):
    model = VAE(**TINY)
    model.compile()
    x = helpers.random_images(8, TINY["image_shape"])
    grid = SampleGrid(str(tmp_path), num_samples=9, images=x[:4], tensorboard_dir=str(tmp_path / "tb"))
    model.fit(x, batch_size=4, epochs=2, callbacks=[grid], verbose=0)
    assert sorted(os.path.basename(p) for p in grid.written) == [
        "reconstructions_epoch_0001.png",
        "reconstructions_epoch_0002.png",
        "samples_epoch_0001.png",
        "samples_epoch_0002.png",
    ]
    assert Image.open(tmp_path / "samples_epoch_0002.png").size == (3 * 10 + 2, 3 * 10 + 2)
    # Same latents, same weights: the same grid; the training in between changed it.
    first = np.asarray(Image.open(tmp_path / "samples_epoch_0002.png"))
    grid.write(2)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "samples_epoch_0002.png")), first)
    assert not np.array_equal(np.asarray(Image.open(tmp_path / "samples_epoch_0001.png")), first)
    assert glob.glob(str(tmp_path / "tb" / "events.out.tfevents.*"))


def test_sample_grid_for_the_autoencoder_writes_reconstructions_only(tmp_path):
    model = Autoencoder(**TINY)
    model.compile()
    x = helpers.random_images(4, TINY["image_shape"])
    grid = SampleGrid(str(tmp_path), images=x)
    model.fit(x, batch_size=4, epochs=1, callbacks=[grid], verbose=0)
    assert [os.path.basename(p) for p in grid.written] == ["reconstructions_epoch_0001.png"]


def test_kl_warmup_rejects_zero_steps():
    with pytest.raises(ValueError, match="warmup_steps"):
        KLWarmup(0)
