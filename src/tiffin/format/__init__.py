"""The on-disk contract of a model directory: MLmodel, signature, environment, examples, manifest.

Nothing here imports a flavor or the store; importing the package is cheap because the heavy
modules (numpy, pandas) are imported inside the functions that need them.
"""

from __future__ import annotations

__all__: list[str] = []
