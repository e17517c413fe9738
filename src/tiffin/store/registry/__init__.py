"""The model registry: registered models, immutable versions, tags, aliases and trust, on SQL.

The face is :class:`RegistryStore` (``store``), one class; behind it the argument rules
(``values``), the lookups that say what exists when something is missing (``lookup``) and the
writes that keep version numbers unique and move aliases by compare-and-swap (``write``).

Example:
    >>> from tiffin.store.registry import RegistryStore
    >>> RegistryStore("sqlite:///mlruns.db").get_model_version("churn", 3)  # doctest: +SKIP
"""

from tiffin.store.registry.store import RegistryStore

__all__ = ["RegistryStore"]
