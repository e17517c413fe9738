"""Entry point of the ``tiffin`` command and the mapping of errors to exit codes.

Every :class:`~tiffin.errors.TiffinError` ends the command with one clear line on stderr and
a non-zero exit code that says what kind of failure it was; no traceback reaches the user.

Example:
    $ tiffin models verify -m ./model
"""

from __future__ import annotations

import sys

import click

from tiffin import __version__
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

__all__ = ["EXIT_CODES", "cli", "main"]

#: exception class -> process exit code (click itself uses 2 for usage errors)
EXIT_CODES: dict[type[TiffinError], int] = {
    NotFoundError: 3,
    SchemaError: 4,
    IntegrityError: 5,
    UntrustedModelError: 6,
    ConflictError: 7,
    ValidationError: 8,
}


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


def exit_code(error: TiffinError) -> int:
    for cls, code in EXIT_CODES.items():
        if isinstance(error, cls):
            return code
    return 1


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; turn tiffin errors into one line and an exit code."""
    try:
        cli.main(args=argv, prog_name="tiffin", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except TiffinError as e:
        first, *rest = str(e).splitlines() or [type(e).__name__]
        click.echo(f"error: {first}", err=True)
        for line in rest[:20]:
            click.echo(f"  {line}", err=True)
        sys.exit(exit_code(e))
