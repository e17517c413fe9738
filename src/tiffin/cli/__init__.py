"""The ``tiffin`` command: thin click commands that call the library and map errors."""

from __future__ import annotations

__all__: list[str] = []
