"""Infrared + visible on the shared sets: the RoadScene split, task detection, descriptions."""

from __future__ import annotations

from pathlib import Path

import pytest

from mtif.data import find_samples, select_samples, split_names
from mtif.fusion import detect_task
from mtif.io import read_image
from mtif.text.infrared import LOW_LIGHT
from mtif.text.offline import OfflineDescriber


def _set(shared_data: Path, name: str) -> Path:
    root = shared_data / name
    if not root.is_dir():
        pytest.skip(f"{root} not present")
    return root


def test_roadscene_test_split_is_detected_as_infrared_visible(shared_data: Path) -> None:
    found = select_samples(
        find_samples(_set(shared_data, "RoadScene")), split_names("roadscene:test")
    )
    assert len(found.samples) == 71
    for sample in found.samples[::10]:  # every tenth pair keeps this test light
        assert detect_task([read_image(p) for p in sample.inputs]) == "ivf", sample.name


def test_msrs_descriptions_tell_night_from_day(shared_data: Path) -> None:
    describer = OfflineDescriber()
    for sample in find_samples(_set(shared_data, "MSRS_samples")).samples:
        images = [read_image(p) for p in sample.inputs]
        assert detect_task(images) == "ivf", sample.name
        d = describer.describe_images(images)
        assert "the first image is the infrared one" in d.semantic
        assert "Warm objects, bright in the infrared image" in d.structure, sample.name
        # MSRS names end in D (day) or N (night); the night visible images are dark.
        dark = images[1].mean() < LOW_LIGHT
        assert dark == sample.name.endswith("N"), sample.name
        assert ("low light" in d.semantic) == dark, sample.name
