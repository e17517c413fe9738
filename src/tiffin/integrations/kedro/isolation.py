"""What a node of a pipeline model may see: never the caller's objects, never a shared artifact.

A Kedro node owns its inputs (``data.loc[:, "text"] = data["text"].str.lower()`` is common
pandas), but in a pipeline model the input is the caller's DataFrame, and an artifact or a
param default is shared by every call. :func:`isolate_input` gives a node its own copy of
each model input, and :func:`guard_shared` its own view of each artifact and param, each at
the lowest cost that still makes a write invisible outside the call:

- pandas objects: a shallow copy under copy-on-write (always on in pandas >= 3, opt-in in
  pandas 2): O(columns), a write copies only what it touches; a deep copy without it;
- numpy arrays: a copy for inputs (O(request)); a read-only view for artifacts (O(1): an
  in-place write raises ``ValueError: assignment destination is read-only`` instead of
  changing the model for every later call);
- dicts, lists, tuples: a new container of isolated items; params (plain data) likewise;
- immutable values as they are; any other input object deep-copied. Other artifact objects
  (estimators, encoders) are shared as they are: copying a model per call would cost its
  size, and calling their ``predict``/``transform`` does not change them.

Example:
    >>> import pandas as pd
    >>> caller = pd.DataFrame({"text": ["A"]})
    >>> mine = isolate_input(caller)
    >>> mine.loc[:, "text"] = "b"
    >>> caller["text"].tolist()
    ['A']
"""

from __future__ import annotations

import copy
import sys
from typing import Any

__all__ = ["guard_shared", "isolate_input"]

_IMMUTABLE = (str, bytes, int, float, complex, bool, type(None), frozenset, range)


def _pandas_types() -> tuple[type, ...]:
    pd = sys.modules.get("pandas")  # not imported here: no pandas object exists without it
    return () if pd is None else (pd.DataFrame, pd.Series, pd.Index)


def _copy_on_write() -> bool:
    import pandas as pd

    if int(pd.__version__.split(".", 1)[0]) >= 3:
        return True  # the option is deprecated (and warns) in pandas 3: CoW is always on
    return pd.get_option("mode.copy_on_write") is True  # pandas 2: "warn" still shares data


def _pandas_copy(value: Any) -> Any:
    return value.copy(deep=not _copy_on_write())


def isolate_input(value: Any) -> Any:
    """A copy of ``value`` no node can change the caller's object through.

    Example:
        >>> import numpy as np
        >>> caller = np.zeros(2)
        >>> isolate_input(caller)[0] = 1.0
        >>> caller.tolist()
        [0.0, 0.0]
    """
    if isinstance(value, _IMMUTABLE):
        return value
    if isinstance(value, _pandas_types()):
        return _pandas_copy(value)
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.ndarray):
        return value.copy()
    if np is not None and isinstance(value, np.generic):
        return value
    if isinstance(value, dict):
        return {k: isolate_input(v) for k, v in value.items()}
    if isinstance(value, list):
        return [isolate_input(v) for v in value]
    if isinstance(value, tuple) and type(value) is tuple:
        return tuple(isolate_input(v) for v in value)
    return copy.deepcopy(value)


def guard_shared(value: Any) -> Any:
    """``value`` as one call may see it when every call shares it (an artifact, a param).

    Example:
        >>> import numpy as np
        >>> table = np.arange(3)
        >>> guard_shared(table).flags.writeable, table.flags.writeable
        (False, True)
    """
    if isinstance(value, _IMMUTABLE):
        return value
    if isinstance(value, _pandas_types()):
        return _pandas_copy(value)
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.ndarray):
        view = value.view()
        view.flags.writeable = False
        return view
    if isinstance(value, dict):
        return {k: guard_shared(v) for k, v in value.items()}
    if isinstance(value, list):
        return [guard_shared(v) for v in value]
    if isinstance(value, tuple) and type(value) is tuple:
        return tuple(guard_shared(v) for v in value)
    return value
