"""Zoo entries of the InfoGAN family."""

from kerasgen.presets import register_preset

register_preset(
    "infogan",
    targets={"category_matched_accuracy": [">=", 0.9], "continuous_code_correlation": [">=", 0.8], "fid_digits": ["<=", 25.0]},
    model={
        "class_name": "InfoGAN",
        "config": {
            "image_shape": [28, 28, 1],
            "noise_dim": 62,
            "codes": [
                {"name": "digit", "kind": "categorical", "size": 10},
                {"name": "slant", "kind": "continuous"},
                {"name": "width", "kind": "continuous"},
            ],
            # The paper's FC layers have 1024 units: 13.3 M parameters, 53 MB of
            # weights. 64 units keep the entry under the zoo's 5 MB (1.1 M
            # parameters); every other layer is the paper's.
            "dense_units": 64,
            "seed": 0,
        },
    },
    description="InfoGAN (Chen et al. 2016) on MNIST-5k: a 10-valued code that comes to mean the digit and two "
    "continuous codes for the stroke, learnt without labels.",
    paper="Chen, Duan, Houthooft, Schulman, Sutskever & Abbeel, InfoGAN: Interpretable Representation Learning by "
    "Information Maximizing Generative Adversarial Nets, NeurIPS 2016, arXiv:1606.03657",
    dataset="mnist-5k (embedded; 4,000 train / 1,000 test after a seeded shuffle), labels unused in training",
    training={"data": "mnist", "epochs": 60, "batch_size": 64, "seed": 0},
)
