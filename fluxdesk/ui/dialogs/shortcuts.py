"""Help → Keyboard shortcuts: every key the app answers to, read from the actions themselves so the list
can never drift from what the keys do."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QAction, QKeySequence, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLineEdit, QTreeView, QVBoxLayout, QWidget

Entry = tuple[str, str]
"""(keys as the user reads them, what they do)."""


def action_entry(action: QAction) -> Entry | None:
    """The action's keys and its name, or None when it has no key. A key written after a tab in the text
    (a key handled by a widget rather than by the action) counts too."""
    text, _, hint = action.text().partition("\t")
    keys = ", ".join(sequence.toString(QKeySequence.SequenceFormat.NativeText) for sequence in action.shortcuts())
    keys = keys or hint
    if not keys:
        return None
    name = text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip(".…")
    tip = action.statusTip() or action.toolTip()
    if tip and tip.replace("&", "") != text.replace("&", ""):
        name = f"{name} — {tip[0].lower()}{tip[1:]}"
    return keys, name


def entries_of(actions: Iterable[QAction]) -> list[Entry]:
    return [entry for entry in (action_entry(action) for action in actions) if entry is not None]


class ShortcutsDialog(QDialog):
    """A searchable two-column list of shortcuts, grouped by where they work."""

    def __init__(self, sections: Sequence[tuple[str, Sequence[Entry]]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setObjectName("shortcutsDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.model = QStandardItemModel(0, 2, self)
        self.model.setHorizontalHeaderLabels(["Keys", "What it does"])
        for title, entries in sections:
            if not entries:
                continue
            group = QStandardItem(title)
            group.setEditable(False)
            font = group.font()
            font.setBold(True)
            group.setFont(font)
            blank = QStandardItem()
            blank.setEditable(False)
            for keys, what in entries:
                key_item, what_item = QStandardItem(keys), QStandardItem(what)
                key_item.setEditable(False)
                what_item.setEditable(False)
                group.appendRow([key_item, what_item])
            self.model.appendRow([group, blank])

        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setRecursiveFilteringEnabled(True)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)

        self.search = QLineEdit(placeholderText="Find a shortcut…", clearButtonEnabled=True)
        self.search.setObjectName("shortcutsSearch")
        self.search.textChanged.connect(self._filter)
        self.view = QTreeView()
        self.view.setObjectName("shortcutsView")
        self.view.setModel(self.proxy)
        self.view.setRootIsDecorated(False)
        self.view.setUniformRowHeights(True)
        self.view.setAlternatingRowColors(True)
        self.view.expandAll()
        self.view.resizeColumnToContents(0)
        self.view.setColumnWidth(0, max(self.view.columnWidth(0) + 24, 160))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        self.resize(640, 560)
        self.search.setFocus()

    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text)
        self.view.expandAll()

    def shortcuts(self) -> list[Entry]:
        """Every (keys, what) listed, in order: what the user can read."""
        found = []
        for row in range(self.model.rowCount()):
            group = self.model.item(row, 0)
            found += [(group.child(r, 0).text(), group.child(r, 1).text()) for r in range(group.rowCount())]
        return found
