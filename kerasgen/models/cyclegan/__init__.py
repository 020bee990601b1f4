"""CycleGAN (Zhu et al. 2017): its model, networks, history pool and learning-rate schedule."""

from kerasgen.models.cyclegan import presets  # noqa: F401 - registers the zoo entries
from kerasgen.models.cyclegan.cyclegan import DIRECTIONS, CycleGAN  # noqa: F401
from kerasgen.models.cyclegan.image_pool import ImagePool  # noqa: F401
from kerasgen.models.cyclegan.networks import patchgan_discriminator, resnet_generator  # noqa: F401
from kerasgen.models.linear_decay import LinearDecay  # noqa: F401
