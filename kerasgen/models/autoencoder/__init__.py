"""The plain autoencoder: the non-generative baseline."""

from kerasgen.models.autoencoder import presets  # noqa: F401 - registers the zoo entries
from kerasgen.models.autoencoder.autoencoder import Autoencoder  # noqa: F401
