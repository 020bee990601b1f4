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


def __getattr__(name):
    # Submodules load on first use, so `kerasgen --help` and `kerasgen list`
    # start without importing TensorFlow.
    if name in __all__ and name != "__version__":
        import importlib

        if name == "presets":
            importlib.import_module("kerasgen.models")  # each family registers its presets
        module = importlib.import_module(f"kerasgen.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'kerasgen' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
