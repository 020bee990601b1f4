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
