import json
import os
import re
import shutil

import pytest

import kerasgen
from kerasgen import zoo
from tests import helpers

ENTRIES = zoo.names(kind=None)


def test_list_has_descriptions():
    listed = zoo.list()
    assert {"vae", "autoencoder"} <= set(listed)
    assert all(isinstance(d, str) and d for d in listed.values())


@pytest.mark.parametrize("name", ENTRIES)
def test_metadata_schema_and_weights_hash(name):
    meta = zoo.metadata(name)
    missing = [k for k in zoo.REQUIRED_METADATA if k not in meta]
    assert not missing, f"{name}: metadata lacks {missing}"
    assert meta["name"] == name
    assert "python tools/train_" in meta["training"]["command"]
    if meta.get("kind") == "feature_extractor":
        return
    model = zoo.load(name, weights=None, compile=False)
    assert model.entry_model().count_params() == meta["parameters"]
    assert list(model.image_shape) == meta["image_shape"]
    if meta["weights"]:
        path = os.path.join(zoo.entry_dir(name), meta["weights"]["file"])
        assert re.fullmatch(r"[0-9a-f]{64}", meta["weights"]["sha256"])
        assert os.path.getsize(path) == meta["weights"]["size"] < 5 * 1024 * 1024
        assert zoo.sha256_file(path) == meta["weights"]["sha256"]
        assert meta["metrics"], f"{name}: a pretrained entry records its measured metrics"


@pytest.mark.parametrize("name", kerasgen.presets.names())
def test_zoo_folder_agrees_with_its_registered_preset(name):
    """One source per recipe: zoo/<name>/ holds what the registration says, and nothing else."""
    preset = kerasgen.presets.get(name)
    folder = os.path.join(helpers.REPO, "zoo", name)
    with open(os.path.join(folder, zoo.CONFIG_FILE)) as f:
        shipped = json.load(f)
    meta = zoo.metadata(folder)
    assert shipped["class_name"] == preset["model"]["class_name"]

    def config(model):
        return {k: v for k, v in model.get_config().items() if k != "name"}

    # What the recipe trains, as an entry ships it (`entry_model`: an EMA model ships its average only).
    assert config(zoo.model_from_config(shipped)) == config(zoo.model_from_config(preset["model"]).entry_model())
    assert {k: v for k, v in meta["training"].items() if k != "command"} == json.loads(json.dumps(preset["training"]))
    assert meta["training"]["command"] == f"python tools/train_zoo.py {name}"
    assert (meta["description"], meta["paper"], meta["dataset"]) == (
        preset["description"],
        preset["paper"],
        preset["dataset"],
    )
    assert bool(meta["weights"]) == preset["training"].get("pretrained", True)
    if meta["weights"]:
        # The quality bars an entry is held to travel with it (docs/zoo.md shows whether each is met).
        assert meta.get("targets", {}) == json.loads(json.dumps(preset["targets"]))


def test_targets_are_checked_in_the_right_direction():
    assert kerasgen.presets.meets(9.0, ["<=", 10.0]) and not kerasgen.presets.meets(11.0, ["<=", 10.0])
    assert kerasgen.presets.meets(3.0, [">=", 2.0]) and not kerasgen.presets.meets(1.0, [">=", 2.0])
    assert not kerasgen.presets.meets(None, ["<=", 10.0])
    with pytest.raises(ValueError, match="must be"):
        kerasgen.presets.register_preset("x", {}, "", "", "", {}, targets={"fid_digits": ["<", 1]})


def test_every_model_entry_is_registered():
    assert set(zoo.names()) == set(kerasgen.presets.names())


def test_pretrained_vae_generates_and_beats_untrained():
    model = zoo.load("vae")
    images = model.generate(8, seed=0)
    assert images.shape == (8, 28, 28, 1) and images.min() >= -1 and images.max() <= 1
    x, _ = helpers.mnist_images("test", n=100, binarize=True)
    fresh = zoo.load("vae", weights=None)
    assert model.log_likelihood(x, 10).mean() > fresh.log_likelihood(x, 10).mean() + 200


def test_feature_extractor_entry_is_not_loaded_as_a_model():
    assert "mnist_classifier" not in zoo.list()
    with pytest.raises(ValueError, match="feature_extractor, not a generative model"):
        zoo.load("mnist_classifier")


def test_unknown_name_suggests_close_matches():
    with pytest.raises(ValueError, match=r"Unknown zoo entry 'vea'.*Did you mean 'vae'"):
        zoo.load("vea")
    with pytest.raises(ValueError, match=r"Invalid zoo entry name 'VAE'.*Did you mean 'vae'"):
        zoo.load("VAE")


@pytest.mark.parametrize("path", ["model.keras", os.path.join("runs", "vae", "model.keras")])
def test_a_keras_file_is_pointed_to_load_keras(path):
    with pytest.raises(ValueError, match=r"\.keras file.*kerasgen\.zoo\.load_keras"):
        zoo.load(path)


@pytest.mark.parametrize("bad", ["../vae", "vae/../../etc", "VAE;rm", "", ".hidden"])
def test_names_with_separators_or_odd_characters_are_refused(bad):
    with pytest.raises((ValueError, FileNotFoundError)):
        zoo.load(bad)


def _copy_entry(tmp_path, name="vae"):
    dst = tmp_path / name
    shutil.copytree(zoo.entry_dir(name), dst)
    return dst


def test_tampered_weights_are_refused_before_loading(tmp_path, monkeypatch):
    entry = _copy_entry(tmp_path)
    weights = entry / "model.weights.h5"
    blob = bytearray(weights.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    weights.write_bytes(bytes(blob))
    loaded = []
    monkeypatch.setattr(kerasgen.models.VAE, "load_weights", lambda self, p: loaded.append(p))
    with pytest.raises(zoo.IntegrityError, match="sha256 mismatch"):
        zoo.load(str(entry))
    assert loaded == []


def test_short_or_missing_hash_is_refused(tmp_path):
    entry = _copy_entry(tmp_path)
    meta = json.loads((entry / "metadata.json").read_text())
    meta["weights"]["sha256"] = meta["weights"]["sha256"][:32]  # an MD5-length value
    (entry / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(zoo.IntegrityError, match="64 lowercase hex"):
        zoo.load(str(entry))


def test_config_with_unknown_key_or_foreign_class_is_refused(tmp_path):
    entry = _copy_entry(tmp_path)
    config = json.loads((entry / "config.json").read_text())
    config["config"]["evil"] = 1
    (entry / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=r"Unknown key\(s\) for VAE: \['evil'\]"):
        zoo.load(str(entry), weights=None)
    config["config"].pop("evil")
    config["class_name"], config["registered_name"] = "Lambda", None
    (entry / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="'Lambda' is not a registered kerasgen model"):
        zoo.load(str(entry), weights=None)


def test_overrides_build_a_fresh_model_of_another_shape():
    model = zoo.load("vae", weights=None, image_shape=(32, 32, 3))
    assert model.generate(2, seed=0).shape == (2, 32, 32, 3)
    with pytest.raises(ValueError, match="Pass weights=None"):
        zoo.load("vae", image_shape=(32, 32, 3))


def test_recipe_without_weights_and_mismatched_weights(tmp_path):
    model = zoo.load("vae", weights=None, latent_dim=4)
    path = str(tmp_path / "small.weights.h5")
    model.save_weights(path)
    with pytest.raises(ValueError, match=r"The weights in '.*small\.weights\.h5' do not fit the model of 'vae' \(VAE"):
        zoo.load("vae", weights=path)  # 4-d latents into a 16-d model


def test_legacy_h5_and_saved_model_sources_are_refused(tmp_path):
    h5 = tmp_path / "model.h5"
    h5.write_bytes(b"\x89HDF")
    with pytest.raises(ValueError, match="legacy HDF5 full-model"):
        zoo.load_keras(str(h5))
    sm = tmp_path / "exported"
    sm.mkdir()
    (sm / "saved_model.pb").write_bytes(b"")
    with pytest.raises(ValueError, match="SavedModel folder"):
        zoo.load(str(sm))


def test_keras_file_with_lambda_is_refused_by_safe_mode(tmp_path):
    import keras

    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    path = str(tmp_path / "lambda.keras")
    model.save(path)
    with pytest.raises(ValueError, match="(?i)unsafe|safe_mode|lambda"):
        zoo.load_keras(path)


def test_save_entry_failure_keeps_the_old_entry(tmp_path):
    model = zoo.load("vae", weights=None, compile=False)
    target = tmp_path / "entry"
    zoo.save_entry(model, str(target), {"name": "entry"})
    before = {p: (target / p).read_bytes() for p in os.listdir(target)}

    class Unserializable(dict):
        pass

    with pytest.raises(TypeError):
        zoo.save_entry(model, str(target), {"name": "entry", "bad": object()})
    after = {p: (target / p).read_bytes() for p in os.listdir(target)}
    assert after == before
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".tmp-")]


def _probe_tool():
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools", "probe_zoo.py")
    spec = importlib.util.spec_from_file_location("probe_zoo", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_probe_tool_refuses_an_unknown_figure_before_training(monkeypatch):
    probe = _probe_tool()
    monkeypatch.setattr(probe.runs, "prepare", lambda *a, **k: pytest.fail("trained despite a bad --show"))
    with pytest.raises(SystemExit, match="no figure named mae_nope; this entry has .*mae_same_domain"):
        probe.main(["stargan", "--epochs", "1", "--show", "mae_same_domain,mae_nope"])
    assert probe._format("thick -> plain") == "thick -> plain"
    assert probe._format(0.123456) == "0.1235"
