import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasgen import layers


@pytest.fixture(autouse=True)
def seed():
    keras.utils.set_random_seed(0)


def numpy_conv2d(x, kernel, stride, padding):
    """NHWC cross-correlation with TensorFlow's padding rules."""
    kh, kw = kernel.shape[:2]
    n, h, w, _ = x.shape
    if padding == "same":
        out_h, out_w = -(-h // stride), -(-w // stride)
        pad_h = max((out_h - 1) * stride + kh - h, 0)
        pad_w = max((out_w - 1) * stride + kw - w, 0)
        x = np.pad(
            x,
            [(0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)],
        )
    else:
        out_h, out_w = (h - kh) // stride + 1, (w - kw) // stride + 1
    out = np.zeros((n, out_h, out_w, kernel.shape[-1]))
    for i in range(out_h):
        for j in range(out_w):
            patch = x[:, i * stride : i * stride + kh, j * stride : j * stride + kw, :]
            out[:, i, j, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
    return out


def test_equalized_dense_scale_and_output():
    fan_in, units = 256, 64
    layer = layers.EqualizedDense(units)
    layer.build((None, fan_in))
    he = math.sqrt(2.0 / fan_in)
    assert layer.scale == pytest.approx(he)
    stored = layer.kernel.numpy()
    assert abs(stored.std() - 1.0) < 0.03 and abs(stored.mean()) < 0.03
    np.testing.assert_array_equal(layer.bias.numpy(), 0.0)

    # The identity input reads out the effective (run-time) kernel.
    effective = layer(np.eye(fan_in, dtype="float32")).numpy()
    np.testing.assert_allclose(effective.std(), he * stored.std(), rtol=1e-5)
    np.testing.assert_allclose(effective, he * stored, rtol=1e-5, atol=1e-7)

    bias = np.random.default_rng(0).normal(size=units).astype("float32")
    layer.bias.assign(bias)
    x = np.random.default_rng(1).normal(size=(5, fan_in)).astype("float32")
    np.testing.assert_allclose(layer(x).numpy(), x @ (he * stored) + bias, rtol=1e-4, atol=1e-5)


def test_equalized_dense_lr_multiplier():
    layer = layers.EqualizedDense(32, gain=1.0, lr_multiplier=0.01)
    layer.build((None, 128))
    stored = layer.kernel.numpy()
    # Stored weights are 1/lr_multiplier larger; the function is unchanged.
    assert abs(stored.std() - 100.0) < 6.0
    assert layer.scale == pytest.approx(0.01 / math.sqrt(128))
    layer.bias.assign(np.full(32, 3.0, "float32"))
    x = np.random.default_rng(2).normal(size=(4, 128)).astype("float32")
    expected = x @ (stored * layer.scale) + 0.03
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kernel_size,strides,padding", [(3, 1, "same"), (3, 2, "same"), (4, 2, "valid")])
def test_equalized_conv2d_matches_numpy(kernel_size, strides, padding):
    in_channels, filters = 16, 8
    layer = layers.EqualizedConv2D(filters, kernel_size, strides=strides, padding=padding)
    x = np.random.default_rng(3).normal(size=(2, 9, 9, in_channels)).astype("float32")
    y = layer(x).numpy()
    fan_in = kernel_size * kernel_size * in_channels
    he = math.sqrt(2.0 / fan_in)
    assert layer.scale == pytest.approx(he)
    stored = layer.kernel.numpy()
    assert abs(stored.std() - 1.0) < 0.1  # ~5 standard errors
    np.testing.assert_allclose(np.std(stored * layer.scale), he * stored.std(), rtol=1e-6)
    expected = numpy_conv2d(x, he * stored, strides, padding)
    assert y.shape == expected.shape
    assert y.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


def test_equalized_conv2d_gain_one():
    layer = layers.EqualizedConv2D(4, 1, gain=1.0)
    layer.build((None, 4, 4, 9))
    assert layer.scale == pytest.approx(1.0 / 3.0)


def test_pixel_normalization_unit_mean_square():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 5, 5, 32)) * rng.uniform(0.1, 10, size=(3, 5, 5, 1))
    x = x.astype("float32")
    y = layers.PixelNormalization()(x).numpy()
    np.testing.assert_allclose(np.mean(y**2, axis=-1), 1.0, rtol=1e-5)
    expected = x / np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + 1e-8)
    np.testing.assert_allclose(y, expected, rtol=1e-5)
    # Zero vectors stay finite thanks to epsilon.
    assert np.all(np.isfinite(layers.PixelNormalization()(np.zeros((1, 2, 2, 4)))))


def numpy_minibatch_stddev(x, group):
    n, h, w, c = x.shape
    y = x.reshape(group, n // group, h, w, c).astype("float64")
    std = np.sqrt(y.var(axis=0) + 1e-8)  # population variance
    per_group = std.mean(axis=(1, 2, 3))  # [n // group]
    feature = np.tile(per_group[:, None, None, None], (group, h, w, 1))
    return np.concatenate([x, feature], axis=-1)


@pytest.mark.parametrize("batch,group_size,group", [(8, 4, 4), (6, 4, 3), (3, 4, 3), (5, 4, 1), (12, 2, 2)])
def test_minibatch_stddev_matches_numpy(batch, group_size, group):
    x = np.random.default_rng(5).normal(size=(batch, 4, 4, 6)).astype("float32")
    x *= np.arange(1, batch + 1, dtype="float32")[:, None, None, None]
    y = layers.MinibatchStandardDeviation(group_size)(x).numpy()
    assert y.shape == (batch, 4, 4, 7)
    np.testing.assert_array_equal(y[..., :6], x)
    np.testing.assert_allclose(y, numpy_minibatch_stddev(x, group), rtol=1e-5)


def test_minibatch_stddev_dynamic_batch():
    layer = layers.MinibatchStandardDeviation(4)
    fn = tf.function(layer, input_signature=[tf.TensorSpec([None, 2, 2, 3])])
    for batch, group in ((8, 4), (6, 3), (7, 1)):
        x = np.random.default_rng(batch).normal(size=(batch, 2, 2, 3)).astype("float32")
        np.testing.assert_allclose(fn(x).numpy(), numpy_minibatch_stddev(x, group), rtol=1e-5)
    model = keras.Sequential([keras.Input((2, 2, 3)), layers.MinibatchStandardDeviation()])
    assert model.output_shape == (None, 2, 2, 4)


def test_instance_normalization_per_image_and_channel():
    rng = np.random.default_rng(6)
    x = rng.normal(loc=3.0, scale=2.0, size=(3, 8, 8, 4)).astype("float32")
    x *= rng.uniform(0.5, 5.0, size=(3, 1, 1, 4)).astype("float32")
    layer = layers.InstanceNormalization()
    y = layer(x).numpy()
    assert layer.weights == []
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(1, 2)), 1.0, atol=1e-3)

    changed = x.copy()
    changed[1] = rng.normal(size=changed[1].shape) * 100.0
    y_changed = layer(changed).numpy()
    np.testing.assert_allclose(y_changed[0], y[0], rtol=1e-6)
    np.testing.assert_allclose(y_changed[2], y[2], rtol=1e-6)
    assert not np.allclose(y_changed[1], y[1])
    # Same behaviour in training and inference: no running statistics.
    np.testing.assert_allclose(layer(x, training=True).numpy(), y, rtol=1e-6)


def test_conditional_instance_normalization_scales_each_image_by_its_condition():
    rng = np.random.default_rng(8)
    x = rng.normal(loc=2.0, scale=3.0, size=(2, 6, 6, 4)).astype("float32")
    c = np.array([[1.0, 0.0, 0.5], [0.0, 2.0, 0.0]], "float32")
    layer = layers.ConditionalInstanceNormalization(name="cin")
    plain = layers.InstanceNormalization()(x).numpy()
    # Fresh weights are zero: plain instance normalization, whatever c is.
    np.testing.assert_allclose(layer([x, c]).numpy(), plain, atol=1e-5)
    ws, bs, wo, bo = (rng.normal(size=w.shape).astype("float32") for w in layer.weights)
    for weight, value in zip(layer.weights, (ws, bs, wo, bo)):
        weight.assign(value)
    expected = plain * (1 + c @ ws + bs)[:, None, None, :] + (c @ wo + bo)[:, None, None, :]
    np.testing.assert_allclose(layer([x, c]).numpy(), expected, rtol=1e-5, atol=1e-5)
    restored = keras.layers.deserialize(keras.layers.serialize(layer))
    assert type(restored) is layers.ConditionalInstanceNormalization and restored.get_config() == layer.get_config()
    assert keras.saving.get_registered_name(type(layer)) == "kerasgen>ConditionalInstanceNormalization"
    images, conditions = keras.Input((6, 6, 4)), keras.Input((3,))
    assert keras.Model([images, conditions], layer([images, conditions])).output_shape == (None, 6, 6, 4)


def test_conditional_instance_normalization_in_mixed_bfloat16(mixed_bfloat16):
    x = np.random.default_rng(9).normal(size=(2, 4, 4, 8)).astype("float32")
    c = np.eye(2, 3, dtype="float32")
    layer = layers.ConditionalInstanceNormalization()
    y = layer([x, c])
    assert y.dtype == tf.bfloat16 and all(w.dtype == "float32" for w in layer.weights)
    np.testing.assert_allclose(
        tf.cast(y, "float32").numpy(), layers.InstanceNormalization(dtype="float32")(x).numpy(), rtol=0.05, atol=0.05
    )


@pytest.mark.parametrize("padding,pads", [((1, 1), (1, 1)), ((2, 3), (2, 3)), (2, (2, 2))])
def test_reflection_padding_matches_numpy(padding, pads):
    x = np.random.default_rng(7).normal(size=(2, 5, 6, 3)).astype("float32")
    layer = layers.ReflectionPadding2D(padding)
    y = layer(x).numpy()
    expected = np.pad(x, [(0, 0), (pads[0], pads[0]), (pads[1], pads[1]), (0, 0)], mode="reflect")
    np.testing.assert_array_equal(y, expected)
    assert layer.compute_output_shape((None, None, 6, 3)) == (None, None, 6 + 2 * pads[1], 3)


def test_residual_block():
    x = np.random.default_rng(8).normal(size=(2, 8, 8, 16)).astype("float32")
    block = layers.ResidualBlock(16)
    y = block(x).numpy()
    assert y.shape == x.shape
    assert np.all(np.isfinite(y))
    assert not np.allclose(y, x)
    assert len(block.trainable_weights) == 4
    k1, k2 = block.conv_1.kernel.numpy(), block.conv_2.kernel.numpy()
    assert k1.shape == (3, 3, 16, 16)
    assert abs(k1.std() - 0.02) < 0.003 and abs(k2.std() - 0.02) < 0.003
    assert not np.allclose(k1, k2)
    # The residual branch ends in instance norm, so zeroed convs leave only
    # the skip connection.
    for w in block.weights:
        w.assign(np.zeros(w.shape, "float32"))
    np.testing.assert_allclose(block(x).numpy(), x, atol=1e-6)
    with pytest.raises(ValueError, match="skip"):
        layers.ResidualBlock(8)(x)


def test_fade_in():
    rng = np.random.default_rng(9)
    old = rng.normal(size=(4, 4, 4, 3)).astype("float32")
    new = rng.normal(size=(4, 4, 4, 3)).astype("float32")
    fade = layers.FadeIn()
    alpha = keras.Variable(0.0, trainable=False)
    np.testing.assert_allclose(fade([old, new, alpha]).numpy(), old, rtol=1e-6)
    alpha.assign(1.0)
    np.testing.assert_allclose(fade([old, new, alpha]).numpy(), new, rtol=1e-6)
    out = fade([old, new, tf.constant(0.25)]).numpy()
    np.testing.assert_allclose(out, 0.25 * new + 0.75 * old, rtol=1e-5, atol=1e-6)
    per_example = np.array([[0.0], [1.0], [0.5], [0.0]], "float32")
    out = fade([old, new, per_example]).numpy()
    np.testing.assert_allclose(out[1], new[1], rtol=1e-6)
    np.testing.assert_allclose(out[2], 0.5 * (old[2] + new[2]), rtol=1e-5)


LAYER_CASES = {
    "PixelNormalization": (lambda: layers.PixelNormalization(epsilon=1e-6), (2, 4, 4, 8)),
    "EqualizedDense": (
        lambda: layers.EqualizedDense(6, gain=1.0, use_bias=False, lr_multiplier=0.1),
        (2, 8),
    ),
    "EqualizedConv2D": (
        lambda: layers.EqualizedConv2D(6, (3, 1), strides=2, padding="valid", gain=1.0),
        (2, 8, 8, 4),
    ),
    "MinibatchStandardDeviation": (
        lambda: layers.MinibatchStandardDeviation(group_size=2),
        (4, 4, 4, 8),
    ),
    "InstanceNormalization": (lambda: layers.InstanceNormalization(epsilon=1e-3), (2, 4, 4, 8)),
    "ReflectionPadding2D": (lambda: layers.ReflectionPadding2D((2, 1)), (2, 4, 4, 8)),
    "ResidualBlock": (lambda: layers.ResidualBlock(8), (2, 6, 6, 8)),
}


@pytest.mark.parametrize("name", sorted(LAYER_CASES))
def test_config_round_trip(name):
    make, shape = LAYER_CASES[name]
    layer = make()
    config = layer.get_config()
    clone = layer.__class__.from_config(config)
    assert clone.get_config() == config
    restored = keras.layers.deserialize(keras.layers.serialize(layer))
    assert type(restored) is type(layer)
    assert restored.get_config() == config
    assert keras.saving.get_registered_name(type(layer)) == f"kerasgen>{name}"


def test_fade_in_config_round_trip():
    layer = layers.FadeIn(name="fade")
    restored = keras.layers.deserialize(keras.layers.serialize(layer))
    assert type(restored) is layers.FadeIn and restored.name == "fade"


def test_saved_model_with_all_layers_reloads(tmp_path):
    image = keras.Input((8, 8, 3))
    alpha = keras.Input(())
    x = layers.EqualizedConv2D(8, 3)(image)
    x = layers.PixelNormalization()(x)
    x = layers.ReflectionPadding2D()(x)
    x = layers.InstanceNormalization()(x)
    x = layers.ResidualBlock(8)(x)
    x = layers.MinibatchStandardDeviation()(x)
    old = keras.layers.Conv2D(9, 1)(x)
    x = layers.FadeIn()([old, x, alpha])
    x = keras.layers.Flatten()(x)
    out = layers.EqualizedDense(1, gain=1.0)(x)
    model = keras.Model([image, alpha], out)
    inputs = [
        np.random.default_rng(10).normal(size=(4, 8, 8, 3)).astype("float32"),
        np.full((4,), 0.5, "float32"),
    ]
    expected = model(inputs).numpy()
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(restored(inputs).numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.fixture
def mixed_bfloat16():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


@pytest.mark.parametrize("name", sorted(LAYER_CASES))
def test_mixed_bfloat16(name, mixed_bfloat16):
    make, shape = LAYER_CASES[name]
    layer = make()
    x = np.random.default_rng(11).normal(size=shape).astype("float32")
    y = layer(x)
    assert y.dtype == tf.bfloat16
    assert np.all(np.isfinite(tf.cast(y, "float32").numpy()))
    for weight in layer.weights:
        assert weight.dtype == "float32"
    if name == "ResidualBlock":
        assert layer.conv_1.compute_dtype == "bfloat16"
    # Close to the float32 result (bfloat16 keeps ~3 significant digits).
    float32_layer = layer.__class__.from_config({**layer.get_config(), "dtype": "float32"})
    float32_layer.build(shape)
    for target, source in zip(float32_layer.weights, layer.weights):
        target.assign(source.numpy())
    reference = float32_layer(x).numpy()
    np.testing.assert_allclose(tf.cast(y, "float32").numpy(), reference, rtol=0.05, atol=0.1)


def test_fade_in_mixed_bfloat16(mixed_bfloat16):
    alpha = keras.Variable(0.25, trainable=False, dtype="float32")
    old = np.ones((2, 4, 4, 3), "float32")
    new = np.zeros((2, 4, 4, 3), "float32")
    y = layers.FadeIn()([old, new, alpha])
    assert y.dtype == tf.bfloat16
    np.testing.assert_allclose(tf.cast(y, "float32").numpy(), 0.75)
