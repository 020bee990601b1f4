"""The GAN family: GAN (Goodfellow et al. 2014), DCGAN (Radford et al. 2016), the conditional DCGAN.

All three train on the shared adversarial step of `adversarial.py`.
"""

from kerasgen.models.gan import presets  # noqa: F401 - registers the zoo entries
from kerasgen.models.gan.adversarial import AdversarialModel, normal_init  # noqa: F401
from kerasgen.models.gan.conditional_dcgan import ConditionalDCGAN  # noqa: F401
from kerasgen.models.gan.dcgan import DCGAN  # noqa: F401
from kerasgen.models.gan.gan import GAN  # noqa: F401
