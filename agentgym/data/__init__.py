"""Perturbed training data: perturb recorded trajectories or collect fresh ones (see docs/data.md)."""
