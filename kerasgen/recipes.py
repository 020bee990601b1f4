"""Training recipes of the zoo entries, shared by `kerasgen train` and tools/train_zoo.py.

A recipe is data: which embedded data set, how many epochs, which batch size
and seed. `tools/train_zoo.py NAME` trains an entry with its recipe, measures
it with `evaluate` and writes the recipe into the entry's metadata, so every
pretrained entry records the one command that reproduces it.
"""

import numpy as np

from kerasgen import data
from kerasgen.models.aae import AAE

RECIPES = {
    "vae": {
        "model": {"class_name": "VAE", "config": {"image_shape": [28, 28, 1], "latent_dim": 16, "filters": [32, 64]}},
        "description": "Convolutional VAE (Kingma & Welling 2014) on binarized MNIST-5k, Bernoulli decoder, 16-d latent.",
        "paper": "Kingma & Welling, Auto-Encoding Variational Bayes, ICLR 2014, arXiv:1312.6114",
        "dataset": "mnist-5k (embedded; 4,000 train / 1,000 test after a seeded shuffle), binarized at 0.5",
        "data": "mnist",
        "binarize": True,
        "epochs": 60,
        "batch_size": 64,
        "kl_warmup_steps": 0,
        "seed": 0,
    },
    "autoencoder": {
        "model": {
            "class_name": "Autoencoder",
            "config": {"image_shape": [28, 28, 1], "latent_dim": 16, "filters": [32, 64]},
        },
        "description": "Convolutional autoencoder on MNIST-5k: the non-generative baseline (no generate()).",
        "paper": "Hinton & Salakhutdinov, Reducing the Dimensionality of Data with Neural Networks, Science 2006",
        "dataset": "mnist-5k (embedded; 4,000 train / 1,000 test after a seeded shuffle)",
        "data": "mnist",
        "binarize": False,
        "epochs": 30,
        "batch_size": 64,
        "seed": 0,
    },
    "cyclegan": {
        "model": {
            "class_name": "CycleGAN",
            "config": {
                "image_shape": [28, 28, 1],
                "filters": 8,
                "discriminator_filters": 8,
                "num_residual_blocks": 3,
                "pool_size": 50,
                "seed": 0,
            },
        },
        "description": "CycleGAN (Zhu et al. 2017) on a known-answer task: MNIST digits <-> thick dark-ink digits "
        "(3x3 dilation then inversion), trained on disjoint halves of MNIST-5k.",
        "paper": "Zhu, Park, Isola & Efros, Unpaired Image-to-Image Translation using Cycle-Consistent "
        "Adversarial Networks, ICCV 2017, arXiv:1703.10593",
        "dataset": "mnist-5k (embedded): A = 2,000 training digits, B = ink_transform of the other 2,000; "
        "scored on the 1,000 held-out digits",
        "data": "mnist_translation",
        # Departures for a CPU-sized run, all documented in docs/models/cyclegan.md:
        # 28 px digits, 8 generator/discriminator filters (paper 64), 3 residual
        # blocks (paper 6 at <= 128 px), batch size 8 (paper 1), 6 epochs of
        # 250 steps (paper 200 epochs), still constant then linear decay to 0.
        "epochs": 6,
        "batch_size": 8,
        "drop_remainder": True,
        "compile": {"total_steps": 6 * 250, "identity_weight": 0.5},
        "seed": 0,
    },
    "cyclegan_horse2zebra": {
        "model": {"class_name": "CycleGAN", "config": {"image_shape": [256, 256, 3], "num_residual_blocks": 9}},
        "description": "CycleGAN horse <-> zebra at 256 px (recipe only): the paper's settings.",
        "paper": "Zhu, Park, Isola & Efros, Unpaired Image-to-Image Translation using Cycle-Consistent "
        "Adversarial Networks, ICCV 2017, arXiv:1703.10593",
        "dataset": "tfds cycle_gan/horse2zebra (trainA = horses, trainB = zebras; prepare it with data_dir)",
        "data": "tfds:cycle_gan/horse2zebra",
        "splits": ["trainA", "trainB"],
        "augment": True,
        "load_size": 286,
        "epochs": 200,
        "constant_epochs": 100,
        "batch_size": 1,
        "compile": {"identity_weight": 0.5},
        "pretrained": False,
        "seed": 0,
    },
    "cyclegan_monet2photo": {
        "model": {"class_name": "CycleGAN", "config": {"image_shape": [256, 256, 3], "num_residual_blocks": 9}},
        "description": "CycleGAN Monet painting <-> photo at 256 px (recipe only): the paper's settings.",
        "paper": "Zhu, Park, Isola & Efros, Unpaired Image-to-Image Translation using Cycle-Consistent "
        "Adversarial Networks, ICCV 2017, arXiv:1703.10593",
        "dataset": "tfds cycle_gan/monet2photo (trainA = Monet paintings, trainB = photos; prepare it with data_dir)",
        "data": "tfds:cycle_gan/monet2photo",
        "splits": ["trainA", "trainB"],
        "augment": True,
        "load_size": 286,
        "epochs": 200,
        "constant_epochs": 100,
        "batch_size": 1,
        "compile": {"identity_weight": 0.5},
        "pretrained": False,
        "seed": 0,
    },
    "gan": {
        "model": {
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
        "description": "MLP GAN (Goodfellow et al. 2014) on MNIST-5k: non-saturating G loss, Adam(2e-4, 0.5), EMA of G.",
        "paper": "Goodfellow et al., Generative Adversarial Nets, NeurIPS 2014, arXiv:1406.2661",
        "dataset": "mnist-5k (embedded; 4,000 train / 1,000 test after a seeded shuffle)",
        "data": "mnist",
        "binarize": False,
        "epochs": 120,
        "batch_size": 64,
        "seed": 0,
    },
    "dcgan": {
        "model": {
            "class_name": "DCGAN",
            "config": {
                "image_shape": [28, 28, 1],
                "latent_dim": 100,
                "generator_filters": 64,
                "discriminator_filters": 64,
                "seed": 0,
            },
        },
        "description": "DCGAN (Radford et al. 2016) on MNIST-5k: 7->14->28 transposed convs, BatchNorm, paper's Adam.",
        "paper": "Radford, Metz & Chintala, Unsupervised Representation Learning with Deep Convolutional "
        "Generative Adversarial Networks, ICLR 2016, arXiv:1511.06434",
        "dataset": "mnist-5k (embedded; 4,000 train / 1,000 test after a seeded shuffle)",
        "data": "mnist",
        "binarize": False,
        "epochs": 30,
        "batch_size": 64,
        "seed": 0,
    },
    "cdcgan": {
        "model": {
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
        "description": "Class-conditional DCGAN on MNIST-5k: label embedding in G, projection discriminator.",
        "paper": "Radford et al. 2016 (DCGAN, arXiv:1511.06434); Mirza & Osindero 2014 (conditional GAN, "
        "arXiv:1411.1784); Miyato & Koyama 2018 (projection discriminator, arXiv:1802.05637)",
        "dataset": "mnist-5k (embedded; 4,000 train / 1,000 test after a seeded shuffle), with labels",
        "data": "mnist",
        "binarize": False,
        "labels": True,
        "epochs": 30,
        "batch_size": 64,
        "seed": 0,
    },
    "dcgan_celeba_64": {
        "model": {
            "class_name": "DCGAN",
            "config": {
                "image_shape": [64, 64, 3],
                "latent_dim": 100,
                "generator_filters": 128,
                "discriminator_filters": 64,
            },
        },
        "description": "Recipe only (no weights): DCGAN at 64x64 RGB on CelebA faces with the paper's settings.",
        "paper": "Radford, Metz & Chintala, Unsupervised Representation Learning with Deep Convolutional "
        "Generative Adversarial Networks, ICLR 2016, arXiv:1511.06434",
        "dataset": "tfds celeb_a (train split), centre-cropped and resized to 64x64, scaled to [-1, 1]",
        "data": "tfds:celeb_a",
        "pretrained": False,
        "epochs": 5,
        "batch_size": 128,
        "optimizer": "Adam(2e-4, beta_1=0.5) for G and D (compile() defaults)",
        "command_to_train": "kerasgen train dcgan_celeba_64 --data tfds:celeb_a --data-dir DIR",
        "seed": 0,
    },
    "aae": {
        "model": {
            "class_name": "AAE",
            "config": {
                "image_shape": [28, 28, 1],
                "latent_dim": 2,
                "prior": "gaussian_mixture",
                "filters": [32, 64],
                # The paper's discriminator has 2 x 1000 units; 512 keeps the
                # weights file under the zoo's 5 MB.
                "discriminator_units": [512, 512],
            },
        },
        "description": "Adversarial autoencoder (Makhzani et al. 2015) on MNIST-5k: 2-D codes matched to a ring of 10 Gaussians.",
        "paper": "Makhzani, Shlens, Jaitly, Goodfellow & Frey, Adversarial Autoencoders, arXiv:1511.05644, 2015",
        "dataset": "mnist-5k (embedded; 4,000 train / 1,000 test after a seeded shuffle)",
        "data": "mnist",
        "binarize": False,
        # Adam, not the paper's SGD of AAE.compile's defaults.
        "compile": AAE.ADAM_OPTIMIZERS,
        "epochs": 40,
        "batch_size": 64,
        "seed": 0,
    },
    "aae_swiss_roll": {
        "model": {
            "class_name": "AAE",
            "config": {
                "image_shape": [28, 28, 1],
                "latent_dim": 2,
                "prior": "swiss_roll",
                "filters": [32, 64],
                "discriminator_units": [512, 512],
            },
        },
        "description": "Adversarial autoencoder (Makhzani et al. 2015) on MNIST-5k: 2-D codes matched to a swiss roll.",
        "paper": "Makhzani, Shlens, Jaitly, Goodfellow & Frey, Adversarial Autoencoders, arXiv:1511.05644, 2015",
        "dataset": "mnist-5k (embedded; 4,000 train / 1,000 test after a seeded shuffle)",
        "data": "mnist",
        "binarize": False,
        # Adam, not the paper's SGD of AAE.compile's defaults.
        "compile": AAE.ADAM_OPTIMIZERS,
        "epochs": 40,
        "batch_size": 64,
        "seed": 0,
    },
    "progan": {
        "model": {
            "class_name": "ProGAN",
            "config": {
                "resolution": 32,
                "channels": 1,
                "latent_dim": 64,
                "fmap_base": 256,
                "fmap_max": 64,
                "fade_images": 4000,
                "stabilize_images": 4000,
                "batch_sizes": {"4": 16, "8": 16, "16": 16, "32": 16},
                # Paper: 0.999 over millions of images; this 28k-image run uses 0.99 so that the
                # EMA generator is not dominated by the weights of earlier stages.
                "ema_decay": 0.99,
                "seed": 0,
            },
        },
        "description": "Progressive-growing GAN (WGAN-GP, equalized LR, pixel norm, minibatch stddev) grown 4x4 -> 32x32 on MNIST-5k.",
        "paper": "Karras, Aila, Laine & Lehtinen, Progressive Growing of GANs for Improved Quality, Stability, "
        "and Variation, ICLR 2018, arXiv:1710.10196",
        "dataset": "mnist-5k (embedded; 4,000 train / 1,000 test after a seeded shuffle), resized 28x28 -> 32x32 "
        "(bilinear, by kerasgen.data.dataset)",
        "data": "mnist",
        "binarize": False,
        # 4k images at 4x4, then 4k fade-in + 4k stabilization per new resolution: 28k images.
        "epochs": 7,
        "batch_size": 16,
        "seed": 0,
        "stage_grid": "docs/images/progan_stages.png",
    },
    "progan_celeba_hq_256": {
        "model": {
            "class_name": "ProGAN",
            "config": {
                "resolution": 256,
                "channels": 3,
                "latent_dim": 512,
                "fmap_base": 8192,
                "fmap_max": 512,
                # The reference code's 600k images per fade-in and per stabilization
                # (the paper's appendix A.1 describes 800k for CelebA-HQ).
                "fade_images": 600000,
                "stabilize_images": 600000,
                "batch_sizes": {"4": 16, "8": 16, "16": 16, "32": 16, "64": 16, "128": 16, "256": 14},
                "ema_decay": 0.999,
                "seed": 0,
            },
        },
        "description": "ProGAN recipe for CelebA-HQ at 256x256 with the paper's schedule and hyperparameters "
        "(no pretrained weights: train it on your own copy of the data).",
        "paper": "Karras, Aila, Laine & Lehtinen, Progressive Growing of GANs for Improved Quality, Stability, "
        "and Variation, ICLR 2018, arXiv:1710.10196",
        "dataset": "CelebA-HQ (30,000 faces; not shipped: build it with the paper's procedure and pass it with --data)",
        "data": "celeba_hq",
        "pretrained": False,
        # 600k images at 4x4 + 6 stages x 1.2M = 7.8M images to reach 256x256 at alpha = 1; with
        # batch 16 at every stage (14 at 256x256) and 30k images per epoch, 260 epochs.
        "epochs": 260,
        "batch_size": 16,
        "seed": 0,
    },
}


def recipe(name):
    """The recipe of a zoo entry (a copy)."""
    if name not in RECIPES:
        raise ValueError(f"No training recipe for {name!r}; recipes exist for {sorted(RECIPES)}.")
    return dict(RECIPES[name])


def embedded_split(training, split):
    """(images uint8, labels) of the embedded data a recipe names."""
    if training.get("data") == "mnist_translation":
        task = data.mnist_translation_task()
        return (task["test_a"], None) if split == "test" else ((task["train_a"], task["train_b"]), None)
    if training.get("data", "mnist") != "mnist":
        raise ValueError(f"Recipe data {training.get('data')!r} is not embedded; pass --data.")
    return data.mnist(split, binarize=bool(training.get("binarize", False)))


def evaluate(model, images, labels=None, num_importance_samples=1000, seed=0):
    """Measures a trained model on held-out images (uint8 or [-1, 1]).

    Every model: its `test_step` metrics when it has them (VAE: ELBO;
    autoencoder: reconstruction error). Models that generate: FID and KID of
    as many samples as held-out images, on the digits-classifier features.
    VAE: the importance-weighted bound on log p(x) with K samples.
    AAE: MMD^2 between the held-out codes and as many prior samples.

    Returns:
        dict of metric name -> float.
    """
    import keras

    keras.utils.set_random_seed(seed)
    if hasattr(model, "translate"):
        # CycleGAN on the known-answer task: `images` are held-out A digits.
        x = data.to_model_range(images)
        return translation_task_metrics(model, {"test_a": x, "test_b": data.ink_transform(x)})
    if type(model).__name__ == "ProGAN":
        return evaluate_progan(model, images, seed=seed)
    if hasattr(model, "discriminator") and hasattr(model, "generate_from_latents"):
        return evaluate_adversarial(model, images, labels, seed=seed)
    x = data.to_model_range(images)
    ds = data.dataset(x, model.image_shape, batch_size=250, shuffle=False, cache=False)
    results = {f"test_{k}": float(v) for k, v in model.evaluate(ds, verbose=0, return_dict=True).items()}
    try:
        model.sample_latents(1)
        can_generate = True
    except NotImplementedError:
        can_generate = False
    if can_generate:
        from kerasgen import metrics

        quality = metrics.evaluate_generator(lambda n, seed: model.generate(n, seed=seed), x, n=len(x), seed=seed)
        results.update({f"{k}_digits": quality[k] for k in ("fid", "kid", "kid_std")})
        results["sample_quality_protocol"] = (
            f"{quality['num_generated']} samples (seed {seed}) vs the {quality['num_real']} held-out digits, "
            f"digits-classifier features; KID over subsets of {quality['kid_subset_size']}"
        )
    if hasattr(model, "log_likelihood"):
        bounds = np.concatenate(
            [model.log_likelihood(x[i : i + 50], num_samples=num_importance_samples) for i in range(0, len(x), 50)]
        )
        results[f"test_log_likelihood_iwae_k{num_importance_samples}"] = float(np.mean(bounds))
    if hasattr(model, "prior_match"):
        # Adversarial autoencoder: how closely the held-out codes follow the
        # prior (fixed-kernel MMD^2; two independent prior draws of the same
        # size give the floor).
        from kerasgen import distributions

        results["test_prior_mmd"] = model.prior_match(x, seed=seed)
        floor = [model.sample_prior(len(x), seed=s).numpy() for s in (seed + 1, seed + 2)]
        results["prior_mmd_floor"] = distributions.maximum_mean_discrepancy(*floor)
    return results


def evaluate_progan(model, images, seed=0):
    """ProGAN: FID / KID of 1,000 EMA-generator samples (digits features).

    The model trains on digits resized 28x28 -> 32x32, so the held-out
    digits are resized the same way before both sets go through the
    classifier (which resizes to 28x28): comparing samples with the raw
    28x28 digits would also score the two resizings, not the generator.
    `reference_fid_digits_train_vs_test` is the FID of as many training
    digits, processed the same way: the floor a perfect generator reaches.
    """
    import tensorflow as tf

    from kerasgen import metrics

    def at_model_size(x):
        return np.clip(tf.image.resize(data.to_model_range(x), model.image_shape[:2]).numpy(), -1.0, 1.0)

    real = at_model_size(images)
    quality = metrics.evaluate_generator(model.generate, real, n=len(real), seed=seed)
    results = {f"{k}_digits": quality[k] for k in ("fid", "kid", "kid_std")}
    results["sample_quality_protocol"] = (
        f"{quality['num_generated']} samples (seed {seed}) vs the {quality['num_real']} held-out digits resized to "
        f"{model.image_shape[0]}x{model.image_shape[1]}, digits-classifier features; KID over subsets of "
        f"{quality['kid_subset_size']}"
    )
    train, _ = data.mnist("train")
    results["reference_fid_digits_train_vs_test"] = metrics.fid(real, at_model_size(train[: len(real)]))
    results["resolution"] = int(model.generate(1, seed=seed).shape[1])
    return results


def evaluate_adversarial(model, images, labels=None, n=1000, seed=0):
    """GAN family: FID / KID on the digits features against `n` held-out images.

    A class-conditional model draws balanced labels and also reports
    `label_accuracy`: the fraction of its samples that the digits classifier
    assigns to the class they were generated for.
    """
    from kerasgen import metrics

    real = data.to_model_range(images)
    quality = metrics.evaluate_generator(model.generate, real, n=n, seed=seed, features="digits")
    results = {f"{k}_digits": quality[k] for k in ("fid", "kid", "kid_std")}
    results["sample_quality_protocol"] = (
        f"{quality['num_generated']} samples (seed {seed}) vs {quality['num_real']} held-out digits, "
        f"digits-classifier features; KID over subsets of {quality['kid_subset_size']}"
    )
    if getattr(model, "num_classes", None):
        wanted = model.sample_labels(n, seed)
        fake = model.generate(n, labels=wanted, seed=seed)
        results["label_accuracy"] = float(np.mean(metrics.classify_digits(fake) == wanted))
    return results


def translation_task_metrics(model, task):
    """Mean absolute errors of a CycleGAN on the known-answer task, with baselines.

    `task` holds `test_a` (digits x) and `test_b` (T(x)); when it also holds
    `train_a` / `train_b` the mean-image baselines use those, otherwise the
    MNIST-5k task's training halves. Errors are in [-1, 1] pixel units.

    Returns:
        dict: `mae_g_vs_t` |G(x) - T(x)|, `mae_f_vs_x` |F(T(x)) - x|,
        `mae_cycle_a` |F(G(x)) - x|, and baselines `*_identity_baseline`
        (the input itself) and `*_mean_image_baseline` (the mean training
        image of the target domain).
    """
    x, tx = task["test_a"], task["test_b"]
    if "train_a" not in task:
        task = dict(data.mnist_translation_task(), test_a=x, test_b=tx)
    g_x = model.translate(x, "a2b")
    f_tx = model.translate(tx, "b2a")
    f_g_x = model.translate(g_x, "b2a")
    mean_b = task["train_b"].mean(axis=0, keepdims=True)
    mean_a = task["train_a"].mean(axis=0, keepdims=True)

    def mae(p, q):
        return float(np.mean(np.abs(p - q)))

    return {
        "mae_g_vs_t": mae(g_x, tx),
        "mae_g_identity_baseline": mae(x, tx),
        "mae_g_mean_image_baseline": mae(mean_b, tx),
        "mae_f_vs_x": mae(f_tx, x),
        "mae_f_identity_baseline": mae(tx, x),
        "mae_f_mean_image_baseline": mae(mean_a, x),
        "mae_cycle_a": mae(f_g_x, x),
    }
