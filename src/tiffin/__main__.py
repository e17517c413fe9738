"""``python -m tiffin`` runs the CLI."""

from __future__ import annotations

from tiffin.cli.main import main

if __name__ == "__main__":
    main()
