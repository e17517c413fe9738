"""The tracking store: experiments, runs, params, metrics and tags, on SQL.

The face is :class:`TrackingStore` (``store``); behind it the experiment rules
(``experiments``), what gets logged to a run and how runs are read back (``run_data``), and
``search_runs``: the filter grammar (``filter``) compiled into one SQL query (``search``).

Example:
    >>> from tiffin.store.tracking import TrackingStore
    >>> TrackingStore("sqlite:///mlruns.db").get_experiment("0").name  # doctest: +SKIP
    'Default'
"""

from tiffin.store.tracking.store import TrackingStore

__all__ = ["TrackingStore"]
