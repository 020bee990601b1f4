"""Every model under mixed_bfloat16 and mixed_float16: one step against float32.

Each family takes one training step from the same initial weights, on the
same batch, with the same seeds, under float32 and under a mixed policy.
The step is compared on:

- the losses: computed in float32 (every loss that is differentiated is
  recorded at `check_finite`) and close to the float32 step's;
- the weight updates: per optimizer, ||dw_mixed - dw_32|| / ||dw_32||
  (SGD, so the update is the gradient itself and the comparison is not
  hidden by Adam's normalization);
- the outputs of `generate` (or `translate`, `reconstruct`): float32.

Tolerances follow from the formats. bfloat16 keeps 8 significand bits
(unit roundoff 2**-9, about 0.2 %); float16 keeps 11 (2**-12, about
0.02 %). Errors add up over a few layers, and ProGAN's gradient penalty
differentiates the low-precision network once more (measured: 2.6 % on its
d_loss under bfloat16). The relative tolerances below are about twice the
largest difference measured on this CPU.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests import helpers
from tests.cases import CASES, batch

N = 8

# Relative tolerance of the reported losses (plus LOSS_ATOL for losses near
# zero) and of each optimizer's weight update (measured maxima: losses 2.6 %
# bfloat16 (ProGAN), 0.23 % float16 (ProGAN); updates 0.069 bfloat16
# (ProGAN's G), 0.015 float16 (ConditionalDCGAN's D)).
LOSS_RTOL = {"mixed_bfloat16": 5e-2, "mixed_float16": 5e-3}
LOSS_ATOL = 1e-4
UPDATE_RTOL = {"mixed_bfloat16": 0.15, "mixed_float16": 0.03}
# Per-family exceptions (tests/cases.py says why): optimizers whose update is
# only checked to be finite, non-zero and of the same order as float32's
# (`ill_conditioned`), and looser update tolerances (`loose`).

# Keras's initial loss scale 2**15 overflows float16 on the first step of
# these tiny networks (CycleGAN's generator gradients reach ~300; ProGAN's
# gradient penalty is differentiated twice): the scaler skips that step and
# halves its scale (see test_overflowing_float16_step_is_skipped). The
# compared step starts every scaler at 2**8, where no gradient overflows.
COMPARED_SCALE = 2.0**8


@pytest.fixture(autouse=True)
def float32_after():
    yield
    keras.config.set_dtype_policy("float32")


def sgd_compile_args(model, name):
    return {**CASES[name].compile, **{role: keras.optimizers.SGD(0.01) for role in model.optimizer_roles}}


def build(name, policy):
    keras.config.set_dtype_policy(policy)
    keras.utils.set_random_seed(0)
    return CASES[name].build("mixed_precision")


def one_step(name, policy, initial_weights):
    """(model, logs, per-optimizer updates, dtypes of the differentiated losses)."""
    model = build(name, policy)
    loss_dtypes = {}
    check_finite = model.check_finite

    def recording_check_finite(loss_name, value):
        loss_dtypes[loss_name] = value.dtype
        return check_finite(loss_name, value)

    model.check_finite = recording_check_finite
    model.compile(**sgd_compile_args(model, name))
    model.set_weights(initial_weights)
    model.build_optimizers()
    pairs = model.optimizer_variables()
    for optimizer, _ in pairs:
        if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
            optimizer.dynamic_scale.assign(COMPARED_SCALE)
    before = [helpers.snapshot(variables) for _, variables in pairs]
    logs = model.train_on_batch(*batch(model, N), return_dict=True)
    updates = [
        np.concatenate([(np.asarray(v) - w).ravel() for v, w in zip(variables, old)])
        for (_, variables), old in zip(pairs, before)
    ]
    return model, logs, updates, loss_dtypes


_float32_steps = {}


def float32_step(name):
    if name not in _float32_steps:
        initial = build(name, "float32").get_weights()
        model, logs, updates, _ = one_step(name, "float32", initial)
        _float32_steps[name] = (initial, logs, updates)
    return _float32_steps[name]


def outputs(model):
    """What the model gives a user: samples, reconstructions or translations (float32 expected)."""
    from tests.cases import probe

    return probe(model, n=2)[2]


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_mixed_step_matches_float32_step(name, policy):
    initial, logs32, updates32 = float32_step(name)
    model, logs, updates, loss_dtypes = one_step(name, policy, initial)

    # The networks compute in the low precision; losses and outputs are float32.
    compute = policy.split("_")[1]
    assert any(layer.compute_dtype == compute for layer in model._flatten_layers())
    assert loss_dtypes and all(dtype == tf.float32 for dtype in loss_dtypes.values()), loss_dtypes
    assert all(value.dtype == "float32" for value in model.tracker.result().values())
    assert outputs(model).dtype == np.float32

    # Loss scaling exactly for float16, for every optimizer; no step skipped.
    for optimizer, _ in model.optimizer_variables():
        wrapped = isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
        assert wrapped == (policy == "mixed_float16"), (type(optimizer).__name__, policy)
        if wrapped:
            assert float(optimizer.dynamic_scale.numpy()) == COMPARED_SCALE
        assert int(optimizer.iterations.numpy()) == 1

    report = []
    for key, value in logs32.items():
        if "accuracy" in key:  # signs of logits near 0 may flip
            continue
        assert np.isfinite(logs[key])
        error = abs(float(logs[key]) - float(value))
        report.append(f"{key}={error / max(abs(float(value)), 1e-3):.1e}")
        assert error <= LOSS_ATOL + LOSS_RTOL[policy] * abs(float(value)), (key, logs[key], value)
    for index, (update, update32) in enumerate(zip(updates, updates32)):
        size32 = np.linalg.norm(update32)
        relative = np.linalg.norm(update - update32) / size32
        report.append(f"update[{index}]={relative:.3f}")
        assert np.all(np.isfinite(update))
        exceptions = CASES[name].mixed_precision
        if index in exceptions.get("ill_conditioned", ()):
            assert 0.05 * size32 < np.linalg.norm(update) < 20 * size32
        else:
            assert relative <= exceptions.get("loose", {}).get(index, UPDATE_RTOL[policy]), (index, relative)
    print(f"\n{name} {policy}: " + " ".join(report))


@pytest.mark.parametrize("name", sorted(CASES))
def test_default_compile_wraps_every_optimizer_only_under_float16(name):
    for policy in ("mixed_float16", "mixed_bfloat16"):
        model = build(name, policy)
        model.compile()
        for optimizer, _ in model.optimizer_variables():
            assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer) == (policy == "mixed_float16")
            # Never wrapped twice (Keras's compile wraps `self.optimizer` too).
            assert not isinstance(getattr(optimizer, "inner_optimizer", None), keras.optimizers.LossScaleOptimizer)
    model = build(name, "mixed_float16")
    model.compile(auto_scale_loss=False)
    assert not any(isinstance(o, keras.optimizers.LossScaleOptimizer) for o, _ in model.optimizer_variables())


def test_overflowing_float16_step_is_skipped_not_fatal():
    # A scale of 2**60 overflows every float16 gradient; the float32 losses
    # stay finite, so check_finite lets the step through and each scaler
    # skips its update and halves its scale. Training goes on.
    model = build("dcgan", "mixed_float16")
    model.compile()
    for optimizer, _ in model.optimizer_variables():
        optimizer.dynamic_scale.assign(2.0**60)
    weights = helpers.snapshot(model.trainable_variables)
    logs = model.fit(helpers.random_images(N, model.image_shape), batch_size=N, epochs=1, verbose=0).history
    assert np.isfinite(logs["loss"][-1])
    assert helpers.weights_equal(weights, helpers.snapshot(model.trainable_variables))
    for optimizer, _ in model.optimizer_variables():
        assert float(optimizer.dynamic_scale.numpy()) == 2.0**59
        assert int(optimizer.iterations.numpy()) == 0
    # The next steps, at a scale that fits, update the weights.
    for optimizer, _ in model.optimizer_variables():
        optimizer.dynamic_scale.assign(2.0**8)
    model.fit(helpers.random_images(N, model.image_shape), batch_size=N, epochs=1, verbose=0)
    assert not helpers.weights_equal(weights, helpers.snapshot(model.trainable_variables))


def test_float16_round_trips_checkpoint_and_export(tmp_path):
    from kerasgen import callbacks

    model = build("aae", "mixed_float16")
    model.compile()
    x = helpers.random_images(N, model.image_shape)
    model.fit(x, batch_size=4, epochs=1, verbose=0)
    # Compile config: a saved model comes back with its three scalers.
    z = np.random.default_rng(0).normal(size=(3, 2)).astype("float32")
    loaded = helpers.assert_keras_round_trip(model, str(tmp_path / "aae.keras"), z, lambda m, v: m.decode(v))
    for (a, _), (b, _) in zip(model.optimizer_variables(), loaded.optimizer_variables()):
        assert isinstance(b, keras.optimizers.LossScaleOptimizer) and b.inner_optimizer is not b
        assert float(b.dynamic_scale.numpy()) == float(a.dynamic_scale.numpy())
    # Checkpoint: the scale and the inner optimizers' state come back.
    checkpoint = callbacks.Checkpoint(str(tmp_path / "state")).starting_at(2)
    checkpoint.set_model(model)
    checkpoint.save()
    restored = build("aae", "mixed_float16")
    restored.compile()
    callbacks.Checkpoint.restore(restored, str(tmp_path / "state"))
    for (a, _), (b, _) in zip(model.optimizer_variables(), restored.optimizer_variables()):
        for va, vb in zip(a.variables, b.variables):
            np.testing.assert_array_equal(np.asarray(va), np.asarray(vb))
    # Export: float32 signatures whatever the training precision.
    helpers.assert_saved_model_round_trip(
        model, str(tmp_path / "export"), "serving_default", "codes", z, model.decode(z)
    )


def test_progan_growth_resets_the_optimizers_inside_the_loss_scalers():
    model = build("progan", "mixed_float16")
    model.compile()
    for optimizer, _ in model.optimizer_variables():
        optimizer.dynamic_scale.assign(2.0**8)
        for variable in optimizer.inner_optimizer.variables:
            if not variable.path.endswith("learning_rate"):
                variable.assign(np.ones(variable.shape, variable.dtype))
    model.grow()
    assert int(model.stage.numpy()) == 1
    for optimizer, _ in model.optimizer_variables():
        assert float(optimizer.dynamic_scale.numpy()) == 2.0**8  # a zero scale would zero every gradient
        assert int(optimizer.iterations.numpy()) == 0
        assert all(
            not np.any(np.asarray(v))
            for v in optimizer.inner_optimizer.variables
            if not v.path.endswith("learning_rate")
        )
        assert optimizer.learning_rate.numpy() == np.float32(1e-3)  # kept
