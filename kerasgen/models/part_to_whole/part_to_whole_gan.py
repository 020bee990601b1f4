"""The part-to-whole GAN ("Puzzle-GAN"): the whole image from a few key local patches (Lee et al., 2018)."""

import keras
import numpy as np
import tensorflow as tf

from kerasgen import data, distribute, losses
from kerasgen.models.base import COMPLETE, GenerativeModel, checked_ema_decay, moving_average_copy
from kerasgen.models.part_to_whole import networks

SPATIAL_LOSSES = ("l1", "bce")
# The networks that draw a completion; with `ema_decay` each has a moving average.
COMPLETING_NETWORKS = ("patch_encoder", "mask_decoder", "image_generator")


@keras.saving.register_keras_serializable(package="kerasgen")
class PartToWholeGAN(GenerativeModel):
    """Part-to-whole GAN ("Puzzle-GAN"): generates a whole image from K key patches and says where each belongs.

    Lee, Yun, Choi, Yoo, Yang & Oh, "Unsupervised Holistic Image Generation
    from Key Local Patches", ECCV 2018. Given K patches of an object, without
    their positions and in any order, a shared encoder codes each patch, the
    codes are summed (order-invariant), a mask decoder predicts each patch's
    position in the whole image, and an image generator draws the image from
    the pooled code, a noise vector and the mask decoder's feature maps.
    The discriminator judges an image together with the true positions of
    its patches (the union of their masks).

    Training needs images only: each step crops K patches from every image
    (`kerasgen.data.crop_key_patches`: random sizes in `patch_size`, centres
    drawn where the image has edges), so their true positions are known.
    With M the true patch masks, M^ the predicted ones (their union where
    one map is needed), x the image, x' another image of the batch and
    G the generated image, one `fit` step:

    - D minimizes BCE(D(x, M), 1) + BCE(D(G, M), 0)
      + BCE(D(x M + x' (1 - M), M), 0) + BCE(D(x' M + x (1 - M), M), 0):
      the last two, real parts in another image's background and the
      reverse, teach D that parts and whole must agree;
    - the encoder, mask decoder and generator minimize the non-saturating
      BCE(D(G, M), 1) + lambda_spatial * |M^ - M|_1
      + lambda_appearance * |G M^ - x M|_1 (means over pixels), and, with
      `compile(reconstruction_weight=...)` (0 in the paper), that weight
      times the L1 between the whole completion and x, and, with
      `compile(drawn_patch_weight=...)` (0 in the paper; `place_patches`
      only), that weight times the L1 between the completion and the
      patches where they are drawn.

    Metrics: `loss` (d_loss + g_loss), `d_loss`, `g_loss`, `g_adv`,
    `spatial` (the mask L1), `appearance` (the patch L1), `reconstruction`
    (the whole-image L1 |G - x|), `drawn_patch` (the L1 between G and the
    drawn patches inside their boxes), `d_real_accuracy`, `d_fake_accuracy`.

    Args:
        image_shape: `(height, width, channels)`; height and width divisible by 2.
        num_patches: K, key patches per image (3 in the paper).
        patch_size: side length, or `(min, max)` side lengths, of the
            training patches in pixels.
        patch_input_size: side the patches are resized to for the encoder
            (default: the image height, as the reference resizes each part
            to the image size).
        latent_dim: size of the noise z (uniform in [-1, 1]).
        code_dim: size of a patch code (the reference's `part_embed_dim`).
        filters: base filters of the encoder, mask decoder and generator.
        discriminator_filters: base filters of the discriminator.
        informative_patches: draw training patch centres where the image has
            edges (False: uniformly).
        place_patches: also give the generator the key patches drawn where
            its masks put them (`kerasgen.models.part_to_whole.patches_at_masks`),
            so it can copy their pixels instead of redrawing them from the
            codes. Not in the paper, whose generator sees the patches only
            through their codes.
        synchronized_batch_norm: BatchNorm statistics over the global batch
            under a multi-replica strategy.
        ema_decay: None, or the decay in (0, 1) of an exponential moving
            average of the encoder, mask decoder and generator, updated after
            every step (with the GAN family's warm-up); `complete` and the
            exported signature then use the averages. Not in the paper.
        seed: seed of the model's random draws and initializers.
        patch_encoder, mask_decoder, image_generator, discriminator: optional
            Keras models replacing the default networks (see `networks.py`
            for their inputs and outputs).

    Example:
    >>> model = kerasgen.models.PartToWholeGAN(image_shape=(28, 28, 1), num_patches=3, patch_size=12)
    >>> model.compile()
    >>> model.fit(kerasgen.data.dataset(digits, model.image_shape, batch_size=64), epochs=1)
    >>> patches, boxes = kerasgen.data.key_patches(digits[:8], 3, 12)
    >>> images, masks = model.complete(patches, seed=0)
    """

    metric_names = (
        "loss",
        "d_loss",
        "g_loss",
        "g_adv",
        "spatial",
        "appearance",
        "reconstruction",
        "drawn_patch",
        "d_real_accuracy",
        "d_fake_accuracy",
    )
    capabilities = frozenset({COMPLETE})
    optimizer_roles = {
        "generator_optimizer": ("patch_encoder", "mask_decoder", "image_generator"),
        "discriminator_optimizer": ("discriminator",),
    }
    main_optimizer_role = "discriminator_optimizer"

    def __init__(
        self,
        image_shape=(64, 64, 3),
        num_patches=3,
        patch_size=(16, 32),
        patch_input_size=None,
        latent_dim=128,
        code_dim=128,
        filters=64,
        discriminator_filters=64,
        informative_patches=True,
        place_patches=False,
        synchronized_batch_norm=False,
        ema_decay=None,
        seed=None,
        patch_encoder=None,
        mask_decoder=None,
        image_generator=None,
        discriminator=None,
        **kwargs,
    ):
        super().__init__(image_shape=image_shape, latent_dim=latent_dim, seed=seed, **kwargs)
        height, width = self.image_shape[:2]
        _, steps = networks.layout(height)
        if steps < 1 or width % 2**steps:
            raise ValueError(
                f"PartToWholeGAN needs an image height divisible by 2 (28, 32, 64, ...) and a width divisible "
                f"by the same power of 2; got image_shape {self.image_shape}."
            )
        self.ema_decay = checked_ema_decay(ema_decay)
        if int(num_patches) < 1:
            raise ValueError(f"num_patches must be a positive int; got {num_patches}.")
        self.num_patches = int(num_patches)
        self.patch_size = data.check_patch_size(patch_size, self.image_shape)
        self.patch_input_size = int(patch_input_size or height)
        if self.patch_input_size < 1:
            raise ValueError(f"patch_input_size must be a positive int; got {patch_input_size}.")
        self.code_dim = int(code_dim)
        self.filters = int(filters)
        self.discriminator_filters = int(discriminator_filters)
        self.informative_patches = bool(informative_patches)
        self.place_patches = bool(place_patches)
        self.synchronized_batch_norm = bool(synchronized_batch_norm)
        self.patch_shape = (self.patch_input_size, self.patch_input_size, self.image_shape[-1])
        sync = self.synchronized_batch_norm
        self.add_network(
            "patch_encoder",
            patch_encoder,
            lambda: networks.patch_encoder(self.patch_shape, self.code_dim, self.filters, seed, sync),
        )
        self.add_network(
            "mask_decoder",
            mask_decoder,
            lambda: networks.mask_decoder(self.image_shape, 2 * self.code_dim, self.filters, seed, sync),
        )
        self.add_network(
            "image_generator",
            image_generator,
            lambda: networks.image_generator(
                self.image_shape, self.code_dim + self.latent_dim, self.filters, seed, sync, self.place_patches
            ),
        )
        self.add_network(
            "discriminator",
            discriminator,
            lambda: networks.discriminator(self.image_shape, self.discriminator_filters, seed, sync),
        )
        if self.ema_decay is not None:
            for name in COMPLETING_NETWORKS:
                network = getattr(self, name)
                setattr(self, f"ema_{name}", moving_average_copy(network, f"ema_{network.name}"))
        self.spatial_weight = 10.0
        self.appearance_weight = 10.0
        self.reconstruction_weight = 0.0
        self.drawn_patch_weight = 0.0
        self.spatial_loss = "l1"
        self.built = True

    # -- compile --------------------------------------------------------------

    def compile(
        self,
        generator_optimizer=None,
        discriminator_optimizer=None,
        spatial_weight=10.0,
        appearance_weight=10.0,
        spatial_loss="l1",
        reconstruction_weight=0.0,
        drawn_patch_weight=0.0,
        **kwargs,
    ):
        """Compiles with Adam(2e-4, beta_1=0.5) for both players (the reference's settings).

        Args:
            generator_optimizer: optimizer of the encoder, mask decoder and generator.
            discriminator_optimizer: optimizer of the discriminator.
            spatial_weight: lambda_spatial, the weight of the mask loss.
            appearance_weight: lambda_appearance, the weight of the patch L1.
            spatial_loss: `"l1"` (the paper's) or `"bce"`, binary
                cross-entropy of each mask pixel. L1 on sigmoid masks pulls
                a pixel towards 1 only once the model is more than half sure
                it is inside the patch, and the saturated sigmoid then
                stops the gradient; cross-entropy keeps it.
            reconstruction_weight: weight of an L1 between the whole
                completion and the image the patches came from (0: the
                paper's objective, which compares the two only inside the
                patches). A departure for completions that must keep the
                source's identity (the `part_to_whole` entry's class
                agreement), not only agree with the patches.
            drawn_patch_weight: weight of an L1 between the completion and
                the key patches inside the boxes where `place_patches` draws
                them (0: the paper's objective). The paper's appearance loss
                compares the completion under the *predicted* masks with the
                image under the *true* ones, so a mask one pixel off pulls the
                generator away from the pixels it was handed; this term asks
                it to keep them where it puts them. Needs `place_patches`.
            **kwargs: passed to `keras.Model.compile`.
        """
        if spatial_loss not in SPATIAL_LOSSES:
            raise ValueError(f"spatial_loss must be one of {SPATIAL_LOSSES}; got {spatial_loss!r}.")
        if not float(reconstruction_weight) >= 0:
            raise ValueError(f"reconstruction_weight must be >= 0; got {reconstruction_weight}.")
        if not float(drawn_patch_weight) >= 0:
            raise ValueError(f"drawn_patch_weight must be >= 0; got {drawn_patch_weight}.")
        if float(drawn_patch_weight) > 0 and not self.place_patches:
            raise ValueError(
                f"drawn_patch_weight={drawn_patch_weight} needs a model built with place_patches=True: "
                "without it no patches are drawn into the completion."
            )
        self.reconstruction_weight = float(reconstruction_weight)
        self.drawn_patch_weight = float(drawn_patch_weight)
        self.spatial_weight, self.appearance_weight = float(spatial_weight), float(appearance_weight)
        self.spatial_loss = spatial_loss
        super().compile(
            generator_optimizer=generator_optimizer, discriminator_optimizer=discriminator_optimizer, **kwargs
        )
        self.add_compile_args(
            spatial_weight=self.spatial_weight,
            appearance_weight=self.appearance_weight,
            spatial_loss=spatial_loss,
            reconstruction_weight=self.reconstruction_weight,
            drawn_patch_weight=self.drawn_patch_weight,
        )

    def default_optimizer(self, role):
        """Adam(2e-4, beta_1=0.5, beta_2=0.999), the reference code's setting for both players."""
        return keras.optimizers.Adam(self.decayed(2e-4), beta_1=0.5, beta_2=0.999)

    # -- networks -------------------------------------------------------------

    def averaged_networks(self):
        """`(network, moving average)` of the encoder, mask decoder and generator with `ema_decay`, else none."""
        if self.ema_decay is None:
            return []
        return [(getattr(self, name), getattr(self, f"ema_{name}")) for name in COMPLETING_NETWORKS]

    def completing_networks(self, averaged=False):
        """The encoder, mask decoder and generator: their moving averages when `averaged` and `ema_decay` is set."""
        prefix = "ema_" if averaged and self.ema_decay is not None else ""
        return [getattr(self, prefix + name) for name in COMPLETING_NETWORKS]

    def complete_tensors(self, patches, latents, training=False, averaged=False):
        """(images, masks `(n, H, W, K)`) for patches `(n, K) + patch_shape` and latents `(n, latent_dim)` (in graph).

        `averaged` draws with the moving averages when the model keeps them
        (`complete` and the exported signature do; training does not).
        """
        images, masks, _ = self.complete_and_draw(patches, latents, training, averaged)
        return images, masks

    def complete_and_draw(self, patches, latents, training=False, averaged=False):
        """`complete_tensors`' (images, masks) and the drawing the generator was given.

        The drawing is `patches_at_masks`' (canvas, coverage) with
        `place_patches`, None without it; training scores the completion
        against it (`drawn_patch_weight`).
        """
        patch_encoder, mask_decoder, image_generator = self.completing_networks(averaged)
        n = tf.shape(patches)[0]
        k = self.num_patches
        flat = tf.reshape(patches, (-1,) + self.patch_shape)
        codes = tf.reshape(patch_encoder(flat, training=training), [n, k, self.code_dim])
        pooled = tf.reduce_sum(codes, axis=1)
        own_and_pooled = tf.concat([codes, tf.repeat(pooled[:, None, :], k, axis=1)], axis=-1)
        outputs = mask_decoder(tf.reshape(own_and_pooled, [n * k, 2 * self.code_dim]), training=training)
        features, masks = outputs[:-1], outputs[-1]
        height, width = self.image_shape[:2]
        masks = tf.transpose(tf.reshape(tf.cast(masks, tf.float32), [n, k, height, width]), [0, 2, 3, 1])
        guides = [tf.reduce_sum(tf.reshape(f, tf.concat([[n, k], tf.shape(f)[1:]], 0)), axis=1) for f in features]
        code = tf.concat([tf.cast(pooled, tf.float32), tf.cast(latents, tf.float32)], axis=-1)
        drawing = None
        if self.place_patches:
            # The masks are trained by the spatial and appearance losses only: no gradient through the drawing.
            drawing = patches_at_masks(patches, tf.stop_gradient(masks))
            guides.append(tf.concat(drawing, axis=-1))
        images = tf.cast(image_generator([code] + guides, training=training), tf.float32)
        return images, masks, drawing

    def judge(self, images, mask, training=False):
        """D's logits `(n,)` for images with the union `(n, H, W)` of the true patch masks."""
        inputs = tf.concat([images, tf.cast(mask[..., None], images.dtype)], axis=-1)
        return tf.reshape(tf.cast(self.discriminator(inputs, training=training), tf.float32), [-1])

    def call(self, inputs, training=False):
        """`(images, masks)` for `inputs = [patches, latents]`."""
        patches, latents = inputs
        return self.complete_tensors(patches, latents, training=training)

    def build_for_weights(self):
        return self

    # -- training -------------------------------------------------------------

    def training_patches(self, images):
        """Key patches of a batch and their true masks `(n, H, W, K)`; positions are global-batch draws."""
        n = tf.shape(images)[0]
        noise = self.normal_noise(tf.stack([n, self.num_patches, 2]), distribution="unit_uniform")
        patches, boxes = data.crop_key_patches(
            images, self.num_patches, self.patch_size, self.patch_input_size, noise, self.informative_patches
        )
        return patches, data.box_masks(boxes, *self.image_shape[:2])

    @staticmethod
    def other_images(images):
        """Each image's neighbour in the global batch (rolled by one), the background of the composites."""
        everything = distribute.global_batch_gather(images)
        return distribute.replica_rows(tf.roll(everything, 1, axis=0), tf.shape(images)[0])

    def forward(self, real, training):
        """One step's patches and completions: a dict of the true and predicted masks (each and their union) and the fakes."""
        patches, true_masks = self.training_patches(real)
        latents = self.normal_noise(tf.stack([tf.shape(real)[0], self.latent_dim]), distribution="uniform")
        fake, masks, drawing = self.complete_and_draw(patches, latents, training=training)
        # Without place_patches nothing is drawn: an empty coverage makes the drawn-patch term 0.
        drawn, coverage = drawing if drawing is not None else (fake, tf.zeros_like(fake))
        return {
            "drawn": drawn,
            "coverage": coverage,
            "fake": fake,
            "masks": masks,
            "true_masks": true_masks,
            "union": tf.reduce_max(true_masks, axis=-1),
            "predicted_union": tf.reduce_max(masks, axis=-1),
        }

    def discriminator_loss(self, real, fake, union, training=True):
        """Per-example D loss (real, fake and the two composites) and the real and fake logits."""
        other = self.other_images(real)
        inside = union[..., None]
        real_logits = self.judge(real, union, training)
        fake_logits = self.judge(fake, union, training)
        parts_in_other = self.judge(real * inside + other * (1.0 - inside), union, training)
        other_parts = self.judge(other * inside + real * (1.0 - inside), union, training)
        # BCE against "fake" is softplus(logit).
        composite = tf.math.softplus(parts_in_other) + tf.math.softplus(other_parts)
        fake_term = losses.modified_discriminator_loss(real_logits, fake_logits, per_example=True)
        return fake_term + composite, real_logits, fake_logits

    def generator_loss(self, real, step, training=True):
        """Per-example G terms: adversarial, spatial, appearance, whole-image L1, drawn-patch L1, and their weighted sum."""
        adversarial = losses.modified_generator_loss(
            self.judge(step["fake"], step["union"], training), per_example=True
        )
        if self.spatial_loss == "bce":
            pixels = keras.ops.binary_crossentropy(step["true_masks"], step["masks"])
        else:
            pixels = tf.abs(step["masks"] - step["true_masks"])
        spatial = tf.reduce_mean(pixels, axis=[1, 2, 3])
        generated_parts = step["fake"] * step["predicted_union"][..., None]
        appearance = tf.reduce_mean(tf.abs(generated_parts - real * step["union"][..., None]), axis=[1, 2, 3])
        reconstruction = tf.reduce_mean(tf.abs(step["fake"] - real), axis=[1, 2, 3])
        drawn_patch = tf.reduce_mean(tf.abs(step["fake"] - step["drawn"]) * step["coverage"], axis=[1, 2, 3])
        total = (
            adversarial
            + self.spatial_weight * spatial
            + self.appearance_weight * appearance
            + self.reconstruction_weight * reconstruction
            + self.drawn_patch_weight * drawn_patch
        )
        return {
            "g_loss": total,
            "g_adv": adversarial,
            "spatial": spatial,
            "appearance": appearance,
            "reconstruction": reconstruction,
            "drawn_patch": drawn_patch,
        }

    def train_step(self, data_):
        real = self.prepare_images(self.unpack(data_)[0])
        _, g_vars = self.optimizer_variables()[0]
        with tf.GradientTape() as g_tape:
            step = self.forward(real, training=True)
            with g_tape.stop_recording():
                with tf.GradientTape() as d_tape:
                    d_loss, real_logits, fake_logits = self.discriminator_loss(
                        real, tf.stop_gradient(step["fake"]), step["union"]
                    )
                d_loss = self.minimize(
                    "d_loss", self.discriminator_optimizer, d_tape, d_loss, self.discriminator.trainable_variables
                )
            g_terms = self.generator_loss(real, step)
        self.minimize("g_loss", self.generator_optimizer, g_tape, g_terms["g_loss"], g_vars)
        self.update_ema()
        return self._report(d_loss, g_terms, real_logits, fake_logits)

    def test_step(self, data_):
        real = self.prepare_images(self.unpack(data_)[0])
        step = self.forward(real, training=False)
        d_loss, real_logits, fake_logits = self.discriminator_loss(real, step["fake"], step["union"], training=False)
        g_terms = self.generator_loss(real, step, training=False)
        return self._report(self.average_loss(d_loss), g_terms, real_logits, fake_logits)

    def _report(self, d_loss, g_terms, real_logits, fake_logits):
        # d_loss is the global-batch mean on one replica's share (see average_loss):
        # scaled back to the global figure for the running means.
        replicas = tf.cast(tf.distribute.get_strategy().num_replicas_in_sync, tf.float32)
        d_loss = d_loss * replicas
        g_loss = tf.reduce_mean(g_terms["g_loss"])
        return self.update_metrics(
            {
                "loss": d_loss + g_loss,
                "d_loss": d_loss,
                **g_terms,
                "d_real_accuracy": tf.cast(real_logits > 0, tf.float32),
                "d_fake_accuracy": tf.cast(fake_logits < 0, tf.float32),
            }
        )

    # -- inference ------------------------------------------------------------

    def prepare_patches(self, patches):
        """Patches `(n, K, h, w, channels)` (uint8 or [-1, 1]) as float32 at the encoder's size; clear errors otherwise."""
        array = np.asarray(patches)
        if array.ndim != 5:
            raise ValueError(
                f"patches must be (n, {self.num_patches}, height, width, {self.image_shape[-1]}): K patches per image; "
                f"got shape {array.shape}."
            )
        n, k, h, w, c = array.shape
        if k != self.num_patches:
            raise ValueError(f"This model completes images from {self.num_patches} patches each; got {k} per image.")
        if c != self.image_shape[-1]:
            raise ValueError(f"patches have {c} channel(s) but the model's images have {self.image_shape[-1]}.")
        if h > self.image_shape[0] or w > self.image_shape[1]:
            raise ValueError(
                f"patches of {h}x{w} px are larger than the model's {self.image_shape[0]}x{self.image_shape[1]} images."
            )
        flat = data.to_model_range(array.reshape((n * k, h, w, c)), name="patches")
        if (h, w) != self.patch_shape[:2]:
            flat = tf.image.resize(flat, self.patch_shape[:2]).numpy() if n * k else flat[:, :1, :1]
        return np.asarray(flat, "float32").reshape((n, k) + self.patch_shape)

    def key_patches(self, images, seed=0):
        """The model's K key patches of images in [-1, 1], cropped as for training (`kerasgen.data.key_patches`).

        Args:
            images: `(n, H, W, channels)` floats in [-1, 1].
            seed: int seed of the patch positions and sizes.

        Returns:
            `(patches, boxes)`: patches `(n, K, s, s, channels)` at the
            encoder's size, boxes `(n, K, 4)` as `(top, left, height, width)`.
        """
        return data.key_patches(
            images,
            self.num_patches,
            self.patch_size,
            self.patch_input_size,
            seed=seed,
            informative=self.informative_patches,
            value_range=(-1.0, 1.0),
        )

    def complete(self, patches, latents=None, seed=None, batch_size=256):
        """Whole images from key patches, and where each patch sits.

        Args:
            patches: `(n, K, h, w, channels)`: K patches per image, uint8 or
                floats in [-1, 1], any size up to the image's (resized to
                the encoder's `patch_input_size`), in any order.
            latents: optional noise `(n, latent_dim)` in [-1, 1]; drawn when None.
            seed: int seed of the drawn noise.
            batch_size: images completed at once.

        Returns:
            `(images, masks)`: float32 images `(n, H, W, channels)` in [-1, 1]
            and masks `(n, H, W, K)` in [0, 1], mask k for patch k.
        """
        patches = self.prepare_patches(patches)
        n = len(patches)
        if latents is None:
            latents = self.sample_latents(n, seed=seed)
        latents = np.asarray(latents, "float32")
        if latents.shape != (n, self.latent_dim):
            raise ValueError(f"latents must be ({n}, {self.latent_dim}); got shape {latents.shape}.")
        images, masks = [], []
        for i in range(0, n, int(batch_size)):
            x, m = self.complete_tensors(
                tf.constant(patches[i : i + batch_size]), tf.constant(latents[i : i + batch_size]), averaged=True
            )
            images.append(x.numpy())
            masks.append(m.numpy())
        if not images:
            return np.zeros((0,) + self.image_shape, "float32"), np.zeros(
                (0,) + self.image_shape[:2] + (self.num_patches,), "float32"
            )
        return np.concatenate(images), np.concatenate(masks)

    def sample_latents(self, n, seed=None):
        """Noise z, uniform in [-1, 1] as in the reference code."""
        return keras.random.uniform(
            (n, self.latent_dim), minval=-1.0, maxval=1.0, seed=self.seed_generator if seed is None else seed
        )

    def generate(self, n, seed=None, batch_size=256):
        raise NotImplementedError(
            "PartToWholeGAN draws a whole image from key patches: use model.complete(patches) "
            "(kerasgen.data.key_patches(images) crops them)."
        )

    def sample_figures(self, latents=None, images=None):
        """Rows of: the K patches (each pasted at its true place on a blank canvas), the predicted masks' union, the completion, the original."""
        if images is None:
            return {}
        images = np.asarray(images, "float32")[:8]
        patches, boxes = self.key_patches(images, seed=0)
        completed, masks = self.complete(patches, seed=0)
        columns = [paste_patches(images, boxes[:, k : k + 1]) for k in range(self.num_patches)]
        union = masks.max(axis=-1, keepdims=True) * 2.0 - 1.0
        columns += [np.broadcast_to(union, completed.shape), completed, images]
        grid = np.stack(columns, axis=1).reshape((-1,) + self.image_shape)
        return {"completions": (grid, len(columns))}

    # -- export and config ----------------------------------------------------

    def export_signatures(self):
        def complete(patches, latents):
            images, masks = self.complete_tensors(patches, latents, averaged=True)
            return {"images": images, "masks": masks}

        spec = [
            tf.TensorSpec((None, self.num_patches) + self.patch_shape, tf.float32, name="patches"),
            self.latent_spec(),
        ]
        return {"serving_default": (complete, spec), "complete": (complete, spec)}

    def get_config(self):
        config = super().get_config()
        config.update(
            num_patches=self.num_patches,
            patch_size=list(self.patch_size),
            patch_input_size=self.patch_input_size,
            code_dim=self.code_dim,
            filters=self.filters,
            discriminator_filters=self.discriminator_filters,
            informative_patches=self.informative_patches,
            place_patches=self.place_patches,
            synchronized_batch_norm=self.synchronized_batch_norm,
            ema_decay=self.ema_decay,
        )
        return config


def paste_patches(images, boxes, background=-1.0):
    """Images that keep only the pixels inside `boxes` `(n, K, 4)`, the rest set to `background`."""
    masks = data.box_masks(boxes, *images.shape[1:3]).numpy().max(axis=-1, keepdims=True)
    return np.where(masks > 0, images, background).astype("float32")


def mask_boxes_from_moments(masks):
    """Boxes `(n, K, 4)` as float `(top, left, height, width)` with each mask's mean and spread (in graph).

    The pixels where a mask is above 0.5 count (the threshold of the mask
    IoU). A box of height h holds rows whose variance is (h^2 - 1) / 12,
    hence h = sqrt(12 var + 1); an empty mask gives a box of size 0.
    """
    masks = tf.cast(masks, tf.float32)
    height, width = masks.shape[1], masks.shape[2]
    # Weighting by the soft mask instead shrinks the boxes: a trained model's
    # 12 px patches measured 11.2 px on average, 11.9 px thresholded.
    weights = tf.cast(masks > 0.5, tf.float32)
    total = tf.reduce_sum(weights, axis=[1, 2])
    safe = tf.maximum(total, 1e-6)
    rows = tf.range(height, dtype=tf.float32)[None, :, None, None] + 0.5
    cols = tf.range(width, dtype=tf.float32)[None, None, :, None] + 0.5

    def centre_and_side(coords):
        centre = tf.reduce_sum(weights * coords, axis=[1, 2]) / safe
        spread = tf.reduce_sum(weights * (coords - centre[:, None, None, :]) ** 2, axis=[1, 2]) / safe
        side = tf.where(total > 0.5, tf.sqrt(12.0 * spread + 1.0), 0.0)
        return centre - side / 2.0, side

    top, h = centre_and_side(rows)
    left, w = centre_and_side(cols)
    return tf.stack([top, left, h, w], axis=-1)


def patches_at_masks(patches, masks):
    """The key patches drawn into the image where their masks put them (in graph).

    Args:
        patches: `(n, K, s, s, channels)` in [-1, 1].
        masks: `(n, H, W, K)` in [0, 1], mask k for patch k.

    Returns:
        `(canvas, coverage)`: canvas `(n, H, W, channels)`, each patch
        resized (bilinear) into the box of its mask (`mask_boxes_from_moments`),
        averaged where boxes overlap, 0 elsewhere; coverage `(n, H, W, 1)`,
        1 inside any box.
    """
    patches = tf.cast(patches, tf.float32)
    n, k = tf.shape(patches)[0], patches.shape[1]
    side, channels = patches.shape[2], patches.shape[-1]
    height, width = masks.shape[1], masks.shape[2]
    boxes = tf.reshape(mask_boxes_from_moments(masks), [-1, 4])
    top, left, h, w = tf.unstack(boxes, axis=-1)
    h, w = tf.maximum(h, 1e-3), tf.maximum(w, 1e-3)
    # One edge pixel of padding so every canvas pixel inside a box samples within the patch.
    flat = tf.pad(tf.reshape(patches, [-1, side, side, channels]), [[0, 0], [1, 1], [1, 1], [0, 0]], "SYMMETRIC")
    # crop_and_resize reads padded-patch coordinate y1 * (side + 1) + i * (y2 - y1) * (side + 1) / (H - 1)
    # for canvas row i; row i's centre, i + 0.5, sits at patch pixel (i + 0.5 - top) * side / h - 0.5.
    y1 = ((0.5 - top) * side / h + 0.5) / (side + 1)
    x1 = ((0.5 - left) * side / w + 0.5) / (side + 1)
    y2 = y1 + side * (height - 1) / (h * (side + 1))
    x2 = x1 + side * (width - 1) / (w * (side + 1))
    drawn = tf.image.crop_and_resize(
        flat, tf.stack([y1, x1, y2, x2], axis=-1), tf.range(tf.shape(flat)[0]), (height, width)
    )
    rows = tf.range(height, dtype=tf.float32)[None, :, None] + 0.5
    cols = tf.range(width, dtype=tf.float32)[None, None, :] + 0.5
    inside = (
        (rows >= top[:, None, None])
        & (rows < (top + h)[:, None, None])
        & (cols >= left[:, None, None])
        & (cols < (left + w)[:, None, None])
    )
    inside = tf.cast(inside, tf.float32)[..., None]
    drawn = tf.reshape(drawn * inside, [n, k, height, width, channels])
    inside = tf.reshape(inside, [n, k, height, width, 1])
    count = tf.reduce_sum(inside, axis=1)
    canvas = tf.reduce_sum(drawn, axis=1) / tf.maximum(count, 1.0)
    return canvas, tf.minimum(count, 1.0)
