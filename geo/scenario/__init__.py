"""Planners' proposals: read like the layers, analysed on base and base + proposal, compared."""
