"""The model contract, checked for every family of tests/cases.py.

Each case must: take one `fit` step with finite losses and every metric it
names, update with each optimizer only the networks of that role, round-trip
its config and a `.keras` file (compiled, same outputs), export the
SavedModel signatures it declares with float32 outputs equal to the Python
side's, and refuse a NaN loss without changing any weight. One model per
case goes through all of it, so each family's steps are traced once. Mixed precision, two
replicas and exact resume run over the same table in their own files.
"""

import ast
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasgen.models.base import BATCH_STRUCTURES, CAPABILITIES, GENERATE
from tests import helpers
from tests.cases import CASES, batch, probe

N = 8


def _built(name, **extra):
    keras.utils.set_random_seed(0)
    model = CASES[name].build(**extra)
    model.compile(**CASES[name].compile)
    return model


@pytest.mark.parametrize("name", sorted(CASES))
def test_declares_what_it_can_do(name):
    model = CASES[name].build()
    assert model.capabilities <= set(CAPABILITIES), model.capabilities
    assert model.batch_structure in BATCH_STRUCTURES
    assert model.main_optimizer_role in model.optimizer_roles
    for networks in model.optimizer_roles.values():
        for network in networks or ():
            assert isinstance(getattr(model, network), keras.layers.Layer), network
    with pytest.raises(ValueError, match="Unknown capability"):
        model.can("fly")
    if model.can(GENERATE):
        assert model.generate(0).shape == (0,) + model.image_shape
        with pytest.raises(ValueError, match="n >= 0"):
            model.generate(-1)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fit_step_optimizer_roles_round_trips_and_nan_guard(name, tmp_path):
    # One model per family goes through every check, so each family's steps are traced once.
    model = _built(name)
    before = {id(v): np.array(v) for v in model.trainable_variables}
    # One fit step: every metric the model names, finite; every optimizer stepped once.
    history = model.fit(tf.data.Dataset.from_tensor_slices(batch(model, N)).batch(N), epochs=1, verbose=0).history
    assert set(history) == set(model.metric_names), (set(history), model.metric_names)
    assert all(np.isfinite(values[-1]) for values in history.values()), history

    # Each optimizer is built on its own networks' variables only, and Keras
    # refuses to apply an optimizer to a variable it was not built on ("Unknown
    # variable"), so a step that crossed roles would have raised above.
    for role, (optimizer, own) in zip(model.optimizer_roles, model.optimizer_variables(), strict=True):
        assert int(optimizer.iterations.numpy()) == 1, role
        built_on = {id(v) for v in optimizer._trainable_variables}
        assert built_on == {id(v) for v in own}, f"{role} is built on variables outside its networks"
        assert any(not np.array_equal(np.array(v), before[id(v)]) for v in own), f"{role} moved nothing"

    clone = helpers.assert_config_round_trip(model)
    assert type(clone) is type(model)
    signature, inputs, expected = probe(model)

    def outputs(m, _):
        return probe(m)[2]

    helpers.assert_keras_round_trip(model, str(tmp_path / f"{name}.keras"), None, outputs)
    export = str(tmp_path / "export")
    out = helpers.assert_export(model, export, signature, inputs, expected)
    assert sorted(ast.literal_eval(out.strip().splitlines()[-1])) == sorted(CASES[name].signatures)

    # A NaN loss stops the step before any weight or optimizer state changes.
    # Every variable of the first role is poisoned: one NaN kernel alone can
    # vanish behind a ReLU, which some CPU kernels compute as max(x, 0) = 0.
    _, variables = model.optimizer_variables()[0]
    poisoned = {id(v) for v in variables}
    for v in variables:
        v.assign(np.full(v.shape, np.nan, "float32"))
    before = {id(v): np.array(v) for v in model.trainable_variables if id(v) not in poisoned}
    with pytest.raises(tf.errors.InvalidArgumentError, match="is NaN or Inf at step"):
        model.fit(tf.data.Dataset.from_tensor_slices(batch(model, N)).batch(N), epochs=1, verbose=0)
    for v in model.trainable_variables:
        if id(v) not in poisoned:
            np.testing.assert_array_equal(np.array(v), before[id(v)], err_msg=v.path)
    assert all(int(o.iterations.numpy()) == 1 for o, _ in model.optimizer_variables())


def test_an_optimizer_is_refused_on_another_roles_variables():
    """The guarantee the role check above rests on."""
    model = _built("gan")
    generator_variables = model.generator.trainable_variables
    grads = [tf.zeros_like(v) for v in generator_variables]
    with pytest.raises(ValueError, match="Unknown variable"):
        model.discriminator_optimizer.apply(grads, generator_variables)


def test_random_state_puts_the_streams_back_and_refuses_a_wrong_count():
    model = _built("gan")
    states = model.random_state()
    first = np.array(model.generate(4))
    model.set_random_state(states)
    np.testing.assert_array_equal(np.array(model.generate(4)), first)
    with pytest.raises(ValueError, match=f"Got {len(states) + 1} random stream states; GAN has {len(states)}"):
        model.set_random_state(list(states) + [states[0]])


def test_every_family_has_a_case():
    import inspect

    import kerasgen.models

    families = {
        cls
        for cls in vars(kerasgen.models).values()
        if inspect.isclass(cls)
        and issubclass(cls, kerasgen.models.GenerativeModel)
        and cls.__module__.count(".") >= 3  # a family's own class, not a base
    }
    assert families <= {case.cls for case in CASES.values()}, families - {case.cls for case in CASES.values()}
    assert os.path.isfile(os.path.join(helpers.REPO, "docs", "contributing.md"))


def test_every_family_folder_ships_in_the_wheel():
    import configparser

    config = configparser.ConfigParser()
    config.read(os.path.join(helpers.REPO, "setup.cfg"))
    listed = set(config["options"]["packages"].split())
    root = os.path.join(helpers.REPO, "kerasgen")
    for folder, _, files in os.walk(root):
        if "__init__.py" in files and "__pycache__" not in folder:
            package = "kerasgen" + folder[len(root) :].replace(os.sep, ".")
            assert package in listed, f"{package} is missing from setup.cfg's packages"
