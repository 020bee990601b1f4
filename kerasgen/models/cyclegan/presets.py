"""Zoo entries of the cyclegan family."""

from kerasgen.presets import register_preset

register_preset(
    "cyclegan",
    targets={"mae_g_vs_t": ["<=", 0.035], "mae_f_vs_x": ["<=", 0.035]},
    model={
        "class_name": "CycleGAN",
        "config": {
            "image_shape": [28, 28, 1],
            "filters": 16,
            "discriminator_filters": 16,
            "discriminator_layers": 2,
            "num_residual_blocks": 4,
            "pool_size": 50,
            "ema_decay": 0.999,
            "seed": 0,
        },
    },
    description="CycleGAN (Zhu et al. 2017) on a known-answer task: MNIST digits <-> thick dark-ink digits (3x3 dilation then inversion), trained on disjoint halves of MNIST-5k.",
    paper="Zhu, Park, Isola & Efros, Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks, ICCV 2017, arXiv:1703.10593",
    dataset="mnist-5k (embedded): A = 2,000 training digits, B = ink_transform of the other 2,000; scored on the 1,000 held-out digits",
    # Departures for a CPU-sized run, all documented in docs/models/cyclegan.md:
    # 28 px digits, 16 generator/discriminator filters (paper 64), a 34x34
    # PatchGAN (2 strided layers; the paper's 70x70 would see the whole 28 px
    # digit), 4 residual blocks (paper 6 at <= 128 px; measured worse here),
    # 8 epochs of 2,000 steps (paper 200
    # epochs) at a constant 2e-4 (the paper decays it to 0 over the second
    # half), with a moving average of both generators (not in the paper)
    # in place of the decay. Batch size 1 as in the paper.
    training={
        "data": "mnist_translation",
        "epochs": 8,
        "batch_size": 1,
        "drop_remainder": True,
        "compile": {"identity_weight": 0.5},
        "seed": 0,
    },
)

register_preset(
    "cyclegan_horse2zebra",
    model={"class_name": "CycleGAN", "config": {"image_shape": [256, 256, 3], "num_residual_blocks": 9}},
    description="CycleGAN horse <-> zebra at 256 px (recipe only): the paper's settings.",
    paper="Zhu, Park, Isola & Efros, Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks, ICCV 2017, arXiv:1703.10593",
    dataset="tfds cycle_gan/horse2zebra (trainA = horses, trainB = zebras; prepare it with data_dir)",
    training={
        "data": "tfds:cycle_gan/horse2zebra",
        "augment": True,
        "load_size": 286,
        "epochs": 200,
        "batch_size": 1,
        # The paper's schedule: 2e-4 for 100 epochs, then linear to 0 over 100.
        "compile": {"identity_weight": 0.5, "total_steps": "auto"},
        "pretrained": False,
        "seed": 0,
    },
)

register_preset(
    "cyclegan_monet2photo",
    model={"class_name": "CycleGAN", "config": {"image_shape": [256, 256, 3], "num_residual_blocks": 9}},
    description="CycleGAN Monet painting <-> photo at 256 px (recipe only): the paper's settings.",
    paper="Zhu, Park, Isola & Efros, Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks, ICCV 2017, arXiv:1703.10593",
    dataset="tfds cycle_gan/monet2photo (trainA = Monet paintings, trainB = photos; prepare it with data_dir)",
    training={
        "data": "tfds:cycle_gan/monet2photo",
        "augment": True,
        "load_size": 286,
        "epochs": 200,
        "batch_size": 1,
        # The paper's schedule: 2e-4 for 100 epochs, then linear to 0 over 100.
        "compile": {"identity_weight": 0.5, "total_steps": "auto"},
        "pretrained": False,
        "seed": 0,
    },
)
