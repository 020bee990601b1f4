"""CycleGAN: unpaired image-to-image translation (Zhu et al., 2017)."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kerasgen import losses
from kerasgen.images import rows_above
from kerasgen.models.base import (
    IMAGE_PAIRS,
    TRANSLATE,
    GenerativeModel,
    checked_ema_decay,
    moving_average_copy,
)
from kerasgen.models.cyclegan.image_pool import ImagePool
from kerasgen.models.cyclegan.networks import patchgan_discriminator, resnet_generator

DIRECTIONS = ("a2b", "b2a")


@keras.saving.register_keras_serializable(package="kerasgen")
class CycleGAN(GenerativeModel):
    """CycleGAN: two generators and two discriminators trained together.

    `generator_ab` (the paper's G) maps domain A to B and `generator_ba`
    (F) maps B to A; `discriminator_b` (D_Y) judges B images, real or G's,
    and `discriminator_a` (D_X) judges A images. One `train_step` on a batch
    `(images_a, images_b)` of unpaired images:

    1. G step: both generators minimize
       MSE(D_B(G(a)), 1) + MSE(D_A(F(b)), 1)
       + lambda * (|F(G(a)) - a| + |G(F(b)) - b|)
       + lambda_identity * lambda * (|G(b) - b| + |F(a) - a|),
       with the discriminators fixed (only the generators' weights move).
    2. D step: each discriminator minimizes
       0.5 * (MSE(D(real), 1) + MSE(D(fake), 0)), where the fakes come from
       a history pool of 50 past generated images (`pool_a`, `pool_b`).

    Every term is a per-example mean averaged over the global batch.
    Metrics: `g_loss` and `f_loss` (the generators' adversarial terms),
    `d_a_loss`, `d_b_loss`, `cycle` and `identity` (unweighted L1, summed
    over both directions), and `loss`, the generators' total objective plus
    both discriminator losses (what `TerminateOnNaN` watches).

    The defaults are the paper's: ResNet generators with 64 filters and 6
    residual blocks up to 128 px (9 above), 70x70 PatchGAN discriminators
    with 64 filters, pool size 50. `compile()` gives Adam(2e-4, beta_1=0.5)
    for both pairs, lambda = 10 and identity weight 0.5 * lambda; pass
    `total_steps` for the paper's schedule (constant for the first half,
    then linear to 0).

    Args:
        image_shape: `(height, width, channels)` of both domains (height and
            width divisible by 4).
        filters: generator filters (`ngf`, 64 in the paper).
        discriminator_filters: discriminator filters (`ndf`, 64).
        num_residual_blocks: generator residual blocks; None picks the
            paper's 6 for images up to 128 px and 9 above.
        discriminator_layers: strided discriminator layers (3: 70x70 patches).
        pool_size: history pool capacity per direction (50; 0 disables it).
        ema_decay: None, or the decay in (0, 1) of an exponential moving
            average of both generators, updated after every generator step
            (with the GAN family's warm-up); `translate` and the exported
            signatures then use the averages. Not in the paper.
        seed: seed of the model's random draws (the pools).
        generator_ab, generator_ba, discriminator_a, discriminator_b:
            optional Keras models replacing the default networks.

    Example:
    >>> model = kerasgen.models.CycleGAN(image_shape=(256, 256, 3))
    >>> ds = kerasgen.data.unpaired("horses/", "zebras/", model.image_shape, augment=True)
    >>> model.compile(total_steps=200 * int(ds.cardinality()))
    >>> model.fit(ds, epochs=200)
    >>> zebras = model.translate(horses, direction="a2b")
    """

    metric_names = ("loss", "g_loss", "f_loss", "d_a_loss", "d_b_loss", "cycle", "identity")
    capabilities = frozenset({TRANSLATE})
    batch_structure = IMAGE_PAIRS
    optimizer_roles = {
        "generator_optimizer": ("generator_ab", "generator_ba"),
        "discriminator_optimizer": ("discriminator_a", "discriminator_b"),
    }
    main_optimizer_role = "generator_optimizer"

    def __init__(
        self,
        image_shape=(256, 256, 3),
        filters=64,
        discriminator_filters=64,
        num_residual_blocks=None,
        discriminator_layers=3,
        pool_size=50,
        ema_decay=None,
        seed=None,
        generator_ab=None,
        generator_ba=None,
        discriminator_a=None,
        discriminator_b=None,
        **kwargs,
    ):
        kwargs.pop("latent_dim", None)
        super().__init__(image_shape=image_shape, latent_dim=1, seed=seed, **kwargs)
        self.filters = int(filters)
        self.discriminator_filters = int(discriminator_filters)
        if num_residual_blocks is None:
            num_residual_blocks = 6 if max(self.image_shape[:2]) <= 128 else 9
        self.num_residual_blocks = int(num_residual_blocks)
        self.discriminator_layers = int(discriminator_layers)
        self.pool_size = int(pool_size)
        self.ema_decay = checked_ema_decay(ema_decay)
        if min(self.filters, self.discriminator_filters, self.discriminator_layers) < 1 or self.num_residual_blocks < 0:
            raise ValueError(
                "filters, discriminator_filters and discriminator_layers must be >= 1 and "
                f"num_residual_blocks >= 0; got {filters}, {discriminator_filters}, "
                f"{discriminator_layers}, {num_residual_blocks}."
            )
        self.add_network(
            "generator_ab",
            generator_ab,
            lambda: resnet_generator(self.image_shape, self.filters, self.num_residual_blocks, name="generator_ab"),
        )
        self.add_network(
            "generator_ba",
            generator_ba,
            lambda: resnet_generator(self.image_shape, self.filters, self.num_residual_blocks, name="generator_ba"),
        )
        self.add_network(
            "discriminator_a",
            discriminator_a,
            lambda: patchgan_discriminator(
                self.image_shape, self.discriminator_filters, self.discriminator_layers, name="discriminator_a"
            ),
        )
        self.add_network(
            "discriminator_b",
            discriminator_b,
            lambda: patchgan_discriminator(
                self.image_shape, self.discriminator_filters, self.discriminator_layers, name="discriminator_b"
            ),
        )
        # pool_a holds past F(b) (fake A images for discriminator_a);
        # pool_b holds past G(a) (fake B images for discriminator_b).
        self.pool_a = ImagePool(self.pool_size, self.image_shape, self.seed_generator, name="pool_a")
        self.pool_b = ImagePool(self.pool_size, self.image_shape, self.seed_generator, name="pool_b")
        if self.ema_decay is not None:
            self.ema_generator_ab = moving_average_copy(self.generator_ab, "ema_generator_ab")
            self.ema_generator_ba = moving_average_copy(self.generator_ba, "ema_generator_ba")
        self.cycle_weight = 10.0
        self.identity_weight = 0.5
        self.built = True

    # -- networks -------------------------------------------------------------

    @property
    def generator_variables(self):
        return self.generator_ab.trainable_variables + self.generator_ba.trainable_variables

    @property
    def discriminator_variables(self):
        return self.discriminator_a.trainable_variables + self.discriminator_b.trainable_variables

    def count_params(self):
        """Weights of the four networks (the history pools' buffers are state, not parameters)."""
        networks = (self.generator_ab, self.generator_ba, self.discriminator_a, self.discriminator_b)
        return int(sum(network.count_params() for network in networks))

    # -- training -------------------------------------------------------------

    def compile(
        self,
        generator_optimizer=None,
        discriminator_optimizer=None,
        total_steps=None,
        cycle_weight=10.0,
        identity_weight=0.5,
        **kwargs,
    ):
        """Compiles with the paper's recipe unless told otherwise.

        Args:
            generator_optimizer: optimizer of both generators (default
                Adam(2e-4, beta_1=0.5), with the `LinearDecay` schedule when
                `total_steps` is given).
            discriminator_optimizer: optimizer of both discriminators (same
                default).
            total_steps: steps of the whole run (epochs * steps per epoch);
                the default optimizers then keep 2e-4 for the first half and
                decay it linearly to 0. None keeps 2e-4 throughout.
            cycle_weight: lambda, weight of both cycle-consistency terms (10).
            identity_weight: identity loss weight relative to lambda (0.5, so
                5 in total); 0 switches the identity loss off.
            **kwargs: passed to `keras.Model.compile` (e.g. `steps_per_execution`).
        """
        self.cycle_weight = float(cycle_weight)
        self.identity_weight = float(identity_weight)
        super().compile(
            generator_optimizer=generator_optimizer,
            discriminator_optimizer=discriminator_optimizer,
            total_steps=total_steps,
            **kwargs,
        )
        self.add_compile_args(cycle_weight=self.cycle_weight, identity_weight=self.identity_weight)

    def default_optimizer(self, role):
        """Adam(2e-4, beta_1=0.5), with the `LinearDecay` schedule when `total_steps` was given."""
        return keras.optimizers.Adam(self.decayed(2e-4), beta_1=0.5)

    def unpack_pair(self, data):
        """(images_a, images_b) from a batch of `kerasgen.data.unpaired`."""
        if isinstance(data, dict):
            data = (data["a"], data["b"])
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise ValueError(
                "CycleGAN trains on batches (images_a, images_b) of unpaired images; "
                "build them with kerasgen.data.unpaired(a, b, image_shape)."
            )
        return (
            self.prepare_images(data[0], "domain 'a' images"),
            self.prepare_images(data[1], "domain 'b' images"),
        )

    def generator_terms(self, real_a, real_b, training=True):
        """Per-example generator terms and the generated images."""
        fake_b = self.generator_ab(real_a, training=training)
        fake_a = self.generator_ba(real_b, training=training)
        rec_a = self.generator_ba(fake_b, training=training)
        rec_b = self.generator_ab(fake_a, training=training)
        # The reference's G adversarial term is MSE(D(G(x)), 1) with no 0.5;
        # kerasgen's least_squares_generator_loss carries TF-GAN's 0.5.
        g_adv = 2.0 * losses.least_squares_generator_loss(
            self.discriminator_b(fake_b, training=training), per_example=True
        )
        f_adv = 2.0 * losses.least_squares_generator_loss(
            self.discriminator_a(fake_a, training=training), per_example=True
        )
        cycle = losses.cycle_consistency_loss(real_a, rec_a, per_example=True) + losses.cycle_consistency_loss(
            real_b, rec_b, per_example=True
        )
        if self.identity_weight > 0:
            identity = losses.identity_loss(
                real_b, self.generator_ab(real_b, training=training), per_example=True
            ) + losses.identity_loss(real_a, self.generator_ba(real_a, training=training), per_example=True)
        else:
            identity = tf.zeros_like(cycle)
        total = g_adv + f_adv + self.cycle_weight * cycle + self.identity_weight * self.cycle_weight * identity
        terms = {"g_loss": g_adv, "f_loss": f_adv, "cycle": cycle, "identity": identity, "generator_total": total}
        return terms, fake_a, fake_b

    @staticmethod
    def discriminator_loss(discriminator, real, fake, training=True):
        """Per-example 0.5 * (MSE(D(real), 1) + MSE(D(fake), 0)), the reference's D loss."""
        return losses.least_squares_discriminator_loss(
            discriminator(real, training=training), discriminator(fake, training=training), per_example=True
        )

    def generator_step(self, real_a, real_b):
        """One update of both generators with the discriminators fixed.

        Returns the per-example terms and the fakes `(fake_a, fake_b)` of
        this forward pass.
        """
        with tf.GradientTape() as tape:
            terms, fake_a, fake_b = self.generator_terms(real_a, real_b, training=True)
        self.minimize(
            "generator loss", self.generator_optimizer, tape, terms["generator_total"], self.generator_variables
        )
        self.update_ema()
        return terms, fake_a, fake_b

    def discriminator_step(self, real_a, real_b, fake_a, fake_b):
        """One update of both discriminators on pooled fakes; returns per-example losses."""
        pooled_a = self.pool_a.query(fake_a)
        pooled_b = self.pool_b.query(fake_b)
        with tf.GradientTape() as tape:
            d_a = self.discriminator_loss(self.discriminator_a, real_a, pooled_a)
            d_b = self.discriminator_loss(self.discriminator_b, real_b, pooled_b)
            d_total = d_a + d_b
        self.minimize("discriminator loss", self.discriminator_optimizer, tape, d_total, self.discriminator_variables)
        return d_a, d_b

    def train_step(self, data):
        real_a, real_b = self.unpack_pair(data)
        # G step first (discriminators fixed), then the D step on the fakes
        # of the same forward pass, through the history pools.
        terms, fake_a, fake_b = self.generator_step(real_a, real_b)
        d_a, d_b = self.discriminator_step(real_a, real_b, fake_a, fake_b)
        return self._report(terms, d_a, d_b)

    def test_step(self, data):
        real_a, real_b = self.unpack_pair(data)
        terms, fake_a, fake_b = self.generator_terms(real_a, real_b, training=False)
        d_a = self.discriminator_loss(self.discriminator_a, real_a, fake_a, training=False)
        d_b = self.discriminator_loss(self.discriminator_b, real_b, fake_b, training=False)
        return self._report(terms, d_a, d_b)

    def _report(self, terms, d_a, d_b):
        return self.update_metrics(
            {
                "loss": terms["generator_total"] + d_a + d_b,
                "g_loss": terms["g_loss"],
                "f_loss": terms["f_loss"],
                "d_a_loss": d_a,
                "d_b_loss": d_b,
                "cycle": terms["cycle"],
                "identity": terms["identity"],
            }
        )

    def call(self, images, training=False):
        return self.generator_ab(images, training=training)

    def averaged_networks(self):
        """`(generator, its moving average)` for G and F with `ema_decay`, else none."""
        if self.ema_decay is None:
            return []
        return [(self.generator_ab, self.ema_generator_ab), (self.generator_ba, self.ema_generator_ba)]

    def translator(self, direction):
        """The network that translates in `direction`: G or F, their moving averages with `ema_decay`."""
        prefix = "ema_" if self.ema_decay is not None else ""
        return getattr(self, prefix + ("generator_ab" if direction == "a2b" else "generator_ba"))

    # -- inference ------------------------------------------------------------

    def translate(self, images, direction="a2b", batch_size=32):
        """Translates images between the two domains.

        Args:
            images: batch `(n,) + image_shape`, float in [-1, 1] or uint8.
            direction: `"a2b"` (G) or `"b2a"` (F).
            batch_size: images translated at once.

        Returns:
            float32 numpy array of the same shape, in [-1, 1].
        """
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}; got {direction!r}.")
        images = self.prepare_images(images)
        network = self.translator(direction)
        outs = [
            ops.convert_to_numpy(ops.cast(network(images[i : i + batch_size], training=False), "float32"))
            for i in range(0, int(images.shape[0]), int(batch_size))
        ]
        return np.concatenate(outs, axis=0)

    def sample_figures(self, latents=None, images=None):
        """Domain-A `images` above their translations G(a) (when images are given)."""
        if images is None:
            return {}
        return {"translations": rows_above(images, self.translate(images, "a2b"))}

    def generate(self, n, seed=None, batch_size=256):
        raise NotImplementedError("CycleGAN translates images and has no prior to sample: use translate().")

    def sample_latents(self, n, seed=None):
        raise NotImplementedError("CycleGAN has no latent space: use translate().")

    # -- export and config ----------------------------------------------------

    def export_signatures(self):
        def translate_a2b(images):
            return {"images": ops.cast(self.translator("a2b")(images, training=False), "float32")}

        def translate_b2a(images):
            return {"images": ops.cast(self.translator("b2a")(images, training=False), "float32")}

        return {
            "serving_default": (translate_a2b, [self.image_spec()]),
            "translate_a2b": (translate_a2b, [self.image_spec()]),
            "translate_b2a": (translate_b2a, [self.image_spec()]),
        }

    def get_config(self):
        config = super().get_config()
        config.pop("latent_dim", None)
        config.update(
            filters=self.filters,
            discriminator_filters=self.discriminator_filters,
            num_residual_blocks=self.num_residual_blocks,
            discriminator_layers=self.discriminator_layers,
            pool_size=self.pool_size,
            ema_decay=self.ema_decay,
        )
        return config
