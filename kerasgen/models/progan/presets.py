"""Zoo entries of the progan family."""

from kerasgen.presets import register_preset

register_preset(
    "progan",
    targets={"fid_digits": ["<=", 25.0]},
    model={
        "class_name": "ProGAN",
        "config": {
            "resolution": 32,
            "channels": 1,
            "latent_dim": 64,
            "fmap_base": 256,
            "fmap_max": 64,
            "fade_images": 10000,
            "stabilize_images": 10000,
            "batch_sizes": {"4": 16, "8": 16, "16": 16, "32": 16},
            "ema_decay": 0.999,
            "seed": 0,
        },
    },
    description="Progressive-growing GAN (WGAN-GP, equalized LR, pixel norm, minibatch stddev) grown 4x4 -> 32x32 on MNIST-5k.",
    paper="Karras, Aila, Laine & Lehtinen, Progressive Growing of GANs for Improved Quality, Stability, and Variation, ICLR 2018, arXiv:1710.10196",
    dataset="mnist-5k (embedded; 4,000 train / 1,000 test after a seeded shuffle), resized 28x28 -> 32x32 (bilinear, by kerasgen.data.dataset)",
    training={
        "data": "mnist",
        "binarize": False,
        "epochs": 31,
        "batch_size": 16,
        "seed": 0,
        "stage_grid": "docs/images/progan_stages.png",
    },
)

register_preset(
    "progan_celeba_hq_256",
    model={
        "class_name": "ProGAN",
        "config": {
            "resolution": 256,
            "channels": 3,
            "latent_dim": 512,
            "fmap_base": 8192,
            "fmap_max": 512,
            "fade_images": 600000,
            "stabilize_images": 600000,
            "batch_sizes": {"4": 16, "8": 16, "16": 16, "32": 16, "64": 16, "128": 16, "256": 14},
            "ema_decay": 0.999,
            "seed": 0,
        },
    },
    description="ProGAN recipe for CelebA-HQ at 256x256 with the paper's schedule and hyperparameters (no pretrained weights: train it on your own copy of the data).",
    paper="Karras, Aila, Laine & Lehtinen, Progressive Growing of GANs for Improved Quality, Stability, and Variation, ICLR 2018, arXiv:1710.10196",
    dataset="CelebA-HQ (30,000 faces; not shipped: build it with the paper's procedure and pass it with --data)",
    training={"data": "celeba_hq", "pretrained": False, "epochs": 260, "batch_size": 16, "seed": 0},
)
