import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasgen")
class ReflectionPadding2D(keras.layers.Layer):
    """Pads the two spatial axes of an NHWC tensor by reflection.

    Border values are mirrored without repeating the edge, like
    `np.pad(mode="reflect")` and PyTorch's `ReflectionPad2d`.

    Args:
        padding: an int, or `(pad_height, pad_width)` added on both sides
            of each axis. Each must be smaller than that axis.
        **kwargs: standard layer arguments such as `name` and `dtype`.

    Example:

    ```python
    x = keras.random.normal((1, 8, 8, 3))
    y = ReflectionPadding2D(3)(x)  # shape (1, 14, 14, 3)
    ```
    """

    def __init__(self, padding=(1, 1), **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, int):
            padding = (padding, padding)
        self.padding = tuple(int(p) for p in padding)
        if len(self.padding) != 2:
            raise ValueError(f"`padding` must be an int or a pair of ints, got {padding!r}.")

    def call(self, inputs):
        pad_h, pad_w = self.padding
        return ops.pad(
            inputs,
            [[0, 0], [pad_h, pad_h], [pad_w, pad_w], [0, 0]],
            mode="reflect",
        )

    def compute_output_shape(self, input_shape):
        pad_h, pad_w = self.padding
        batch, height, width, channels = input_shape
        height = None if height is None else height + 2 * pad_h
        width = None if width is None else width + 2 * pad_w
        return (batch, height, width, channels)

    def get_config(self):
        config = super().get_config()
        config.update({"padding": self.padding})
        return config
