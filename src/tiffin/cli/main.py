"""Entry point of the ``tiffin`` command and the mapping of errors to exit codes.

Every :class:`~tiffin.errors.TiffinError`, ``ValueError``, ``OSError`` and usage error ends the
command with one clear line on stderr and a non-zero exit code that says what kind of failure
it was; no traceback reaches the user. Exit codes: 1 any other error, 2 usage (a bad option
value), 3 not found, 4 schema, 5 integrity, 6 untrusted, 7 conflict, 8 validation, 130 Ctrl-C.

Example:
    $ tiffin models verify -m ./model
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from tiffin._version import __version__
from tiffin.cli.db import db
from tiffin.cli.evaluate import evaluate_command
from tiffin.cli.models import models
from tiffin.cli.pack import pack_command, unpack_command
from tiffin.cli.registry import add_registry_commands
from tiffin.cli.runs import runs
from tiffin.cli.serve import multi_serve_command, serve_command
from tiffin.errors import (
    ConflictError,
    IntegrityError,
    NotFoundError,
    SchemaError,
    TiffinError,
    UntrustedModelError,
    ValidationError,
)

__all__ = ["CLI_SPELLINGS", "EXIT_CODES", "INTERRUPTED", "USAGE", "cli", "cli_message",
           "exit_code", "main"]  # fmt: skip

#: exception class -> process exit code; docs/architecture.md has the table. Other errors
#: (TiffinError, ValueError, OSError) are 1, a usage error 2, Ctrl-C 130.
EXIT_CODES: dict[type[TiffinError], int] = {
    NotFoundError: 3,
    SchemaError: 4,
    IntegrityError: 5,
    UntrustedModelError: 6,
    ConflictError: 7,
    ValidationError: 8,
}
USAGE = 2
INTERRUPTED = 130  # 128 + SIGINT, as shells report it


@click.group()
@click.version_option(__version__, prog_name="tiffin")
def cli() -> None:
    """tiffin: package, check and run ML models in the MLflow Models format."""


add_registry_commands(models)
models.add_command(serve_command)
models.add_command(pack_command)
models.add_command(unpack_command)
models.add_command(evaluate_command)
cli.add_command(models)
cli.add_command(multi_serve_command)
cli.add_command(runs)
cli.add_command(db)


def exit_code(error: BaseException) -> int:
    """The exit code for an error that ends a command (see :data:`EXIT_CODES`).

    Example:
        >>> exit_code(FileNotFoundError("x")), exit_code(ValueError("x"))
        (3, 1)
    """
    for cls, code in EXIT_CODES.items():
        if isinstance(error, cls):
            return code
    if isinstance(error, FileNotFoundError):
        return EXIT_CODES[NotFoundError]
    return 1


#: library spellings of a remedy -> the CLI flag that does it (library messages stay as they are)
CLI_SPELLINGS = {
    "pass overwrite=True": "pass --overwrite",
    "with trust=True": "with --trust",
    "pack with add_manifest=True": "pack with --add-manifest",
}


def cli_message(text: str) -> str:
    """A library message with its remedies spelled as CLI flags (unless it already names them).

    Example:
        >>> cli_message("m.tiffin already exists (pass overwrite=True to replace it)")
        'm.tiffin already exists (pass --overwrite to replace it)'
    """
    for library, flag in CLI_SPELLINGS.items():
        if library in text and flag.split()[-1] not in text:
            text = text.replace(library, flag)
    return text


def _one_line(text: str, limit: int = 500) -> str:
    line = " ".join(text.split()) if text else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every error ends it with one line on stderr and the documented exit code.

    tiffin's own errors keep the detail lines some of them carry (a schema error lists each
    problem, indented); a ``ValueError`` or ``OSError`` from anywhere (a bad value, a busy
    port, a full disk) is one line; Ctrl-C exits 130 without a traceback. Any other
    exception is a bug (or the model's own exception) and keeps its traceback.
    """
    try:
        cli.main(args=argv, prog_name="tiffin", standalone_mode=False)
    except KeyboardInterrupt:
        _fail("interrupted", INTERRUPTED)
    except click.exceptions.Abort as e:
        if isinstance(e.__cause__, KeyboardInterrupt):
            _fail("interrupted", INTERRUPTED)
        _fail("aborted", 1)
    except click.UsageError as e:
        hint = f" (see '{e.ctx.command_path} --help')" if e.ctx is not None else ""
        _fail(_one_line(e.format_message()) + hint, e.exit_code)
    except click.ClickException as e:
        _fail(_one_line(e.format_message()), e.exit_code)
    except TiffinError as e:
        first, *rest = cli_message(str(e)).splitlines() or [type(e).__name__]
        click.echo(f"error: {first}", err=True)
        for line in rest[:20]:
            click.echo(f"  {line}", err=True)
        sys.exit(exit_code(e))
    except (ValueError, OSError) as e:
        if isinstance(e, OSError) and e.strerror:
            where = f"{e.filename}: " if e.filename is not None else ""
            message = _one_line(where + e.strerror)
        else:
            message = _one_line(str(e)) or type(e).__name__
        _fail(message, exit_code(e))
