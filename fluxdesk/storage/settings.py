"""The user's settings: a small versioned JSON file, ``settings.json`` in the home folder.

Every field is checked on its own: a bad value falls back to its default without taking the others
with it. Only known fields are read and written, so nothing else (an API key pasted in by hand,
above all) ever survives a load and save. The key lives in the keyring: see ``secrets.py``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from fluxdesk.core.catalog import DEFAULT_MODEL_ID, model_ids
from fluxdesk.core.projects import ProjectError, project_name
from fluxdesk.core.request import SEED_MAX
from fluxdesk.core.serialize import decimal_text
from fluxdesk.core.values import as_decimal, as_int, is_int
from fluxdesk.storage.paths import settings_path

SETTINGS_VERSION = 1
REGIONS = ("global", "eu", "us")
THEMES = ("system", "light", "dark")
KEY_STORAGES = ("keyring", "env", "session")
OUTPUT_FORMATS = ("jpeg", "png", "webp")
REFERENCE_SIZES = ("output", "original")
"""How reference images are sent by default (``core.references.ReferenceSize``): downscaled to the output's
megapixels, or as the file is (capped at 4 MP)."""
MAX_HISTORY = 200
MAX_PROMPT_CHARS = 10_000
MAX_FILE_BYTES = 2_000_000
FOLDER_PURPOSES = ("export-images", "library-folder", "export-ledger", "import-prices", "import-providers",
                   "import-self-hosting", "add-reference", "edit-image")
"""What a file dialog is for: each remembers its own last folder (``Settings.dialog_folders``)."""
MAX_BLOB_CHARS = 65_536
"""Window geometry and panel state are small; anything larger is not ours."""
_SECRET_NAME = re.compile(r"key|secret|token|password|credential|auth", re.IGNORECASE)


@dataclass(frozen=True)
class GpuPresetOverride:
    name: str
    hourly_usd: Decimal
    images_per_hour: Decimal


BREAKEVEN_MODES = ("on-demand", "always-on")
"""``core.breakeven.Mode`` values."""
MAX_BREAKEVEN_VOLUME = 100_000_000
MAX_SIDE = 16_384
MAX_STEPS = 500
MAX_MONEY = Decimal("1e9")


@dataclass(frozen=True)
class BreakEvenSettings:
    """What the user set in the Break-even tab. ``None`` everywhere means the tab's default: the model used most
    lately, BFL's price, the first GPU of the self-hosting table with its published speed, the size and steps of
    the user's own images, $3,000 of overhead, on demand at 60 % utilisation. "Reset to defaults" is
    ``BreakEvenSettings()``."""

    api_model: str | None = None
    provider: str | None = None
    """Who prices the API side: ``"BFL"``, another provider's name, or ``"custom"`` (then ``api_price``)."""
    api_price: Decimal | None = None
    """US dollars per image, typed by the user."""
    gpu: str | None = None
    """A GPU of the self-hosting table by name, or ``"custom"``."""
    gpu_hourly: Decimal | None = None
    """US dollars an hour, typed over the GPU's."""
    seconds_per_image: Decimal | None = None
    """Typed over the table's figure (or where it has none)."""
    width: int | None = None
    height: int | None = None
    steps: int | None = None
    volume: int | None = None
    overhead: Decimal | None = None
    mode: str | None = None
    """One of ``BREAKEVEN_MODES``."""
    utilisation: Decimal | None = None
    """0 < u ≤ 1."""


@dataclass(frozen=True)
class Settings:
    region: str = "global"
    library_folder: str | None = None
    """``None``: ``home/images``."""
    default_model: str = DEFAULT_MODEL_ID
    default_output_format: str = "jpeg"
    monthly_budget_usd: Decimal = Decimal(50)
    theme: str = "system"
    key_storage: str = "keyring"
    gpu_presets: tuple[GpuPresetOverride, ...] = ()
    window_geometry: str | None = None
    """Qt's ``saveGeometry()`` bytes, base64."""
    panel_state: Mapping[str, Any] = field(default_factory=dict)
    prompt_history: tuple[str, ...] = ()
    """Newest first, without duplicates, at most ``MAX_HISTORY``."""
    last_seed: int | None = None
    start_in_demo: bool = False
    """Open straight in the offline demo (chosen in the welcome dialog; File → Use my BFL key clears it)."""
    dialog_folders: Mapping[str, str] = field(default_factory=dict)
    """The folder each kind of file dialog (``FOLDER_PURPOSES``) last used."""
    reference_size: str = "output"
    """How the prompt panel's reference tray sends a new reference: one of ``REFERENCE_SIZES``."""
    breakeven: BreakEvenSettings = field(default_factory=BreakEvenSettings)
    """The Break-even tab's inputs."""
    current_project: str | None = None
    """The project picked in the prompt panel, by name (ids differ between the real and the demo library); ``None``:
    no project."""
    studio_url: str | None = None
    """The studio's PostgreSQL URL, never with a password (that is in the keyring); ``None``: not in a studio."""
    studio_seat: str | None = None
    """The seat this FluxDesk home joined the studio as."""
    studio_admin_url: str | None = None
    """The admin URL ``fluxdesk studio init`` last used here (no password), for ``add-seat`` and ``set``."""

    def with_prompt(self, prompt: str) -> Settings:
        """The settings with ``prompt`` at the head of the history."""
        prompt = prompt.strip()[:MAX_PROMPT_CHARS]
        if not prompt:
            return self
        history = (prompt, *(p for p in self.prompt_history if p != prompt))
        return replace(self, prompt_history=history[:MAX_HISTORY])


def _choice(value: object, choices: tuple[str, ...], default: str) -> str:
    return value if isinstance(value, str) and value in choices else default


def _library_folder(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip() or "\x00" in value or len(value) > 4096:
        return None
    path = Path(value.strip()).expanduser()
    return str(path) if path.is_absolute() else None


def _budget(value: object) -> Decimal:
    amount = as_decimal(value)
    return amount if amount is not None and amount < Decimal("1e9") else Settings.monthly_budget_usd


def _gpu_presets(value: object) -> tuple[GpuPresetOverride, ...]:
    if not isinstance(value, list):
        return ()
    presets = []
    for item in value[:50]:
        if not isinstance(item, Mapping):
            continue
        name, hourly, rate = item.get("name"), as_decimal(item.get("hourly_usd")), as_decimal(
            item.get("images_per_hour"))
        if isinstance(name, str) and name.strip() and hourly is not None and rate is not None and rate > 0:
            presets.append(GpuPresetOverride(name.strip()[:100], hourly, rate))
    return tuple(presets)


def _money(value: object, *, positive: bool = False) -> Decimal | None:
    amount = as_decimal(value)
    if amount is None or amount >= MAX_MONEY or (positive and amount == 0):
        return None
    return amount


def _name(value: object) -> str | None:
    return value.strip()[:100] if isinstance(value, str) and value.strip() else None


def _breakeven(value: object) -> BreakEvenSettings:
    """Each field on its own: a bad one is left to the tab's default."""
    if not isinstance(value, Mapping):
        return BreakEvenSettings()
    utilisation = as_decimal(value.get("utilisation"))
    model = value.get("api_model")
    mode = value.get("mode")
    return BreakEvenSettings(
        api_model=model if isinstance(model, str) and model in model_ids() else None,
        provider=_name(value.get("provider")),
        api_price=_money(value.get("api_price")),
        gpu=_name(value.get("gpu")),
        gpu_hourly=_money(value.get("gpu_hourly")),
        seconds_per_image=_money(value.get("seconds_per_image"), positive=True),
        width=as_int(value.get("width"), minimum=1, maximum=MAX_SIDE),
        height=as_int(value.get("height"), minimum=1, maximum=MAX_SIDE),
        steps=as_int(value.get("steps"), minimum=1, maximum=MAX_STEPS),
        volume=as_int(value.get("volume"), minimum=0, maximum=MAX_BREAKEVEN_VOLUME),
        overhead=_money(value.get("overhead")),
        mode=mode if isinstance(mode, str) and mode in BREAKEVEN_MODES else None,
        utilisation=utilisation if utilisation is not None and 0 < utilisation <= 1 else None,
    )


def _breakeven_dict(value: BreakEvenSettings) -> dict[str, Any]:
    """The fields the user set (``None`` ones are left out), money as decimal text."""
    data: dict[str, Any] = {}
    for f in fields(value):
        item = getattr(value, f.name)
        if item is not None:
            data[f.name] = decimal_text(item) if isinstance(item, Decimal) else item
    return data


def _geometry(value: object) -> str | None:
    if not isinstance(value, str) or len(value) > MAX_BLOB_CHARS:
        return None
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return value


def _without_secrets(value: Any) -> Any:
    """Panel state with every key-like entry dropped, at any depth."""
    if isinstance(value, Mapping):
        return {k: _without_secrets(v) for k, v in value.items()
                if isinstance(k, str) and not _SECRET_NAME.search(k)}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def _panel_state(value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        return {}
    cleaned: dict[str, Any] = _without_secrets(value)  # a Mapping comes back a dict
    try:
        if len(json.dumps(cleaned, allow_nan=False)) > MAX_BLOB_CHARS:
            return {}
    except (TypeError, ValueError, RecursionError):
        return {}
    return cleaned


def _history(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    out: list[str] = []
    for item in value:
        if isinstance(item, str) and item.strip() and item not in out:
            out.append(item[:MAX_PROMPT_CHARS])
        if len(out) == MAX_HISTORY:
            break
    return tuple(out)


def _project(value: object) -> str | None:
    try:
        return project_name(value) if value is not None else None
    except ProjectError:
        return None


def _studio_url(value: object) -> str | None:
    if not isinstance(value, str) or len(value) > 2048 or not value.startswith(("postgresql://", "postgres://")):
        return None
    from fluxdesk.storage.studio.link import url_without_password

    return url_without_password(value)


def _seat(value: object) -> str | None:
    from fluxdesk.storage.studio.schema import SEAT_NAME

    return value if isinstance(value, str) and SEAT_NAME.fullmatch(value) else None


def _seed(value: object) -> int | None:
    return value if is_int(value) and 0 <= value <= SEED_MAX else None


def _dialog_folders(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    folders = {purpose: _library_folder(value.get(purpose)) for purpose in FOLDER_PURPOSES}
    return {purpose: folder for purpose, folder in folders.items() if folder is not None}


def settings_from_dict(data: object) -> Settings:
    """Settings from decoded JSON; each bad or missing field takes its default, unknown keys are dropped."""
    if not isinstance(data, Mapping):
        return Settings()
    default = Settings()
    return Settings(
        region=_choice(data.get("region"), REGIONS, default.region),
        library_folder=_library_folder(data.get("library_folder")),
        default_model=_choice(data.get("default_model"), model_ids(), default.default_model),
        default_output_format=_choice(data.get("default_output_format"), OUTPUT_FORMATS,
                                      default.default_output_format),
        monthly_budget_usd=_budget(data.get("monthly_budget_usd")),
        theme=_choice(data.get("theme"), THEMES, default.theme),
        key_storage=_choice(data.get("key_storage"), KEY_STORAGES, default.key_storage),
        gpu_presets=_gpu_presets(data.get("gpu_presets")),
        window_geometry=_geometry(data.get("window_geometry")),
        panel_state=_panel_state(data.get("panel_state")),
        prompt_history=_history(data.get("prompt_history")),
        last_seed=_seed(data.get("last_seed")),
        start_in_demo=data.get("start_in_demo") is True,
        dialog_folders=_dialog_folders(data.get("dialog_folders")),
        reference_size=_choice(data.get("reference_size"), REFERENCE_SIZES, default.reference_size),
        breakeven=_breakeven(data.get("breakeven")),
        current_project=_project(data.get("current_project")),
        studio_url=_studio_url(data.get("studio_url")),
        studio_seat=_seat(data.get("studio_seat")),
        studio_admin_url=_studio_url(data.get("studio_admin_url")),
    )


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    data: dict[str, Any] = {"version": SETTINGS_VERSION}
    for f in fields(settings):
        value = getattr(settings, f.name)
        if f.name == "monthly_budget_usd":
            value = decimal_text(value)
        elif f.name == "gpu_presets":
            value = [{"name": p.name, "hourly_usd": decimal_text(p.hourly_usd),
                      "images_per_hour": decimal_text(p.images_per_hour)} for p in value]
        elif f.name == "panel_state":
            value = _without_secrets(value)
        elif f.name == "prompt_history":
            value = list(value)
        elif f.name == "dialog_folders":
            value = dict(value)
        elif f.name == "breakeven":
            value = _breakeven_dict(value)
        elif f.name in ("studio_url", "studio_admin_url"):
            value = _studio_url(value)
        data[f.name] = value
    return data


def load_settings(home: Path) -> Settings:
    """The saved settings; defaults when the file is missing, unreadable or not JSON."""
    path = settings_path(home)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return Settings()
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return Settings()
    return settings_from_dict(data)


def save_settings(home: Path, settings: Settings) -> None:
    """Write the settings atomically (a crash leaves the old file or the new one, never half)."""
    text = json.dumps(settings_to_dict(settings), ensure_ascii=False, indent=2, allow_nan=False)
    from fluxdesk.storage.files import atomic_write_text  # its imports (hashlib, socket…) stay off start-up

    atomic_write_text(settings_path(home), text + "\n")
