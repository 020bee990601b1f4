"""kerasgen models: one public class per file."""

from kerasgen.models.autoencoder import Autoencoder  # noqa: F401
from kerasgen.models.base import GenerativeModel  # noqa: F401
from kerasgen.models.vae import VAE  # noqa: F401
from kerasgen.models.cyclegan import CycleGAN  # noqa: F401
