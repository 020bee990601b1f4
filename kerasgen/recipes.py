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
    "cyclegan": {
        "model": {
            "class_name": "CycleGAN",
            "config": {"image_shape": [28, 28, 1], "filters": 8, "discriminator_filters": 8,
                       "num_residual_blocks": 3, "pool_size": 50, "seed": 0},
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

    Returns:
        dict of metric name -> float.
    """
    import keras

    keras.utils.set_random_seed(seed)
    if hasattr(model, "translate"):
        # CycleGAN on the known-answer task: `images` are held-out A digits.
        x = data.to_model_range(images)
        return translation_task_metrics(model, {"test_a": x, "test_b": data.ink_transform(x)})
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
