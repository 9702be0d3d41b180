"""Settings that reach an entry point directly obey the workflow schema: one source of truth."""

from __future__ import annotations

import dataclasses
from dataclasses import fields

import pytest
import torch
import yaml

from helpers import index, run
from vidcorr.flow.config import FlowConfig
from vidcorr.inference.config import PropagationConfig
from vidcorr.settings_schema import FLOW_METHOD, PROPAGATION, TRAINING_STAGE, section
from vidcorr.train.config import TrainConfig
from vidcorr.train.loop import train


@pytest.mark.parametrize("cls, pointer, rule_set, expanded", [
    (TrainConfig, TRAINING_STAGE, {"stage"}, set()), (PropagationConfig, PROPAGATION, set(), {"preset"}),
    (FlowConfig, FLOW_METHOD, set(), set())])
def test_schema_and_dataclass_name_the_same_settings(cls, pointer, rule_set, expanded):
    """`stage` is set by the rule, not the config; `preset` is spelt out into the others before the
    dataclass sees them; every other field has a rule, and every rule a field. The defaults are the
    dataclass's alone: the schema states none."""
    properties = section(pointer)["properties"]
    assert {f.name for f in fields(cls)} - rule_set == set(properties) - expanded
    assert [k for k, v in properties.items() if "default" in v] == []


@pytest.mark.parametrize("cls, settings, message", [
    (TrainConfig, {"radius": -4}, "training setting radius: -4 is less than the minimum of 1"),
    (TrainConfig, {"radius": "twelve"}, "training setting radius: 'twelve' is not of type 'integer'"),
    (TrainConfig, {"crop": "big"}, "training setting crop: 'big' is not of type 'integer'"),
    (TrainConfig, {"lr": 0}, "training setting lr: 0 is less than or equal to the minimum of 0"),
    (PropagationConfig, {"radius": -3}, "propagation setting radius: -3 is less than the minimum of 1"),
    (PropagationConfig, {"topk": 2.5}, "propagation setting topk: 2.5 is not of type 'integer'"),
    (FlowConfig, {"gaps": [0]}, "flow setting gaps.0: 0 is less than the minimum of 1"),
])
def test_a_bad_value_is_an_error_naming_the_key(cls, settings, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cls.from_dict(settings)


def test_tuples_from_a_dataclass_round_trip():
    cfg = TrainConfig.from_dict({"gaps": [2, 5, 8], "gap_probs": [0.4, 0.4, 0.2]})
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize("command, settings", [
    ("train", {"radius": -4}), ("train", {"crop": "big"}), ("propagate", {"radius": -3})])
def test_cli_refuses_bad_settings_and_writes_nothing(tmp_path, synthetic_root, command, settings):
    config = tmp_path / "settings.yaml"
    config.write_text(yaml.safe_dump(settings))
    out = tmp_path / "out"
    data = index(tmp_path / "index.json", "davis", synthetic_root)
    if command == "train":
        args = ["vidcorr", "train", "--config", str(config), "--data", data, "--out", str(out), "--device", "cpu"]
    else:
        args = ["vidcorr", "propagate", "--index", data, "--checkpoint", "lab", "--config", str(config),
                "--out", str(out), "--device", "cpu"]
    proc = run(args, check=False)
    assert proc.returncode == 1, proc.stderr
    key = next(iter(settings))
    assert f"setting {key}:" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


def test_a_non_finite_loss_stops_training_without_final(tmp_path, synthetic_root, monkeypatch):
    """The step and the term that went NaN are named; final.pt is never written."""
    import vidcorr.train.loop as loop

    calls = {"n": 0}
    original = loop.reconstruction_losses

    def poisoned(*args, **kwargs):
        losses = original(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 3:  # the third step
            return dataclasses.replace(losses, compactness=losses.compactness * float("nan"))
        return losses

    monkeypatch.setattr(loop, "reconstruction_losses", poisoned)
    index = tmp_path / "index.json"
    index.write_text('{"type": "davis", "root": "%s", "options": {}}' % synthetic_root)
    cfg = TrainConfig.from_dict(dict(stage="inter", epochs=2, steps_per_epoch=2, batch_size=2, crop=32, radius=2,
                                     bank_frames=4, bank_points=2, compactness=True))
    with pytest.raises(FloatingPointError, match=r"training step 2: loss term\(s\) \['compactness'\] not finite; stopped"):
        train(cfg, [index], tmp_path / "run", device="cpu")
    assert not (tmp_path / "run" / "final.pt").exists()
    assert (tmp_path / "run" / "epoch_001.pt").exists() and torch.isfinite(
        torch.load(tmp_path / "run" / "epoch_001.pt", weights_only=True)["encoder"]["conv1.weight"]).all()

