"""Zoo entries of the autoencoder family."""

from kerasgen.presets import register_preset

register_preset(
    "autoencoder",
    model={"class_name": "Autoencoder", "config": {"image_shape": [28, 28, 1], "latent_dim": 16, "filters": [32, 64]}},
    description="Convolutional autoencoder on MNIST-5k: the non-generative baseline (no generate()).",
    paper="Hinton & Salakhutdinov, Reducing the Dimensionality of Data with Neural Networks, Science 2006",
    dataset="mnist-5k (embedded; 4,000 train / 1,000 test after a seeded shuffle)",
    training={"data": "mnist", "binarize": False, "epochs": 30, "batch_size": 64, "seed": 0},
)
