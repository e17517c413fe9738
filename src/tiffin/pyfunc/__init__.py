"""pyfunc: the generic ``predict(model_input, params=None)`` every model gets.

Names are imported on first use (PEP 562), so ``import tiffin.pyfunc`` costs nothing until a
model is loaded.

Example:
    >>> import tiffin.pyfunc
    >>> model = tiffin.pyfunc.load_model("path/to/model")  # doctest: +SKIP
    >>> model.predict(df)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tiffin._lazy import lazy_names

if TYPE_CHECKING:
    from tiffin.pyfunc.load import load_model
    from tiffin.pyfunc.model import PyFuncLoader, PyFuncModel
    from tiffin.pyfunc.open import OpenedModel, open_model
    from tiffin.pyfunc.python_model import (
        PythonModel,
        PythonModelContext,
        log_model,
        save_model,
    )

__all__ = [
    "OpenedModel",
    "PyFuncLoader",
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "load_model",
    "log_model",
    "open_model",
    "save_model",
]

_WHERE = {
    "OpenedModel": "tiffin.pyfunc.open",
    "PyFuncLoader": "tiffin.pyfunc.model",
    "PyFuncModel": "tiffin.pyfunc.model",
    "PythonModel": "tiffin.pyfunc.python_model",
    "PythonModelContext": "tiffin.pyfunc.python_model",
    "load_model": "tiffin.pyfunc.load",
    "log_model": "tiffin.pyfunc.python_model",
    "open_model": "tiffin.pyfunc.open",
    "save_model": "tiffin.pyfunc.python_model",
}


__getattr__ = lazy_names(__name__, _WHERE)
