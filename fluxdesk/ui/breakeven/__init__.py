"""The Break-even tab: the API against a self-hosted GPU at the user's volume."""
