"""kerasgen: generative models for Keras 3 on TensorFlow.

VAE, adversarial autoencoder, GAN, DCGAN, CycleGAN and progressive-growing GAN
as subclassed `keras.Model`s with their own `train_step`, a zoo of pretrained
entries, and the data, export and distribution plumbing around them.
"""

import os

# kerasgen runs on TensorFlow; respect an explicit choice but default to it
# before Keras is imported anywhere.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

from kerasgen import (
    callbacks,  # noqa: E402
    data,  # noqa: E402
    distribute,  # noqa: E402
    distributions,  # noqa: E402
    layers,  # noqa: E402
    losses,  # noqa: E402
    metrics,  # noqa: E402
    models,  # noqa: E402
    zoo,  # noqa: E402
)

__all__ = [
    "callbacks",
    "data",
    "distribute",
    "distributions",
    "layers",
    "losses",
    "metrics",
    "models",
    "zoo",
    "__version__",
]
