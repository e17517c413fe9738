"""``tiffin.sklearn``: the scikit-learn flavor under its short, familiar name.

Example:
    >>> import tiffin.sklearn
    >>> tiffin.sklearn.FLAVOR_NAME
    'sklearn'
"""

from __future__ import annotations

from tiffin.flavors.sklearn import (
    FLAVOR_NAME,
    SERIALIZATION_FORMATS,
    get_default_pip_requirements,
    load_model,
    log_model,
    save_model,
)

__all__ = [
    "FLAVOR_NAME",
    "SERIALIZATION_FORMATS",
    "get_default_pip_requirements",
    "load_model",
    "log_model",
    "save_model",
]
