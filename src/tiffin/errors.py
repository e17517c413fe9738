"""The error tree every tiffin failure is raised from.

Each class also derives from the builtin a caller would naturally catch (``LookupError`` for
something that is not there, ``ValueError`` for bad data), so code written without tiffin in mind
still does the right thing. Each carries the MLflow ``error_code`` string that the scoring server
and the CLI map to an HTTP status or an exit code.

Example:
    >>> from tiffin.errors import SchemaError
    >>> try:
    ...     raise SchemaError("column 'a': expected long, got string")
    ... except ValueError as e:
    ...     e.error_code
    'INVALID_PARAMETER_VALUE'
"""

from __future__ import annotations

__all__ = [
    "AlreadyExistsError",
    "ConflictError",
    "FormatError",
    "IntegrityError",
    "InvalidValueError",
    "MissingDependencyError",
    "NotFoundError",
    "SchemaError",
    "TiffinError",
    "UnsupportedSafeSerializationError",
    "UntrustedModelError",
    "ValidationError",
]


class TiffinError(Exception):
    """Base of every error tiffin raises on purpose."""

    error_code: str = "INTERNAL_ERROR"


class NotFoundError(TiffinError, LookupError):
    """A model, file, flavor or URI that was asked for does not exist."""

    error_code = "RESOURCE_DOES_NOT_EXIST"


class AlreadyExistsError(TiffinError, FileExistsError):
    """Refused because it would overwrite something that exists."""

    error_code = "RESOURCE_ALREADY_EXISTS"


class ConflictError(TiffinError):
    """Refused because the state changed under the caller (a compare-and-swap lost).

    Retrying with fresh state may succeed: read the current value, decide again, then write with
    the new expected value.
    """

    error_code = "RESOURCE_CONFLICT"


class SchemaError(TiffinError, ValueError):
    """Input data or params do not match the model's signature."""

    error_code = "INVALID_PARAMETER_VALUE"


class FormatError(TiffinError, ValueError):
    """A model directory or one of its files (MLmodel, signature JSON, ...) is malformed."""

    error_code = "INVALID_PARAMETER_VALUE"


class UnsupportedSafeSerializationError(FormatError):
    """A model cannot be saved in a format that loads without trust (skops, by default).

    The message names the types in the way and says what to do: save with
    ``serialization_format='cloudpickle'``, and load that model with ``trust=True``.

    Example:
        >>> issubclass(UnsupportedSafeSerializationError, FormatError)
        True
    """


class InvalidValueError(TiffinError, ValueError):
    """An argument or option is not one tiffin accepts (a limit out of range, a malformed name).

    The message names the value received and what is accepted. It is the caller's mistake in
    how tiffin was called, not in the data (:class:`SchemaError`) or the model files
    (:class:`FormatError`).

    Example:
        >>> raise InvalidValueError("chunk_rows must be at least 1, got 0")
        Traceback (most recent call last):
        tiffin.errors.InvalidValueError: chunk_rows must be at least 1, got 0
    """

    error_code = "INVALID_PARAMETER_VALUE"


class IntegrityError(TiffinError):
    """A model's files do not match its manifest: changed, missing, extra or symlinked."""

    error_code = "INVALID_STATE"


class UntrustedModelError(TiffinError):
    """Loading would run code from the model and nobody said it may."""

    error_code = "PERMISSION_DENIED"


class ValidationError(TiffinError):
    """A model evaluated below its thresholds; the message lists every failing metric.

    CI pipelines use it to gate a registration: ``tiffin models evaluate --threshold f1=0.8``
    exits non-zero with it.
    """

    error_code = "INVALID_STATE"


class MissingDependencyError(TiffinError, ImportError):
    """An optional dependency is needed; the message names the extra to install."""

    error_code = "INTERNAL_ERROR"
