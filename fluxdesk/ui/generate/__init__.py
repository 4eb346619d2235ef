"""The prompt panel: the controls that build a request, its live price, and Generate."""
