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

from kerasgen import (  # noqa: E402
    callbacks,
    data,
    distribute,
    distributions,
    evaluation,
    files,
    images,
    layers,
    losses,
    metrics,
    models,
    presets,
    runs,
    zoo,
)

__all__ = [
    "callbacks",
    "data",
    "distribute",
    "distributions",
    "evaluation",
    "files",
    "images",
    "layers",
    "losses",
    "metrics",
    "models",
    "presets",
    "runs",
    "zoo",
    "__version__",
]
