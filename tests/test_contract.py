"""The model contract, checked for every family of tests/cases.py.

Each case must: round-trip its config and a `.keras` file (compiled, same
outputs), export the SavedModel signatures it declares with float32 outputs
equal to the Python side's, take one `fit` step with finite losses and every
metric it names, update with each optimizer only the networks of that role,
and refuse a NaN loss without changing any weight. Mixed precision, two
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
    model.compile()
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
def test_fit_step_config_keras_file_and_saved_model_round_trip(name, tmp_path):
    model = _built(name)
    # One fit step: every metric the model names, finite; every optimizer stepped once.
    history = model.fit(tf.data.Dataset.from_tensor_slices(batch(model, N)).batch(N), epochs=1, verbose=0).history
    assert set(history) == set(model.metric_names), (set(history), model.metric_names)
    assert all(np.isfinite(values[-1]) for values in history.values()), history
    for optimizer, _ in model.optimizer_variables():
        assert int(optimizer.iterations.numpy()) == 1
    clone = helpers.assert_config_round_trip(model)
    assert type(clone) is type(model)
    signature, inputs, expected = probe(model)

    def outputs(m, _):
        return probe(m)[2]

    helpers.assert_keras_round_trip(model, str(tmp_path / f"{name}.keras"), None, outputs)
    export = str(tmp_path / "export")
    out = helpers.assert_export(model, export, signature, inputs, expected)
    assert sorted(ast.literal_eval(out.strip().splitlines()[-1])) == sorted(CASES[name].signatures)


def _role_cases():
    for name in sorted(CASES):
        for role in CASES[name].cls.optimizer_roles:
            yield name, role


@pytest.mark.parametrize("name,role", list(_role_cases()))
def test_each_optimizer_updates_only_its_own_networks(name, role):
    keras.utils.set_random_seed(0)
    model = CASES[name].build()
    # Every other role's optimizer takes steps of zero.
    model.compile(
        **{r: keras.optimizers.SGD(0.1 if r == role else 0.0) for r in model.optimizer_roles},
    )
    own = {id(v) for v in model.optimizer_variables()[list(model.optimizer_roles).index(role)][1]}
    before = {id(v): np.array(v) for v in model.trainable_variables}
    model.fit(tf.data.Dataset.from_tensor_slices(batch(model, N)).batch(N), epochs=1, verbose=0)
    moved = {id(v) for v in model.trainable_variables if not np.array_equal(np.array(v), before[id(v)])}
    assert moved, f"{role} moved nothing"
    assert moved <= own, f"{role} moved {len(moved - own)} variable(s) of other networks"


@pytest.mark.parametrize("name", sorted(CASES))
def test_nan_loss_stops_the_step_and_changes_no_weight(name):
    model = _built(name)
    _, variables = model.optimizer_variables()[0]
    poisoned = variables[0]
    poisoned.assign(np.full(poisoned.shape, np.nan, "float32"))
    before = {id(v): np.array(v) for v in model.trainable_variables if v is not poisoned}
    with pytest.raises(tf.errors.InvalidArgumentError, match="is NaN or Inf at step"):
        model.fit(tf.data.Dataset.from_tensor_slices(batch(model, N)).batch(N), epochs=1, verbose=0)
    for v in model.trainable_variables:
        if v is not poisoned:
            np.testing.assert_array_equal(np.array(v), before[id(v)], err_msg=v.path)
    assert all(int(o.iterations.numpy()) == 0 for o, _ in model.optimizer_variables())


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
