"""Zoo entries of the gan family."""

from kerasgen.presets import register_preset

register_preset(
    "gan",
    targets={"fid_digits": ["<=", 80.0]},
    model={
        "class_name": "GAN",
        "config": {
            "image_shape": [28, 28, 1],
            "latent_dim": 100,
            "generator_units": [128, 256],
            "discriminator_units": [256, 128],
            "dropout": 0.3,
            "ema_decay": 0.999,
            "seed": 0,
        },
    },
    description="MLP GAN (Goodfellow et al. 2014) on MNIST-5k: non-saturating G loss, Adam(2e-4, 0.5), EMA of G.",
    paper="Goodfellow et al., Generative Adversarial Nets, NeurIPS 2014, arXiv:1406.2661",
    dataset="mnist-5k (embedded; 4,000 train / 1,000 test after a seeded shuffle)",
    training={"data": "mnist", "binarize": False, "epochs": 600, "batch_size": 64, "seed": 0},
)

register_preset(
    "dcgan",
    targets={"fid_digits": ["<=", 20.0]},
    model={
        "class_name": "DCGAN",
        "config": {
            "image_shape": [28, 28, 1],
            "latent_dim": 100,
            "generator_filters": 64,
            "discriminator_filters": 64,
            "ema_decay": 0.999,
            "seed": 0,
        },
    },
    description="DCGAN (Radford et al. 2016) on MNIST-5k: 7->14->28 transposed convs, BatchNorm, paper's Adam.",
    paper="Radford, Metz & Chintala, Unsupervised Representation Learning with Deep Convolutional Generative Adversarial Networks, ICLR 2016, arXiv:1511.06434",
    dataset="mnist-5k (embedded; 4,000 train / 1,000 test after a seeded shuffle)",
    # G at 1e-3 (the paper: 2e-4 for both networks), as InfoGAN's MNIST
    # recipe has it: FID 51.8 after 80 epochs at 2e-4, 40.1 after 80 and
    # 34.3 after 120 at 1e-3; with an EMA of G (not in the paper), 27.4
    # after 200, 23.2 after 360, 19.1 after 480, 17.8 after 540 and 600
    # (docs/models/dcgan.md).
    training={
        "data": "mnist",
        "binarize": False,
        "epochs": 540,
        "batch_size": 64,
        "compile": {"generator_optimizer": {"class_name": "Adam", "config": {"learning_rate": 1e-3, "beta_1": 0.5}}},
        "seed": 0,
    },
)

register_preset(
    "cdcgan",
    targets={"fid_digits": ["<=", 10.0]},
    model={
        "class_name": "ConditionalDCGAN",
        "config": {
            "image_shape": [28, 28, 1],
            "num_classes": 10,
            "latent_dim": 100,
            "embedding_dim": 10,
            "generator_filters": 64,
            "discriminator_filters": 64,
            "seed": 0,
        },
    },
    description="Class-conditional DCGAN on MNIST-5k: label embedding in G, projection discriminator.",
    paper="Radford et al. 2016 (DCGAN, arXiv:1511.06434); Mirza & Osindero 2014 (conditional GAN, arXiv:1411.1784); Miyato & Koyama 2018 (projection discriminator, arXiv:1802.05637)",
    dataset="mnist-5k (embedded; 4,000 train / 1,000 test after a seeded shuffle), with labels",
    # As for dcgan: G's Adam at 1e-3 against D's 2e-4 (the paper's 2e-4 for
    # both scored FID 11.2 after 85 epochs; this recipe 7.9 after 150).
    training={
        "data": "mnist",
        "binarize": False,
        "epochs": 150,
        "batch_size": 64,
        "compile": {"generator_optimizer": {"class_name": "Adam", "config": {"learning_rate": 1e-3, "beta_1": 0.5}}},
        "seed": 0,
    },
)

register_preset(
    "dcgan_celeba_64",
    model={
        "class_name": "DCGAN",
        "config": {
            "image_shape": [64, 64, 3],
            "latent_dim": 100,
            "generator_filters": 128,
            "discriminator_filters": 64,
        },
    },
    description="Recipe only (no weights): DCGAN at 64x64 RGB on CelebA faces with the paper's settings.",
    paper="Radford, Metz & Chintala, Unsupervised Representation Learning with Deep Convolutional Generative Adversarial Networks, ICLR 2016, arXiv:1511.06434",
    dataset="tfds celeb_a (train split), centre-cropped and resized to 64x64, scaled to [-1, 1]",
    training={"data": "tfds:celeb_a", "pretrained": False, "epochs": 5, "batch_size": 128, "seed": 0},
)
