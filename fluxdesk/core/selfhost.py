"""What one would run instead of an API model, under which licence, and how fast on which GPU.

Only some FLUX models have open weights. Each API model maps to the open-weights model one would self-host
instead (itself when its weights are published, as FLUX.2 [klein] and FLUX.1 [dev]); GPU rows give seconds per
image at 1024×1024 and the model's default steps. All of it is dated data (``resources/self_hosting.json``,
one source per row), parsed here from plain values and loaded from disk elsewhere.

Self-hosted time is approximated as linear in output megapixels and in steps (``scaled_seconds``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from fluxdesk.core.catalog import MEGAPIXEL, MODELS, display_name
from fluxdesk.core.dated_table import read_date, read_decimal, read_list, read_mapping, read_text
from fluxdesk.core.values import as_int

BASE_WIDTH = 1024
BASE_HEIGHT = 1024
"""The size the GPU rows' seconds are given at (1 MP as BFL counts it)."""


class SelfHostTableError(ValueError):
    """A self-hosting table that cannot be used, with what is wrong in words."""


@dataclass(frozen=True)
class SelfHostModel:
    id: str
    name: str
    licence: str
    commercial_use: bool
    default_steps: int
    source: str


@dataclass(frozen=True)
class GpuSpeed:
    name: str
    hourly_usd: Decimal
    seconds: Mapping[str, Decimal]
    """Seconds per image at 1024×1024 and the model's default steps, by open-weights model id; a model with no
    published figure on this GPU is left out (the user enters a speed)."""
    source: str

    def seconds_for(self, model_id: str) -> Decimal | None:
        return self.seconds.get(model_id)


@dataclass(frozen=True)
class SelfHostTable:
    as_of: str
    source: str
    models: Mapping[str, SelfHostModel]
    substitutes: Mapping[str, str]
    """API model id → open-weights model id, for every catalog model."""
    gpus: tuple[GpuSpeed, ...]

    def substitute(self, api_model_id: str) -> SelfHostModel:
        """The open-weights model one would run instead of ``api_model_id`` (itself when it has open weights)."""
        try:
            return self.models[self.substitutes[api_model_id]]
        except KeyError:
            raise SelfHostTableError(f"the self-hosting table of {self.as_of} does not say what would run "
                                     f"instead of {display_name(api_model_id)}") from None

    def self_hostable(self, api_model_id: str) -> bool:
        """Whether the API model itself has open weights (it is its own substitute)."""
        return self.substitutes.get(api_model_id) == api_model_id

    def has_speed(self, model_id: str) -> bool:
        """Whether any GPU of the table has a published speed for the open-weights model ``model_id``."""
        return any(g.seconds_for(model_id) is not None for g in self.gpus)

    def runnable_instead(self, api_model_id: str, api_model_ids: Sequence[str]) -> str | None:
        """When nothing published says how fast ``api_model_id``'s substitute runs: the API model, among
        ``api_model_ids``, that has open weights of its own and a published speed — commercial use allowed
        first, then the same family (the id's first two parts) — else ``None``."""
        if self.has_speed(self.substitute(api_model_id).id):
            return None
        family = api_model_id.split("-")[:2]
        candidates = [m for m in api_model_ids
                      if m != api_model_id and self.self_hostable(m) and self.has_speed(m)]
        candidates.sort(key=lambda m: (not self.models[m].commercial_use, m.split("-")[:2] != family))
        return candidates[0] if candidates else None

    def gpu(self, name: str) -> GpuSpeed:
        """The GPU row called ``name`` (case and spacing ignored); ``KeyError`` naming the known ones."""
        wanted = " ".join(name.split()).casefold()
        for gpu in self.gpus:
            if gpu.name.casefold() == wanted:
                return gpu
        known = ", ".join(g.name for g in self.gpus)
        raise KeyError(f"unknown GPU {name!r}; known GPUs: {known}")


def _parse_model(model_id: str, entry: object) -> SelfHostModel:
    where = f"models.{model_id}."
    data = read_mapping(entry, where.rstrip("."), SelfHostTableError, "an object")
    commercial = data.get("commercial_use")
    if not isinstance(commercial, bool):
        raise SelfHostTableError(f"{where}commercial_use: must be true or false")
    steps = as_int(data.get("default_steps"), minimum=1, maximum=1000)
    if steps is None:
        raise SelfHostTableError(f"{where}default_steps: must be a whole number from 1 to 1000")
    return SelfHostModel(id=model_id, name=read_text(data, "name", where, SelfHostTableError),
                         licence=read_text(data, "licence", where, SelfHostTableError),
                         commercial_use=commercial, default_steps=steps,
                         source=read_text(data, "source", where, SelfHostTableError))


def _parse_gpu(index: int, entry: object, models: Mapping[str, SelfHostModel]) -> GpuSpeed:
    where = f"gpus[{index}]."
    data = read_mapping(entry, where.rstrip("."), SelfHostTableError, "an object")
    name = " ".join(read_text(data, "name", where, SelfHostTableError).split())
    hourly = read_decimal(data.get("hourly_usd"), f"{where}hourly_usd", SelfHostTableError)
    seconds_data = read_mapping(data.get("seconds", {}), f"{where}seconds", SelfHostTableError,
                                "an object of model id → seconds per image")
    seconds: dict[str, Decimal] = {}
    for model_id, value in seconds_data.items():
        if model_id not in models:
            raise SelfHostTableError(f"{where}seconds: {model_id!r} is not one of the table's models")
        seconds[model_id] = read_decimal(value, f"{where}seconds.{model_id}", SelfHostTableError, positive=True)
    return GpuSpeed(name=name, hourly_usd=hourly, seconds=seconds,
                    source=read_text(data, "source", where, SelfHostTableError))


def parse_self_host_table(data: object) -> SelfHostTable:
    """Build a table from decoded JSON; refuse anything incomplete with a plain message."""
    table = read_mapping(data, "the self-hosting table", SelfHostTableError, "a JSON object")
    as_of = read_date(table, "as_of", "", SelfHostTableError)
    source = read_text(table, "source", "", SelfHostTableError, required=False)
    models_data = read_mapping(table.get("models"), "models", SelfHostTableError,
                               "an object of open-weights model id → model")
    models = {model_id: _parse_model(model_id, entry) for model_id, entry in models_data.items()}
    substitutes_data = read_mapping(table.get("substitutes"), "substitutes", SelfHostTableError,
                                    "an object of API model id → open-weights model id")
    substitutes: dict[str, str] = {}
    for model in MODELS:  # every catalog model; ids FluxDesk does not know yet are ignored, as in prices.json
        target = substitutes_data.get(model.id)
        if not isinstance(target, str):
            raise SelfHostTableError(f"substitutes: does not say what would run instead of {model.id}")
        if target not in models:
            raise SelfHostTableError(f"substitutes.{model.id}: {target!r} is not one of the table's models")
        substitutes[model.id] = target
    gpus_data = read_list(table.get("gpus"), "gpus", SelfHostTableError, "a list of GPUs")
    gpus = tuple(_parse_gpu(i, entry, models) for i, entry in enumerate(gpus_data))
    if not gpus:
        raise SelfHostTableError("gpus: the table names no GPU")
    names = [g.name.casefold() for g in gpus]
    for gpu in gpus:
        if names.count(gpu.name.casefold()) > 1:
            raise SelfHostTableError(f"gpus: {gpu.name!r} is listed twice")
    return SelfHostTable(as_of=as_of, source=source, models=models, substitutes=substitutes, gpus=gpus)


def scaled_seconds(base_seconds: Decimal, width: int, height: int, steps: int | None,
                   default_steps: int) -> Decimal:
    """Seconds per image at ``width`` × ``height`` and ``steps`` from seconds at 1024×1024 and the default steps.

    An approximation, linear in megapixels (w·h / 1024²) and in steps (steps ÷ default steps; ``None`` is the
    default). Real time is not quite linear: attention grows faster than the pixel count, and a fixed part
    (loading, text encoding, decoding) does not scale with steps.
    """
    if width <= 0 or height <= 0:
        raise ValueError("width and height must be more than 0")
    if default_steps < 1:
        raise ValueError("the model's default steps must be at least 1")
    if steps is not None and steps < 1:
        raise ValueError("steps must be at least 1")
    if base_seconds <= 0:
        raise ValueError("seconds per image must be more than 0")
    step_ratio = Decimal(default_steps if steps is None else steps) / default_steps
    return base_seconds * width * height / MEGAPIXEL * step_ratio


def commercial_words(model: SelfHostModel) -> str:
    """``"commercial use allowed"`` or ``"commercial use needs a licence from BFL"``."""
    return "commercial use allowed" if model.commercial_use else "commercial use needs a licence from BFL"


def substitute_note(api_model_id: str, table: SelfHostTable) -> str:
    """Whether ``api_model_id`` can be self-hosted, and if not, what would run instead, in plain words."""
    model = table.substitute(api_model_id)
    if table.self_hostable(api_model_id):
        return f"{display_name(api_model_id)} can be self-hosted ({model.licence}, {commercial_words(model)})."
    return (f"{display_name(api_model_id)} cannot be self-hosted: its weights are not published. The nearest you "
            f"can run is {model.name} ({model.licence}; {commercial_words(model)}), and its images will differ.")
