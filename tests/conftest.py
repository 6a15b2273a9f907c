"""Shared test fixtures: ``../shared/data`` when present (skipped, with a reason, when not)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data sets not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="module")
def one_thread():
    """Tiny tensors: one torch thread is faster, and immune to OpenMP stalls on a busy CPU."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture()
def no_shipped_networks(monkeypatch):
    """Behave as if no network shipped, for tests of the classical default path."""
    from mtif import methods
    from mtif.fusion import api

    monkeypatch.setattr(api, "shipped_checkpoint", lambda task: None)
    monkeypatch.setattr(methods, "shipped_checkpoint", lambda task: None)
