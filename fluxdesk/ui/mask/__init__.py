"""Masked and canvas tools: the mask editor (paint what to remake, for Fill or a FLUX.2 local edit) and the Expand
chooser (how much canvas to add around an image). Widgets only: the dialog that holds them prices and sends."""
