"""InfoGAN (Chen et al. 2016): its model and networks, on the GAN family's adversarial step."""

from kerasgen.models.infogan import presets  # noqa: F401 - registers the zoo entries
from kerasgen.models.infogan.infogan import MNIST_CODES, InfoGAN  # noqa: F401
from kerasgen.models.infogan.networks import infogan_discriminator, infogan_generator  # noqa: F401
