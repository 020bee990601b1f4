"""The part-to-whole GAN: key patches, order invariance, its losses, bad input, the completion metrics."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasgen
from kerasgen import data, evaluation
from kerasgen.models import PartToWholeGAN
from kerasgen.models.part_to_whole import part_to_whole_gan
from tests import helpers


def tiny(**kwargs):
    args = dict(
        image_shape=(16, 16, 1),
        num_patches=3,
        patch_size=(4, 6),
        patch_input_size=6,
        latent_dim=4,
        code_dim=8,
        filters=4,
        discriminator_filters=4,
        seed=0,
    )
    return PartToWholeGAN(**{**args, **kwargs})


def test_defaults_are_the_reference_settings():
    model = PartToWholeGAN()
    assert model.image_shape == (64, 64, 3) and model.num_patches == 3
    assert model.latent_dim == 128 and model.code_dim == 128 and model.filters == 64
    # The reference resizes every part to the image size.
    assert model.patch_shape == (64, 64, 3)
    model.compile()
    for optimizer in (model.generator_optimizer, model.discriminator_optimizer):
        assert float(optimizer.learning_rate) == pytest.approx(2e-4)
        assert optimizer.beta_1 == pytest.approx(0.5) and optimizer.beta_2 == pytest.approx(0.999)
    assert model.spatial_loss == "l1" and model.spatial_weight == 10.0 and model.appearance_weight == 10.0
    with pytest.raises(NotImplementedError, match="complete"):
        model.generate(2)


def test_key_patches_are_the_pixels_of_their_boxes():
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (6, 20, 24, 3)).astype("float32")
    patches, boxes = data.key_patches(images, num_patches=4, patch_size=(5, 9), input_size=9, seed=3)
    assert patches.shape == (6, 4, 9, 9, 3) and boxes.shape == (6, 4, 4)
    assert np.all(boxes[..., 2] == boxes[..., 3]) and set(np.unique(boxes[..., 2])) <= set(range(5, 10))
    assert np.all(boxes[..., 0] >= 0) and np.all(boxes[..., 0] + boxes[..., 2] <= 20)
    assert np.all(boxes[..., 1] >= 0) and np.all(boxes[..., 1] + boxes[..., 3] <= 24)
    # A 9-pixel patch is the crop itself; masks hold exactly each box's area.
    for i, k in zip(*np.nonzero(boxes[..., 2] == 9)):
        top, left, h, w = boxes[i, k]
        np.testing.assert_allclose(patches[i, k], images[i, top : top + h, left : left + w], atol=1e-5)
    masks = data.box_masks(boxes, 20, 24).numpy()
    np.testing.assert_array_equal(masks.sum(axis=(1, 2)), boxes[..., 2] * boxes[..., 3])


def test_informative_patches_land_where_the_image_has_edges():
    images = np.full((200, 32, 32, 1), -1.0, "float32")
    images[:, 22:30, 22:30] = 1.0  # one bright square in a corner of a flat image
    _, boxes = data.key_patches(images, 1, 6, seed=0)
    _, uniform = data.key_patches(images, 1, 6, seed=0, informative=False)

    def near(b):
        return np.mean((b[:, 0, 0] >= 14) & (b[:, 0, 1] >= 14))

    assert near(boxes) > 0.8 and near(uniform) < 0.5, (near(boxes), near(uniform))


def test_completion_does_not_depend_on_the_patches_order():
    model = tiny()
    rng = np.random.default_rng(1)
    patches = rng.uniform(-1, 1, (4, 3, 6, 6, 1)).astype("float32")
    latents = rng.uniform(-1, 1, (4, 4)).astype("float32")
    images, masks = model.complete(patches, latents)
    order = [2, 0, 1]
    shuffled_images, shuffled_masks = model.complete(patches[:, order], latents)
    np.testing.assert_allclose(shuffled_images, images, atol=1e-5)
    # Each mask follows its own patch.
    np.testing.assert_allclose(shuffled_masks, masks[..., order], atol=1e-5)
    assert images.shape == (4, 16, 16, 1) and masks.shape == (4, 16, 16, 3)
    assert masks.min() >= 0.0 and masks.max() <= 1.0 and np.abs(images).max() <= 1.0


def test_patches_of_another_size_are_resized_and_bad_patches_refused():
    model = tiny()
    rng = np.random.default_rng(2)
    small = rng.uniform(-1, 1, (2, 3, 4, 4, 1)).astype("float32")
    images, _ = model.complete(small, seed=0)
    resized = tf.image.resize(small.reshape(6, 4, 4, 1), (6, 6)).numpy().reshape(2, 3, 6, 6, 1)
    np.testing.assert_allclose(images, model.complete(resized, seed=0)[0], atol=1e-5)
    with pytest.raises(ValueError, match="larger than the model's 16x16 images"):
        model.complete(np.zeros((1, 3, 17, 17, 1), "float32"))
    with pytest.raises(ValueError, match="from 3 patches each; got 2"):
        model.complete(np.zeros((1, 2, 6, 6, 1), "float32"))
    with pytest.raises(ValueError, match="3 channel"):
        model.complete(np.zeros((1, 3, 6, 6, 3), "float32"))
    with pytest.raises(ValueError, match="K patches per image"):
        model.complete(np.zeros((3, 6, 6, 1), "float32"))
    with pytest.raises(ValueError, match="latents must be"):
        model.complete(small, latents=np.zeros((2, 5), "float32"))
    with pytest.raises(ValueError, match="do not fit in 16x16 images"):
        tiny(patch_size=(4, 17))
    with pytest.raises(ValueError, match="min <= max"):
        tiny(patch_size=(6, 4))
    with pytest.raises(ValueError, match="spatial_loss"):
        tiny().compile(spatial_loss="l2")
    with pytest.raises(ValueError, match="reconstruction_weight must be >= 0"):
        tiny().compile(reconstruction_weight=-1.0)
    with pytest.raises(ValueError, match="drawn_patch_weight must be >= 0"):
        tiny(place_patches=True).compile(drawn_patch_weight=-1.0)
    with pytest.raises(ValueError, match="needs a model built with place_patches=True"):
        tiny().compile(drawn_patch_weight=1.0)


def test_losses_match_their_closed_forms():
    model = tiny()
    model.compile(spatial_weight=2.0, appearance_weight=3.0)
    rng = np.random.default_rng(3)
    real = tf.constant(rng.uniform(-1, 1, (2, 16, 16, 1)).astype("float32"))
    fake = tf.constant(rng.uniform(-1, 1, (2, 16, 16, 1)).astype("float32"))
    true_masks = tf.constant((rng.uniform(size=(2, 16, 16, 3)) > 0.7).astype("float32"))
    masks = tf.constant(rng.uniform(size=(2, 16, 16, 3)).astype("float32"))
    union, predicted_union = tf.reduce_max(true_masks, -1), tf.reduce_max(masks, -1)
    drawn = tf.constant(rng.uniform(-1, 1, (2, 16, 16, 1)).astype("float32"))
    coverage = tf.constant((rng.uniform(size=(2, 16, 16, 1)) > 0.5).astype("float32"))
    step = dict(
        fake=fake,
        masks=masks,
        true_masks=true_masks,
        union=union,
        predicted_union=predicted_union,
        drawn=drawn,
        coverage=coverage,
    )
    terms = model.generator_loss(real, step, training=False)
    spatial = np.abs(masks.numpy() - true_masks.numpy()).mean(axis=(1, 2, 3))
    appearance = np.abs(
        fake.numpy() * predicted_union.numpy()[..., None] - real.numpy() * union.numpy()[..., None]
    ).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(terms["spatial"], spatial, rtol=1e-5)
    np.testing.assert_allclose(terms["appearance"], appearance, rtol=1e-5)
    np.testing.assert_allclose(terms["g_loss"], terms["g_adv"] + 2.0 * spatial + 3.0 * appearance, rtol=1e-5)
    model.compile(spatial_weight=2.0, appearance_weight=3.0, reconstruction_weight=5.0)
    whole = np.abs(fake.numpy() - real.numpy()).mean(axis=(1, 2, 3))
    terms = model.generator_loss(real, step, training=False)
    np.testing.assert_allclose(terms["reconstruction"], whole, rtol=1e-5)
    np.testing.assert_allclose(
        terms["g_loss"], terms["g_adv"] + 2.0 * spatial + 3.0 * appearance + 5.0 * whole, rtol=1e-5
    )
    assert model.get_compile_config()["reconstruction_weight"] == 5.0
    # The drawn-patch term: L1 between the completion and the drawn patches, inside their boxes only.
    model = tiny(place_patches=True)
    model.compile(spatial_weight=2.0, appearance_weight=3.0, drawn_patch_weight=7.0)
    terms = model.generator_loss(real, step, training=False)
    kept = (np.abs(fake.numpy() - drawn.numpy()) * coverage.numpy()).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(terms["drawn_patch"], kept, rtol=1e-5)
    np.testing.assert_allclose(
        terms["g_loss"], terms["g_adv"] + 2.0 * spatial + 3.0 * appearance + 7.0 * kept, rtol=1e-5
    )
    assert model.get_compile_config()["drawn_patch_weight"] == 7.0
    model.compile(spatial_loss="bce")
    bce = model.generator_loss(real, step, training=False)["spatial"]
    t, m = true_masks.numpy(), masks.numpy()
    np.testing.assert_allclose(bce, -(t * np.log(m) + (1 - t) * np.log(1 - m)).mean(axis=(1, 2, 3)), rtol=1e-4)


def test_the_masks_learn_where_patches_belong():
    # Images whose two halves differ (a bright top, a dark bottom): a patch's
    # content tells where it was cropped, so the mask loss must fall.
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    images = np.concatenate(
        [rng.uniform(0.5, 1, (64, 8, 16, 1)), rng.uniform(-1, -0.5, (64, 8, 16, 1))], axis=1
    ).astype("float32")
    model = tiny(num_patches=2, patch_size=(4, 4), patch_input_size=4, filters=8, informative_patches=False)
    model.compile(spatial_loss="bce", generator_optimizer=keras.optimizers.Adam(2e-3, 0.5))
    ds = tf.data.Dataset.from_tensor_slices(images).batch(32).repeat()
    first = model.fit(ds, steps_per_epoch=4, epochs=1, verbose=0).history["spatial"][-1]
    last = model.fit(ds, steps_per_epoch=60, epochs=1, verbose=0).history["spatial"][-1]
    assert last < 0.8 * first, (first, last)


def test_patches_are_drawn_where_their_masks_put_them():
    rng = np.random.default_rng(4)
    images = rng.uniform(-1, 1, (5, 20, 24, 2)).astype("float32")
    patches, boxes = data.key_patches(images, num_patches=3, patch_size=(5, 9), input_size=9, seed=1)
    masks = data.box_masks(boxes, 20, 24)
    # A hard box mask gives its box back: centre from the mean, side from the variance (h^2 - 1) / 12.
    np.testing.assert_allclose(part_to_whole_gan.mask_boxes_from_moments(masks), boxes, atol=1e-4)
    canvas, coverage = (t.numpy() for t in part_to_whole_gan.patches_at_masks(patches, masks))
    inside = masks.numpy()
    np.testing.assert_array_equal(coverage[..., 0], inside.max(axis=-1))
    assert np.all(canvas[inside.max(axis=-1) == 0] == 0.0)
    # A 9 px patch in a 9 px box is copied pixel for pixel (where no other box overlaps it).
    copied = 0
    for i, k in zip(*np.nonzero(boxes[..., 2] == 9)):
        top, left, h, w = boxes[i, k]
        alone = inside[i, top : top + h, left : left + w].sum(axis=-1) == 1
        got = canvas[i, top : top + h, left : left + w][alone]
        np.testing.assert_allclose(got, images[i, top : top + h, left : left + w][alone], atol=1e-5)
        copied += 1
    assert copied > 0
    # An empty mask draws nothing.
    canvas, coverage = part_to_whole_gan.patches_at_masks(patches, tf.fill(masks.shape, 0.3))
    assert float(tf.reduce_max(tf.abs(canvas))) == 0.0 and float(tf.reduce_max(coverage)) == 0.0


def test_a_placing_generator_sees_the_given_pixels():
    model = tiny(place_patches=True)
    clone = PartToWholeGAN.from_config(model.get_config())
    assert clone.place_patches and tuple(clone.image_generator.inputs[-1].shape) == (None, 16, 16, 2)
    rng = np.random.default_rng(5)
    patches = rng.uniform(-1, 1, (4, 3, 6, 6, 1)).astype("float32")
    latents = rng.uniform(-1, 1, (4, 4)).astype("float32")
    # A fresh mask decoder says 0.5 everywhere, which places nothing; biased up, each mask covers most of the image.
    model.mask_decoder.get_layer("mask").bias.assign([3.0])
    images, masks = model.complete(patches, latents)
    # The generator's last input is the patches drawn where the masks put them;
    # with it blanked, the completion changes.
    seen = {}
    generator = model.image_generator
    model.image_generator = lambda inputs, training=False: seen.setdefault("inputs", inputs) and generator(inputs)
    model.complete(patches, latents)
    model.image_generator = generator
    drawn = tf.concat(part_to_whole_gan.patches_at_masks(patches, masks), axis=-1)
    np.testing.assert_allclose(seen["inputs"][-1], drawn, atol=1e-5)
    assert float(tf.reduce_max(tf.abs(drawn[..., :1]))) > 0
    np.testing.assert_allclose(generator(seen["inputs"]), images, atol=1e-5)
    blank = generator(seen["inputs"][:-1] + [tf.zeros_like(drawn)]).numpy()
    assert np.abs(blank - images).max() > 1e-3


def test_the_drawn_patch_weight_makes_the_completion_keep_the_drawn_pixels():
    rng = np.random.default_rng(6)
    images = rng.uniform(-1, 1, (64, 16, 16, 1)).astype("float32")
    kept = {}
    for weight in (0.0, 50.0):
        keras.utils.set_random_seed(0)
        model = tiny(place_patches=True, filters=8)
        # Masks that cover most of the image from the first step, so that patches are drawn.
        model.mask_decoder.get_layer("mask").bias.assign([3.0])
        model.compile(drawn_patch_weight=weight, generator_optimizer=keras.optimizers.Adam(2e-3, 0.5))
        ds = tf.data.Dataset.from_tensor_slices(images).batch(32).repeat()
        kept[weight] = model.fit(ds, steps_per_epoch=40, epochs=1, verbose=0).history["drawn_patch"][-1]
    assert kept[50.0] < 0.75 * kept[0.0], kept


def test_mask_boxes_and_the_baselines_on_known_cases():
    masks = np.zeros((2, 10, 10, 2), "float32")
    masks[0, 1:4, 2:5, 0] = 1.0
    masks[0, 6:9, 6:9, 1] = 0.9
    masks[1, 0:3, 7:10, 0] = 0.6
    masks[1, 5:8, 0:3, 1] = 1.0
    sizes = np.full((2, 2, 2), 3)
    found = evaluation.mask_boxes(masks, sizes)
    np.testing.assert_array_equal(found[..., :2], [[[1, 2], [6, 6]], [[0, 7], [5, 0]]])
    images = np.full((1, 6, 6, 1), -1.0, "float32")
    images[0, 0:2, 0:2] = 1.0
    centred = evaluation.centred_patches(images, np.array([[[0, 0, 2, 2]]]))
    assert centred[0, 2:4, 2:4].min() == 1.0 and centred.sum() == -36 + 4 * 2


def test_completion_metrics_of_a_model_that_pastes_the_truth():
    """A stand-in that returns each image itself and its true masks scores perfectly."""
    digits, labels = helpers.mnist_images("test", 60)
    x = data.to_model_range(digits)
    _, boxes = data.key_patches(x, 3, 12, seed=0)
    truth = data.box_masks(boxes, 28, 28).numpy()

    class Oracle:
        image_shape, num_patches, patch_size = (28, 28, 1), 3, (12, 12)

        def key_patches(self, images, seed=0):
            return data.key_patches(images, 3, 12, seed=seed)

        def complete(self, patches, seed=None):
            return x, truth

    results = evaluation.completion_metrics(Oracle(), digits, labels)
    assert results["mask_iou"] == 1.0 and results["patch_located"] == 1.0
    assert results["patch_mae"] == 0.0 and results["patch_mae_true_position"] == 0.0
    assert results["fid_digits"] < 1e-3 < results["fid_digits_pasted_baseline"]
    assert results["class_agreement"] >= 0.9 > results["class_agreement_centre_baseline"]


def test_a_folder_of_images_smaller_than_the_patches_is_refused_before_training(tmp_path):
    from PIL import Image

    folder = tmp_path / "faces"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.zeros((64, 64, 3), "uint8")).save(folder / f"ok_{i}.png")
    Image.fromarray(np.zeros((20, 30, 3), "uint8")).save(folder / "tiny.png")
    with pytest.raises(ValueError, match=r"smaller than the 24 px patches.*tiny\.png \(30x20\)"):
        kerasgen.runs.prepare("part_to_whole_celeba_64", source=str(folder), epochs=1)
    assert sorted(os.listdir(folder)) == ["ok_0.png", "ok_1.png", "ok_2.png", "tiny.png"]


def test_ema_averages_the_completing_networks_and_the_entry_ships_the_averages(tmp_path):
    model = tiny(ema_decay=0.5, place_patches=True)
    model.compile(generator_optimizer=keras.optimizers.SGD(0.5))
    pairs = model.averaged_networks()
    assert [network.name for network, _ in pairs] == [
        model.patch_encoder.name,
        model.mask_decoder.name,
        model.image_generator.name,
    ]
    for network, average in pairs:
        assert helpers.weights_equal(helpers.snapshot(network.weights), average.weights)
        assert not average.trainable_variables
    before = [helpers.snapshot(network.weights) for network, _ in pairs]
    images = helpers.random_images(8, model.image_shape, seed=1)
    model.fit(images, batch_size=8, epochs=1, verbose=0)
    # After one generator step the warmed-up decay is min(0.5, (1 + 1) / (10 + 1)).
    decay = min(0.5, 2 / 11)
    for (network, average), old in zip(pairs, before):
        assert not helpers.weights_equal(old, network.weights)
        for b, v, e in zip(old, network.weights, average.weights):
            want = decay * b + (1 - decay) * np.array(v) if v.trainable else np.array(v)
            np.testing.assert_allclose(np.array(e), want, rtol=1e-5, atol=1e-7)

    patches, _ = model.key_patches(images, seed=0)
    latents = np.asarray(model.sample_latents(8, seed=0))
    completed, masks = model.complete(patches, latents)
    averaged = model.complete_tensors(tf.constant(patches), tf.constant(latents), averaged=True)
    live = model.complete_tensors(tf.constant(patches), tf.constant(latents))
    np.testing.assert_allclose(completed, averaged[0].numpy(), atol=1e-6)
    np.testing.assert_allclose(masks, averaged[1].numpy(), atol=1e-6)
    assert not np.allclose(completed, live[0].numpy(), atol=1e-4)

    kerasgen.zoo.save_entry(model, str(tmp_path / "entry"), {"name": "entry"})
    loaded = kerasgen.zoo.load(str(tmp_path / "entry"), compile=False)
    assert loaded.ema_decay is None and not loaded.averaged_networks()
    shipped = model.count_params() - sum(average.count_params() for _, average in pairs)
    assert kerasgen.zoo.metadata(str(tmp_path / "entry"))["parameters"] == loaded.count_params() == shipped
    np.testing.assert_allclose(loaded.complete(patches, latents)[0], completed, atol=1e-5)
    assert helpers.weights_equal(helpers.snapshot(model.discriminator.weights), loaded.discriminator.weights)
    with pytest.raises(ValueError, match="ema_decay"):
        tiny(ema_decay=1.0)
