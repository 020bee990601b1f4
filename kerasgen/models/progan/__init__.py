"""The progressive-growing GAN (Karras et al. 2018): model, networks and schedule, callbacks."""

from kerasgen.models.progan import presets  # noqa: F401 - registers the zoo entries
from kerasgen.models.progan.callbacks import stage_grid_callback  # noqa: F401
from kerasgen.models.progan.networks import num_filters, schedule  # noqa: F401
from kerasgen.models.progan.progan import PAPER_BATCH_SIZES, ProGAN  # noqa: F401
