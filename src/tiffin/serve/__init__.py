"""Serving: payload codecs now; the scoring server comes with the serving issue."""

from __future__ import annotations

__all__: list[str] = []
