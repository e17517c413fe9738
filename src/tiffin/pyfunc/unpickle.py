"""The only place tiffin deserializes content that runs code, each call behind the gate's decision.

A loader cannot reach ``pickle.load`` (or cloudpickle, joblib, skops with any type) without a
:class:`~tiffin.pyfunc.trust.TrustDecision`, a value only the trust gate makes, and the call
refuses an untrusted one. So whether a file looks like a pickle no longer matters for safety:
an unrecognised file given to an unpickler is refused here, not run. ``tests/pyfunc`` checks
that no other module of ``src/tiffin`` calls these deserializers directly.

Example:
    >>> decision = check_trust(model_dir, mlmodel, trust=True)  # doctest: +SKIP
    >>> estimator = unpickle(model_dir / "model.pkl", decision)  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from tiffin.plugins import import_optional
from tiffin.pyfunc.trust import TrustDecision

__all__ = ["load_skops_any_type", "unpickle"]

Codec = Literal["pickle", "cloudpickle", "joblib"]


def unpickle(file: Path, decision: TrustDecision, *, codec: Codec = "pickle") -> Any:
    """Unpickle ``file`` (with pickle, cloudpickle or joblib) if the decision trusts the model.

    Raises:
        UntrustedModelError: the model is not trusted.
        FormatError: ``file`` is outside the model directory.
    """
    path = decision.require(file, f"a {codec} file (unpickling runs code)")
    if codec == "joblib":
        joblib = import_optional("joblib", "sklearn")
        return joblib.load(path)
    if codec == "cloudpickle":
        cloudpickle = import_optional("cloudpickle", "pickle")
        with open(path, "rb") as f:
            return cloudpickle.load(f)
    import pickle

    with open(path, "rb") as f:
        return pickle.load(f)


def load_skops_any_type(file: Path, decision: TrustDecision) -> Any:
    """Load a skops file with every type it names (skops then calls what the file says)."""
    path = decision.require(file, "a skops file with types outside tiffin's allowlist")
    skops_io = import_optional("skops.io", "sklearn")
    return skops_io.load(path, trusted=skops_io.get_untrusted_types(file=path))
