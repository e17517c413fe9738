"""Flavors: one module per framework, each with the same functions.

``FLAVOR_NAME``, ``save_model``, ``log_model`` (with the store), ``load_model``,
``_load_pyfunc`` and ``get_default_pip_requirements``. Reach them as ``tiffin.sklearn`` or
through :func:`tiffin.plugins.flavor_module`.
"""

from __future__ import annotations

__all__: list[str] = []
