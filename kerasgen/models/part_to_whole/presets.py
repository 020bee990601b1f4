"""Zoo entries of the part-to-whole family."""

from kerasgen.presets import register_preset

PAPER = (
    "Lee, Yun, Choi, Yoo, Yang & Oh, Unsupervised Holistic Image Generation from Key Local Patches, "
    "ECCV 2018, arXiv:1703.10730"
)

register_preset(
    "part_to_whole",
    targets={"class_agreement": [">=", 0.85], "patch_mae": ["<=", 0.15], "mask_iou": [">=", 0.5]},
    model={
        "class_name": "PartToWholeGAN",
        "config": {
            "image_shape": [28, 28, 1],
            "num_patches": 3,
            "patch_size": [12, 12],
            "patch_input_size": 12,
            "latent_dim": 16,
            "code_dim": 64,
            "filters": 32,
            "discriminator_filters": 32,
            "place_patches": True,
            "seed": 0,
        },
    },
    description='Part-to-whole GAN ("Puzzle-GAN", Lee et al. 2018) on MNIST-5k: the whole digit, and where each '
    "patch belongs, from 3 key patches of 12x12 px given without their positions.",
    paper=PAPER,
    dataset="mnist-5k (embedded; 4,000 train / 1,000 test after a seeded shuffle); each step crops 3 key patches "
    "per digit, scored on patches of the 1,000 held-out digits",
    training={
        "data": "mnist",
        "epochs": 350,
        "batch_size": 64,
        # Departures, measured on this task (docs/models/part_to_whole.md):
        # cross-entropy masks (the L1 of the reference left every mask at 0
        # for 10 epochs), lambda_appearance 100, the patches drawn where
        # the masks put them as a generator input (place_patches above),
        # and two L1 terms the paper does not have: the whole completion
        # against the source image (reconstruction_weight) and the
        # completion against the patches where they are drawn
        # (drawn_patch_weight).
        "compile": {
            "spatial_loss": "bce",
            "appearance_weight": 100.0,
            "reconstruction_weight": 30.0,
            "drawn_patch_weight": 100.0,
        },
        "seed": 0,
    },
)

register_preset(
    "part_to_whole_celeba_64",
    model={
        "class_name": "PartToWholeGAN",
        "config": {"image_shape": [64, 64, 3], "num_patches": 3, "patch_size": [12, 24]},
    },
    description="Recipe only (no weights): the part-to-whole GAN on aligned CelebA faces at 64 px with the "
    "reference code's settings (3 patches, batch 64, 25 epochs).",
    paper=PAPER,
    dataset="CelebA aligned faces (your copy: a folder of images, e.g. img_align_celeba/), resized to 64x64; "
    "key patches of 12-24 px cropped where the face has edges",
    training={"data": "celeba", "epochs": 25, "batch_size": 64, "pretrained": False, "seed": 0},
)

register_preset(
    "part_to_whole_cars_128",
    model={
        "class_name": "PartToWholeGAN",
        "config": {"image_shape": [128, 128, 3], "num_patches": 3, "patch_size": [24, 48]},
    },
    description="Recipe only (no weights): the part-to-whole GAN on car images at 128 px (the paper's CompCars "
    "experiment), reference settings but batch 32 as the reference's 128 px run.",
    paper=PAPER,
    dataset="car images (your copy, e.g. CompCars' web-nature images of whole cars: a folder of images), "
    "resized to 128x128; key patches of 24-48 px",
    training={"data": "compcars", "epochs": 25, "batch_size": 32, "pretrained": False, "seed": 0},
)
