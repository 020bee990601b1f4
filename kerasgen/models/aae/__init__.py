"""The adversarial autoencoder (Makhzani et al. 2015)."""

from kerasgen.models.aae import presets  # noqa: F401 - registers the zoo entries
from kerasgen.models.aae.aae import AAE, latent_discriminator  # noqa: F401
