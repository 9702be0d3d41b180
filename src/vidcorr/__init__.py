"""vidcorr: self-supervised video correspondence learning (LIIR and MER) as a reproducible pipeline."""

__version__ = "0.1.0"
