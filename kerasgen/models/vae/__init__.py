"""The variational autoencoder (Kingma & Welling 2014)."""

from kerasgen.models.vae import presets  # noqa: F401 - registers the zoo entries
from kerasgen.models.vae.vae import LIKELIHOODS, VAE  # noqa: F401
