"""`EncoderDecoderModel`: what the autoencoder, the VAE and the AAE share."""

import tensorflow as tf
from keras import ops

from kerasgen.images import rows_above
from kerasgen.models.base import RECONSTRUCT, GenerativeModel


class EncoderDecoderModel(GenerativeModel):
    """An encoder from images to codes and a decoder back: one `encode` contract.

    A subclass implements `encode_codes(images, training)` (a float32 tensor
    of codes: f(x) for a deterministic encoder, the posterior mean for a
    Gaussian one) and `decode_latents(codes, training)`. The base gives the
    user-facing `encode`, `decode` and `reconstruct` (numpy in, numpy out)
    and the SavedModel signatures `encode`, `decode` and `reconstruct`, with
    `serving_default` naming one of them.
    """

    capabilities = frozenset({RECONSTRUCT})
    serving_default = "decode"  # which signature `serving_default` is
    latent_input_name = "codes"  # the decode signature's input name

    def encode_codes(self, images, training=False):
        """Codes of a batch of [-1, 1] images, as a float32 tensor."""
        raise NotImplementedError

    def encoding_outputs(self, images):
        """The outputs of the exported `encode` signature."""
        return {"codes": self.encode_codes(images)}

    def call(self, images, training=False):
        return self.decode_latents(self.encode_codes(images, training=training), training=training)

    def encode(self, images):
        """Codes of a batch of images, as a numpy array `(n, latent_dim)`."""
        return ops.convert_to_numpy(self.encode_codes(self.prepare_images(images)))

    def decode(self, codes):
        """Images in [-1, 1] for a batch of codes."""
        return ops.convert_to_numpy(self.decode_latents(tf.convert_to_tensor(codes, tf.float32)))

    def reconstruct(self, images):
        """Decodes the code of each image; float32 numpy in [-1, 1]."""
        return ops.convert_to_numpy(ops.cast(self(self.prepare_images(images)), "float32"))

    def sample_figures(self, latents=None, images=None):
        figures = super().sample_figures(latents, images)
        if images is not None:
            figures["reconstructions"] = rows_above(images, self.reconstruct(images))
        return figures

    def export_signatures(self):
        def encode(images):
            return self.encoding_outputs(images)

        def decode(codes):
            return {"images": ops.cast(self.decode_latents(codes), "float32")}

        def reconstruct(images):
            return {"images": ops.cast(self(images), "float32")}

        signatures = {
            "decode": (decode, [self.latent_spec(self.latent_input_name)]),
            "encode": (encode, [self.image_spec()]),
            "reconstruct": (reconstruct, [self.image_spec()]),
        }
        return {"serving_default": signatures[self.serving_default], **signatures}
