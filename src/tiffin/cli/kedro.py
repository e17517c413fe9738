"""``kedro tiffin init | modelify | serve``: project commands, through ``kedro.project_commands``.

Example:
    $ kedro tiffin init
    $ kedro tiffin modelify --pipeline inference --input-name features --registered-model-name iris
    $ kedro tiffin serve --port 5000
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

__all__ = ["commands"]


@click.group(name="tiffin")
def commands() -> None:
    """Kedro project commands (the group Kedro merges into its CLI)."""


@commands.group(name="tiffin")
def tiffin_group() -> None:
    """Log, register and serve this project's pipelines with tiffin."""


def _session(metadata: Any, env: str | None) -> Any:
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(metadata.project_path)
    return KedroSession.create(project_path=metadata.project_path, env=env)


@tiffin_group.command("init")
@click.option("-e", "--env", default="base", show_default=True, help="conf/<env> to write to.")
@click.option("-f", "--force", is_flag=True, help="Overwrite an existing tiffin.yml.")
@click.pass_obj
def init(metadata: Any, env: str, force: bool) -> None:
    """Write conf/<env>/tiffin.yml with every setting and its default."""
    from tiffin.integrations.kedro.config import TEMPLATE

    folder = Path(metadata.project_path) / "conf" / env
    target = folder / "tiffin.yml"
    if not folder.is_dir():
        raise click.ClickException(f"{folder} does not exist; is {env!r} an environment?")
    if target.exists() and not force:
        raise click.ClickException(f"{target} exists; pass --force to overwrite it")
    target.write_text(TEMPLATE.format(experiment=metadata.package_name), encoding="utf-8")
    click.echo(f"wrote {target}")


@tiffin_group.command("modelify")
@click.option("-p", "--pipeline", "pipeline_name", required=True, help="Inference pipeline.")
@click.option("-i", "--input-name", "input_names", required=True, multiple=True,
              help="Free input(s) callers send; repeat for several.")  # fmt: skip
@click.option("-o", "--output-name", "output_names", multiple=True,
              help="Output(s) predict returns (default: terminal outputs).")  # fmt: skip
@click.option("-n", "--name", default="model", show_default=True, help="Artifact path in the run.")
@click.option("--registered-model-name", default=None, help="Register as a new version of this.")
@click.option("--alias", default=None, help="Point this alias at the new version.")
@click.option("-e", "--env", default=None, help="Kedro environment.")
@click.pass_obj
def modelify(
    metadata: Any,
    pipeline_name: str,
    input_names: tuple[str, ...],
    output_names: tuple[str, ...],
    name: str,
    registered_model_name: str | None,
    alias: str | None,
    env: str | None,
) -> None:
    """Log an already trained inference pipeline as a model, exactly as the hook would."""
    from kedro.framework.project import pipelines

    from tiffin.integrations.kedro.hook import load_project_config
    from tiffin.integrations.kedro.model_logging import log_pipeline_model
    from tiffin.integrations.kedro.pairing import PipelineModelSpec, output_names_of
    from tiffin.tracking import Client

    with _session(metadata, env) as session:
        context = session.load_context()
        config = load_project_config(context)
        if pipeline_name not in pipelines:
            raise click.ClickException(
                f"no pipeline {pipeline_name!r}; registered: {sorted(pipelines)}"
            )
        inference = pipelines[pipeline_name]
        spec = PipelineModelSpec(
            training=inference,
            inference=inference,
            input_names=list(input_names),
            output_names=output_names_of(inference, list(output_names) or None),
            name=name,
            registered_model_name=registered_model_name,
            alias=alias,
        )
        client = Client(config.tracking_uri)
        run = client.tracking.create_run(
            client.tracking.experiment_id_for(config.experiment),
            run_name=f"modelify {pipeline_name}",
        )
        try:
            info = log_pipeline_model(client, run.info.run_id, spec, context.catalog)
        except BaseException:
            client.tracking.update_run_status(run.info.run_id, "FAILED")
            raise
        client.tracking.update_run_status(run.info.run_id, "FINISHED")
    version = f" (registered {registered_model_name} v{info.registered_model_version})"
    click.echo(f"logged {info.model_uri}{version if registered_model_name else ''}")


@tiffin_group.command(
    "serve", context_settings={"ignore_unknown_options": True, "allow_extra_args": True}
)
@click.option("-e", "--env", default=None, help="Kedro environment.")
@click.argument("serve_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
def serve(metadata: Any, env: str | None, serve_args: tuple[str, ...]) -> None:
    """Serve the last pipeline model this project logged (other options: tiffin models serve)."""
    from tiffin.cli.serve import serve_command
    from tiffin.integrations.kedro.hook import load_project_config
    from tiffin.store.tracking_uri import set_tracking_uri

    with _session(metadata, env) as session:
        config = load_project_config(session.load_context())
    set_tracking_uri(config.tracking_uri)
    uri, trust = _last_model(config)
    click.echo(f"serving {uri}", err=True)
    args = ["-m", uri, *(["--trust"] if trust else []), *serve_args]
    serve_command.main(args=args, prog_name="kedro tiffin serve")


def _last_model(config: Any) -> tuple[str, bool]:
    """The newest run's pipeline model, trusted: this project's own store produced it."""
    from tiffin.integrations.kedro.model_logging import MODEL_URI_TAG
    from tiffin.tracking import Client

    client = Client(config.tracking_uri)
    experiment = client.tracking.get_experiment_by_name(config.experiment)
    if experiment is not None:
        runs = client.tracking.search_runs(
            [experiment.experiment_id],
            f"tags.`{MODEL_URI_TAG}` != ''",
            order_by=["attributes.start_time DESC"],
        )
        for run in runs:
            return str(run.data.tags[MODEL_URI_TAG]), True
    raise click.ClickException(
        f"no pipeline model logged in experiment {config.experiment!r} of {config.tracking_uri}; "
        "run the training pipeline first (kedro run --pipelines <training>)"
    )
