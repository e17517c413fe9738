"""Adapters to other tools (Kedro, later Spark), each behind its own extra.

Nothing here is imported by ``import tiffin``; each adapter imports its tool lazily.
"""

__all__: list[str] = []
