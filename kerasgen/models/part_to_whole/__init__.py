"""The part-to-whole GAN ("Puzzle-GAN", Lee et al. 2018): its model and networks."""

from kerasgen.models.part_to_whole import presets  # noqa: F401 - registers the zoo entries
from kerasgen.models.part_to_whole.part_to_whole_gan import PartToWholeGAN, paste_patches, patches_at_masks  # noqa: F401
