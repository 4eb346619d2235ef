"""FluxDesk: generate images with the Black Forest Labs API, see the cost first, keep everything."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fluxdesk")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
