"""Training recipes of the zoo entries, shared by `kerasgen train` and tools/train_zoo.py.

A recipe is data: which embedded data set, how many epochs, which batch size
and seed. `tools/train_zoo.py NAME` trains an entry with its recipe, measures
it with `evaluate` and writes the recipe into the entry's metadata, so every
pretrained entry records the one command that reproduces it.
"""

import numpy as np

from kerasgen import data

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
        "model": {"class_name": "Autoencoder", "config": {"image_shape": [28, 28, 1], "latent_dim": 16, "filters": [32, 64]}},
        "description": "Convolutional autoencoder on MNIST-5k: the non-generative baseline (no generate()).",
        "paper": "Hinton & Salakhutdinov, Reducing the Dimensionality of Data with Neural Networks, Science 2006",
        "dataset": "mnist-5k (embedded; 4,000 train / 1,000 test after a seeded shuffle)",
        "data": "mnist",
        "binarize": False,
        "epochs": 30,
        "batch_size": 64,
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
        "epochs": 40,
        "batch_size": 64,
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


def evaluate_adversarial(model, images, labels=None, n=1000, seed=0):
    """GAN family: FID / KID on the digits features against `n` held-out images.

    A class-conditional model draws balanced labels and also reports
    `label_accuracy`: the fraction of its samples that the digits classifier
    assigns to the class they were generated for.
    """
    from kerasgen import metrics

    real = data.to_model_range(images)
    results = metrics.evaluate_generator(model.generate, real, n=n, seed=seed, features="digits")
    if getattr(model, "num_classes", None):
        wanted = model.sample_labels(n, seed)
        fake = model.generate(n, labels=wanted, seed=seed)
        results["label_accuracy"] = float(np.mean(metrics.classify_digits(fake) == wanted))
    return results
