import os
import re
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from kerasgen import data


def test_mnist_is_shuffled_split_and_balanced():
    x, y = data.mnist()
    assert x.shape == (5000, 28, 28, 1) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == [500] * 10
    assert len(set(y[:20].tolist())) > 3  # not sorted by class any more
    xtr, ytr = data.mnist("train")
    xte, yte = data.mnist("test")
    assert len(xtr) == 4000 and len(xte) == 1000
    np.testing.assert_array_equal(np.concatenate([xtr, xte]), x)
    xb, _ = data.mnist("test", binarize=True)
    assert set(np.unique(xb).tolist()) == {0, 255}


@pytest.mark.parametrize(
    "array, expected_min, expected_max",
    [
        (np.array([[[0, 255]]], dtype=np.uint8), -1.0, 1.0),
        (np.array([[[0.0, 0.5]]], dtype=np.float32), -1.0, 0.0),
        (np.array([[[-1.0, 0.5]]], dtype=np.float32), -1.0, 0.5),
        (np.array([[[0.0, 200.0]]], dtype=np.float64), -1.0, 200 / 127.5 - 1),
    ],
)
def test_to_model_range_converts_each_convention(array, expected_min, expected_max):
    out = data.to_model_range(array)
    assert out.dtype == np.float32 and out.shape == (1, 1, 2, 1)
    np.testing.assert_allclose([out.min(), out.max()], [expected_min, expected_max], atol=1e-6)


def test_to_model_range_names_what_it_got():
    with pytest.raises(ValueError, match=r"min -5 and max 300, which is none of"):
        data.to_model_range(np.array([[[-5.0, 300.0]]]))
    with pytest.raises(ValueError, match="1 NaN or Inf"):
        data.to_model_range(np.array([[[np.nan, 0.5]]]))
    with pytest.raises(ValueError, match="empty"):
        data.to_model_range(np.zeros((0, 4, 4, 1)))
    with pytest.raises(ValueError, match=r"got shape \(4, 4\)"):
        data.to_model_range(np.zeros((4, 4)))


def test_dataset_from_arrays_batches_resizes_and_keeps_labels():
    x, y = data.mnist("test")
    ds = data.dataset(x[:10], (32, 32, 1), batch_size=4, labels=y[:10], shuffle=False)
    batches = list(ds)
    assert [int(b[0].shape[0]) for b in batches] == [4, 4, 2]
    images, labels = batches[0]
    assert images.shape == (4, 32, 32, 1) and images.dtype == tf.float32
    assert float(tf.reduce_min(images)) >= -1 and float(tf.reduce_max(images)) <= 1
    np.testing.assert_array_equal(labels.numpy(), y[:4])


def test_dataset_channel_mismatch_names_both():
    with pytest.raises(ValueError, match=r"3 channel\(s\) but the model expects 1"):
        data.dataset(np.zeros((2, 8, 8, 3), np.uint8), (8, 8, 1))


def test_dataset_from_tf_data_dicts_and_nan_check():
    images = np.random.default_rng(0).integers(0, 255, (6, 8, 8, 1)).astype(np.uint8)
    src = tf.data.Dataset.from_tensor_slices({"image": images, "label": np.arange(6)})
    ims, labels = next(iter(data.dataset(src, (8, 8, 1), batch_size=6, shuffle=False)))
    np.testing.assert_allclose(ims.numpy(), images / 127.5 - 1, atol=1e-6)
    np.testing.assert_array_equal(labels.numpy(), np.arange(6))
    bad = np.zeros((2, 8, 8, 1), np.float32)
    bad[1, 0, 0, 0] = np.inf
    # Found while inferring the value range, or else when the pipeline runs.
    with pytest.raises(ValueError, match="1 NaN or Inf values in its first 2 images"):
        data.dataset(tf.data.Dataset.from_tensor_slices(bad), (8, 8, 1))
    with pytest.raises(tf.errors.InvalidArgumentError, match="NaN or Inf"):
        list(data.dataset(tf.data.Dataset.from_tensor_slices(bad), (8, 8, 1), value_range=(-1, 1)))
    with pytest.raises(ValueError, match="without an 'image' key"):
        data.dataset(tf.data.Dataset.from_tensor_slices({"x": images}), (8, 8, 1))


def _write_images(folder, n=5, size=(12, 10), mode="RGB"):
    rng = np.random.default_rng(0)
    os.makedirs(folder / "sub", exist_ok=True)
    for i in range(n):
        arr = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
        ext = ["png", "jpg", "bmp", "gif", "jpeg"][i % 5]
        target = folder / ("sub" if i % 2 else "") / f"img{i}.{ext}"
        Image.fromarray(arr).convert(mode).save(target)


def test_image_folder_is_read_recursively_and_converted(tmp_path):
    _write_images(tmp_path)
    Image.new("CMYK", (9, 9), (0, 50, 100, 0)).save(tmp_path / "cmyk.jpg")
    Image.new("RGBA", (9, 9), (5, 50, 100, 20)).save(tmp_path / "rgba.png")
    deep = np.tile(np.linspace(0, 65535, 9, dtype=np.uint16), (9, 1))
    Image.fromarray(deep).save(tmp_path / "deep16.png")
    ds = data.dataset(str(tmp_path), (8, 8, 3), batch_size=16, shuffle=False)
    images = next(iter(ds))
    assert images.shape == (8, 8, 8, 3)
    gray = next(iter(data.dataset(str(tmp_path), (8, 8, 1), batch_size=16, shuffle=False)))
    assert gray.shape == (8, 8, 8, 1)
    # The 16-bit file keeps its full range after the explicit conversion to 8 bits.
    paths = data.scan_folder(str(tmp_path))
    deep_image = gray[paths.index(str(tmp_path / "deep16.png"))].numpy()
    assert deep_image.min() < -0.9 and deep_image.max() > 0.9


def test_native_and_pillow_decoding_agree(tmp_path):
    """PNG/JPEG files in the model's mode take TensorFlow's decoders; the pixels are Pillow's."""
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, (8, 8), dtype=np.uint8)
    rgb = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    Image.fromarray(gray).save(tmp_path / "a_gray.png")
    Image.fromarray(rgb).save(tmp_path / "b_rgb.png")
    Image.fromarray(rgb).save(tmp_path / "c_rgb.jpg", quality=90)
    scanned = data._scan_folder(str(tmp_path), strict=True)
    for channels in (1, 3):
        decoded = [im.numpy() for im in data._folder_source(scanned, channels)]
        # The file in the model's mode is decoded natively, the others by Pillow.
        for (path, _), image in zip(scanned, decoded):
            expected = data._load_image_file(path, channels)
            assert image.shape == expected.shape, path
            assert np.max(np.abs(image.astype(int) - expected.astype(int))) <= (1 if path.endswith(".jpg") else 0), path


def test_bad_files_are_named_or_skipped_with_a_report(tmp_path):
    _write_images(tmp_path, n=3)
    good = (tmp_path / "img0.png").read_bytes()
    (tmp_path / "truncated.png").write_bytes(good[: len(good) // 2])
    (tmp_path / "fake.jpg").write_text("not an image")
    with pytest.raises(ValueError, match=r"truncated\.png(.|\n)*fake\.jpg|fake\.jpg(.|\n)*truncated\.png"):
        data.dataset(str(tmp_path), (8, 8, 3))
    with pytest.warns(UserWarning, match="Leaving out 2 bad file"):
        ds = data.dataset(str(tmp_path), (8, 8, 3), strict=False, batch_size=10)
    assert next(iter(ds)).shape[0] == 3


def test_files_that_are_not_images_are_skipped_with_a_count(tmp_path, caplog):
    _write_images(tmp_path, n=3)
    (tmp_path / "README.txt").write_text("my photos")
    (tmp_path / "labels.csv").write_text("a,b")
    with caplog.at_level("WARNING", logger="kerasgen"):
        paths = data.scan_folder(str(tmp_path))
    assert len(paths) == 3
    assert "Skipped 2 file(s)" in caplog.text and "README.txt" in caplog.text


def test_every_format_pillow_reads(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    for name in ("a.webp", "b.tiff", "c.tif", "d.bmp", "e.png"):
        Image.fromarray(pixels).save(tmp_path / name, **({"lossless": True} if name.endswith("webp") else {}))
    assert {".webp", ".tiff", ".tif", ".png"} <= set(data.IMAGE_EXTENSIONS)
    images = next(iter(data.dataset(str(tmp_path), (8, 8, 3), batch_size=8, shuffle=False))).numpy()
    assert images.shape == (5, 8, 8, 3)
    # Lossless formats: every file gives the same pixels.
    np.testing.assert_allclose(images, np.broadcast_to(images[:1], images.shape), atol=1e-6)


def test_a_folder_of_only_other_files_says_so(tmp_path):
    (tmp_path / "README.txt").write_text("nothing here")
    with pytest.raises(ValueError, match=r"no readable images \(1 file\(s\) without an image extension"):
        data.scan_folder(str(tmp_path))


def test_empty_and_missing_folders(tmp_path):
    with pytest.raises(ValueError, match="contains no readable images"):
        data.dataset(str(tmp_path), (8, 8, 1))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.dataset(str(tmp_path / "nope"), (8, 8, 1))


def test_empty_dataset_is_refused():
    empty = data.dataset(np.zeros((3, 8, 8, 1), np.uint8), (8, 8, 1)).take(0)
    with pytest.raises(ValueError, match="is empty"):
        data.check_dataset_not_empty(empty, "training dataset")


def test_tfds_source_reads_without_network(tmp_path):
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=6):
        ds = data.dataset("tfds:mnist", (28, 28, 1), batch_size=6, shuffle=False, data_dir=str(tmp_path))
        images, labels = next(iter(ds))
    assert images.shape == (6, 28, 28, 1) and labels.shape == (6,)
    with pytest.raises(ValueError, match="Could not read tfds dataset"):
        data.dataset("tfds:mnist", (28, 28, 1), data_dir=str(tmp_path))


def test_tfds_data_dir_expands_home_and_the_error_stays_short(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(ValueError, match="Could not read tfds dataset") as raised:
        data.dataset("tfds:mnist", (28, 28, 1), data_dir="~/tensorflow_datasets")
    message = str(raised.value)
    assert os.path.join(str(tmp_path), "tensorflow_datasets") in message and "~" not in message
    assert len(message.splitlines()) <= 8, message


# -- value ranges of tf.data sources ---------------------------------------


def _random_uint8(n, shape=(8, 8, 1), seed=0):
    images = np.random.default_rng(seed).integers(0, 256, (n,) + shape, dtype=np.uint8)
    images[0].flat[0], images[0].flat[1] = 0, 255  # the full range, whatever the draw
    return images


def _first_batch(ds):
    return next(iter(ds))


def test_image_dataset_from_directory_floats_are_read_as_0_to_255(tmp_path):
    """The issue's case: keras' loader yields float32 images in 0..255."""
    images = _random_uint8(6, (28, 28))
    for i, image in enumerate(images):
        folder = tmp_path / "classes" / ("a" if i < 3 else "b")
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(folder / f"{i}.png")
    expected = data.to_model_range(images)  # the uint8 path
    for batch_size in (None, 4):
        src = keras.utils.image_dataset_from_directory(
            str(tmp_path / "classes"),
            image_size=(28, 28),
            color_mode="grayscale",
            batch_size=batch_size,
            shuffle=False,
        )
        assert src.element_spec[0].dtype == tf.float32
        with pytest.warns(UserWarning, match=r"min 0 and max 255 in the first 6 images; .*value_range=\(0, 255\)"):
            ds = data.dataset(src, (28, 28, 1), batch_size=6, shuffle=False)
        got, labels = _first_batch(ds)
        np.testing.assert_allclose(got.numpy(), expected, atol=1e-6)
        np.testing.assert_array_equal(labels.numpy(), [0, 0, 0, 1, 1, 1])
        assert len(np.unique(got.numpy())) > 200  # not the clipped {0, 1} of the issue


@pytest.mark.parametrize(
    "convert, inferred",
    [
        (lambda x: x.astype("float32"), "(0, 255)"),
        (lambda x: x.astype("float32") / 255.0, "(0, 1)"),
        (lambda x: x.astype("float32") / 127.5 - 1.0, "(-1, 1)"),
        (lambda x: x.astype("float64") / 255.0, "(0, 1)"),
    ],
    ids=["float32 0..255", "float32 [0, 1]", "float32 [-1, 1]", "float64 [0, 1]"],
)
def test_float_datasets_are_converted_from_their_inferred_range(convert, inferred):
    images = _random_uint8(5)
    src = tf.data.Dataset.from_tensor_slices(convert(images))
    with pytest.warns(UserWarning, match=f"value_range={re.escape(inferred)}"):
        ds = data.dataset(src, (8, 8, 1), batch_size=5, shuffle=False)
    np.testing.assert_allclose(_first_batch(ds).numpy(), images / 127.5 - 1.0, atol=1e-5)


def test_ambiguous_or_unusual_float_datasets_are_refused_with_what_was_seen():
    blank = tf.data.Dataset.from_tensor_slices(np.zeros((5, 8, 8, 1), np.float32))
    with pytest.raises(ValueError, match=r"\(first 5 images\) has min 0 and max 0.*Pass value_range=\(low, high\)"):
        data.dataset(blank, (8, 8, 1))
    with pytest.raises(ValueError, match=r"min 0.5 and max 0.5: every value is 0.5"):
        data.to_model_range(np.full((2, 4, 4), 0.5, np.float32))
    # Only 0 and 1 is not ambiguous: binary [0, 1] images (0..255 would be black, [-1, 1] grey and white).
    np.testing.assert_array_equal(data.to_model_range(np.array([[[0.0, 1.0]]])).ravel(), [-1.0, 1.0])
    odd = np.linspace(-5, 300, 5 * 64, dtype=np.float32).reshape(5, 8, 8, 1)
    with pytest.raises(ValueError, match=r"min -5 and max 300, which is none of 0..255, \[0, 1\] or \[-1, 1\]"):
        data.dataset(tf.data.Dataset.from_tensor_slices(odd), (8, 8, 1))
    deep = tf.data.Dataset.from_tensor_slices(np.full((2, 8, 8, 1), 4000, np.uint16))
    with pytest.raises(ValueError, match=r"min 4000 and max 4000: integer values, but not within 0..255"):
        data.dataset(deep, (8, 8, 1))
    # Given explicitly, the same data is fine.
    np.testing.assert_array_equal(_first_batch(data.dataset(blank, (8, 8, 1), value_range=(0, 1))).numpy(), -1.0)
    np.testing.assert_allclose(
        _first_batch(data.dataset(deep, (8, 8, 1), value_range=(0, 65535))).numpy(), 4000 / 65535 * 2 - 1, atol=1e-6
    )


def test_a_later_image_outside_the_inferred_range_fails_instead_of_being_clipped():
    assert data.VALUE_RANGE_PEEK == 1000
    images = np.random.default_rng(0).uniform(0, 1, (1001, 4, 4, 1)).astype("float32")
    images[1000, 2, 2, 0] = 2.5  # after the images the range is inferred from
    with pytest.warns(UserWarning, match=r"value_range=\(0, 1\)"):
        ds = data.dataset(tf.data.Dataset.from_tensor_slices(images), (4, 4, 1), batch_size=100, shuffle=False)
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"an image has min 0\.\d+ and max 2\.5, outside the value_range \(0, 1\) inferred from its first 1000 images",
    ):
        list(ds)


def test_explicit_value_range_is_used_and_checked():
    images = _random_uint8(4)
    src = tf.data.Dataset.from_tensor_slices(images.astype("float32"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # stated, so nothing to report
        ds = data.dataset(src, (8, 8, 1), batch_size=4, shuffle=False, value_range=(0, 255))
    np.testing.assert_allclose(_first_batch(ds).numpy(), images / 127.5 - 1.0, atol=1e-5)
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"min 0 and max 255, outside the value_range \(0, 1\) given as value_range",
    ):
        list(data.dataset(src, (8, 8, 1), value_range=(0, 1)))
    # uint8 images are 0..255 unless told otherwise, e.g. binary masks.
    masks = tf.data.Dataset.from_tensor_slices(np.stack([np.zeros((8, 8, 1)), np.ones((8, 8, 1))]).astype("uint8"))
    got = _first_batch(data.dataset(masks, (8, 8, 1), batch_size=2, shuffle=False, value_range=(0, 1))).numpy()
    np.testing.assert_array_equal(got[:, 0, 0, 0], [-1.0, 1.0])
    with pytest.raises(ValueError, match="low < high"):
        data.dataset(src, (8, 8, 1), value_range=(1, 0))


def test_unpaired_infers_each_float_domain():
    images = _random_uint8(4)
    a = tf.data.Dataset.from_tensor_slices(images.astype("float32"))  # 0..255
    b = tf.data.Dataset.from_tensor_slices(images.astype("float32") / 255.0)  # [0, 1]
    with pytest.warns(UserWarning):
        ds = data.unpaired(a, b, (8, 8, 1), batch_size=4, shuffle=False)
    got_a, got_b = _first_batch(ds)
    np.testing.assert_allclose(got_a.numpy(), images / 127.5 - 1.0, atol=1e-5)
    np.testing.assert_allclose(got_b.numpy(), images / 127.5 - 1.0, atol=1e-5)


def test_as_model_images_infers_the_range_and_checks_the_shape():
    images = _random_uint8(3)
    expected = images / 127.5 - 1.0
    for given in (images, images.astype("float32") / 255.0, images[..., 0].astype("float32"), tf.constant(images)):
        got = data.as_model_images(given, (8, 8, 1))
        assert got.dtype == np.float32 and got.shape == (3, 8, 8, 1)
        np.testing.assert_allclose(got, expected, atol=1e-5)
    with pytest.raises(ValueError, match=r"images_a must have shape \(n, 8, 8, 3\) .* got shape \(3, 8, 8, 1\)"):
        data.as_model_images(images, (8, 8, 3), name="images_a")
    with pytest.raises(ValueError, match=r"images\[None\]"):
        data.as_model_images(images[0], (8, 8, 1))
    with pytest.raises(ValueError, match=r"min 0 and max 0.*value_range=\(low, high\)"):
        data.as_model_images(np.zeros((2, 8, 8, 1), np.float32), (8, 8, 1))
    np.testing.assert_array_equal(data.as_model_images(np.zeros((2, 8, 8, 1)), value_range=(-1, 1)), 0.0)


def test_labels_are_inferred_from_class_folders(tmp_path):
    for k, name in enumerate(["b_dog", "a_cat"]):
        _write_images(tmp_path / name, n=2 + k)
    assert data.class_names(str(tmp_path)) == ["a_cat", "b_dog"]
    images, labels = next(iter(data.dataset(str(tmp_path), (8, 8, 3), labels="inferred", shuffle=False)))
    assert images.shape == (5, 8, 8, 3)
    assert labels.numpy().tolist() == [0, 0, 0, 1, 1]  # a_cat has 3 images, b_dog 2


def test_labels_that_cannot_apply_are_refused(tmp_path):
    for i in range(2):
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / f"{i}.png")
    # An array of labels for a folder was once silently ignored.
    with pytest.raises(ValueError, match="For an image folder pass labels='inferred'"):
        data.dataset(str(tmp_path), (8, 8, 3), labels=np.arange(2))
    with pytest.raises(ValueError, match="has no class sub-folders"):
        data.dataset(str(tmp_path), (8, 8, 3), labels="inferred")
    with pytest.raises(ValueError, match="not a folder"):
        data.dataset(np.zeros((2, 8, 8, 3), "uint8"), (8, 8, 3), labels="inferred")
    with pytest.raises(ValueError, match="labels must be an array of integer labels or 'inferred'"):
        data.dataset(str(tmp_path), (8, 8, 3), labels="folders")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="Class 'empty' \\(label 0\\)"):
        data.dataset(str(tmp_path), (8, 8, 3), labels="inferred")


def test_translation_domains_of_the_usual_layouts(tmp_path):
    (tmp_path / "trainA").mkdir()
    (tmp_path / "trainB").mkdir()
    assert data.translation_domains(str(tmp_path)) == (
        str(tmp_path / "trainA"),
        str(tmp_path / "trainB"),
        "train",
    )
    assert data.translation_domains("a/", "b/") == ("a/", "b/", "train")
    assert data.translation_domains("tfds:cycle_gan/horse2zebra") == (
        "tfds:cycle_gan/horse2zebra",
        "tfds:cycle_gan/horse2zebra",
        ("trainA", "trainB"),
    )
    with pytest.raises(ValueError, match="needs two domains"):
        data.translation_domains(str(tmp_path / "trainA"))


def test_unpaired_reads_the_two_splits_of_a_tfds_translation_dataset(tmp_path):
    """The paper's data path: horse2zebra's trainA / trainB, with the photo augmentation."""
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=3, policy=tfds.testing.MockPolicy.USE_CODE):
        ds = data.unpaired(
            "tfds:cycle_gan/horse2zebra",
            "tfds:cycle_gan/horse2zebra",
            (32, 32, 3),
            split=("trainA", "trainB"),
            data_dir=str(tmp_path),
            augment=True,
        )
        a, b = next(iter(ds))
    assert a.shape == b.shape == (1, 32, 32, 3) and a.dtype == b.dtype == tf.float32
    assert -1.0 <= float(tf.reduce_min(a)) and float(tf.reduce_max(b)) <= 1.0
    assert int(ds.cardinality()) == 3


def test_source_channels_of_folders(tmp_path):
    gray, rgb = tmp_path / "gray", tmp_path / "rgb"
    gray.mkdir()
    rgb.mkdir()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(gray / "a.png")
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(rgb / "a.png")
    assert data.source_channels(str(gray)) == 1
    assert data.source_channels(str(rgb)) == 3
    assert data.source_channels(np.zeros((1, 4, 4, 1))) is None


CELEBA_ATTRIBUTES = """3
Black_Hair Blond_Hair Male Young
000001.jpg -1  1 -1  1
000002.jpg  1 -1  1  1
000003.jpg -1 -1  1 -1
"""


def test_celeba_attribute_file(tmp_path):
    path = tmp_path / "list_attr_celeba.txt"
    path.write_text(CELEBA_ATTRIBUTES)
    files, labels, names = data.read_attributes(str(path), ["Male", "Blond_Hair"])
    assert files == ["000001.jpg", "000002.jpg", "000003.jpg"] and names == ["Male", "Blond_Hair"]
    np.testing.assert_array_equal(labels, [[0, 1], [1, 0], [1, 0]])
    with pytest.raises(ValueError, match=r"unknown attribute\(s\) \['Bald'\]"):
        data.read_attributes(str(path), ["Male", "Bald"])
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "000001.jpg").write_bytes(b"")
    with pytest.raises(ValueError, match=r"names 2 image\(s\) missing from .*000002\.jpg, 000003\.jpg"):
        data.read_attributes(str(path), images_dir=str(tmp_path / "images"))
    path.write_text(CELEBA_ATTRIBUTES.replace("000002.jpg  1 -1  1  1", "000002.jpg  1 -1  1"))
    with pytest.raises(ValueError, match="line 4: expected a file name and 4 values; got 4 fields"):
        data.read_attributes(str(path))
    path.write_text(CELEBA_ATTRIBUTES.replace("3\n", "5\n", 1))
    with pytest.raises(ValueError, match="line 1 says 5 images but 3 lines follow"):
        data.read_attributes(str(path))


def test_csv_attribute_file(tmp_path):
    path = tmp_path / "attributes.csv"
    path.write_text("filename,thick,inverted\na.png,1,0\nb.png,0,1\n")
    files, labels, names = data.read_attributes(str(path))
    assert files == ["a.png", "b.png"] and names == ["thick", "inverted"]
    np.testing.assert_array_equal(labels, [[1, 0], [0, 1]])
    path.write_text("filename,thick\na.png,yes\n")
    with pytest.raises(ValueError, match=r"line 2, column 'thick': expected 1, 0 or -1; got 'yes'"):
        data.read_attributes(str(path))
    path.write_text("name,thick\na.png,1\n")
    with pytest.raises(ValueError, match="must start with a 'filename' column"):
        data.read_attributes(str(path))


def test_one_image_without_a_batch_axis_is_refused_with_the_fix():
    photo = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match=r"shape \(32, 32, 3\) looks like one image.*images\[None\]"):
        data.dataset(photo, (32, 32, 3))
    assert _first_batch(data.dataset(photo[None], (32, 32, 3), shuffle=False)).shape == (1, 32, 32, 3)
    # A batch of one-channel images without the channel axis is still read as such.
    gray = np.moveaxis(photo, -1, 0)  # three 32 x 32 one-channel images
    assert _first_batch(data.dataset(gray, (32, 32, 1), shuffle=False)).shape == (3, 32, 32, 1)
