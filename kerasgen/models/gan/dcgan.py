"""Deep convolutional GAN (Radford, Metz & Chintala, 2016)."""

import keras
from keras import layers

from kerasgen.models.gan.adversarial import AdversarialModel, normal_init

# BatchNorm as in the paper's Torch code (nn.SpatialBatchNormalization
# defaults): epsilon 1e-5 and running averages updated with weight 0.1,
# i.e. Keras momentum 0.9.
BN_MOMENTUM = 0.9
BN_EPSILON = 1e-5


def dcgan_layout(image_shape):
    """(base size, number of stride-2 layers) for a square image size.

    Powers of two from 16 up start from a 4x4 map, as in the paper (4 -> 8 ->
    ... -> size). 28x28 (MNIST-like data) starts from 7x7: 7 -> 14 -> 28,
    still only 4x4 stride-2 transposed convolutions, so digits need no
    padding and stay comparable with the digits feature extractor.
    """
    h, w, c = image_shape
    if h != w:
        raise ValueError(f"DCGAN needs square images; got image_shape={tuple(image_shape)}.")
    if c not in (1, 3):
        raise ValueError(f"DCGAN images have 1 or 3 channels; got image_shape={tuple(image_shape)}.")
    if h == 28:
        return 7, 2
    if h >= 16 and h & (h - 1) == 0:
        return 4, h.bit_length() - 3
    raise ValueError(
        f"DCGAN image size must be a power of two >= 16 (16, 32, 64, ...) or 28; got {h}x{w}. "
        "Resize the data, e.g. kerasgen.data.dataset(source, (64, 64, 3))."
    )


def batch_norm(seed, index, name, synchronized=False):
    # The paper's code initializes BatchNorm gamma from N(1, 0.02).
    # `synchronized` computes the statistics over the global batch under a
    # multi-replica strategy (one device's statistics otherwise).
    return layers.BatchNormalization(
        momentum=BN_MOMENTUM,
        epsilon=BN_EPSILON,
        gamma_initializer=normal_init(seed, index, mean=1.0),
        synchronized=synchronized,
        name=name,
    )


def dcgan_generator_body(latent_input, image_shape, filters, seed=None, synchronized=False):
    """Projection of z to the base map, then 4x4 stride-2 transposed convs.

    `latent_input` is the tensor that is projected (z, or z joined with a
    label embedding). Returns the output tensor (images in [-1, 1]).
    """
    base, num_up = dcgan_layout(image_shape)
    width = filters * 2 ** (num_up - 1)
    # "Project and reshape": one matrix multiplication, then BN + ReLU.
    x = layers.Dense(base * base * width, use_bias=False, kernel_initializer=normal_init(seed, 0), name="project")(
        latent_input
    )
    x = layers.Reshape((base, base, width), name="reshape")(x)
    x = batch_norm(seed, 1000, "project_bn", synchronized)(x)
    x = layers.ReLU(name="project_relu")(x)
    for i in range(num_up - 1):
        width //= 2
        x = layers.Conv2DTranspose(
            width,
            4,
            strides=2,
            padding="same",
            use_bias=False,
            kernel_initializer=normal_init(seed, i + 1),
            name=f"deconv_{i}",
        )(x)
        x = batch_norm(seed, 1001 + i, f"deconv_{i}_bn", synchronized)(x)
        x = layers.ReLU(name=f"deconv_{i}_relu")(x)
    # Output layer: no BatchNorm, tanh.
    x = layers.Conv2DTranspose(
        image_shape[-1], 4, strides=2, padding="same", kernel_initializer=normal_init(seed, num_up), name="output"
    )(x)
    return layers.Activation("tanh", dtype="float32", name="tanh")(x)


def dcgan_generator(latent_dim, image_shape, filters, seed=None, name="generator", synchronized=False):
    """The DCGAN generator from z (see `DCGAN`)."""
    z = keras.Input((latent_dim,), name="latents")
    return keras.Model(z, dcgan_generator_body(z, image_shape, filters, seed, synchronized), name=name)


def dcgan_discriminator_features(images, image_shape, filters, seed=None, synchronized=False):
    """4x4 stride-2 convolutions with LeakyReLU(0.2); no BatchNorm on the input layer."""
    _, num_down = dcgan_layout(image_shape)
    x = images
    width = filters
    for i in range(num_down):
        x = layers.Conv2D(
            width,
            4,
            strides=2,
            padding="same",
            use_bias=i == 0,
            kernel_initializer=normal_init(seed, 100 + i),
            name=f"conv_{i}",
        )(x)
        if i > 0:
            x = batch_norm(seed, 1100 + i, f"conv_{i}_bn", synchronized)(x)
        x = layers.LeakyReLU(0.2, name=f"conv_{i}_lrelu")(x)
        width *= 2
    # "The last convolution layer is flattened and then fed into a single
    # sigmoid output": the sigmoid lives in the loss, which takes logits.
    return layers.Flatten(name="flatten")(x)


def dcgan_discriminator(image_shape, filters, seed=None, name="discriminator", synchronized=False):
    """The DCGAN discriminator: images -> one logit (see `DCGAN`)."""
    images = keras.Input(tuple(image_shape), name="images")
    h = dcgan_discriminator_features(images, image_shape, filters, seed, synchronized)
    _, num_down = dcgan_layout(image_shape)
    logit = layers.Dense(1, kernel_initializer=normal_init(seed, 100 + num_down), dtype="float32", name="logit")(h)
    return keras.Model(images, logit, name=name)


@keras.saving.register_keras_serializable(package="kerasgen")
class DCGAN(AdversarialModel):
    """DCGAN: the all-convolutional GAN of Radford et al. (2016).

    Faithful to the paper by default:

    - G projects z (100-d) to a `base x base` map (4x4; 7x7 for 28x28
      images) with one matrix multiplication, then doubles the size with
      4x4 stride-2 transposed convolutions up to the image; D halves it with
      4x4 stride-2 convolutions and feeds the flattened last map to one
      logit. No pooling, no hidden fully connected layers.
    - BatchNorm in every layer except G's output and D's input layers.
    - ReLU in G with a tanh output; LeakyReLU(0.2) in D; data in [-1, 1].
    - Weights N(0, 0.02), BatchNorm gamma N(1, 0.02); Adam(2e-4,
      beta_1=0.5) for both networks (`compile()`).
    - Convolutions followed by BatchNorm have no bias (BatchNorm's beta
      replaces it).

    Widths: G's last hidden layer has `generator_filters` maps and each
    layer closer to z has twice as many (64x64 with 128: 1024 at 4x4, then
    512, 256, 128, as in the paper's Figure 1); D's first layer has
    `discriminator_filters` and each next one twice as many.

    Image sizes: square, powers of two from 16 up, or 28 (7 -> 14 -> 28);
    1 or 3 channels.

    The paper's text draws z from a uniform distribution; its reference
    code's default is N(0, I), which kerasgen uses
    (`latent_distribution="uniform"` gives U[-1, 1]).

    Args:
        image_shape: `(height, width, channels)`.
        latent_dim: size of z (the paper: 100).
        generator_filters: width of G's last hidden layer.
        discriminator_filters: width of D's first layer.
        latent_distribution: `"normal"` or `"uniform"`.
        ema_decay: None, or the decay of an exponential moving average of
            G's weights used by `generate` (not in the paper).
        synchronized_batch_norm: compute BatchNorm statistics over the
            global batch when training on several replicas (then N replicas
            take the same step as one device).
        seed: seed of the model's random draws and initializers.
        generator: optional Keras model from latents to images in [-1, 1].
        discriminator: optional Keras model from images to one logit.

    Example:
    >>> model = kerasgen.models.DCGAN(image_shape=(64, 64, 3))
    >>> model.compile()
    >>> model.fit(kerasgen.data.dataset("tfds:celeb_a", model.image_shape, batch_size=128), epochs=5)
    >>> faces = model.generate(64, seed=0)
    """

    def __init__(
        self,
        image_shape=(64, 64, 3),
        latent_dim=100,
        generator_filters=128,
        discriminator_filters=64,
        latent_distribution="normal",
        ema_decay=None,
        synchronized_batch_norm=False,
        seed=None,
        generator=None,
        discriminator=None,
        **kwargs,
    ):
        self.synchronized_batch_norm = bool(synchronized_batch_norm)
        super().__init__(
            image_shape=image_shape,
            latent_dim=latent_dim,
            latent_distribution=latent_distribution,
            ema_decay=ema_decay,
            seed=seed,
            **kwargs,
        )
        dcgan_layout(self.image_shape)
        self.generator_filters = int(generator_filters)
        self.discriminator_filters = int(discriminator_filters)
        if self.generator_filters < 1 or self.discriminator_filters < 1:
            raise ValueError("generator_filters and discriminator_filters must be positive.")
        self.add_network("generator", generator, self.build_generator)
        self.add_network("discriminator", discriminator, self.build_discriminator)
        self._finish_init()

    def build_generator(self):
        return dcgan_generator(
            self.latent_dim,
            self.image_shape,
            self.generator_filters,
            self.seed,
            synchronized=self.synchronized_batch_norm,
        )

    def build_discriminator(self):
        return dcgan_discriminator(
            self.image_shape, self.discriminator_filters, self.seed, synchronized=self.synchronized_batch_norm
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            generator_filters=self.generator_filters,
            discriminator_filters=self.discriminator_filters,
            synchronized_batch_norm=self.synchronized_batch_norm,
        )
        return config
