"""The two ways of editing part of an image, as the window asks for them (cheap to import at start-up)."""

from __future__ import annotations

REGION, EXPAND = "region", "expand"
"""Edit region… (a painted mask: Fill or a FLUX.2 local edit) and Expand canvas… (pixels added per side)."""
EDIT_FILE_FILTER = "Images (*.png *.jpg *.jpeg *.webp);;All files (*)"
