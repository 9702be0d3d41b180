"""Ablation experiments: variants over a base run, content-keyed training stages, tables."""
