"""Dataset readers behind one interface: a reader lists sequence names and returns Sequence objects."""

from ..lazy_exports import lazy_exports

_EXPORTS = {"DatasetLayoutError": "base", "DatasetReader": "base", "Sequence": "base", "reader_class": "registry",
            "open_dataset": "registry"}
__getattr__ = lazy_exports(__name__, _EXPORTS)
__all__ = list(_EXPORTS)
