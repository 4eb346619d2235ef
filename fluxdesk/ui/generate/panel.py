"""The prompt panel: prompt, model and its parameters, the live price, and Generate.

A view over ``fluxdesk.core``: it builds a ``GenerationRequest`` from its controls, validates
and prices it on every change, and reports what the user asks for with signals. The owner feeds it
(history, credits, spend, last seed, server errors) and acts on its signals (generate, persist a prompt,
read a dropped image's metadata). Its one piece of I/O is the reference tray's: reading and preparing
reference images, off the GUI thread (``reference_tray.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.core.catalog import DEFAULT_MODEL_ID, MODELS, Model, Pricing, get_model, model_ids
from fluxdesk.core.pricing import Estimate, PriceTable, PriceTableError, credits_phrase, estimate, format_price
from fluxdesk.core.providers import ProviderTable, compare
from fluxdesk.core.references import ReferenceSize, output_pixels
from fluxdesk.core.request import SEED_MAX, FieldError, GenerationRequest, reference_name, validate
from fluxdesk.core.values import as_int
from fluxdesk.core.wording import plural
from fluxdesk.services.library_views import ProjectChoices
from fluxdesk.ui.generate.controls import OutputControls, QualityControls
from fluxdesk.ui.generate.cost_footer import CostFooter
from fluxdesk.ui.generate.editor import PromptEditor
from fluxdesk.ui.generate.elsewhere import ElsewherePopup
from fluxdesk.ui.generate.money_hints import MoneyHintRow, money_hint
from fluxdesk.ui.generate.project_picker import ProjectPicker
from fluxdesk.ui.generate.reference_tray import ReferenceTray
from fluxdesk.ui.generate.seed_picker import SeedPicker
from fluxdesk.ui.generate.size_picker import SizePicker
from fluxdesk.ui.kit.file_dialogs import FolderMemory
from fluxdesk.ui.kit.forms import (
    DropOverlay,
    FieldSlot,
    FoldingSection,
    IconButton,
    MessageBanner,
    Section,
    WheelGuard,
    describe,
    make_label,
    paint_history,
    row,
    word_error,
)
from fluxdesk.ui.kit.mime import dropped_images
from fluxdesk.ui.kit.scroll_page import scroll_page

HISTORY_MENU_ITEMS = 15
HISTORY_MENU_CHARS = 70
PROMPT_PLACEHOLDER = ("Describe the image… e.g. a ceramic teapot on a linen cloth, soft window light, "
                      "shallow depth of field")


def is_submit_key(event: QKeyEvent) -> bool:
    """Ctrl+Return or Ctrl+Enter (the keypad's Enter carries the keypad modifier too)."""
    mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    return event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and mods == Qt.KeyboardModifier.ControlModifier


def model_price_text(model: Model, table: PriceTable) -> str:
    """ "$0.04" for a flat price, "from $0.03" for FLUX.2's per-megapixel price."""
    try:
        price = table.price(model.id)
    except PriceTableError:
        return "price unknown"
    if model.pricing is Pricing.FLAT and price.per_image is not None:
        return format_price(price.per_image * table.usd_per_credit)
    if price.first_mp is not None:
        return f"from {format_price(price.first_mp * table.usd_per_credit)}"
    return "price unknown"


def model_pricing_note(model: Model, table: PriceTable) -> str:
    try:
        price = table.price(model.id)
    except PriceTableError:
        return f"No price for {model.name} in the price table of {table.as_of}"
    if model.pricing is Pricing.FLAT and price.per_image is not None:
        text = f"{credits_phrase(price.per_image)} per image"
        if model.takes_dimensions:
            text += ", any size"
    elif price.first_mp is not None and price.extra_mp is not None:
        text = (f"{credits_phrase(price.first_mp)} for the first megapixel, "
                f"{price.extra_mp.normalize():f} for each further one")
    else:
        text = "Price unknown"
    if model.legacy:
        text += " · legacy model, BFL may retire it"
    return text


def field_label(field: str) -> str:
    """``"safety_tolerance"`` → ``"Safety tolerance"``."""
    return field.replace("_", " ").capitalize()


def field_of(server_field: str) -> str:
    """``"body.width"`` → ``"width"``; ``"input_image_3"`` → ``"input_image"``."""
    name = server_field.replace("/", ".").split(".")[-1]
    return "input_image" if name.startswith("input_image") else name


def reference_message(error: FieldError) -> str:
    """A message about one reference (``input_image_2``) names it as the prompt does: "image 2 is not …"."""
    name = error.field.replace("/", ".").split(".")[-1]
    if name == "image_prompt":
        index = 0
    elif name.startswith("input_image"):
        suffix = name.removeprefix("input_image").lstrip("_")
        index = int(suffix) - 1 if suffix.isdigit() and int(suffix) > 0 else 0
    else:
        return error.message
    words = error.message.split(" ", 1)
    joint = " " if words[0] in {"is", "must", "needs", "has"} else ": "
    return f"{reference_name(index)}{joint}{error.message}"


def with_placeholder_data(request: GenerationRequest) -> GenerationRequest:
    """``request`` with every reference still being prepared given stand-in data: checked and priced by its size
    before its bytes exist (a request is only sent once they do)."""
    images = tuple(image if image.data else replace(image, data="-") for image in request.input_images)
    return replace(request, input_images=images)


class PromptPanel(QWidget):
    """The Generate column of the main window."""

    generateRequested = Signal(object, int, object)
    """``(GenerationRequest, count, project id or None)``: a valid request the user asked to generate ``count`` times,
    for the project picked (``None``: no project)."""
    projectChanged = Signal(object)
    """The user picked or made a project in the picker: its name, ``None`` for no project (the owner persists it)."""
    promptSubmitted = Signal(str)
    """The prompt just generated, for the owner to persist in the history."""
    imageDropped = Signal(str)
    """A local image file dropped on the panel; the owner reads its metadata and calls ``load_settings``."""

    def __init__(self, price_table: PriceTable, parent: QWidget | None = None, *,
                 folders: FolderMemory | None = None) -> None:
        super().__init__(parent)
        self._folders = folders
        self.setObjectName("promptPanel")
        self.setAccessibleName("Prompt panel")
        self._table = price_table
        self._model = get_model(DEFAULT_MODEL_ID)
        self._syncing = True
        self._errors: tuple[FieldError, ...] = ()
        self._server_errors: dict[str, str] = {}
        self._estimate: Estimate | None = None
        self._credits: Decimal | None = None
        self._spent: Decimal | None = None
        self._budget: Decimal | None = None
        self._team_month = False
        self._owner_enabled = True
        self._owner_reason = ""
        self._drag_active = False
        self._prompt_touched = False
        self._guard = WheelGuard(self)

        root = QVBoxLayout(self)
        root.setContentsMargins(8, 8, 8, 8)
        root.setSpacing(8)
        self._banner = MessageBanner()
        root.addWidget(self._banner)
        root.addWidget(self._build_scroll_area(), 1)
        self._footer = CostFooter()
        self._footer.generate_button.clicked.connect(self.generate)
        root.addWidget(self._footer)
        self._providers: ProviderTable | None = None
        self._elsewhere: ElsewherePopup | None = None
        self.elsewhere_action = QAction("Elsewhere…", self)
        self.elsewhere_action.setObjectName("elsewhereAction")
        self.elsewhere_action.setToolTip("What this request would cost at other providers of the same model "
                                         "(priced, not called: FluxDesk sends to BFL only)")
        self.elsewhere_action.setEnabled(False)
        self.elsewhere_action.triggered.connect(lambda _checked=False: self.show_elsewhere())
        self._overlay = DropOverlay("Drop an image to load its settings (on References: to edit it)", self)

        self.setAcceptDrops(True)  # the text fields in it hand image drags on to it (generate/drops.py)
        self._syncing = False
        self._apply_model(self._model)

    # -- construction -------------------------------------------------------------------------------

    def _build_scroll_area(self) -> QScrollArea:
        scroll, layout = scroll_page("prompt", margins=(0, 0, 2, 0), sideways=False)
        self._project = ProjectPicker(self._guard)
        self._project.busyChanged.connect(self._show_generate_state)
        self._project.problem.connect(lambda text: self.show_message(text, "warning"))
        self._project.projectChanged.connect(self.projectChanged)
        layout.addWidget(self._project)
        layout.addWidget(self._build_prompt_section(), 1)
        self._tray = ReferenceTray(self._table, self._guard, self._folders)
        self._tray.changed.connect(self._on_changed)
        self._editor.imagesPasted.connect(self._tray.add_from_mime)
        self.addAction(self._tray.paste_action)  # Ctrl+V anywhere in the panel that text fields do not take
        layout.addWidget(self._tray)
        layout.addWidget(self._build_model_section())
        self._size = SizePicker(self._guard)
        self._size_section = self._section_with("Size", "sizeSection", self._size)
        self._money_hint = MoneyHintRow()
        self._money_hint.fixRequested.connect(self._size.set_dimensions)
        self._size_section.add_row(None, self._money_hint, pad=False)
        layout.addWidget(self._size_section)
        # Count, format and seed in one card, so a 1280 × 800 window shows them without scrolling.
        self._output = OutputControls(self._guard)
        self._seed = SeedPicker(self._guard)
        output_section = self._section_with("Output", "outputSection", self._output)
        output_section.add_row(None, self._seed, pad=False)
        layout.addWidget(output_section)
        self._more = FoldingSection("More options", "moreSection", self._output.more)
        layout.addWidget(self._more)
        self._quality = QualityControls(self._guard)
        self._quality_section = self._section_with("Quality", "qualitySection", self._quality)
        layout.insertWidget(layout.indexOf(self._more), self._quality_section)

        self._size.changed.connect(self._on_changed)
        self._quality.changed.connect(self._on_changed)
        self._seed.changed.connect(self._on_changed)
        self._output.changed.connect(self._on_changed)

        self._slots: list[FieldSlot] = [self._prompt_slot, *self._tray.slots(), self._model_slot,
                                        *self._size.slots(), *self._quality.slots(), self._seed.slot(),
                                        *self._output.slots()]

        self._scroll = scroll
        return scroll

    @staticmethod
    def _section_with(title: str, name: str, body: QWidget) -> Section:
        section = Section(title, name)
        section.add_row(None, body, pad=False)
        return section

    def _build_prompt_section(self) -> Section:
        section = Section("Prompt", "promptSection")
        self._editor = PromptEditor()
        self._editor.setPlaceholderText(PROMPT_PLACEHOLDER)
        self._editor.setMinimumHeight(96)
        self._editor.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        describe(self._editor, "Prompt",
                 "What to generate. Ctrl+Enter generates; Alt+Up and Alt+Down go through earlier prompts",
                 "promptEdit")
        self._editor.textChanged.connect(self._on_prompt_edited)
        self._prompt_slot = FieldSlot(self._editor, "prompt")
        self._prompt_slot.add_field("prompt", self._editor, "Prompt")
        self._prompt_slot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        section.add_row(None, self._prompt_slot)

        hint = make_label("Ctrl+Enter generates · Alt+↑/↓ earlier prompts", tone="muted", small=True,
                          name="promptHint")
        self._history_button = IconButton(paint_history)
        self._history_button.setAutoRaise(True)
        self._history_button.setPopupMode(IconButton.ToolButtonPopupMode.InstantPopup)
        describe(self._history_button, "Recent prompts", "Pick one of your recent prompts", "historyButton")
        self._history_menu = QMenu(self._history_button)
        self._history_menu.aboutToShow.connect(self._fill_history_menu)
        self._history_button.setMenu(self._history_menu)
        self._history_button.setEnabled(False)
        hint.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        # BFL documents no prompt-length limit for any model: the length is shown, no limit is invented.
        self._length_label = make_label(tone="muted", name="promptLength", small=True, wrap=False)
        self._length_label.setAccessibleName("Prompt length")
        self._length_label.hide()
        section.add_row(None, row(hint, self._length_label, self._history_button))
        return section

    def _build_model_section(self) -> Section:
        section = Section("Model", "modelSection")
        self._model_combo = QComboBox()
        self._model_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self._model_combo.setMinimumContentsLength(18)
        describe(self._model_combo, "Model", "The FLUX model to generate with, and its price per image",
                 "modelCombo")
        self._guard.guard(self._model_combo)
        self._fill_model_combo()
        self._model_combo.currentIndexChanged.connect(self._on_model_index_changed)
        self._model_slot = FieldSlot(self._model_combo, "model")
        self._model_slot.add_field("model", self._model_combo, "Model")
        section.add_row(None, self._model_slot)
        self._model_note = make_label(tone="muted", name="modelNote", small=True)
        section.add_row(None, self._model_note)
        return section

    def _fill_model_combo(self) -> None:
        combo = self._model_combo
        current = combo.currentData()
        was_blocked = combo.blockSignals(True)
        combo.clear()
        family = None
        for model in MODELS:
            if family is not None and model.family != family:
                combo.insertSeparator(combo.count())
            family = model.family
            text = f"{model.name} — {model_price_text(model, self._table)}"
            if model.legacy:
                text += " · legacy"
            combo.addItem(text, model.id)
            combo.setItemData(combo.count() - 1, f"{model.id}: {model_pricing_note(model, self._table)}",
                              Qt.ItemDataRole.ToolTipRole)
        index = combo.findData(current if current else self._model.id)
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(was_blocked)

    # -- model --------------------------------------------------------------------------------------

    def model(self) -> Model:
        return self._model

    def model_id(self) -> str:
        return self._model.id

    def set_model(self, model_id: str) -> bool:
        """Select ``model_id``; False (and nothing changes) when the catalog has no such model."""
        if model_id not in model_ids():
            return False
        index = self._model_combo.findData(model_id)
        if index != self._model_combo.currentIndex():
            self._model_combo.setCurrentIndex(index)
        return True

    def set_price_table(self, table: PriceTable) -> None:
        """Use another price table (the user imported a newer one)."""
        self._table = table
        self._fill_model_combo()
        self._model_note.setText(model_pricing_note(self._model, table))
        self._tray.set_price_table(table)
        self._refresh()

    def _on_model_index_changed(self, index: int) -> None:
        model_id = self._model_combo.itemData(index)
        if isinstance(model_id, str) and model_id != self._model.id:
            self._apply_model(get_model(model_id))

    def _apply_model(self, model: Model) -> None:
        self._model = model
        was_syncing, self._syncing = self._syncing, True
        try:
            self._size.set_model(model)
            self._tray.set_catalog_model(model)
            self._quality.set_model(model)
            self._output.set_model(model)
            self._quality_section.setVisible(QualityControls.applies_to(model))
            self._model_note.setText(model_pricing_note(model, self._table))
        finally:
            self._syncing = was_syncing
        self._server_errors.clear()
        self._refresh()

    # -- prompt and history -------------------------------------------------------------------------

    def prompt(self) -> str:
        return self._editor.toPlainText().strip()

    def set_prompt(self, text: str) -> None:
        self._editor.setPlainText(text)

    def focus_target(self) -> QWidget:
        """The widget that takes the keyboard first: the prompt editor."""
        return self._editor

    def set_history(self, prompts: Sequence[str]) -> None:
        """Earlier prompts, newest first (Alt+Up goes back through them)."""
        self._editor.set_history(prompts)
        self._history_button.setEnabled(bool(self._editor.history()))

    def history(self) -> list[str]:
        return self._editor.history()

    def _fill_history_menu(self) -> None:
        self._history_menu.clear()
        for index, prompt in enumerate(self._editor.history()[:HISTORY_MENU_ITEMS]):
            flat = " ".join(prompt.split())
            label = flat if len(flat) <= HISTORY_MENU_CHARS else flat[:HISTORY_MENU_CHARS - 1] + "…"
            action = self._history_menu.addAction(label.replace("&", "&&"))
            action.setToolTip(prompt)
            action.triggered.connect(lambda _checked=False, i=index: self._editor.recall(i))

    # -- references ---------------------------------------------------------------------------------

    @property
    def references(self) -> ReferenceTray:
        """The reference tray."""
        return self._tray

    @property
    def add_reference_action(self) -> QAction:
        """File → Add reference…: one action, shared by the menu and the tray's button."""
        return self._tray.add_action

    def add_reference(self, path: str, image_id: int | None = None) -> bool:
        """Add an image file (a library image's, with its id) to the references, as "Use as reference" does."""
        return self._tray.add_files([(path, image_id)]) == 1

    def replace_references(self, references: Sequence[tuple[str | None, int | None, str | None]]) -> list[str]:
        """Reuse settings: the tray holds these references instead (the previous ones come back with Ctrl+Z).
        Each is ``(file or None when it is gone, library image id, name)``; answers the names of those gone."""
        gone = [reference_name(i) + (f" ({name})" if name else "")
                for i, (path, _id, name) in enumerate(references) if path is None]
        kept = [(path, image_id, name) for path, image_id, name in references if path is not None]
        self._tray.clear()
        self._tray.add_files([(path, image_id) for path, image_id, _name in kept], [name for *_rest, name in kept])
        return gone

    def set_reference_policy(self, policy: ReferenceSize) -> None:
        """How a reference added from now on is sent: at the output's size, or as the file is (up to 4 MP)."""
        self._tray.set_default_policy(policy)

    def set_folder_memory(self, folders: FolderMemory) -> None:
        """The folders the file dialogs remember (File → Add reference… starts in the last one)."""
        self._folders = folders
        self._tray.set_folder_memory(folders)

    def _sync_references(self) -> None:
        """Image 1 sets the output's shape while the user has not; the output's size sets the references' budget."""
        self._size.set_reference(self._tray.first_size())
        dims = self._size.dimensions()
        shape = GenerationRequest(self._model.id, "", width=dims[0] if dims else None,
                                  height=dims[1] if dims else None)
        self._tray.set_output_pixels(output_pixels(shape, self._model))

    # -- seed, count --------------------------------------------------------------------------------

    def set_last_seed(self, seed: int) -> None:
        """The seed of the last finished image: enables "Reuse last seed"."""
        self._seed.set_last_seed(seed)

    def set_seed(self, seed: int | None) -> None:
        """Fix ``seed`` or, with ``None``, go back to a random seed."""
        self._seed.set_seed(seed)

    def count(self) -> int:
        return self._output.count()

    def set_count(self, count: int) -> None:
        self._output.set_count(count)

    # -- the request --------------------------------------------------------------------------------

    def current_request(self) -> GenerationRequest:
        """What the controls say now; it may not validate (see ``field_errors``)."""
        dims = self._size.dimensions()
        return GenerationRequest(
            model=self._model.id,
            prompt=self.prompt(),
            seed=self._seed.seed(),
            width=dims[0] if dims else None,
            height=dims[1] if dims else None,
            aspect_ratio=self._size.aspect_ratio(),
            **self._quality.values(),
            **self._output.values(),
            image_prompt_strength=self._tray.image_prompt_strength(),
            input_images=self._tray.input_images(),
        )

    def field_errors(self) -> tuple[FieldError, ...]:
        """Why the current request cannot be sent; empty when it can."""
        return self._errors

    def is_valid(self) -> bool:
        return not self._errors

    def estimate(self) -> Estimate | None:
        """The price of the current submission; ``None`` while the settings that set the price are invalid.

        The prompt and seed do not change the price, so it shows before the prompt is typed.
        """
        return self._estimate

    def would_cross_budget(self) -> bool:
        """True when this month's spend plus this submission would be over the budget."""
        if self._estimate is None or self._spent is None or self._budget is None:
            return False
        return self._spent + self._estimate.usd_total > self._budget

    def generate(self) -> bool:
        """Emit ``generateRequested`` for the current request if it is valid and generating is allowed.

        A submission over the budget is still emitted: asking the user is the owner's business.
        """
        self._prompt_touched = True
        self._refresh()
        if not self._owner_enabled:
            return False
        if self._errors:
            self._focus_first_error()
            return False
        if self._waiting_for():
            return False
        request = self.current_request()
        self._editor.remember(request.prompt)
        self._history_button.setEnabled(True)
        self.promptSubmitted.emit(request.prompt)
        self.generateRequested.emit(request, self.count(), self._project.project_id())
        return True

    # -- the project ---------------------------------------------------------------------------------

    def set_projects(self, projects: ProjectChoices | None) -> None:
        """The open library's projects for the picker (``None``: none open)."""
        self._project.set_store(projects)

    def set_project(self, name: str | None) -> None:
        """Pick the project called ``name`` (whatever its case) once the list has it; ``None``: no project."""
        self._project.set_current_name(name)

    def reload_projects(self) -> None:
        """Read the picker's list again (a project renamed or archived elsewhere, or just used)."""
        self._project.reload()

    def project_id(self) -> int | None:
        """The project the next images are for; ``None``: no project."""
        return self._project.project_id()

    def project_picker(self) -> ProjectPicker:
        return self._project

    def _waiting_for(self) -> list[str]:
        """What must be ready before a request can be sent: references being prepared, a project being made."""
        busy = self._project.busy()
        return [*self._tray.waiting_for(), *([busy] if busy else [])]

    def _focus_first_error(self) -> None:
        for slot in self._slots:
            target = slot.first_bad_target()
            if target is not None and target.isVisibleTo(self):
                self._scroll.ensureWidgetVisible(target)
                target.setFocus(Qt.FocusReason.OtherFocusReason)
                return

    # -- settings -----------------------------------------------------------------------------------

    def load_settings(self, settings: Mapping[str, Any]) -> None:
        """Fill the panel from stored settings (Reuse settings, a dropped image).

        Known keys: model, prompt, seed, width, height, aspect_ratio, steps, guidance, interval,
        prompt_upsampling, disable_pup, raw, safety_tolerance, output_format, image_prompt_strength.
        Unknown keys (``input_images`` among them: references are the tray's, added by the user), values
        of the wrong type or out of the model's range, and models not in the catalog are ignored; W×H is
        snapped to what the model accepts. Fields not given keep their current values.
        """
        model_id = settings.get("model")
        if isinstance(model_id, str):
            self.set_model(model_id)
        self._syncing = True
        try:
            prompt = settings.get("prompt")
            if isinstance(prompt, str):
                self._editor.setPlainText(prompt)
            if "seed" in settings:
                self._load_seed(settings["seed"])
            self._load_size(settings)
            self._quality.load(settings)
            self._output.load(settings)
            self._tray.load(settings)
        finally:
            self._syncing = False
        self._server_errors.clear()
        self._refresh()

    def _load_seed(self, value: object) -> None:
        if value is None:
            self._seed.set_seed(None)
            return
        seed = as_int(value, text=True, minimum=0, maximum=SEED_MAX)
        if seed is not None:
            self._seed.set_seed(seed)

    def _load_size(self, settings: Mapping[str, Any]) -> None:
        width, height = as_int(settings.get("width"), text=True), as_int(settings.get("height"), text=True)
        dims = self._size.dimensions()
        if dims is not None and (width is not None or height is not None):
            w = width if width is not None and width > 0 else dims[0]
            h = height if height is not None and height > 0 else dims[1]
            self._size.set_dimensions(w, h)
            return
        ratio = settings.get("aspect_ratio")
        if isinstance(ratio, str):
            self._size.set_ratio(ratio)

    # -- errors and messages ------------------------------------------------------------------------

    def show_server_errors(self, errors: Sequence[FieldError]) -> None:
        """Show the API's validation messages (422) at their fields; the rest in the banner.

        They stay until the next change to the panel.
        """
        self._server_errors = {}
        elsewhere: list[str] = []
        for error in errors:
            field = field_of(error.field)
            slot = self._slot_for(field)
            if slot is not None and self._more.isAncestorOf(slot):
                self._more.set_open(True)  # an error in a folded card is shown, not hidden
            if slot is not None and slot.isVisibleTo(self):
                previous = self._server_errors.get(field)
                message = reference_message(error)
                self._server_errors[field] = f"{previous}; {message}" if previous else message
            else:
                elsewhere.append(str(error))
        self._refresh()
        if elsewhere:
            self.show_message("BFL refused the request: " + "; ".join(elsewhere), "error")

    def clear_server_errors(self) -> None:
        self._server_errors.clear()
        self._refresh()

    def show_message(self, text: str, kind: str = "info") -> None:
        """A message across the top of the panel, until the user dismisses it: info, warning or error."""
        self._banner.show_message(text, kind)

    def clear_message(self) -> None:
        self._banner.dismiss()

    def _slot_for(self, field: str) -> FieldSlot | None:
        for slot in self._slots:
            if field in slot.fields():
                return slot
        return None

    # -- money --------------------------------------------------------------------------------------

    # -- the same request elsewhere ----------------------------------------------------------------------

    def set_provider_table(self, table: ProviderTable | None) -> None:
        """The other providers' prices the Elsewhere list shows (a newer import is set again); ``None``: no list."""
        self._providers = table
        if table is not None:
            self._footer.set_elsewhere_action(self.elsewhere_action)
        self._show_generate_state()

    def elsewhere_popup(self) -> ElsewherePopup | None:
        """The list, once opened."""
        return self._elsewhere

    def show_elsewhere(self) -> bool:
        """Open the list of what this request costs at every provider of its model; False when it cannot be priced
        (an invalid size, say) or no provider table is known."""
        if self._providers is None or self._estimate is None:
            return False
        request = self.current_request()
        providers = self._providers
        try:
            quotes = compare(request, self.count(), providers, self._table)
        except (PriceTableError, ValueError) as exc:
            self.show_message(f"Could not price this request elsewhere: {exc}", "warning")
            return False
        if self._elsewhere is None:
            self._elsewhere = ElsewherePopup(self)
        dims = (request.width, request.height)
        size = f"{dims[0]} × {dims[1]}" if None not in dims else request.aspect_ratio
        self._elsewhere.show_quotes(quotes, self.count(), size, providers.as_of)
        self._elsewhere.popup_at(self._footer.elsewhere_button)
        return True

    def set_credits(self, credits: Decimal | None) -> None:
        """The organisation's credits from ``/v1/credits``; ``None`` when unknown."""
        self._credits = credits
        self._refresh()

    def set_month_spend(self, spent: Decimal, budget: Decimal | None, team: bool = False) -> None:
        """This month's spend and the monthly budget, in US dollars (budget ``None``: no budget); ``team``: the studio
        team's month and budget."""
        self._spent = spent
        self._budget = budget
        self._team_month = team
        self._refresh()

    # -- owner controls -----------------------------------------------------------------------------

    def set_generate_enabled(self, enabled: bool, reason: str = "") -> None:
        """Allow or forbid generating (e.g. no API key); ``reason`` becomes the button's tooltip."""
        self._owner_enabled = enabled
        self._owner_reason = reason
        self._refresh()

    def set_busy_hint(self, text: str) -> None:
        """A short status line above Generate, e.g. "3 jobs running"; empty hides it."""
        self._footer.set_busy_hint(text)

    # -- refresh ------------------------------------------------------------------------------------

    def more_options_open(self) -> bool:
        return self._more.is_open()

    def set_more_options_open(self, open_: bool) -> None:
        self._more.set_open(open_)

    def _on_changed(self) -> None:
        if self._syncing:
            return
        self._server_errors.clear()
        self._refresh()

    def _refresh(self) -> None:
        """Validate and price the current request, and show the result everywhere it appears."""
        if self._syncing:
            return
        self._sync_references()
        request = self.current_request()
        self._seed.set_count(self.count())
        self._more.set_summary(self._output.more_summary())
        errors = [*validate(with_placeholder_data(request)).errors, *self._seed.problems()]
        self._errors = tuple(errors)
        self._show_field_errors()
        self._estimate = self._price(request)
        self._money_hint.show_hint(money_hint(self._model, request, self._table) if self._estimate else None)
        self._show_money()
        self._show_generate_state()

    def _price(self, request: GenerationRequest) -> Estimate | None:
        if not validate(replace(with_placeholder_data(request), prompt="-", seed=None)).ok:
            return None
        try:
            return estimate(request, self._table, self.count())
        except PriceTableError:
            return None

    def _on_prompt_edited(self) -> None:
        text = self._editor.toPlainText().strip()
        self._length_label.setText(plural(len(text), "character"))
        self._length_label.setVisible(bool(text))
        if self._editor.toPlainText():
            self._prompt_touched = True
        self._on_changed()

    def _show_field_errors(self) -> None:
        shown: dict[str, str] = {}
        for error in self._errors:
            # An empty prompt on a fresh panel is not a mistake yet: Generate is off and says why.
            if error.field == "prompt" and not self._prompt_touched:
                continue
            field = field_of(error.field)
            shown[field] = f"{shown[field]}; {error.message}" if field in shown else error.message
        for field, message in self._server_errors.items():
            shown[field] = f"{shown[field]}; {message}" if field in shown else message
        for slot in self._slots:
            mine = {f: m for f, m in shown.items() if f in slot.fields()}
            if mine and self._more.isAncestorOf(slot):
                self._more.set_open(True)  # an error in a folded card is shown, not hidden
            slot.set_errors(mine)

    def _show_money(self) -> None:
        est = self._estimate
        self._footer.show_estimate(est, self._model)
        short = est is not None and self._credits is not None and est.credits_total > self._credits
        self._footer.show_balance(self._credits, self._table.usd_per_credit, short)
        after = self._spent + est.usd_total if est is not None and self._spent is not None else None
        self._footer.show_month(self._spent, self._budget, after, self.would_cross_budget(), team=self._team_month)

    def _show_generate_state(self) -> None:
        est = self._estimate
        self.elsewhere_action.setEnabled(est is not None and self._providers is not None)
        price = format_price(est.usd_total) if est is not None else None
        waiting = self._waiting_for()
        if not self._owner_enabled:
            tooltip = self._owner_reason or "Generating is not available right now"
        elif self._errors:
            lines = "\n".join(f"• {word_error(field_label(field_of(e.field)), e.message)}" for e in self._errors)
            tooltip = f"Fix before generating:\n{lines}"
        elif waiting:
            names = " and ".join([", ".join(waiting[:-1]), waiting[-1]] if len(waiting) > 1 else waiting)
            tooltip = f"Waiting for {names} to be prepared"
        else:
            n = self.count()
            tooltip = f"Generate {plural(n, 'image')} for {price} (Ctrl+Enter)"
        self._footer.set_generate(self._owner_enabled and not self._errors and not waiting, price, tooltip)
        self._footer.set_waiting(tooltip if self._owner_enabled and not self._errors and waiting else "")

    # -- keys, drag and drop, geometry --------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if is_submit_key(event):
            event.accept()
            self.generate()
            return
        super().keyPressEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self._handle_drag(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self._handle_drag(event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._set_drag_active(False)

    def dropEvent(self, event: QDropEvent) -> None:
        self._handle_drag(event)

    def _handle_drag(self, event: QDropEvent) -> None:
        paths = dropped_images(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        if event.type() == QEvent.Type.Drop:
            self._set_drag_active(False)
            self.imageDropped.emit(paths[0])
        else:
            self._set_drag_active(True)

    def _set_drag_active(self, active: bool) -> None:
        if active == self._drag_active:
            return
        self._drag_active = active
        if active:
            self._overlay.setGeometry(self.rect())
            self._overlay.raise_()
        self._overlay.setVisible(active)

    def is_drop_highlighted(self) -> bool:
        return self._drag_active

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._overlay.setGeometry(self.rect())
