"""Flavors: one entry (a module or a package) per framework, each with the same functions.

``FLAVOR_NAME``, ``save_model``, ``log_model`` (with the store), ``load_model``,
``_load_pyfunc(model_dir, mlmodel, model_config, *, decision)`` (the loader contract,
:class:`tiffin.pyfunc.model.PyFuncLoader`), ``code_on_load(model_dir, mlmodel)`` (its optional
part: what loading will execute, asked by the trust gate before anything loads: the
declared format decides, not the bytes) and ``get_default_pip_requirements``. Anything that
unpickles goes through :mod:`tiffin.pyfunc.unpickle` with the gate's decision. Reach them as
``tiffin.sklearn`` or through :func:`tiffin.plugins.flavor_module`.
"""

from __future__ import annotations

__all__: list[str] = []
