"""The GPU presets the break-even calculator offers: the source article's RTX 4090 rows, fixed, and
rows the user edits (A100, H100 and any saved in the settings), kept as ``Settings.gpu_presets``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Protocol

from fluxdesk.core.breakeven import GPU_PRESETS
from fluxdesk.storage.settings import GpuPresetOverride

FIXED_PRESETS = 2
"""The first presets are the source article's RTX 4090 prices: they are facts to compare with, not settings."""


class PresetLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def hourly_usd(self) -> Decimal: ...
    @property
    def images_per_hour(self) -> Decimal: ...


@dataclass(frozen=True)
class Preset:
    name: str
    hourly_usd: Decimal
    images_per_hour: Decimal
    editable: bool


def merged_presets(overrides: Iterable[PresetLike] | None) -> list[Preset]:
    """The built-in presets with the user's saved values over the editable ones; unknown names appended."""
    presets = [Preset(p.name, p.hourly_usd, p.images_per_hour, i >= FIXED_PRESETS)
               for i, p in enumerate(GPU_PRESETS)]
    for saved in overrides or ():
        if saved.images_per_hour <= 0 or saved.hourly_usd < 0:
            continue
        match = next((i for i, p in enumerate(presets) if p.name == saved.name), None)
        if match is None:
            presets.append(Preset(saved.name, saved.hourly_usd, saved.images_per_hour, True))
        elif presets[match].editable:
            presets[match] = replace(presets[match], hourly_usd=saved.hourly_usd,
                                     images_per_hour=saved.images_per_hour)
    return presets


def overrides_of(presets: Sequence[Preset]) -> list[GpuPresetOverride]:
    """What ``Settings.gpu_presets`` keeps: every editable preset, in order."""
    return [GpuPresetOverride(p.name, p.hourly_usd, p.images_per_hour) for p in presets if p.editable]
