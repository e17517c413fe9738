"""``tiffin runs list|show``: read runs from the tracking store.

Times (``start_time``, ``end_time``) are ISO-8601 in UTC, in the table and in ``--json``; run
IDs are never cut in the table. Without ``--experiment-id``, ``runs list`` searches every
experiment and its title says so.

Example:
    $ tiffin runs list --experiment-id 0 --filter "metrics.acc > 0.9"
    $ tiffin runs show 3f2a... --json
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

import click

from tiffin.cli.output import emit

__all__ = ["runs"]


def iso_time(millis: int | None) -> str | None:
    """Epoch milliseconds (the store's unit, as MLflow's) as ISO-8601 UTC.

    Example:
        >>> iso_time(1765150200123)
        '2025-12-07T23:30:00.123Z'
    """
    if millis is None:
        return None
    moment = dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _row(run: Any) -> dict[str, Any]:
    row = asdict(run.info)
    row["start_time"], row["end_time"] = iso_time(row["start_time"]), iso_time(row["end_time"])
    row.update({f"params.{k}": v for k, v in run.data.params.items()})
    row.update({f"metrics.{k}": v for k, v in run.data.metrics.items()})
    row.update({f"tags.{k}": v for k, v in run.data.tags.items()})
    return row


@click.group()
def runs() -> None:
    """Runs in the tracking store (TIFFIN_TRACKING_URI, default ./tiffin.db)."""


@runs.command("list")
@click.option("--experiment-id", "experiment_ids", multiple=True,
              help="Repeat for several; default: every experiment.")  # fmt: skip
@click.option("--filter", "filter_string", default="", help="MLflow-style filter string.")
@click.option("--order-by", multiple=True)
@click.option("--max-results", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def list_runs(
    experiment_ids: tuple[str, ...],
    filter_string: str,
    order_by: tuple[str, ...],
    max_results: int,
    as_json: bool,
) -> None:
    """List runs, newest first unless --order-by says otherwise."""
    from tiffin.store.tracking import TrackingStore
    from tiffin.store.tracking_uri import get_tracking_uri

    store = TrackingStore(get_tracking_uri())
    ids = list(experiment_ids) or [e.experiment_id for e in store.list_experiments()]
    found = store.search_runs(
        ids, filter_string, order_by=list(order_by) or None, max_results=max_results
    )
    title = (
        f"Runs in experiment(s) {', '.join(experiment_ids)}"
        if experiment_ids
        else f"Runs in all {len(ids)} experiment(s)"
    )
    columns = ["run_id", "run_name", "status", "experiment_id", "start_time"]
    emit([_row(r) for r in found], columns, as_json, title, whole=["run_id"])


@runs.command("show")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True)
def show(run_id: str, as_json: bool) -> None:
    """One run: its info, params, latest metrics and tags."""
    from tiffin.store.tracking import TrackingStore
    from tiffin.store.tracking_uri import get_tracking_uri

    row = _row(TrackingStore(get_tracking_uri()).get_run(run_id))
    if as_json:
        emit([row], [], True, "")
        return
    emit([{"key": k, "value": v} for k, v in row.items()], ["key", "value"], False, run_id)
