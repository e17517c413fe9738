"""A separate process for the store race tests: get ready, wait for "go", act, print JSON.

Usage: ``python race_worker.py <action> <uri> [args...]`` where action is ``migrate`` (call
``upgrade(uri)`` on a fresh store) or ``versions <model> <count>`` (create ``count`` versions).
Imports and connections happen before "ready", so the processes collide on the database itself,
not on Python start-up.
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    action, uri, *args = sys.argv[1:]
    from tiffin.store import RegistryStore, upgrade

    registry = RegistryStore(uri) if action == "versions" else None
    print("ready", flush=True)
    sys.stdin.readline()
    if action == "migrate":
        print(json.dumps(upgrade(uri)), flush=True)
    elif action == "versions" and registry is not None:
        model, count = args[0], int(args[1])
        made = [
            registry.create_model_version(model, f"s3://bucket/{model}/{i}").version
            for i in range(count)
        ]
        print(json.dumps(made), flush=True)
    else:
        raise SystemExit(f"unknown action {action!r}")


if __name__ == "__main__":
    main()
