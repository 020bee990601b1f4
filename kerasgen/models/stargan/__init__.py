"""StarGAN (Choi et al. 2018): its model and networks."""

from kerasgen.models.stargan import presets  # noqa: F401 - registers the zoo entries
from kerasgen.models.stargan.networks import stargan_discriminator, stargan_generator  # noqa: F401
from kerasgen.models.stargan.stargan import CELEBA_ATTRIBUTES, StarGAN  # noqa: F401
