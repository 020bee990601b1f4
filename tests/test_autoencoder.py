import numpy as np
import pytest

import kerasgen
from kerasgen.models import Autoencoder
from tests import helpers

TINY = dict(image_shape=(8, 8, 1), latent_dim=3, filters=(4, 8), seed=1)


def test_generate_explains_why_and_points_to_the_vae():
    model = Autoencoder(**TINY)
    with pytest.raises(NotImplementedError, match="not a generative model(.|\n)*VAE"):
        model.generate(4)


def test_training_lowers_reconstruction_error():
    x, _ = helpers.mnist_images("train", n=512)
    model = Autoencoder(latent_dim=8, filters=(8, 16), seed=0)
    model.compile()
    before = model.evaluate(x, batch_size=128, verbose=0, return_dict=True)["reconstruction"]
    model.fit(x, batch_size=32, epochs=3, verbose=0)
    after = model.evaluate(x, batch_size=128, verbose=0, return_dict=True)["reconstruction"]
    assert after < 0.5 * before, (before, after)


def test_pretrained_entry_reconstructs_held_out_digits():
    model = kerasgen.zoo.load("autoencoder")
    x, _ = helpers.mnist_images("test", n=200)
    mse = float(np.mean((model.reconstruct(x) - x) ** 2))
    # Predicting the mean training image scores about 0.27 on these digits.
    assert mse < 0.1, mse
