"""kerasgen models: one public class per file."""

from kerasgen.models.aae import AAE  # noqa: F401
from kerasgen.models.autoencoder import Autoencoder  # noqa: F401
from kerasgen.models.base import GenerativeModel  # noqa: F401
from kerasgen.models.conditional_dcgan import ConditionalDCGAN  # noqa: F401
from kerasgen.models.cyclegan import CycleGAN  # noqa: F401
from kerasgen.models.dcgan import DCGAN  # noqa: F401
from kerasgen.models.gan import GAN  # noqa: F401
from kerasgen.models.progan import ProGAN  # noqa: F401
from kerasgen.models.vae import VAE  # noqa: F401
