"""The contract-test table: one case per model family, tiny enough to run in seconds.

Every suite that runs over all families reads this table (tests/test_contract.py,
tests/test_mixed_precision.py, tests/test_distribute.py, tests/test_resume.py).
A case gives the class, tiny constructor arguments, the SavedModel signatures
the model must export, and, where a cross-cutting test needs other settings,
per-test overrides with the reason. The batches themselves follow from the
model (`model.batch_structure`), so a new family is one entry here.
"""

import dataclasses

import numpy as np

from kerasgen.models import (
    AAE,
    DCGAN,
    GAN,
    VAE,
    Autoencoder,
    ConditionalDCGAN,
    CycleGAN,
    InfoGAN,
    PartToWholeGAN,
    ProGAN,
    StarGAN,
)
from kerasgen.models.base import CODES, COMPLETE, DOMAIN_IMAGES, IMAGE_PAIRS, LABELED_IMAGES, RECONSTRUCT, TRANSLATE
from tests import helpers


@dataclasses.dataclass
class Case:
    """One family in the contract suite.

    Attributes:
        cls: the model class.
        kwargs: tiny constructor arguments.
        signatures: names of the SavedModel signatures it must export.
        overrides: per-test constructor arguments (`"mixed_precision"`,
            `"distribute"`, `"resume"`), merged over `kwargs`.
        distribute: extra settings of the two-replica test: `steps`,
            `state` (model attributes and the values they must end with),
            `inert` (regex of weights compared by a bound, see test_distribute),
            `outputs` (networks whose outputs must agree).
        mixed_precision: `ill_conditioned` (optimizer indices whose update is
            only checked for scale) and `loose` (index -> relative tolerance).
        compile: `compile()` arguments of the one-step tests (contract, mixed
            precision, two replicas), where every optimizer must step once;
            the resume test compiles with the defaults.
    """

    cls: type
    kwargs: dict
    signatures: tuple
    overrides: dict = dataclasses.field(default_factory=dict)
    distribute: dict = dataclasses.field(default_factory=dict)
    mixed_precision: dict = dataclasses.field(default_factory=dict)
    compile: dict = dataclasses.field(default_factory=dict)

    def build(self, test=None, **extra):
        """The model with the case's arguments (and those of `test`)."""
        return self.cls(**{**self.kwargs, **self.overrides.get(test, {}), **extra})


ENCODER_DECODER = ("serving_default", "encode", "decode", "reconstruct")
GENERATOR = ("serving_default", "generate")

CASES = {
    "autoencoder": Case(
        Autoencoder, dict(image_shape=(8, 8, 1), latent_dim=3, filters=(4, 8), seed=1), ENCODER_DECODER
    ),
    "vae": Case(VAE, dict(image_shape=(8, 8, 1), latent_dim=3, filters=(4, 8), seed=1), ENCODER_DECODER),
    "aae": Case(
        AAE,
        dict(image_shape=(8, 8, 1), latent_dim=2, filters=(4, 8), discriminator_units=(16, 16), seed=1),
        ENCODER_DECODER,
        # Gaussian encoder: reparameterization noise and prior samples are global draws.
        overrides={"distribute": dict(discriminator_units=(8, 8), gaussian_encoder=True, seed=4)},
    ),
    # Supervised variant: prior samples from each label's component.
    "aae_supervised": Case(
        AAE,
        dict(
            image_shape=(8, 8, 1),
            latent_dim=2,
            num_classes=10,
            filters=(4, 8),
            prior="gaussian_mixture",
            discriminator_units=(8,),
            seed=4,
        ),
        ENCODER_DECODER,
    ),
    "gan": Case(
        GAN,
        dict(image_shape=(8, 8, 1), latent_dim=4, generator_units=(16,), discriminator_units=(16,), seed=1),
        GENERATOR,
        overrides={
            # A dropout mask is drawn in the compute dtype, so the same seed
            # gives other masks under bfloat16: compared without dropout.
            "mixed_precision": dict(dropout=0.0),
            # Dropout in D: the masks of the global batch are drawn once and split.
            "distribute": dict(generator_units=(8,), discriminator_units=(16, 8), dropout=0.3, ema_decay=0.9, seed=3),
        },
    ),
    "dcgan": Case(
        DCGAN,
        dict(image_shape=(16, 16, 1), latent_dim=5, generator_filters=4, discriminator_filters=4, seed=2),
        GENERATOR,
        # Synchronized BatchNorm: statistics over the global batch, as on one device.
        overrides={"distribute": dict(synchronized_batch_norm=True)},
        # The generators' gradient reaches them through the discriminator's
        # BatchNorm in training mode; it differs from float32's by 10-15 % in
        # both precisions (0.151 bfloat16, 0.140 float16 measured), spread
        # evenly over every generator variable; the discriminators agree to 4 % and 1.5 %.
        mixed_precision=dict(loose={0: 0.3}),
    ),
    "conditional_dcgan": Case(
        ConditionalDCGAN,
        dict(
            image_shape=(16, 16, 1),
            num_classes=3,
            latent_dim=5,
            embedding_dim=4,
            generator_filters=4,
            discriminator_filters=4,
            seed=3,
        ),
        GENERATOR,
        overrides={"distribute": dict(embedding_dim=2, synchronized_batch_norm=True, ema_decay=0.9, seed=2)},
        mixed_precision=dict(loose={0: 0.3}),
    ),
    "cyclegan": Case(
        CycleGAN,
        dict(
            image_shape=(8, 8, 1),
            filters=2,
            discriminator_filters=2,
            num_residual_blocks=1,
            discriminator_layers=1,
            pool_size=3,
            ema_decay=0.9,  # as the zoo entry
            seed=1,
        ),
        ("serving_default", "translate_a2b", "translate_b2a"),
        overrides={"distribute": dict(image_shape=(16, 16, 1), discriminator_layers=2, pool_size=6, seed=5)},
        # Two steps with a pool of 6 images: the first step's 8 fakes per
        # direction fill it and the last two may already swap, the second step
        # swaps; the pool is global (see image_pool.py). Biases of
        # convolutions followed by instance norm are inert (the norm subtracts
        # them again), so their gradient is rounding noise that Adam turns
        # into steps of up to ~lr: they are bounded by 3 * lr per step
        # instead, and the four networks' outputs must agree.
        distribute=dict(
            steps=2,
            inert=r"^(stem_conv|down_\d+_conv|up_\d+_conv|residual_\d+/conv_\d|conv_[1-9]\d*)/bias$",
            outputs=("generator_ab", "generator_ba", "discriminator_a", "discriminator_b"),
        ),
        # The tiny generators instance-normalize 2x2 maps whose mean is ten
        # times their standard deviation, so rounding the convolution outputs
        # moves the normalized values by several percent and the float32
        # generator gradient is itself ill-conditioned (0.89 under bfloat16,
        # 0.30 under float16 measured; the discriminators agree to 1 %).
        mixed_precision=dict(ill_conditioned={0}),
    ),
    "progan": Case(
        ProGAN,
        dict(
            resolution=16,
            channels=1,
            latent_dim=8,
            fmap_base=32,
            fmap_max=16,
            fade_images=32,
            stabilize_images=32,
            batch_sizes={4: 8, 8: 8, 16: 4},
            seed=0,
        ),
        GENERATOR,
        overrides={
            "resume": dict(fade_images=16, stabilize_images=16, batch_sizes={4: 8, 8: 8, 16: 8}),
            # Two steps: the first ends the 4x4 stage (8 images), the networks
            # grow, the second trains 8x8 in its fade-in at alpha (8 - 4) / 32;
            # D's minibatch stddev groups span the global batch (group size 4).
            "distribute": dict(
                resolution=8, fmap_base=16, fmap_max=8, stabilize_images=4, fade_images=32, batch_sizes={}, seed=6
            ),
        },
        distribute=dict(steps=2, state=dict(images_seen=16, stage=1, alpha=0.125)),
    ),
    # One-of-N domains (the multi-label and several-label-set cases are in
    # tests/test_stargan.py). G steps every n_critic-th step: the one-step
    # tests take n_critic = 1 so that both networks move; the resume test keeps
    # the default 5 (G steps at steps 5 and 10 of its 10, resumed after 7).
    "stargan": Case(
        StarGAN,
        dict(
            image_shape=(8, 8, 1),
            labels=3,
            multi_label=False,
            filters=2,
            discriminator_filters=2,
            num_residual_blocks=1,
            discriminator_layers=2,
            seed=1,
        ),
        ("serving_default", "translate"),
        compile=dict(n_critic=1),
        # The stem's weights on the label channels act on a map that is
        # constant but for the zero-padded border, which the next instance
        # norm mostly removes: their gradient is near rounding noise that Adam
        # scales up (the image channel's weights agree exactly, measured), so
        # the stem kernel is bounded by 3 * lr per step like CycleGAN's inert biases.
        distribute=dict(inert=r"^stem_conv/kernel$"),
        # As CycleGAN's: the tiny generator instance-normalizes 2x2 maps, so
        # its gradient is ill-conditioned in low precision (0.31 under
        # bfloat16, 0.105 under float16 measured; the discriminator agrees
        # to 4 % and 0.1 %).
        mixed_precision=dict(ill_conditioned={0}),
    ),
    # One categorical and one continuous code; Q shares D's body, so D's
    # optimizer trains Q and G's objective holds the information term too.
    "infogan": Case(
        InfoGAN,
        dict(
            image_shape=(8, 8, 1),
            noise_dim=3,
            codes=[{"name": "digit", "kind": "categorical", "size": 3}, {"name": "slant", "kind": "continuous"}],
            generator_filters=2,
            discriminator_filters=2,
            dense_units=8,
            q_units=4,
            seed=2,
        ),
        ("serving_default", "generate", "infer_codes"),
        overrides={"distribute": dict(synchronized_batch_norm=True)},
        # As DCGAN's: G's gradient reaches it through D's BatchNorm in training
        # mode (and here through Q's head too); it differs from float32's by
        # 0.355 under bfloat16 and 0.288 under float16 (measured), 0.597
        # under bfloat16 on a CPU with native bfloat16 arithmetic
        # (AVX512-BF16). D's update, which holds Q's BatchNorm head, by 0.150
        # under bfloat16, at the default bound's edge.
        mixed_precision=dict(loose={0: 0.75, 1: 0.25}),
    ),
    # Trains on plain images: each step crops its own key patches.
    "part_to_whole": Case(
        PartToWholeGAN,
        dict(
            image_shape=(8, 8, 1),
            num_patches=2,
            patch_size=(3, 4),
            patch_input_size=4,
            latent_dim=3,
            code_dim=4,
            filters=2,
            discriminator_filters=2,
            place_patches=True,  # as the zoo entry
            ema_decay=0.9,  # the moving averages resume, mix and distribute too
            seed=1,
        ),
        ("serving_default", "complete"),
        # Synchronized BatchNorm: statistics over the global batch, as on one device.
        overrides={"distribute": dict(synchronized_batch_norm=True)},
    ),
}


def batch(model, n, seed=0):
    """A training batch for `model`, in the structure it trains on (a tuple)."""
    x = helpers.random_images(n, model.image_shape, seed=seed)
    if model.batch_structure == LABELED_IMAGES:
        return x, (np.arange(n) % model.num_classes).astype("int32")
    if model.batch_structure == IMAGE_PAIRS:
        return x, helpers.random_images(n, model.image_shape, seed=seed + 1)
    if model.batch_structure == DOMAIN_IMAGES:
        return x, (np.arange(n) % model.label_sizes[0]).astype("int32")
    return (x,)


def probe(model, n=3, seed=5):
    """(signature name, its inputs, the matching Python-side outputs) of a model."""
    rng = np.random.default_rng(seed)
    if model.batch_structure == DOMAIN_IMAGES:
        x = helpers.random_images(n, model.image_shape, seed=seed)
        targets = np.arange(n) % model.label_sizes[0]
        conditions = model.target_conditions(targets, n)
        return "translate", {"images": x, "target_labels": conditions}, model.translate(x, targets)
    if model.can(COMPLETE):
        patches = helpers.random_images(n * model.num_patches, model.patch_shape, seed=seed)
        patches = patches.reshape((n, model.num_patches) + model.patch_shape)
        latents = rng.uniform(-1, 1, (n, model.latent_dim)).astype("float32")
        return "complete", {"patches": patches, "latents": latents}, model.complete(patches, latents)[0]
    if model.can(TRANSLATE):
        x = helpers.random_images(n, model.image_shape, seed=seed)
        return "translate_b2a", {"images": x}, model.translate(x, "b2a")
    if model.can(RECONSTRUCT):
        x = helpers.random_images(n, model.image_shape, seed=seed)
        return "reconstruct", {"images": x}, model.reconstruct(x)
    if model.can(CODES):
        z = rng.uniform(-1, 1, (n, model.noise_dim)).astype("float32")
        values = {
            c["name"]: (np.arange(n) % c["size"]).astype("int32")
            if c["kind"] == "categorical"
            else rng.uniform(-1, 1, n).astype("float32")
            for c in model.codes
        }
        latents = np.concatenate([z, model.code_values(n, values)], axis=1)
        return "generate", {"latents": z, **values}, model.decode_in_batches(latents)
    z = rng.normal(size=(n, model.latent_dim)).astype("float32")
    if model.batch_structure == LABELED_IMAGES:
        labels = (np.arange(n) % model.num_classes).astype("int32")
        return "generate", {"latents": z, "labels": labels}, model.generate_from_latents(z, labels)
    return "generate", {"latents": z}, model.decode_in_batches(z)
