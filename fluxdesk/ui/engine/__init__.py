"""The GUI side of the engine: its life (start, stop, modes), events from the network thread as Qt signals,
and the one way to run work off the GUI thread."""
