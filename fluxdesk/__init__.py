"""FluxDesk: generate images with the Black Forest Labs API, see the cost first, keep everything."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # The version is read from the package metadata on first use: importlib.metadata costs ~20 ms at start-up.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("fluxdesk")
        except PackageNotFoundError:  # a source tree that was never installed
            value = "0.0.0+source"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module 'fluxdesk' has no attribute {name!r}")
