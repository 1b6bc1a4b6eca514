"""Helpers shared by features (not a feature: no router): reading input, laying out
buttons, formatting, and choosing target groups."""
