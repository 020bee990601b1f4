"""kerasgen models: one folder per family, one public class per file.

Importing this package registers every family's classes (Keras
serialization) and zoo presets (`kerasgen.presets`).
"""

from kerasgen.models.aae import AAE  # noqa: F401
from kerasgen.models.autoencoder import Autoencoder  # noqa: F401
from kerasgen.models.base import GenerativeModel  # noqa: F401
from kerasgen.models.cyclegan import CycleGAN  # noqa: F401
from kerasgen.models.encoder_decoder import EncoderDecoderModel  # noqa: F401
from kerasgen.models.gan import DCGAN, GAN, ConditionalDCGAN  # noqa: F401
from kerasgen.models.infogan import InfoGAN  # noqa: F401
from kerasgen.models.linear_decay import LinearDecay  # noqa: F401
from kerasgen.models.part_to_whole import PartToWholeGAN  # noqa: F401
from kerasgen.models.progan import ProGAN  # noqa: F401
from kerasgen.models.stargan import StarGAN  # noqa: F401
from kerasgen.models.vae import VAE  # noqa: F401
