"""CycleGAN: unpaired image-to-image translation (Zhu et al., 2017)."""

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from kerasgen import losses
from kerasgen.layers import InstanceNormalization, ReflectionPadding2D, ResidualBlock
from kerasgen.models.base import GenerativeModel
from kerasgen.models.image_pool import ImagePool
from kerasgen.models.linear_decay import LinearDecay
from kerasgen.models.networks import check_divisible, deserialize_network, serialize_network

DIRECTIONS = ("a2b", "b2a")


def _normal():
    # A fresh initializer per layer: one unseeded instance shared by several
    # layers would give them identical weights.
    return keras.initializers.RandomNormal(0.0, 0.02)


def _conv(filters, kernel_size, strides=1, name=None):
    return layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="valid",
        kernel_initializer=_normal(),
        bias_initializer="zeros",
        name=name,
    )


def resnet_generator(image_shape, filters=64, num_residual_blocks=9, output_channels=None, name="generator"):
    """CycleGAN's ResNet generator (reference `ResnetGenerator`).

    reflect-pad 3, conv 7x7 (`filters`), IN, ReLU; two 3x3 stride-2
    convolutions (2x and 4x `filters`), IN, ReLU; `num_residual_blocks`
    residual blocks; two 3x3 stride-2 transposed convolutions back to
    `filters`, IN, ReLU; reflect-pad 3, conv 7x7, tanh. Instance norm has no
    affine parameters, convolutions keep their biases, weights ~ N(0, 0.02).
    Padding matches the reference exactly: 1 pixel of zeros around the
    strided convolutions, and transposed convolutions cropped like PyTorch's
    `padding=1, output_padding=1`.

    Args:
        image_shape: `(height, width, channels)`; height and width divisible by 4.
        filters: filters of the first layer (`ngf`, 64 in the paper).
        num_residual_blocks: 6 for 128 px, 9 for 256 px in the paper.
        output_channels: channels of the output (default: the input's).
        name: name of the model.
    """
    check_divisible(image_shape, 2, "The CycleGAN generator")
    output_channels = int(output_channels or image_shape[-1])
    inputs = keras.Input(tuple(image_shape), name="images")
    x = ReflectionPadding2D(3, name="stem_pad")(inputs)
    x = _conv(filters, 7, name="stem_conv")(x)
    x = InstanceNormalization(name="stem_norm")(x)
    x = layers.ReLU(name="stem_relu")(x)
    for i, mult in enumerate((2, 4)):
        x = layers.ZeroPadding2D(1, name=f"down_{i}_pad")(x)
        x = _conv(filters * mult, 3, strides=2, name=f"down_{i}_conv")(x)
        x = InstanceNormalization(name=f"down_{i}_norm")(x)
        x = layers.ReLU(name=f"down_{i}_relu")(x)
    for i in range(num_residual_blocks):
        x = ResidualBlock(filters * 4, name=f"residual_{i}")(x)
    for i, mult in enumerate((2, 1)):
        x = layers.Conv2DTranspose(
            filters * mult,
            3,
            strides=2,
            padding="valid",
            kernel_initializer=_normal(),
            bias_initializer="zeros",
            name=f"up_{i}_conv",
        )(x)
        # (h - 1) * 2 + 3 = 2h + 1 rows; PyTorch's padding=1, output_padding=1
        # drops the first row and column.
        x = layers.Cropping2D(((1, 0), (1, 0)), name=f"up_{i}_crop")(x)
        x = InstanceNormalization(name=f"up_{i}_norm")(x)
        x = layers.ReLU(name=f"up_{i}_relu")(x)
    x = ReflectionPadding2D(3, name="out_pad")(x)
    x = _conv(output_channels, 7, name="out_conv")(x)
    outputs = layers.Activation("tanh", dtype="float32", name="tanh")(x)
    return keras.Model(inputs, outputs, name=name)


def patchgan_discriminator(image_shape, filters=64, num_layers=3, name="discriminator"):
    """CycleGAN's 70x70 PatchGAN (reference `NLayerDiscriminator`, n_layers=3).

    conv 4x4 stride 2 (`filters`), LeakyReLU(0.2); `num_layers - 1` more
    4x4 stride-2 convolutions doubling the filters (at most 8x), IN,
    LeakyReLU; a 4x4 stride-1 convolution (8x), IN, LeakyReLU; a 4x4
    stride-1 convolution to one score per patch (no activation: LSGAN).
    Every convolution pads 1 pixel of zeros, as in the reference; with three
    strided layers each output sees a 70x70 patch of the input.

    Args:
        image_shape: `(height, width, channels)`.
        filters: filters of the first layer (`ndf`, 64 in the paper).
        num_layers: strided layers (3 for the 70x70 PatchGAN).
        name: name of the model.
    """
    size = min(image_shape[:2])
    for _ in range(num_layers):
        size = (size - 2) // 2 + 1
    if size - 2 < 1:
        raise ValueError(
            f"Images of {tuple(image_shape[:2])} px are too small for a PatchGAN with {num_layers} strided "
            "layers (its output would be empty); use fewer discriminator_layers or larger images."
        )
    inputs = keras.Input(tuple(image_shape), name="images")
    x = layers.ZeroPadding2D(1, name="conv_0_pad")(inputs)
    x = _conv(filters, 4, strides=2, name="conv_0")(x)
    x = layers.LeakyReLU(0.2, name="conv_0_lrelu")(x)
    for i in range(1, num_layers + 1):
        mult = min(2**i, 8)
        strides = 2 if i < num_layers else 1
        x = layers.ZeroPadding2D(1, name=f"conv_{i}_pad")(x)
        x = _conv(filters * mult, 4, strides=strides, name=f"conv_{i}")(x)
        x = InstanceNormalization(name=f"conv_{i}_norm")(x)
        x = layers.LeakyReLU(0.2, name=f"conv_{i}_lrelu")(x)
    # The reference's last convolution before the output is stride 1 and
    # uses min(2**n_layers, 8) filters; the loop's last iteration is that layer.
    x = layers.ZeroPadding2D(1, name="out_pad")(x)
    outputs = _conv(1, 4, name="out_conv")(x)
    return keras.Model(inputs, outputs, name=name)


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

    def __init__(
        self,
        image_shape=(256, 256, 3),
        filters=64,
        discriminator_filters=64,
        num_residual_blocks=None,
        discriminator_layers=3,
        pool_size=50,
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
        if min(self.filters, self.discriminator_filters, self.discriminator_layers) < 1 or self.num_residual_blocks < 0:
            raise ValueError(
                "filters, discriminator_filters and discriminator_layers must be >= 1 and "
                f"num_residual_blocks >= 0; got {filters}, {discriminator_filters}, "
                f"{discriminator_layers}, {num_residual_blocks}."
            )
        custom = dict(
            generator_ab=generator_ab,
            generator_ba=generator_ba,
            discriminator_a=discriminator_a,
            discriminator_b=discriminator_b,
        )
        self._custom = {k: v is not None for k, v in custom.items()}
        self.generator_ab = deserialize_network(generator_ab) or resnet_generator(
            self.image_shape, self.filters, self.num_residual_blocks, name="generator_ab"
        )
        self.generator_ba = deserialize_network(generator_ba) or resnet_generator(
            self.image_shape, self.filters, self.num_residual_blocks, name="generator_ba"
        )
        self.discriminator_a = deserialize_network(discriminator_a) or patchgan_discriminator(
            self.image_shape, self.discriminator_filters, self.discriminator_layers, name="discriminator_a"
        )
        self.discriminator_b = deserialize_network(discriminator_b) or patchgan_discriminator(
            self.image_shape, self.discriminator_filters, self.discriminator_layers, name="discriminator_b"
        )
        # pool_a holds past F(b) (fake A images for discriminator_a);
        # pool_b holds past G(a) (fake B images for discriminator_b).
        self.pool_a = ImagePool(self.pool_size, self.image_shape, self.seed_generator, name="pool_a")
        self.pool_b = ImagePool(self.pool_size, self.image_shape, self.seed_generator, name="pool_b")
        self.cycle_weight = 10.0
        self.identity_weight = 0.5
        self.generator_optimizer = None
        self.discriminator_optimizer = None
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

        def default():
            lr = 2e-4 if total_steps is None else LinearDecay(2e-4, int(total_steps))
            return keras.optimizers.Adam(lr, beta_1=0.5)

        generator_optimizer = keras.optimizers.get(generator_optimizer) if generator_optimizer else default()
        discriminator_optimizer = (
            keras.optimizers.get(discriminator_optimizer) if discriminator_optimizer else default()
        )
        if generator_optimizer is discriminator_optimizer:
            raise ValueError("generator_optimizer and discriminator_optimizer must be two different optimizers.")
        # Loss scaling for each of the two under mixed_float16.
        self.generator_optimizer = self.loss_scaled(generator_optimizer, kwargs.get("auto_scale_loss", True))
        self.discriminator_optimizer = self.loss_scaled(discriminator_optimizer, kwargs.get("auto_scale_loss", True))
        self.cycle_weight = float(cycle_weight)
        self.identity_weight = float(identity_weight)
        super().compile(optimizer=self.generator_optimizer, **kwargs)
        # Create both optimizers' slots now, in the caller's strategy scope:
        # an optimizer first built inside a replica's step fails under
        # MirroredStrategy (Keras builds only `self.optimizer` ahead).
        self.build_optimizers()
        self.set_compile_args(
            generator_optimizer=self.generator_optimizer,
            discriminator_optimizer=self.discriminator_optimizer,
            cycle_weight=self.cycle_weight,
            identity_weight=self.identity_weight,
        )

    def get_compile_config(self):
        if not self.compiled or self._compile_args is None:
            return {}
        args = dict(self._compile_args)
        return {
            "generator_optimizer": keras.saving.serialize_keras_object(args["generator_optimizer"]),
            "discriminator_optimizer": keras.saving.serialize_keras_object(args["discriminator_optimizer"]),
            "cycle_weight": args["cycle_weight"],
            "identity_weight": args["identity_weight"],
        }

    def optimizer_variables(self):
        return [
            (self.generator_optimizer, self.generator_variables),
            (self.discriminator_optimizer, self.discriminator_variables),
        ]

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
            g_total = self.average_loss(terms["generator_total"])
            scaled = self.generator_optimizer.scale_loss(g_total)
        check = self.check_finite("generator loss", g_total)
        self.apply_checked(self.generator_optimizer, tape, scaled, self.generator_variables, check)
        return terms, fake_a, fake_b

    def discriminator_step(self, real_a, real_b, fake_a, fake_b):
        """One update of both discriminators on pooled fakes; returns per-example losses."""
        pooled_a = self.pool_a.query(fake_a)
        pooled_b = self.pool_b.query(fake_b)
        with tf.GradientTape() as tape:
            d_a = self.discriminator_loss(self.discriminator_a, real_a, pooled_a)
            d_b = self.discriminator_loss(self.discriminator_b, real_b, pooled_b)
            d_total = self.average_loss(d_a + d_b)
            scaled = self.discriminator_optimizer.scale_loss(d_total)
        check = self.check_finite("discriminator loss", d_total)
        self.apply_checked(self.discriminator_optimizer, tape, scaled, self.discriminator_variables, check)
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
        network = self.generator_ab if direction == "a2b" else self.generator_ba
        outs = [
            ops.convert_to_numpy(ops.cast(network(images[i : i + batch_size], training=False), "float32"))
            for i in range(0, int(images.shape[0]), int(batch_size))
        ]
        return np.concatenate(outs, axis=0)

    def generate(self, n, seed=None, batch_size=256):
        raise NotImplementedError("CycleGAN translates images and has no prior to sample: use translate().")

    def sample_latents(self, n, seed=None):
        raise NotImplementedError("CycleGAN has no latent space: use translate().")

    # -- export and config ----------------------------------------------------

    def export_signatures(self):
        def translate_a2b(images):
            return {"images": ops.cast(self.generator_ab(images, training=False), "float32")}

        def translate_b2a(images):
            return {"images": ops.cast(self.generator_ba(images, training=False), "float32")}

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
        )
        for name, is_custom in self._custom.items():
            config[name] = serialize_network(getattr(self, name)) if is_custom else None
        return config
