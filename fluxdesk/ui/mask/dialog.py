"""Edit region… and Expand canvas…: one image, what to remake (a painted mask) or how much canvas to add, the
prompt, the price before sending, and Send.

The dialog gathers; it decides nothing about requests or money: ``services.masks.edit_request`` builds the request
(off the GUI thread: it decodes the image), the price table prices it, and ``AppController.generate`` asks the
budget question and queues it, as it does for the prompt panel. A dropped image file replaces the one shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from fluxdesk.core.catalog import MODELS, UnknownModelError, get_model
from fluxdesk.core.masks import CropError, box_size, crop_box
from fluxdesk.core.pricing import PriceTableError, credits_phrase, estimate, format_price
from fluxdesk.core.request import GenerationRequest, InputImage, MaskImage
from fluxdesk.ui.engine.controller import AppController
from fluxdesk.ui.engine.tasks import TaskManager, weak_callback
from fluxdesk.ui.kit.action_buttons import follow_action
from fluxdesk.ui.kit.forms import MessageBanner, describe, make_label
from fluxdesk.ui.kit.mime import dropped_library_image
from fluxdesk.ui.kit.surfaces import AccentButton
from fluxdesk.ui.mask.editor import FILL, LOCAL_EDIT, Box, MaskEditor
from fluxdesk.ui.mask.expand import ExpandChooser
from fluxdesk.ui.mask.kinds import EXPAND, REGION

FILL_MODEL, EXPAND_MODEL = "flux-pro-1.0-fill", "flux-pro-1.0-expand"
LOCAL_EDIT_MODELS = tuple(model for model in MODELS if model.local_edit)
"""The FLUX.2 models a local edit can use, in the catalog's order; the first is the default."""
DEFAULT_LOCAL_EDIT_MODEL = "flux-2-pro"
_TITLES = {REGION: "Edit region", EXPAND: "Expand canvas"}


@dataclass(frozen=True)
class EditInputs:
    """What Send hands to the worker that builds the request: plain data, no widgets."""

    model: str
    image: Path
    from_image_id: int | None
    prompt: str
    mask_png: bytes | None
    sides: tuple[int, int, int, int] | None
    steps: int | None
    guidance: float | None


def build_request(inputs: EditInputs) -> GenerationRequest:
    """The request for ``inputs`` (blocking: decodes the image). ``EditError`` in words when it cannot be sent."""
    from fluxdesk.services.masks import EditOptions, edit_request  # its imports (PIL) stay off the window's start

    options = EditOptions(steps=inputs.steps, guidance=inputs.guidance)
    return edit_request(inputs.model, inputs.image, inputs.prompt, mask=inputs.mask_png, sides=inputs.sides,
                        from_image_id=inputs.from_image_id, options=options, image_name=inputs.image.name,
                        mask_name="the painted mask")


class EditDialog(QDialog):
    """Edit region… (``REGION``: the mask editor, Fill or a FLUX.2 local edit) or Expand canvas… (``EXPAND``)."""

    sent = Signal(str)
    """What was queued, in words, for the window's status bar; the dialog closes."""

    def __init__(self, kind: str, controller: AppController, parent: QWidget | None = None, *,
                 project: tuple[int, str] | None = None) -> None:
        """``project``: the prompt panel's current project ``(id, name)``, which the edit is recorded for."""
        super().__init__(parent)
        if kind not in _TITLES:
            raise ValueError(f"unknown edit kind {kind!r}")
        self.kind = kind
        self._controller = controller
        self._project = project
        self._path: Path | None = None
        self._image_id: int | None = None
        self._sending = False
        self._crop_problem: str | None = None
        self.setObjectName("editDialog")
        self.setWindowTitle(_TITLES[kind])
        self.setAcceptDrops(True)
        self.setSizeGripEnabled(True)
        self._build()
        self._refresh()

    # --- building --------------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        self.banner = MessageBanner()
        layout.addWidget(self.banner)

        self.editor: MaskEditor | None = None
        self.chooser: ExpandChooser | None = None
        if self.kind == REGION:
            self.editor = MaskEditor()
            self.editor.maskChanged.connect(lambda _painted: self._refresh())
            self.editor.modeChanged.connect(lambda _mode: self._model_changed())
            self.editor.imageLoaded.connect(lambda _w, _h: self._refresh())
            self.editor.loadFailed.connect(lambda _why: self._refresh())
            self.editor.set_crop_box_rule(self._crop_rule)
            layout.addWidget(self.editor, 1)
        else:
            self.chooser = ExpandChooser()
            self.chooser.sidesChanged.connect(lambda *_sides: self._refresh())
            self.chooser.imageLoaded.connect(lambda _w, _h: self._refresh())
            self.chooser.loadFailed.connect(lambda _why: self._refresh())
            layout.addWidget(self.chooser, 1)

        self.prompt_edit = QPlainTextEdit()
        self.prompt_edit.setPlaceholderText(
            "What to paint there: a red scarf, an open window…" if self.kind == REGION
            else "What the new canvas shows (may stay empty: the picture is continued)")
        self.prompt_edit.setFixedHeight(self.prompt_edit.fontMetrics().lineSpacing() * 3 + 14)
        self.prompt_edit.setTabChangesFocus(True)
        describe(self.prompt_edit, "Prompt", "What the remade part shows", "editPrompt")
        self.prompt_edit.textChanged.connect(self._refresh)
        layout.addWidget(self.prompt_edit)

        options = QHBoxLayout()
        options.setSpacing(8)
        self.model_label = make_label("FLUX.2 model", wrap=False)
        self.model_combo = QComboBox()
        for model in LOCAL_EDIT_MODELS:
            self.model_combo.addItem(model.name, model.id)
        self.model_combo.setCurrentIndex(max(0, self.model_combo.findData(DEFAULT_LOCAL_EDIT_MODEL)))
        describe(self.model_combo, "FLUX.2 model", "The FLUX.2 model that remakes the crop", "editModel")
        self.model_combo.currentIndexChanged.connect(lambda _i: self._model_changed())
        self.model_label.setBuddy(self.model_combo)
        tool = get_model(FILL_MODEL if self.kind == REGION else EXPAND_MODEL)
        self.steps_label = make_label("Steps", wrap=False)
        self.steps_box = QSpinBox()
        self.guidance_label = make_label("Guidance", wrap=False)
        self.guidance_box = QDoubleSpinBox()
        if tool.steps is not None:
            self.steps_box.setRange(tool.steps.minimum, tool.steps.maximum)
            self.steps_box.setValue(tool.steps.default)
        if tool.guidance is not None:
            self.guidance_box.setRange(tool.guidance.minimum, tool.guidance.maximum)
            self.guidance_box.setDecimals(1)
            self.guidance_box.setValue(tool.guidance.default)
        describe(self.steps_box, "Steps", f"{tool.name}: more steps, more detail, slower", "editSteps")
        describe(self.guidance_box, "Guidance", f"{tool.name}: how closely the prompt is followed", "editGuidance")
        for label, box in ((self.model_label, self.model_combo), (self.steps_label, self.steps_box),
                           (self.guidance_label, self.guidance_box)):
            label.setBuddy(box)
            options.addWidget(label)
            options.addWidget(box)
        options.addStretch(1)
        layout.addLayout(options)

        self.price_label = make_label(name="editPrice", accessible="Price", wrap=True)
        self.price_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.send_action = QAction("Send", self)
        self.send_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.send_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.send_action.triggered.connect(lambda _checked=False: self.send())
        self.addAction(self.send_action)
        self.send_button = AccentButton("Send")
        self.send_button.setObjectName("editSend")
        self.send_button.setAutoDefault(False)
        follow_action(self.send_button, self.send_action)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        footer = QHBoxLayout()  # under the prompt and options: what is sent, what it costs, Send
        footer.setSpacing(8)
        layout.addLayout(footer)
        footer.addWidget(self.price_label, 1)
        footer.addWidget(self.cancel_button)
        footer.addWidget(self.send_button)
        self._model_changed()

    # --- the image -------------------------------------------------------------------------------------

    def open_image(self, path: str | Path, image_id: int | None = None) -> None:
        """Show ``path`` (a gallery image's file, with its library id for "Made from"; or any image file)."""
        self._path, self._image_id = Path(path), image_id
        self.setWindowTitle(f"{_TITLES[self.kind]} — {self._path.name}")
        self.banner.dismiss()
        if self.editor is not None:
            self.editor.load_image(self._path)
        elif self.chooser is not None:
            self.chooser.load_image(self._path)
        self._refresh()

    def image(self) -> tuple[Path, int | None] | None:
        return None if self._path is None else (self._path, self._image_id)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_library_image(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if dropped_library_image(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        dropped = dropped_library_image(event.mimeData())
        if dropped is not None:
            event.acceptProposedAction()
            self.open_image(*dropped)

    # --- what is asked, and what it costs --------------------------------------------------------------

    def model_id(self) -> str:
        if self.kind == EXPAND:
            return EXPAND_MODEL
        assert self.editor is not None
        return FILL_MODEL if self.editor.mode() == FILL else str(self.model_combo.currentData())

    def _model_changed(self) -> None:
        local = self.kind == REGION and self.editor is not None and self.editor.mode() == LOCAL_EDIT
        self.model_label.setVisible(local)
        self.model_combo.setVisible(local)
        for widget in (self.steps_label, self.steps_box, self.guidance_label, self.guidance_box):
            widget.setVisible(not local)  # a local edit uses the FLUX.2 model's own settings
        if self.editor is not None:
            self.editor.set_crop_box_rule(self._crop_rule)  # the model's sizes decide the crop: redraw it
        self._refresh()

    def _crop_rule(self, bounds: Box, size: tuple[int, int]) -> Box:
        """The crop a local edit sends (``core.masks.crop_box``); where none fits the model, the whole image is
        outlined and ``blocker`` says why."""
        try:
            box = crop_box(bounds, size, get_model(self._local_model()))
        except CropError as exc:
            self._crop_problem = str(exc)
            return (0, 0, size[0], size[1])
        self._crop_problem = None
        return box

    def _local_model(self) -> str:
        return str(self.model_combo.currentData() or DEFAULT_LOCAL_EDIT_MODEL)

    def blocker(self) -> str | None:
        """Why Send cannot go yet, in words; ``None`` when it can."""
        if self._sending:
            return "Sending…"
        if self._path is None:
            return "Open an image: drop one here, or choose one in the gallery"
        if self.editor is not None:
            if (why := self.editor.send_blocker()) is not None:
                return why
            if self.editor.mode() == LOCAL_EDIT and self.editor.crop_box() is not None and self._crop_problem:
                return self._crop_problem[:1].upper() + self._crop_problem[1:]
            if self.editor.mode() == LOCAL_EDIT and not self.prompt_edit.toPlainText().strip():
                return "Say in the prompt what the painted part should show"
        if self.chooser is not None and (why := self.chooser.problem()) is not None:
            return why
        return None

    def priced_request(self) -> GenerationRequest | None:
        """A request of the same shape as the one Send builds, without the pixels: what the price table prices."""
        size = self._image_size()
        if size is None:
            return None
        model = self.model_id()
        image = InputImage(width=size[0], height=size[1])
        if self.kind == EXPAND:
            assert self.chooser is not None
            top, right, bottom, left = self.chooser.sides()
            return GenerationRequest(model=model, prompt="", input_images=(image,), top=top, right=right,
                                     bottom=bottom, left=left)
        assert self.editor is not None
        bounds = self.editor.mask_bounds()
        mask = MaskImage(width=size[0], height=size[1], bounds=bounds)
        if model == FILL_MODEL:
            return GenerationRequest(model=model, prompt="", input_images=(image,), mask=mask)
        crop = self.editor.crop_box()
        if crop is None or self._crop_problem:
            return None
        width, height = box_size(crop)
        return GenerationRequest(model=model, prompt="", input_images=(image,), mask=mask, width=width, height=height)

    def price_text(self) -> str:
        """``"Fill · 5 credits · $0.05"``; for a local edit the crop's size; a price BFL does not publish says so."""
        return self._priced()[0]

    def _priced(self) -> tuple[str, Decimal | None]:
        """The price line and the dollars Send shows (``None`` while there is no price), from one estimate."""
        model = get_model(self.model_id())
        what = "Expand" if self.kind == EXPAND else ("Fill" if model.id == FILL_MODEL else f"{model.name} local edit")
        request = self.priced_request()
        if request is None:
            return f"{what} · {self.blocker() or 'no price yet'}", None
        try:
            priced = estimate(request, self._controller.price_table)
        except (PriceTableError, UnknownModelError) as exc:
            return f"{what} · no price: {exc}", None
        money = f"{credits_phrase(priced.credits_per_image)} · {format_price(priced.usd_total)}"
        if request.width and request.height and model.local_edit:
            what += f" of a {request.width}×{request.height} crop"
        note = f" ({priced.note})" if priced.note else ""
        project = f" · for {self._project[1]}" if self._project is not None else ""
        return f"{what} · {money}{note}{project}", priced.usd_total

    def _image_size(self) -> tuple[int, int] | None:
        if self.editor is not None:
            return self.editor.image_size()
        assert self.chooser is not None
        return self.chooser.image_size()

    def _refresh(self) -> None:
        blocker = self.blocker()
        text, usd = self._priced()
        self.price_label.setText(text)
        self.send_action.setText(f"Send · {format_price(usd)}" if usd is not None else "Send")
        self.send_action.setEnabled(blocker is None)
        tip = blocker or "Send it (Ctrl+Enter); asked first if it crosses the monthly budget"
        self.send_action.setToolTip(tip)
        self.send_action.setStatusTip(tip)

    # --- sending ---------------------------------------------------------------------------------------

    def send(self) -> None:
        """Send (the button, Ctrl+Enter): the request is built off the GUI thread, then queued like any other."""
        if self.blocker() is not None or self._path is None:
            return
        mask = sides = None
        if self.editor is not None:
            mask = self.editor.mask_png()
        elif self.chooser is not None:
            sides = self.chooser.sides()
        local = self.kind == REGION and self.model_id() != FILL_MODEL
        inputs = EditInputs(model=self.model_id(), image=self._path, from_image_id=self._image_id,
                            prompt=self.prompt_edit.toPlainText().strip(), mask_png=mask, sides=sides,
                            steps=None if local else self.steps_box.value(),
                            guidance=None if local else self.guidance_box.value())
        self._sending = True
        self._refresh()
        TaskManager.instance().run_in_background(lambda: build_request(inputs), weak_callback(self._built),
                                                 weak_callback(self._refused))

    def _built(self, request: GenerationRequest) -> None:
        self._sending = False
        future = self._controller.generate(request, 1, self._project[0] if self._project is not None else None)
        if future is None:  # the budget question said no, or there is no key: the controller said why
            self._refresh()
            return
        model = get_model(request.model)
        self.sent.emit(f"{_TITLES[self.kind]} sent to {model.name}: it appears in the queue and the gallery")
        self.accept()

    def _refused(self, error: BaseException) -> None:
        self._sending = False
        from fluxdesk.services.masks import EditError

        if not isinstance(error, (EditError, OSError)):
            raise error
        self.banner.show_message(f"Not sent: {error}", "error")
        self._refresh()
