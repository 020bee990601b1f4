"""StarGAN: one generator for translation among many domains (Choi et al., 2018)."""

import itertools

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kerasgen import distribute, losses
from kerasgen.models.base import DOMAIN_IMAGES, TRANSLATE, GenerativeModel, assert_that
from kerasgen.models.stargan.networks import stargan_discriminator, stargan_generator

# The five CelebA attributes of the paper's experiments.
CELEBA_ATTRIBUTES = ("Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young")


def _normalized_groups(labels, multi_label, label_groups):
    if label_groups is None:
        if labels is None:
            labels = list(CELEBA_ATTRIBUTES)
        label_groups = [{"name": "labels", "labels": labels, "multi_label": multi_label}]
    elif labels is not None:
        raise ValueError("Pass either labels (one label set) or label_groups (several), not both.")
    if not label_groups:
        raise ValueError("label_groups is empty: StarGAN needs at least one label set.")
    groups = []
    for i, group in enumerate(label_groups):
        unknown = set(group) - {"name", "labels", "multi_label"}
        if unknown or "labels" not in group:
            raise ValueError(
                f"label_groups[{i}] must be a dict with keys 'name', 'labels' (a count or a list of names) and "
                f"'multi_label'; got keys {sorted(group)}."
            )
        names = group["labels"]
        if isinstance(names, (int, np.integer)):
            names = [str(j) for j in range(int(names))]
        names = [str(n) for n in names]
        multi = bool(group.get("multi_label", False))
        name = str(group.get("name", f"labels_{i}"))
        if len(names) < (1 if multi else 2):
            kind = (
                "a multi-label set needs at least 1 attribute" if multi else "a one-of-N set needs at least 2 domains"
            )
            raise ValueError(f"Label set {name!r} has {len(names)} label(s): {kind}.")
        if len(set(names)) != len(names):
            raise ValueError(f"Label set {name!r} repeats label names: {names}.")
        groups.append({"name": name, "labels": names, "multi_label": multi})
    if len({g["name"] for g in groups}) != len(groups):
        raise ValueError(f"Label set names repeat: {[g['name'] for g in groups]}.")
    return groups


def _patch_means(scores):
    """Each image's D_src score, averaged over its patches, in float32."""
    scores = tf.cast(scores, tf.float32)
    return tf.reduce_mean(tf.reshape(scores, [tf.shape(scores)[0], -1]), axis=1)


def _checked(value, valid, message):
    """`value`, once an Assert op has checked that every element of `valid` holds (failing with `message` and the value)."""
    with tf.control_dependencies([assert_that(tf.reduce_all(valid), message, value)]):
        return tf.identity(value)


@keras.saving.register_keras_serializable(package="kerasgen")
class StarGAN(GenerativeModel):
    """StarGAN: one generator G(x, c) that translates an image into the domain described by labels c.

    A domain is a one-of-N label (the expressions of RaFD, say) or a
    combination of binary attributes (CelebA's hair colour, sex and age).
    The discriminator has two heads on one body: D_src scores each patch as
    real or fake and D_cls predicts the image's labels. One `fit` step
    updates D; every `n_critic`-th step also updates G (the reference
    code's schedule), with target labels taken by shuffling the batch's own
    labels across the (global) batch:

    - D minimizes -D_src(x) + D_src(G(x, c')) + lambda_gp * GP
      + lambda_cls * CE(D_cls(x), c),
    - G minimizes -lambda_adv * D_src(G(x, c')) + lambda_cls * CE(D_cls(G(x, c')), c')
      + lambda_rec * |x - G(G(x, c') + n, c)|_1 + lambda_id * |x - G(x, c)|_1
      + lambda_s * (1 - |corr(x, G(x, c'))|),

    where c are the image's labels, c' the target labels, lambda_adv the
    weight of G's adversarial term (`adversarial_weight`, 1 in the paper), n
    Gaussian noise of standard deviation `rec_noise` (0 in the paper), lambda_id the weight
    of CycleGAN's identity term (`identity_weight`, 0 in the paper), lambda_s
    that of a structure term (`structure_weight`, 0 in the paper; corr is
    the correlation of an image's pixels with its translation's), GP the WGAN-GP
    penalty, and CE softmax cross-entropy for a one-of-N label set or the
    sum of per-attribute sigmoid cross-entropies for a multi-label set.

    With several label sets (`label_groups`, e.g. CelebA attributes and
    RaFD expressions), each example carries the labels of its own set only:
    c is zero for the other sets' labels and a one-hot mask vector, appended
    to c, says which set is known. The classification losses use only the
    known set's logits.

    Batches are `(images, labels)`: int domain indices `(batch,)` for a
    one-of-N set, 0/1 attribute vectors `(batch, k)` for a multi-label set;
    with several label sets, `(images, labels, label_sets)` where `labels`
    is `(batch, num_labels)` (every set's labels side by side, zeros where
    unknown) and `label_sets` the int index of each example's set.

    Metrics: `loss` (D's objective, which every step updates), `d_loss`, `d_adv`,
    `d_cls`, `gradient_penalty`, and on G steps `g_loss`, `g_adv`, `g_cls`,
    `reconstruction`, and `identity` and `structure` (when their weights
    are > 0, and in `evaluate`).

    The defaults are the paper's CelebA model: 128 px, 64 filters, 6
    residual blocks, a 6-layer discriminator, five attributes. `compile()`
    gives Adam(1e-4, 0.5, 0.999) to both networks, lambda_cls 1,
    lambda_rec 10, lambda_gp 10, n_critic 5; pass `total_steps` for the
    paper's schedule (constant for the first half, then linear to 0).

    Args:
        image_shape: `(height, width, channels)`; height and width divisible by 4.
        labels: the label set: a count or a list of names (default: the
            paper's five CelebA attributes).
        multi_label: whether `labels` are independent binary attributes
            (sigmoid) or one-of-N domains (softmax).
        label_groups: several label sets instead of `labels`: a list of
            `{"name": ..., "labels": count or names, "multi_label": bool}`.
        filters: generator filters (`g_conv_dim`, 64).
        discriminator_filters: discriminator filters (`d_conv_dim`, 64).
        num_residual_blocks: generator residual blocks (`g_repeat_num`, 6).
        discriminator_layers: strided discriminator layers (`d_repeat_num`, 6).
        conditional_norm: False (the paper): c reaches G only as input
            channels, which its instance norms erase except near the
            border. True: every instance norm in G also takes its scale and
            offset from c (a departure, as in StarGAN v2).
        conditional_critic: False (the paper): D_src scores an image
            alone. True: a projection discriminator (Miyato & Koyama 2018;
            a departure): a third head gives `condition_dim` values per
            patch, and each patch's score becomes D_src + c . projections,
            so D judges an image against the domain it should be in, real
            images with their own c, translations with their target's.
        seed: seed of the model's random draws.
        generator, discriminator: optional Keras models replacing the
            default networks (G on `[images, conditions]`; D from images to
            `[scores, logits]`, and `projections` with `conditional_critic`).

    Example:
    >>> model = kerasgen.models.StarGAN(image_shape=(28, 28, 1), labels=["thick", "blurred", "inverted"])
    >>> task = kerasgen.data.mnist_domain_task()
    >>> ds = kerasgen.data.dataset(task["train_images"], model.image_shape, batch_size=16, labels=task["train_labels"])
    >>> model.compile(total_steps=1000)
    >>> model.fit(ds.repeat(), steps_per_epoch=1000)
    >>> inverted = model.translate(digits, [0, 0, 1])
    """

    metric_names = (
        "loss",
        "d_loss",
        "d_adv",
        "d_cls",
        "gradient_penalty",
        "g_loss",
        "g_adv",
        "g_cls",
        "reconstruction",
        "identity",
        "structure",
    )
    capabilities = frozenset({TRANSLATE})
    batch_structure = DOMAIN_IMAGES
    optimizer_roles = {"generator_optimizer": ("generator",), "discriminator_optimizer": ("discriminator",)}
    # A fit step is a D step, so the model's step count is D's (the reference's iterations).
    main_optimizer_role = "discriminator_optimizer"

    def __init__(
        self,
        image_shape=(128, 128, 3),
        labels=None,
        multi_label=True,
        label_groups=None,
        filters=64,
        discriminator_filters=64,
        num_residual_blocks=6,
        discriminator_layers=6,
        conditional_norm=False,
        conditional_critic=False,
        seed=None,
        generator=None,
        discriminator=None,
        **kwargs,
    ):
        kwargs.pop("latent_dim", None)
        super().__init__(image_shape=image_shape, latent_dim=1, seed=seed, **kwargs)
        self.label_groups = _normalized_groups(labels, multi_label, label_groups)
        self.label_sizes = [len(g["labels"]) for g in self.label_groups]
        self.label_offsets = [int(o) for o in np.cumsum([0] + self.label_sizes[:-1])]
        self.num_labels = int(sum(self.label_sizes))
        # The mask vector is appended to c only when there are several label sets.
        self.num_label_sets = len(self.label_groups)
        self.condition_dim = self.num_labels + (self.num_label_sets if self.num_label_sets > 1 else 0)
        self.filters = int(filters)
        self.discriminator_filters = int(discriminator_filters)
        self.num_residual_blocks = int(num_residual_blocks)
        self.discriminator_layers = int(discriminator_layers)
        self.conditional_norm = bool(conditional_norm)
        self.conditional_critic = bool(conditional_critic)
        if min(self.filters, self.discriminator_filters, self.discriminator_layers) < 1 or self.num_residual_blocks < 0:
            raise ValueError(
                "filters, discriminator_filters and discriminator_layers must be >= 1 and num_residual_blocks >= 0; "
                f"got {filters}, {discriminator_filters}, {discriminator_layers}, {num_residual_blocks}."
            )
        self.add_network(
            "generator",
            generator,
            lambda: stargan_generator(
                self.image_shape, self.condition_dim, self.filters, self.num_residual_blocks, self.conditional_norm
            ),
        )
        self.add_network(
            "discriminator",
            discriminator,
            lambda: stargan_discriminator(
                self.image_shape,
                self.num_labels,
                self.discriminator_filters,
                self.discriminator_layers,
                projection_dim=self.condition_dim if self.conditional_critic else 0,
            ),
        )
        if self.conditional_critic and len(self.discriminator.outputs) != 3:
            raise ValueError(
                "conditional_critic=True needs a discriminator with three outputs [scores, logits, projections]; "
                f"the one given has {len(self.discriminator.outputs)}."
            )
        self.cls_weight = 1.0
        self.rec_weight = 10.0
        self.gp_weight = 10.0
        self.rec_noise = 0.0
        self.identity_weight = 0.0
        self.structure_weight = 0.0
        self.adversarial_weight = 1.0
        self.n_critic = 5
        self.learning_rate = 1e-4
        self.built = True

    # -- compile --------------------------------------------------------------

    def compile(
        self,
        generator_optimizer=None,
        discriminator_optimizer=None,
        total_steps=None,
        n_critic=5,
        learning_rate=1e-4,
        cls_weight=1.0,
        rec_weight=10.0,
        gp_weight=10.0,
        rec_noise=0.0,
        identity_weight=0.0,
        structure_weight=0.0,
        adversarial_weight=1.0,
        **kwargs,
    ):
        """Compiles with the paper's recipe unless told otherwise.

        Args:
            generator_optimizer: G's optimizer (default Adam(learning_rate, 0.5,
                0.999), with the `LinearDecay` schedule when `total_steps` is given).
            discriminator_optimizer: D's optimizer (same default).
            total_steps: `fit` steps of the whole run; the default
                optimizers then keep `learning_rate` for the first half and
                decay it linearly to 0 (G's schedule counts its own, n_critic
                times fewer, updates). None keeps the rate throughout.
            n_critic: D updates per G update (5).
            learning_rate: the default optimizers' initial rate (1e-4, the
                reference's `g_lr` and `d_lr`).
            cls_weight: lambda_cls (1).
            rec_weight: lambda_rec (10).
            gp_weight: lambda_gp (10).
            rec_noise: standard deviation of Gaussian noise added to each
                translation before G translates it back for the
                reconstruction term (0, the paper). A departure against
                steganography: the noise drowns detail too faint to see, in
                which G could otherwise hide the input to pass the
                reconstruction term (Chu et al. 2017).
            identity_weight: weight of CycleGAN's identity term
                |x - G(x, c)|_1, G asked for the domain the image is
                already in (0, the paper). A departure that makes G read c
                against the image: what to keep, not only what to change.
            adversarial_weight: lambda_adv, the weight of G's adversarial
                term (1, the paper); D's objective is unchanged.
            structure_weight: weight of a structure term
                1 - |corr(x, G(x, c'))| over each image's pixels (SSIM's
                structure term, either sign of contrast accepted): the
                translation must keep the input's shape (0, the paper; a
                departure).
            **kwargs: passed to `keras.Model.compile` (e.g. `steps_per_execution`).
        """
        if int(n_critic) < 1:
            raise ValueError(f"n_critic must be a positive int; got {n_critic}.")
        self.n_critic = int(n_critic)
        if not float(learning_rate) > 0:
            raise ValueError(f"learning_rate must be positive; got {learning_rate}.")
        self.learning_rate = float(learning_rate)
        self.cls_weight, self.rec_weight, self.gp_weight = float(cls_weight), float(rec_weight), float(gp_weight)
        if not float(rec_noise) >= 0:
            raise ValueError(f"rec_noise is a standard deviation and must be >= 0; got {rec_noise}.")
        self.rec_noise = float(rec_noise)
        if not float(identity_weight) >= 0:
            raise ValueError(f"identity_weight must be >= 0; got {identity_weight}.")
        self.identity_weight = float(identity_weight)
        if not float(structure_weight) >= 0:
            raise ValueError(f"structure_weight must be >= 0; got {structure_weight}.")
        self.structure_weight = float(structure_weight)
        if not float(adversarial_weight) > 0:
            raise ValueError(f"adversarial_weight must be positive; got {adversarial_weight}.")
        self.adversarial_weight = float(adversarial_weight)
        super().compile(
            generator_optimizer=generator_optimizer,
            discriminator_optimizer=discriminator_optimizer,
            total_steps=total_steps,
            **kwargs,
        )
        self.add_compile_args(
            n_critic=self.n_critic,
            learning_rate=self.learning_rate,
            cls_weight=self.cls_weight,
            rec_weight=self.rec_weight,
            gp_weight=self.gp_weight,
            rec_noise=self.rec_noise,
            identity_weight=self.identity_weight,
            structure_weight=self.structure_weight,
            adversarial_weight=self.adversarial_weight,
        )

    def default_optimizer(self, role):
        """Adam(learning_rate, beta_1=0.5, beta_2=0.999), with `LinearDecay` when `total_steps` was given."""
        # G steps once every n_critic `fit` steps, so its schedule counts fewer steps.
        steps = self.total_steps // self.n_critic if self.total_steps and role == "generator_optimizer" else None
        return keras.optimizers.Adam(self.decayed(self.learning_rate, steps), beta_1=0.5, beta_2=0.999)

    # -- labels ---------------------------------------------------------------

    def _label_set_of_each_label(self):
        return np.repeat(np.arange(self.num_label_sets), self.label_sizes).astype("int32")

    def label_vectors(self, labels, label_sets=None):
        """Float32 label vectors `(batch, num_labels)` and int label-set indices from a batch's labels (in graph)."""
        labels = tf.convert_to_tensor(labels)
        several = self.num_label_sets > 1
        if several and label_sets is None:
            raise ValueError(
                f"This StarGAN has {self.num_label_sets} label sets ({', '.join(g['name'] for g in self.label_groups)}): "
                "train it on (images, labels, label_sets) batches, labels of width "
                f"{self.num_labels} and the int index of each example's label set."
            )
        group = self.label_groups[0]
        if (
            not several
            and not group["multi_label"]
            and labels.shape.rank in (1, 2)
            and (labels.shape.rank == 1 or labels.shape[-1] == 1)
        ):
            if not labels.dtype.is_integer:
                raise TypeError(
                    f"Domain labels of label set {group['name']!r} must be int indices; got {labels.dtype.name}."
                )
            labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
            size = self.label_sizes[0]
            labels = _checked(labels, (labels >= 0) & (labels < size), f"domain labels must be in [0, {size}); got")
            vectors = tf.one_hot(labels, size, dtype=tf.float32)
        else:
            if labels.shape.rank != 2 or labels.shape[-1] != self.num_labels:
                expected = f"(batch, {self.num_labels})"
                if not several and not group["multi_label"]:
                    expected = f"(batch,) int domain indices or {expected} one-hot vectors"
                raise ValueError(
                    f"StarGAN labels must be {expected} for {self._labels_description()}; got shape {tuple(labels.shape)}."
                )
            vectors = tf.cast(labels, tf.float32)
            vectors = _checked(vectors, (vectors >= 0.0) & (vectors <= 1.0), "labels must be in [0, 1]; got")
        if several:
            label_sets = tf.cast(tf.reshape(label_sets, [-1]), tf.int32)
            label_sets = _checked(
                label_sets,
                (label_sets >= 0) & (label_sets < self.num_label_sets),
                f"label_sets must be in [0, {self.num_label_sets}); got",
            )
        else:
            label_sets = tf.zeros([tf.shape(vectors)[0]], tf.int32)
        return vectors, label_sets

    def _labels_description(self):
        parts = []
        for g in self.label_groups:
            kind = "attributes" if g["multi_label"] else "domains"
            parts.append(f"{g['name']!r} ({len(g['labels'])} {kind}: {', '.join(g['labels'][:6])})")
        return "label set " + ", ".join(parts)

    def conditions(self, vectors, label_sets):
        """The generator's condition c: labels of the known set (zeros elsewhere), then the mask vector."""
        if self.num_label_sets == 1:
            return vectors
        known = tf.cast(tf.equal(label_sets[:, None], self._label_set_of_each_label()[None, :]), tf.float32)
        mask = tf.one_hot(label_sets, self.num_label_sets, dtype=tf.float32)
        return tf.concat([vectors * known, mask], axis=1)

    def classification_loss(self, logits, vectors, label_sets):
        """Per-example classification loss of D_cls logits against labels, on each example's own label set."""
        total = tf.zeros([tf.shape(logits)[0]], tf.float32)
        for index, (group, start, size) in enumerate(zip(self.label_groups, self.label_offsets, self.label_sizes)):
            part_logits = logits[:, start : start + size]
            part_labels = vectors[:, start : start + size]
            if group["multi_label"]:
                # The reference's binary cross-entropy summed over attributes, averaged over the batch.
                loss = tf.reduce_sum(
                    tf.nn.sigmoid_cross_entropy_with_logits(labels=part_labels, logits=part_logits), axis=1
                )
            else:
                loss = tf.nn.softmax_cross_entropy_with_logits(labels=part_labels, logits=part_logits)
            if self.num_label_sets > 1:
                loss = loss * tf.cast(tf.equal(label_sets, index), tf.float32)
            total += loss
        return total

    def unpack_labeled(self, data):
        """(images, label vectors, label sets) from a training batch."""
        if isinstance(data, dict):
            data = (data["images"], data["labels"]) + ((data["label_sets"],) if "label_sets" in data else ())
        if not isinstance(data, (tuple, list)) or len(data) < 2 or data[1] is None:
            raise ValueError(
                f"StarGAN trains on (images, labels) batches, labels for {self._labels_description()}; "
                "build them with kerasgen.data.dataset(images, model.image_shape, labels=labels)."
            )
        images = self.prepare_images(data[0])
        vectors, label_sets = self.label_vectors(data[1], data[2] if len(data) > 2 else None)
        return images, vectors, label_sets

    def shuffled_targets(self, vectors, label_sets):
        """Target labels: the batch's own labels in a random order (over the global batch, as one device would)."""
        batch = tf.shape(vectors)[0]
        everything = distribute.global_batch_gather(tf.concat([vectors, tf.cast(label_sets, tf.float32)[:, None]], 1))
        seed = tf.cast(self.seed_generator.next(), tf.int32)
        order = tf.argsort(tf.random.stateless_uniform([tf.shape(everything)[0]], seed=seed))
        mine = distribute.replica_rows(tf.gather(everything, order), batch)
        return mine[:, :-1], tf.cast(mine[:, -1], tf.int32)

    # -- training -------------------------------------------------------------

    def critic(self, images, conditions, training=True):
        """D_src's per-patch scores and D_cls's logits; with `conditional_critic`, each score plus c . projections."""
        outputs = self.discriminator(images, training=training)
        scores, logits = outputs[0], outputs[1]
        if self.conditional_critic:
            projections = tf.cast(outputs[2], tf.float32)
            scores = tf.cast(scores, tf.float32) + tf.reduce_sum(
                projections * conditions[:, None, None, :], axis=-1, keepdims=True
            )
        return scores, logits

    def discriminator_terms(self, real, fake, vectors, label_sets, fake_conditions, training=True):
        """Per-example D terms: adversarial, classification on real images, gradient penalty."""
        own = self.conditions(vectors, label_sets)
        scores_real, logits_real = self.critic(real, own, training=training)
        scores_fake, _ = self.critic(fake, fake_conditions, training=training)
        batch = tf.shape(real)[0]
        adversarial = _patch_means(scores_fake) - _patch_means(scores_real)
        classification = self.classification_loss(tf.cast(logits_real, tf.float32), vectors, label_sets)
        # Interpolation weights are a global-batch draw (each replica keeps its rows).
        epsilon = self.normal_noise(tf.stack([batch, 1, 1, 1]), distribution="unit_uniform")
        penalty = losses.gradient_penalty(
            # With a conditional critic the interpolate is scored with the real image's c.
            lambda x: self.critic(x, own, training=training)[0],
            real,
            fake,
            epsilon=epsilon,
            per_example=True,
        )
        total = adversarial + self.cls_weight * classification + self.gp_weight * penalty
        return {"d_loss": total, "d_adv": adversarial, "d_cls": classification, "gradient_penalty": penalty}

    def generator_terms(self, real, vectors, label_sets, target_vectors, target_sets, training=True):
        """Per-example G terms: adversarial, classification of the fakes as the targets, reconstruction, identity."""
        own = self.conditions(vectors, label_sets)
        targets = self.conditions(target_vectors, target_sets)
        fake = self.generator([real, targets], training=training)
        scores, logits = self.critic(fake, targets, training=training)
        adversarial = -_patch_means(scores)
        classification = self.classification_loss(tf.cast(logits, tf.float32), target_vectors, target_sets)
        translated = fake
        if training and self.rec_noise > 0:
            fake = fake + tf.cast(self.rec_noise * self.normal_noise(tf.shape(fake)), fake.dtype)
        reconstructed = self.generator([fake, own], training=training)
        reconstruction = losses.cycle_consistency_loss(real, reconstructed, per_example=True)
        total = self.adversarial_weight * adversarial + self.cls_weight * classification
        total = total + self.rec_weight * reconstruction
        terms = {"g_adv": adversarial, "g_cls": classification, "reconstruction": reconstruction}
        if self.structure_weight > 0 or not training:
            terms["structure"] = losses.structure_loss(real, translated, signed=False, per_example=True)
            total = total + self.structure_weight * terms["structure"]
        if self.identity_weight > 0 or not training:
            identity = losses.cycle_consistency_loss(
                real, self.generator([real, own], training=training), per_example=True
            )
            terms["identity"] = identity
            if self.identity_weight > 0:
                total = total + self.identity_weight * identity
        return {"g_loss": total, **terms}

    def train_step(self, data):
        real, vectors, label_sets = self.unpack_labeled(data)
        target_vectors, target_sets = self.shuffled_targets(vectors, label_sets)

        targets = self.conditions(target_vectors, target_sets)
        fake = self.generator([real, targets], training=True)
        with tf.GradientTape() as tape:
            d_terms = self.discriminator_terms(real, tf.stop_gradient(fake), vectors, label_sets, targets)
        self.minimize(
            "d_loss", self.discriminator_optimizer, tape, d_terms["d_loss"], self.discriminator.trainable_variables
        )
        self.update_metrics({"loss": d_terms["d_loss"], **d_terms})
        # The reference updates G after every n_critic-th D update.
        is_generator_step = tf.equal(self.discriminator_optimizer.iterations % self.n_critic, 0)
        distribute.run_if(
            is_generator_step, self.generator_step, real, vectors, label_sets, target_vectors, target_sets
        )
        return self.update_metrics({})

    def generator_step(self, real, vectors, label_sets, target_vectors, target_sets):
        """One G update with D fixed; its figures go to the running means."""
        with tf.GradientTape() as tape:
            terms = self.generator_terms(real, vectors, label_sets, target_vectors, target_sets)
        self.minimize("g_loss", self.generator_optimizer, tape, terms["g_loss"], self.generator.trainable_variables)
        self.tracker.update_state(terms)

    def test_step(self, data):
        real, vectors, label_sets = self.unpack_labeled(data)
        target_vectors, target_sets = self.shuffled_targets(vectors, label_sets)
        targets = self.conditions(target_vectors, target_sets)
        fake = self.generator([real, targets], training=False)
        d_terms = self.discriminator_terms(real, fake, vectors, label_sets, targets, training=False)
        g_terms = self.generator_terms(real, vectors, label_sets, target_vectors, target_sets, training=False)
        return self.update_metrics({"loss": d_terms["d_loss"], **d_terms, **g_terms})

    def call(self, inputs, training=False):
        """G(images, conditions) for `inputs = [images, conditions]`."""
        images, conditions = inputs
        return self.generator([images, conditions], training=training)

    # -- inference ------------------------------------------------------------

    def _label_set_index(self, label_set):
        if label_set is None:
            if self.num_label_sets > 1:
                names = [g["name"] for g in self.label_groups]
                raise ValueError(f"This StarGAN has several label sets {names}: pass label_set= (a name or index).")
            return 0
        names = [g["name"] for g in self.label_groups]
        if isinstance(label_set, str):
            if label_set not in names:
                raise ValueError(f"Unknown label set {label_set!r}; this model has {names}.")
            return names.index(label_set)
        index = int(label_set)
        if not 0 <= index < len(names):
            raise ValueError(f"label_set index {label_set} is outside [0, {len(names)}); the label sets are {names}.")
        return index

    def target_conditions(self, target_labels, n, label_set=None):
        """Condition vectors `(n, condition_dim)` for target labels given as a user would.

        Args:
            target_labels: for a one-of-N label set, a domain index or name
                (every image) or `n` of them; for a multi-label set, a 0/1
                vector of its attributes (every image) or an `(n, k)` array.
            n: number of images.
            label_set: the label set the targets belong to (name or index),
                needed when the model has several.
        """
        index = self._label_set_index(label_set)
        group, size = self.label_groups[index], self.label_sizes[index]
        names = group["labels"]
        if group["multi_label"]:
            values = np.asarray(target_labels, dtype="float32")
            if values.ndim == 1:
                values = np.broadcast_to(values, (n, values.shape[0]))
            if values.ndim != 2 or values.shape != (n, size):
                raise ValueError(
                    f"target_labels for label set {group['name']!r} must be {size} attribute values "
                    f"({', '.join(names)}) or an array ({n}, {size}); got shape {np.shape(target_labels)}."
                )
            if not np.all((values >= 0) & (values <= 1)):
                raise ValueError(
                    f"target_labels must be in [0, 1] (attribute off / on); got values {np.unique(values)[:5]}."
                )
            part = values
        else:
            raw = np.asarray(target_labels)
            if raw.ndim == 0:
                raw = np.full((n,), raw.item(), dtype=raw.dtype)
            if raw.ndim != 1 or raw.shape[0] != n:
                raise ValueError(
                    f"target_labels for label set {group['name']!r} must be a domain (index or name) or {n} of them; "
                    f"got shape {raw.shape}."
                )
            indices = []
            for value in raw.tolist():
                if isinstance(value, str):
                    if value not in names:
                        raise ValueError(f"Unknown domain {value!r}; the domains are {names}.")
                    indices.append(names.index(value))
                elif isinstance(value, (int, np.integer)) or (isinstance(value, float) and value.is_integer()):
                    if not 0 <= int(value) < size:
                        raise ValueError(
                            f"Target domain {value} is outside the domains 0..{size - 1} ({', '.join(names)})."
                        )
                    indices.append(int(value))
                else:
                    raise ValueError(f"target_labels must be domain indices or names; got {value!r}.")
            part = np.eye(size, dtype="float32")[indices]
        vectors = np.zeros((n, self.num_labels), "float32")
        start = self.label_offsets[index]
        vectors[:, start : start + size] = part
        if self.num_label_sets == 1:
            return vectors
        mask = np.zeros((n, self.num_label_sets), "float32")
        mask[:, index] = 1.0
        return np.concatenate([vectors, mask], axis=1)

    def translate(self, images, target_labels, label_set=None, batch_size=256):
        """Translates images into the domain described by `target_labels`.

        Args:
            images: batch `(n,) + image_shape`, float in [-1, 1] or uint8.
            target_labels: see `target_conditions`: e.g. `3` or `"Smiling"`
                for a one-of-N set, `[1, 0, 0, 1, 1]` for CelebA's attributes.
            label_set: which label set the targets belong to, when there are several.
            batch_size: images translated at once.

        Returns:
            float32 numpy array of the images' shape, in [-1, 1].
        """
        images = self.prepare_images(images)
        n = int(images.shape[0])
        conditions = self.target_conditions(target_labels, n, label_set)
        outs = [
            ops.convert_to_numpy(
                ops.cast(
                    self.generator(
                        [images[i : i + batch_size], tf.constant(conditions[i : i + batch_size])], training=False
                    ),
                    "float32",
                )
            )
            for i in range(0, n, int(batch_size))
        ]
        return np.concatenate(outs, axis=0) if outs else np.zeros((0,) + self.image_shape, "float32")

    def domains(self):
        """The target domains a figure shows: `[(title, label_set index, target_labels), ...]`.

        Every domain of a one-of-N set; every combination of a multi-label
        set's attributes up to 3 of them, beyond that each attribute alone.
        """
        shown = []
        for index, group in enumerate(self.label_groups):
            names = group["labels"]
            if not group["multi_label"]:
                shown += [(name, index, j) for j, name in enumerate(names)]
            elif len(names) <= 3:
                for bits in itertools.product((0, 1), repeat=len(names)):
                    title = "+".join(n for n, b in zip(names, bits) if b) or "none"
                    shown.append((title, index, np.array(bits, "float32")))
            else:
                shown += [(name, index, np.eye(len(names), dtype="float32")[j]) for j, name in enumerate(names)]
        return shown

    def sample_figures(self, latents=None, images=None):
        """A translation grid of `images`: one row per image, the input then one column per target domain."""
        if images is None:
            return {}
        images = np.asarray(images, "float32")[:8]
        columns = [images] + [self.translate(images, target, label_set) for _, label_set, target in self.domains()]
        grid = np.stack(columns, axis=1).reshape((-1,) + self.image_shape)
        return {"translations": (grid, len(columns))}

    def generate(self, n, seed=None, batch_size=256):
        raise NotImplementedError(
            "StarGAN translates images into target domains and has no prior to sample: "
            "use model.translate(images, target_labels)."
        )

    def sample_latents(self, n, seed=None):
        raise NotImplementedError("StarGAN has no latent space: use model.translate(images, target_labels).")

    # -- export and config ----------------------------------------------------

    def export_signatures(self):
        def translate(images, target_labels):
            return {"images": ops.cast(self.generator([images, target_labels], training=False), "float32")}

        spec = [self.image_spec(), tf.TensorSpec((None, self.condition_dim), tf.float32, name="target_labels")]
        return {"serving_default": (translate, spec), "translate": (translate, spec)}

    def get_config(self):
        config = super().get_config()
        config.pop("latent_dim", None)
        config.update(
            label_groups=[dict(g) for g in self.label_groups],
            filters=self.filters,
            discriminator_filters=self.discriminator_filters,
            num_residual_blocks=self.num_residual_blocks,
            discriminator_layers=self.discriminator_layers,
            conditional_norm=self.conditional_norm,
            conditional_critic=self.conditional_critic,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("label_groups") is not None:
            config.pop("labels", None)
            config.pop("multi_label", None)
        return cls(**config)
