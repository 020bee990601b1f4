import os

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
    with pytest.raises(ValueError, match=r"values in \[-5, 300\]"):
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
    with pytest.raises(tf.errors.InvalidArgumentError, match="NaN or Inf"):
        list(data.dataset(tf.data.Dataset.from_tensor_slices(bad), (8, 8, 1)))
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
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(ValueError, match=r"truncated\.png(.|\n)*notes\.txt|notes\.txt(.|\n)*truncated\.png"):
        data.dataset(str(tmp_path), (8, 8, 3))
    with pytest.warns(UserWarning, match="Leaving out 2 bad file"):
        ds = data.dataset(str(tmp_path), (8, 8, 3), strict=False, batch_size=10)
    assert next(iter(ds)).shape[0] == 3


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
