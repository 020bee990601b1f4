"""Zoo entries of the aae family."""

from kerasgen.presets import register_preset


def adam_phases(learning_rate):
    """Adam configs of the three phases at one rate (a number or a schedule config), beta_1 0.5 for the two adversarial ones."""
    return {
        "reconstruction_optimizer": {"class_name": "Adam", "config": {"learning_rate": learning_rate}},
        "discriminator_optimizer": {"class_name": "Adam", "config": {"learning_rate": learning_rate, "beta_1": 0.5}},
        "generator_optimizer": {"class_name": "Adam", "config": {"learning_rate": learning_rate, "beta_1": 0.5}},
    }


# The paper's latent discriminator has 2 x 1000 units; 512 keeps the weights
# file under the zoo's 5 MB.
register_preset(
    "aae",
    targets={"fid_digits": ["<=", 100.0], "prior_mmd_gaussian_factor": [">=", 2.0]},
    model={
        "class_name": "AAE",
        "config": {
            "image_shape": [28, 28, 1],
            "latent_dim": 2,
            "prior": "gaussian_mixture",
            # The paper's supervised construction (its Figure 3): the label
            # picks the Gaussian the discriminator draws from.
            "num_classes": 10,
            "filters": [32, 64],
            "discriminator_units": [512, 512],
        },
    },
    description=(
        "Adversarial autoencoder (Makhzani et al. 2015) on MNIST-5k: 2-D codes matched to a ring of 10 Gaussians, "
        "one per digit class (the paper's supervised variant)."
    ),
    paper="Makhzani, Shlens, Jaitly, Goodfellow & Frey, Adversarial Autoencoders, arXiv:1511.05644, 2015",
    dataset="mnist-5k (embedded; 4,000 train / 1,000 test after a seeded shuffle)",
    training={
        "data": "mnist",
        "binarize": False,
        # Adam, not the paper's SGD of AAE.compile's defaults; the
        # regularization phase as fast as the reconstruction (1e-3).
        "compile": adam_phases(1e-3),
        "epochs": 160,
        "batch_size": 64,
        "seed": 0,
    },
)

# The paper lowers every rate tenfold partway through training; here 1e-3
# for 120 of 160 epochs (63 steps each), then 1e-4. Each optimizer steps
# once per batch, so its step counter is the batch count.
TENFOLD_DROP = {
    "module": "keras.optimizers.schedules",
    "class_name": "PiecewiseConstantDecay",
    "config": {"boundaries": [120 * 63], "values": [1e-3, 1e-4]},
}

register_preset(
    "aae_swiss_roll",
    targets={"fid_digits": ["<=", 120.0], "prior_mmd_gaussian_factor": [">=", 2.0]},
    model={
        "class_name": "AAE",
        "config": {
            "image_shape": [28, 28, 1],
            "latent_dim": 2,
            "prior": "swiss_roll",
            # The paper's swiss-roll experiment is its supervised one (Figure 4):
            # the label picks the segment of the roll the discriminator draws from.
            "num_classes": 10,
            "filters": [32, 64],
            "discriminator_units": [512, 512],
        },
    },
    description=(
        "Adversarial autoencoder (Makhzani et al. 2015) on MNIST-5k: 2-D codes matched to a swiss roll, "
        "one segment per digit class (the paper's supervised variant)."
    ),
    paper="Makhzani, Shlens, Jaitly, Goodfellow & Frey, Adversarial Autoencoders, arXiv:1511.05644, 2015",
    dataset="mnist-5k (embedded; 4,000 train / 1,000 test after a seeded shuffle)",
    training={
        "data": "mnist",
        "binarize": False,
        # Adam, not the paper's SGD of AAE.compile's defaults; the
        # regularization phase as fast as the reconstruction (1e-3): with
        # 2e-4 the discriminator won after about 50 epochs.
        "compile": adam_phases(TENFOLD_DROP),
        "epochs": 160,
        "batch_size": 64,
        "seed": 0,
    },
)
