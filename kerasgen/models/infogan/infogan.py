"""InfoGAN: interpretable codes discovered without labels (Chen et al., 2016)."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kerasgen.models.base import CODES, GENERATE
from kerasgen.models.gan.adversarial import AdversarialModel
from kerasgen.models.infogan.networks import infogan_discriminator, infogan_generator

# The paper's MNIST codes: one categorical code of 10 values, two continuous codes uniform on [-1, 1].
MNIST_CODES = (
    {"name": "digit", "kind": "categorical", "size": 10},
    {"name": "slant", "kind": "continuous"},
    {"name": "width", "kind": "continuous"},
)
CODE_KINDS = ("categorical", "continuous")


def _normalized_codes(codes):
    if codes is None:
        codes = MNIST_CODES
    if not codes:
        raise ValueError("InfoGAN needs at least one structured code: pass codes=[{'name': ..., 'kind': ...}, ...].")
    normalized = []
    for i, code in enumerate(codes):
        if not isinstance(code, dict) or "kind" not in code:
            raise ValueError(
                f"codes[{i}] must be a dict with 'name', 'kind' ('categorical' or 'continuous') and, for a "
                f"categorical code, 'size'; got {code!r}."
            )
        kind = code["kind"]
        if kind not in CODE_KINDS:
            raise ValueError(f"codes[{i}] has kind {kind!r}; the kinds are {CODE_KINDS}.")
        name = str(code.get("name", f"code_{i}"))
        unknown = set(code) - {"name", "kind", "size"}
        if unknown:
            raise ValueError(f"Code {name!r} has unknown key(s) {sorted(unknown)}.")
        if kind == "categorical":
            size = int(code.get("size", 0))
            if size < 2:
                raise ValueError(
                    f"Categorical code {name!r} has {size} categories: a categorical code needs at least 2."
                )
            normalized.append({"name": name, "kind": kind, "size": size})
        else:
            if code.get("size", 1) != 1:
                raise ValueError(f"Continuous code {name!r} is one number: give several continuous codes instead.")
            normalized.append({"name": name, "kind": kind})
    names = [c["name"] for c in normalized]
    if len(set(names)) != len(names):
        raise ValueError(f"Code names repeat: {names}.")
    return normalized


@keras.saving.register_keras_serializable(package="kerasgen")
class InfoGAN(AdversarialModel):
    """InfoGAN: a GAN whose generator input holds structured codes c it must make recoverable from its images.

    Chen, Duan, Houthooft, Schulman, Sutskever & Abbeel, "InfoGAN:
    Interpretable Representation Learning by Information Maximizing
    Generative Adversarial Nets", NeurIPS 2016. The generator takes noise z
    and codes c; an auxiliary distribution Q(c | x), a second head on the
    discriminator's body, estimates the codes from an image. Both players
    add -lambda * E[log Q(c | G(z, c))], the variational lower bound of the
    mutual information I(c; G(z, c)) (less the codes' constant entropy), to
    their GAN objective: the generator is pushed to let c change something
    Q can see in the image, and without labels a categorical code comes to
    mean the digit and continuous codes the stroke's slant and width.

    Q is a softmax over each categorical code's values and a factored
    Gaussian (`tfp.distributions.Normal`) over the continuous codes, with a
    fixed unit scale as in the authors' MNIST code (`learn_scale=True` lets
    Q predict it). `compile()` gives the paper's MNIST optimizers, Adam with
    beta_1 0.5 at 2e-4 for D and Q and 1e-3 for G, lambda 1 for categorical
    codes and 0.1 for continuous ones.

    Metrics: those of the GAN family, plus `info_loss` (the weighted
    -log Q(c | G(z, c)) both players add), `info_categorical` and
    `info_continuous` (its two parts, unweighted).

    Args:
        image_shape: `(height, width, channels)`, height and width divisible by 4.
        noise_dim: size of the incompressible noise z (62 in the paper), uniform on [-1, 1].
        codes: the structured codes: a list of `{"name", "kind": "categorical", "size"}`
            and `{"name", "kind": "continuous"}` (uniform on [-1, 1]); default
            the paper's MNIST codes `digit` (10 values), `slant` and `width`.
        generator_filters: filters of G's last hidden layer (64).
        discriminator_filters: filters of D's first layer (64).
        dense_units: width of the fully connected layers (1024).
        q_units: width of Q's hidden layer (128).
        learn_scale: whether Q predicts the continuous codes' scale (False: scale 1).
        ema_decay: optional exponential moving average of G's weights.
        synchronized_batch_norm: BatchNorm statistics over the global batch under a strategy.
        seed: seed of the model's random draws and initializers.
        generator, discriminator: optional Keras models replacing the default
            networks (G on `noise_dim + code width` inputs; D from images to `[logits, Q parameters]`).

    Example:
    >>> model = kerasgen.models.InfoGAN()
    >>> model.compile()
    >>> model.fit(kerasgen.data.dataset(digits, model.image_shape, batch_size=128), epochs=50)
    >>> sevens = model.generate(10, codes={"digit": 3, "slant": np.linspace(-1, 1, 10)})
    >>> model.infer_codes(digits)["digit"]
    """

    metric_names = AdversarialModel.metric_names + ("info_loss", "info_categorical", "info_continuous")
    capabilities = frozenset({GENERATE, CODES})

    def __init__(
        self,
        image_shape=(28, 28, 1),
        noise_dim=62,
        codes=None,
        generator_filters=64,
        discriminator_filters=64,
        dense_units=1024,
        q_units=128,
        learn_scale=False,
        ema_decay=None,
        synchronized_batch_norm=False,
        seed=None,
        generator=None,
        discriminator=None,
        **kwargs,
    ):
        kwargs.pop("latent_dim", None)
        kwargs.pop("latent_distribution", None)
        self.codes = _normalized_codes(codes)
        self.noise_dim = int(noise_dim)
        if self.noise_dim < 0:
            raise ValueError(f"noise_dim must be >= 0; got {noise_dim}.")
        widths = [c["size"] if c["kind"] == "categorical" else 1 for c in self.codes]
        self.code_offsets = [int(o) for o in np.cumsum([0] + widths[:-1])]
        self.code_widths = widths
        self.code_dim = int(sum(widths))
        super().__init__(
            image_shape=image_shape,
            latent_dim=self.noise_dim + self.code_dim,
            latent_distribution="uniform",
            ema_decay=ema_decay,
            seed=seed,
            **kwargs,
        )
        height, width = self.image_shape[:2]
        if height % 4 or width % 4:
            raise ValueError(f"InfoGAN needs a height and width divisible by 4; got image_shape {self.image_shape}.")
        self.generator_filters = int(generator_filters)
        self.discriminator_filters = int(discriminator_filters)
        self.dense_units = int(dense_units)
        self.q_units = int(q_units)
        self.learn_scale = bool(learn_scale)
        self.synchronized_batch_norm = bool(synchronized_batch_norm)
        continuous = sum(1 for c in self.codes if c["kind"] == "continuous")
        self.q_outputs = sum(c["size"] for c in self.codes if c["kind"] == "categorical") + continuous * (
            2 if self.learn_scale else 1
        )
        self.add_network(
            "generator",
            generator,
            lambda: infogan_generator(
                self.image_shape,
                self.latent_dim,
                self.generator_filters,
                self.dense_units,
                seed,
                self.synchronized_batch_norm,
            ),
        )
        self.add_network(
            "discriminator",
            discriminator,
            lambda: infogan_discriminator(
                self.image_shape,
                self.q_outputs,
                self.discriminator_filters,
                self.dense_units,
                self.q_units,
                seed,
                self.synchronized_batch_norm,
            ),
        )
        self.categorical_weight = 1.0
        self.continuous_weight = 0.1
        self._finish_init()

    # -- compile --------------------------------------------------------------

    def compile(
        self,
        generator_optimizer=None,
        discriminator_optimizer=None,
        categorical_weight=1.0,
        continuous_weight=0.1,
        **kwargs,
    ):
        """Compiles with the paper's MNIST settings unless told otherwise.

        Args:
            generator_optimizer: G's optimizer (default Adam(1e-3, beta_1=0.5)).
            discriminator_optimizer: D's and Q's optimizer (default Adam(2e-4, beta_1=0.5)).
            categorical_weight: lambda for the categorical codes (1, the paper's).
            continuous_weight: lambda for the continuous codes (0.1: the paper
                uses "a smaller lambda" for them, so that the differential
                entropy term stays on the GAN objective's scale).
            **kwargs: passed to `AdversarialModel.compile` (e.g. `loss`).
        """
        self.categorical_weight, self.continuous_weight = float(categorical_weight), float(continuous_weight)
        super().compile(
            generator_optimizer=generator_optimizer, discriminator_optimizer=discriminator_optimizer, **kwargs
        )
        self.add_compile_args(categorical_weight=self.categorical_weight, continuous_weight=self.continuous_weight)

    def default_optimizer(self, role):
        """Adam with beta_1 0.5: 1e-3 for G, 2e-4 for D and Q (the paper's MNIST settings)."""
        return keras.optimizers.Adam(self.decayed(1e-3 if role == "generator_optimizer" else 2e-4), beta_1=0.5)

    # -- codes ----------------------------------------------------------------

    def code_parts(self, latents):
        """{name: the code's columns of full latents `[z, codes]`} (one-hot for categorical codes)."""
        return {
            c["name"]: latents[:, self.noise_dim + start : self.noise_dim + start + width]
            for c, start, width in zip(self.codes, self.code_offsets, self.code_widths)
        }

    def sample_latents(self, n, seed=None):
        """Full generator inputs `[z, codes]`: z and continuous codes uniform on [-1, 1], categorical codes uniform one-hot.

        Inside a training step the draw is one for the global batch, each
        replica taking its rows, as for the other GANs.
        """
        shape = (n, self.noise_dim + len(self.codes))
        if seed is not None or tf.distribute.get_replica_context() is None:
            uniform = keras.random.uniform(shape, 0.0, 1.0, seed=self.seed_generator if seed is None else seed)
        else:
            uniform = self.normal_noise(shape, distribution="unit_uniform")
        parts = [uniform[:, : self.noise_dim] * 2.0 - 1.0]
        for i, code in enumerate(self.codes):
            u = uniform[:, self.noise_dim + i]
            if code["kind"] == "categorical":
                index = ops.minimum(ops.cast(ops.floor(u * code["size"]), "int32"), code["size"] - 1)
                parts.append(ops.one_hot(index, code["size"]))
            else:
                parts.append((u * 2.0 - 1.0)[:, None])
        return ops.concatenate(parts, axis=1)

    def discriminate(self, images, labels=None, training=False):
        logits, parameters = self.discriminator(images, training=training)
        return ops.cast(logits, "float32"), ops.cast(parameters, "float32")

    def run_discriminator(self, images, labels=None, training=False):
        return self.discriminate(images, labels, training)[0]

    def split_parameters(self, parameters):
        """{name: Q's outputs for the code}: a categorical code's logits, a continuous code's (mean, raw scale or None)."""
        found, at = {}, 0
        continuous = [c for c in self.codes if c["kind"] == "continuous"]
        for code in self.codes:
            if code["kind"] == "categorical":
                found[code["name"]] = parameters[:, at : at + code["size"]]
                at += code["size"]
        for i, code in enumerate(continuous):
            raw_scale = parameters[:, at + len(continuous) + i] if self.learn_scale else None
            found[code["name"]] = (parameters[:, at + i], raw_scale)
        return found

    def q_distributions(self, parameters):
        """{name: Q's distribution over the code}: `tfp` Categorical or Normal, from Q's outputs."""
        from kerasgen.distributions import tfd

        found = {}
        for name, part in self.split_parameters(parameters).items():
            if not isinstance(part, tuple):
                found[name] = tfd.Categorical(logits=part)
                continue
            loc, raw_scale = part
            scale = tf.ones_like(loc) if raw_scale is None else tf.math.softplus(raw_scale) + 1e-3
            found[name] = tfd.Normal(loc=loc, scale=scale)
        return found

    def code_estimates(self, parameters):
        """Q's estimate of each code (in graph): a categorical code's index and `{name}_probabilities`, a continuous code's mean."""
        out = {}
        for name, part in self.split_parameters(parameters).items():
            if isinstance(part, tuple):
                out[name] = part[0]
            else:
                out[name] = tf.argmax(part, axis=1, output_type=tf.int32)
                out[f"{name}_probabilities"] = tf.nn.softmax(part)
        return out

    def auxiliary_terms(self, outputs, latents):
        """-log Q(c | G(z, c)) per example: lambda-weighted total and its categorical and continuous parts."""
        q = self.q_distributions(outputs)
        parts = self.code_parts(tf.cast(latents, tf.float32))
        batch = tf.shape(outputs)[0]
        categorical = tf.zeros([batch], tf.float32)
        continuous = tf.zeros([batch], tf.float32)
        for code in self.codes:
            value = parts[code["name"]]
            if code["kind"] == "categorical":
                categorical += -q[code["name"]].log_prob(tf.argmax(value, axis=1, output_type=tf.int32))
            else:
                continuous += -q[code["name"]].log_prob(value[:, 0])
        total = self.categorical_weight * categorical + self.continuous_weight * continuous
        return total, {"info_loss": total, "info_categorical": categorical, "info_continuous": continuous}

    # -- inference ------------------------------------------------------------

    def code_values(self, n, codes=None, seed=None):
        """Full code columns `(n, code width)` from user values per code, random where omitted (checked)."""
        codes = dict(codes or {})
        names = [c["name"] for c in self.codes]
        unknown = set(codes) - set(names)
        if unknown:
            raise ValueError(f"Unknown code(s) {sorted(unknown)}; this model's codes are {names}.")
        random = np.asarray(self.sample_latents(n, seed=seed))[:, self.noise_dim :]
        columns = []
        for code, start, width in zip(self.codes, self.code_offsets, self.code_widths):
            if code["name"] not in codes:
                columns.append(random[:, start : start + width])
                continue
            raw = np.asarray(codes[code["name"]])
            if raw.ndim == 0:
                raw = np.full((n,), raw.item())
            if raw.ndim != 1 or raw.shape[0] != n:
                raise ValueError(
                    f"Code {code['name']!r} takes one value per image: a number or {n} of them; got shape {raw.shape}."
                )
            if code["kind"] == "categorical":
                if not np.all(np.mod(raw, 1) == 0) or raw.min() < 0 or raw.max() >= code["size"]:
                    raise ValueError(
                        f"Code {code['name']!r} is categorical: values must be ints in [0, {code['size']}); "
                        f"got {sorted(set(np.asarray(raw).tolist()))[:6]}."
                    )
                columns.append(np.eye(code["size"], dtype="float32")[raw.astype("int64")])
            else:
                if not np.all(np.isfinite(raw)) or np.abs(raw).max(initial=0) > 1.0:
                    raise ValueError(
                        f"Code {code['name']!r} is continuous, uniform on [-1, 1] in training: values must be in "
                        f"[-1, 1]; got values from {raw.min():g} to {raw.max():g}."
                    )
                columns.append(raw.astype("float32")[:, None])
        return np.concatenate(columns, axis=1).astype("float32")

    def generate(self, n, seed=None, codes=None, batch_size=256):
        """Draws `n` images, with the given code values and random ones elsewhere.

        Args:
            n: number of images.
            seed: int for a repeatable draw of z and the omitted codes.
            codes: optional `{name: value or n values}`, e.g.
                `{"digit": 3, "slant": np.linspace(-1, 1, n)}`.
            batch_size: decoding batch size.

        Returns:
            float32 numpy array `(n, height, width, channels)` in [-1, 1].
        """
        n = int(n)
        if n < 0:
            raise ValueError(f"generate needs a number of images n >= 0; got {n}.")
        latents = np.array(self.sample_latents(n, seed=seed))
        latents[:, self.noise_dim :] = self.code_values(n, codes, seed=None if seed is None else seed + 1)
        return self.decode_in_batches(latents, batch_size)

    def infer_codes(self, images, batch_size=256):
        """Q's estimate of each code for images: `{name: index (categorical) or mean (continuous)}`.

        Also `{name}_probabilities` for a categorical code's softmax.
        """
        images = self.prepare_images(images)
        batches = [
            self.code_estimates(self.discriminate(images[i : i + batch_size])[1])
            for i in range(0, int(images.shape[0]), batch_size)
        ] or [self.code_estimates(tf.zeros((0, self.q_outputs)))]
        return {name: np.concatenate([ops.convert_to_numpy(b[name]) for b in batches]) for name in batches[0]}

    def sample_figures(self, latents=None, images=None):
        """Samples, and the paper's Figure 2: for each continuous code a grid with one row per value
        of the first categorical code and the continuous code from -1 to 1 along the row (noise and
        the other codes fixed per row)."""
        figures = super().sample_figures(latents, images)
        categorical = next((c for c in self.codes if c["kind"] == "categorical"), None)
        rows = categorical["size"] if categorical else 8
        steps = 10
        base = np.repeat(np.array(self.sample_latents(rows, seed=self.seed or 0)), steps, axis=0)
        if categorical:
            start = self.noise_dim + self.code_offsets[self.codes.index(categorical)]
            base[:, start : start + rows] = np.repeat(np.eye(rows, dtype="float32"), steps, axis=0)
        for code, start in zip(self.codes, self.code_offsets):
            if code["kind"] != "continuous":
                continue
            grid = base.copy()
            grid[:, self.noise_dim + start] = np.tile(np.linspace(-1, 1, steps), rows)
            figures[f"code_{code['name']}"] = (self.decode_in_batches(grid), steps)
        return figures

    # -- export and config ----------------------------------------------------

    def export_signatures(self):
        code_specs = [
            tf.TensorSpec((None,), tf.int32 if c["kind"] == "categorical" else tf.float32, name=c["name"])
            for c in self.codes
        ]
        noise_spec = tf.TensorSpec((None, self.noise_dim), tf.float32, name="latents")

        def generate(latents, *codes):
            columns = [latents]
            for code, value in zip(self.codes, codes):
                if code["kind"] == "categorical":
                    columns.append(tf.one_hot(value, code["size"], dtype=tf.float32))
                else:
                    columns.append(tf.cast(value, tf.float32)[:, None])
            return {"images": self.decode_latents(tf.concat(columns, axis=1))}

        def infer_codes(images):
            return self.code_estimates(self.discriminate(images)[1])

        generate_spec = [noise_spec] + code_specs
        return {
            "serving_default": (generate, generate_spec),
            "generate": (generate, generate_spec),
            "infer_codes": (infer_codes, [self.image_spec()]),
        }

    def get_config(self):
        config = super().get_config()
        for key in ("latent_dim", "latent_distribution"):
            config.pop(key, None)
        config.update(
            noise_dim=self.noise_dim,
            codes=[dict(c) for c in self.codes],
            generator_filters=self.generator_filters,
            discriminator_filters=self.discriminator_filters,
            dense_units=self.dense_units,
            q_units=self.q_units,
            learn_scale=self.learn_scale,
            synchronized_batch_norm=self.synchronized_batch_norm,
        )
        return config
