"""A Kedro inference pipeline saved as one MLflow-format model, and loaded back to predict.

Layout (``docs/kedro.md`` has the full picture)::

    MLmodel            python_function (loader_module tiffin.integrations.kedro.mlflow_loader,
                       code: code) + kedro_pipeline (kedro/kedro-datasets versions)
    pipeline.yml       nodes (function import paths, inputs, outputs), model inputs/outputs,
                       artifact dataset configs, params with their training values
    artifacts/<name>/  each artifact, saved by a local twin of its own Kedro dataset
    code/<package>/    the project's code, so functions import where the project is absent
    requirements.txt   kedro, kedro-datasets[<extras used>], tiffin[kedro], libraries inferred

Loading imports the node functions and loads the artifacts once; ``predict`` runs the recorded
graph on a fresh dict that points at the loaded objects, with the call's params merged over the
training values, so calls share nothing mutable and are safe from many threads. A node never
sees the caller's objects nor a shared artifact it could change for later calls: each input is
copied (a shallow copy for pandas under copy-on-write), pandas artifacts are shallow copies and
numpy ones read-only views (:mod:`.isolation`).

Example:
    >>> save_pipeline_model("model", inference, catalog, ["features"])  # doctest: +SKIP
    >>> model = tiffin.pyfunc.load_model("model", trust=True)  # doctest: +SKIP
    >>> model.predict(df, params={"threshold": 0.9})  # doctest: +SKIP
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tiffin._version import __version__
from tiffin.errors import FormatError, SchemaError
from tiffin.format.mlmodel import MLModel
from tiffin.integrations.kedro.errors import PipelineModelError
from tiffin.integrations.kedro.graph import InferenceGraph, data_name
from tiffin.integrations.kedro.isolation import guard_shared, isolate_input

if TYPE_CHECKING:
    from tiffin.pyfunc.model import PyFuncLoader
    from tiffin.pyfunc.trust import TrustDecision

__all__ = ["FLAVOR_NAME", "LOADER_MODULE", "PIPELINE_FILE", "PipelinePredictor"]
__all__ += ["load_pipeline", "save_pipeline_model"]

FLAVOR_NAME = "kedro_pipeline"
LOADER_MODULE = "tiffin.integrations.kedro.mlflow_loader"
PIPELINE_FILE = "pipeline.yml"
PARAMS = "params:"

log = logging.getLogger(__name__)


class PipelinePredictor:
    """The loaded model: graph, artifacts and param defaults; ``predict`` is stateless."""

    def __init__(
        self,
        graph: InferenceGraph,
        artifacts: Mapping[str, Any],
        params: Mapping[str, Any],
        input_names: Sequence[str],
        output_names: Sequence[str],
    ):
        graph.compile()
        self.graph = graph
        self.artifacts = dict(artifacts)
        self.params = dict(params)
        self.input_names = list(input_names)
        self.output_names = list(output_names)
        self._base = {**self.artifacts, **{PARAMS + k: v for k, v in self.params.items()}}

    def predict(self, model_input: Any, params: Mapping[str, Any] | None = None) -> Any:
        """Run the inference pipeline on ``model_input`` (a dict when it has several inputs).

        Raises:
            SchemaError: a param the pipeline does not take, or missing/unknown input names.
        """
        # nodes own what they receive: copies of the caller's objects, guarded shared ones
        feed = {name: guard_shared(value) for name, value in self._base.items()}
        if params:
            unknown = sorted(set(params) - set(self.params))
            if unknown:
                raise SchemaError(
                    f"unknown params {unknown}; this pipeline takes {sorted(self.params)}"
                )
            feed.update({PARAMS + k: isolate_input(v) for k, v in params.items()})
        if len(self.input_names) == 1:
            feed[self.input_names[0]] = isolate_input(model_input)
        else:
            feed.update({k: isolate_input(v) for k, v in self._split_inputs(model_input).items()})
        out = self.graph.run(feed, self.output_names)
        return out[self.output_names[0]] if len(self.output_names) == 1 else out

    def _split_inputs(self, model_input: Any) -> dict[str, Any]:
        if not isinstance(model_input, Mapping):
            raise SchemaError(
                f"this pipeline takes several inputs {self.input_names}: pass a dict of them, "
                f"not {type(model_input).__name__}"
            )
        missing = [n for n in self.input_names if n not in model_input]
        extra = [n for n in model_input if n not in self.input_names]
        if missing or extra:
            raise SchemaError(
                f"inputs: missing {missing}, unexpected {extra}; expected {self.input_names}"
            )
        return {n: model_input[n] for n in self.input_names}

    @property
    def raw_model(self) -> Any:
        return self


def load_pipeline(model_dir: Path) -> PipelinePredictor:
    """Build the predictor from a model directory (functions must be importable now)."""
    from tiffin.format.bounded import read_yaml_file
    from tiffin.integrations.kedro.artifacts import load_artifacts

    spec = read_yaml_file(model_dir / PIPELINE_FILE)
    if not isinstance(spec, dict) or "nodes" not in spec:
        raise FormatError(f"{model_dir / PIPELINE_FILE}: not a pipeline file (no 'nodes')")
    graph = InferenceGraph.from_list(spec["nodes"])
    artifacts = load_artifacts(model_dir, spec.get("artifacts") or {})
    return PipelinePredictor(
        graph, artifacts, spec.get("params") or {}, spec["inputs"], spec["outputs"]
    )


def _load_pyfunc(
    model_dir: Path,
    mlmodel: MLModel,
    model_config: dict[str, Any] | None = None,
    *,
    decision: TrustDecision,
) -> PipelinePredictor:
    """tiffin's loader contract; reached only after the trust gate (``code/`` needs trust)."""
    # pipeline.yml names functions to call and artifacts are loaded by any Kedro dataset
    # (pickles included): never without a trusted decision.
    decision.require(
        Path(model_dir) / PIPELINE_FILE,
        "a Kedro pipeline (it calls the functions "
        "pipeline.yml names and loads artifacts through Kedro datasets)",
    )
    return load_pipeline(Path(model_dir))


if TYPE_CHECKING:  # the loader contract, checked by mypy
    _conforms: PyFuncLoader = _load_pyfunc


# --- saving ---------------------------------------------------------------------------------


def save_pipeline_model(
    path: str | Path,
    inference: Any,
    catalog: Any,
    input_names: Sequence[str],
    *,
    output_names: Sequence[str] | None = None,
    signature: str | None = "auto",
    input_example: Any = None,
    sample_rows: int = 5,
    code_packages: Sequence[str] | None = None,
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> MLModel:
    """Write the inference pipeline, its artifacts, params and code as a model directory.

    Args:
        path: the new model directory (atomic: complete or absent).
        inference: the Kedro inference ``Pipeline``.
        catalog: the run's ``DataCatalog`` (artifacts and params are loaded from it).
        input_names: the free inputs callers provide.
        output_names: what predict returns (default: terminal outputs).
        signature: ``"auto"`` infers it by running the pipeline on ``sample_rows`` rows of
            the input loaded from the catalog (or on ``input_example``); ``None``: none.
        code_packages: top-level packages to ship in ``code/`` (default: every package of a
            node function that is not installed in site-packages).

    Raises:
        PipelineModelError: a function cannot be recorded, an artifact is not persisted or
            has no file, a param is not plain data.

    Example:
        >>> save_pipeline_model("m", inference, catalog, ["features"])  # doctest: +SKIP
    """
    from tiffin.format.atomic import atomic_directory
    from tiffin.integrations.kedro.artifacts import load_artifacts, ship_artifacts
    from tiffin.pyfunc.save import SaveOptions, finish_model

    graph = InferenceGraph.from_pipeline(inference)
    inputs = [data_name(n) for n in input_names]
    outputs = [data_name(n) for n in (output_names or graph.terminal_outputs())]
    free = graph.free_inputs()
    artifact_names = [n for n in free if n not in inputs and not n.startswith(PARAMS)]
    params = _param_values(catalog, [n for n in free if n.startswith(PARAMS)])
    example = input_example if input_example is not None else _sample(catalog, inputs, sample_rows)
    with atomic_directory(path) as tmp:
        shipped = ship_artifacts(tmp, _catalog_names(inference, artifact_names), catalog)
        packages = list(code_packages) if code_packages is not None else _project_packages(graph)
        for package in packages:
            _copy_package(package, tmp / "code")
        mlmodel = _write_pipeline(tmp, graph, inputs, outputs, shipped, params, packages)
        # the shipped copies, loaded back: proves they load before the model is published
        loaded = load_artifacts(tmp, {data_name(k): v for k, v in shipped.items()})
        predictor = PipelinePredictor(graph, loaded, params, inputs, outputs)
        sig = _signature(predictor, example, params) if signature == "auto" else None
        options = SaveOptions(
            signature=sig if sig is not None else False,
            input_example=example if len(inputs) == 1 else None,
            pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements,
            metadata=metadata,
        )
        return finish_model(
            tmp,
            mlmodel,
            options,
            defaults=_default_requirements(shipped),
            inferred=_inferred(predictor, packages),
        )


def _write_pipeline(
    tmp: Path,
    graph: InferenceGraph,
    inputs: list[str],
    outputs: list[str],
    shipped: Mapping[str, Any],
    params: Mapping[str, Any],
    packages: Sequence[str],
) -> MLModel:
    """``pipeline.yml`` written; the MLmodel's two flavor blocks returned (not yet saved)."""
    import yaml

    from tiffin.pyfunc.save import python_version

    spec = {
        "kedro_version": _version("kedro"),
        "inputs": inputs,
        "outputs": outputs,
        "nodes": graph.to_list(),
        "artifacts": dict(shipped),
        "params": dict(params),
    }
    (tmp / PIPELINE_FILE).write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    mlmodel = MLModel.new()
    mlmodel.add_flavor(
        "python_function",
        loader_module=LOADER_MODULE,
        python_version=python_version(),
        **({"code": "code"} if packages else {}),
    )
    mlmodel.add_flavor(
        FLAVOR_NAME,
        pipeline=PIPELINE_FILE,
        kedro_version=spec["kedro_version"],
        kedro_datasets_version=_version("kedro-datasets"),
        code_packages=list(packages),
    )
    return mlmodel


def _catalog_names(inference: Any, names: Sequence[str]) -> list[str]:
    """Catalog names of artifacts: transcoded inputs keep their ``@`` suffix in the catalog."""
    by_data = {data_name(n): n for n in inference.inputs()}
    return [by_data.get(n, n) for n in names]


def _param_values(catalog: Any, names: Sequence[str]) -> dict[str, Any]:
    import json

    values: dict[str, Any] = {}
    for name in names:
        value = catalog.load(name)
        try:
            json.dumps(value)
        except (TypeError, ValueError) as e:
            raise PipelineModelError(
                f"{name}: a pipeline model stores params as plain data (numbers, strings, "
                f"lists, dicts); got {type(value).__name__} ({e})"
            ) from e
        values[name.removeprefix(PARAMS)] = value
    return values


def _sample(catalog: Any, inputs: Sequence[str], rows: int) -> Any:
    """The first rows of each model input, loaded from the catalog, or None if not loadable."""
    samples = {}
    for name in inputs:
        try:
            data = catalog.load(name)
        except Exception as e:  # the input is often a MemoryDataset, gone after the run
            log.info("no sample of %r for the signature (%s); pass input_example=", name, e)
            return None
        samples[name] = data.head(rows) if hasattr(data, "head") else data[:rows]
    return samples[inputs[0]] if len(inputs) == 1 else samples


def _signature(predictor: PipelinePredictor, example: Any, params: Mapping[str, Any]) -> Any:
    """Inputs and outputs from running the pipeline on ``example``; params with defaults."""
    from tiffin.format.infer import infer_params_schema, infer_schema
    from tiffin.format.schema import Signature

    single = example is not None and len(predictor.input_names) == 1
    return Signature(
        inputs=_try(infer_schema, example, "input") if single else None,
        outputs=_try(infer_schema, predictor.predict(example), "output")
        if example is not None
        else None,
        params=infer_params_schema(params) if params else None,
    )


def _try(infer: Any, value: Any, part: str) -> Any:
    try:
        return infer(value)
    except FormatError as e:
        log.warning("pipeline model: no %s schema (%s)", part, e)
        return None


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _default_requirements(shipped: Mapping[str, Any]) -> list[str]:
    from tiffin.integrations.kedro.artifacts import datasets_extras

    extras = datasets_extras(shipped)
    datasets = f"kedro-datasets[{','.join(extras)}]" if extras else "kedro-datasets"
    return ["kedro", datasets, f"tiffin[kedro]=={__version__}"]


def _inferred(predictor: PipelinePredictor, packages: Sequence[str]) -> list[str]:
    """Libraries the artifacts and functions use, minus the project code shipped in code/."""
    from tiffin.format.environment import infer_requirements

    funcs = [step.func for step in predictor.graph._steps or ()]
    return infer_requirements(*predictor.artifacts.values(), *funcs, exclude_modules=packages)


def _project_packages(graph: InferenceGraph) -> list[str]:
    """Top-level packages of node functions that live outside site-packages (project code)."""
    roots = sorted({n.func.partition(":")[0].split(".")[0] for n in graph.nodes})
    return [r for r in roots if r not in sys.stdlib_module_names and not _installed(r)]


def _installed(package: str) -> bool:
    spec = importlib.util.find_spec(package)
    origin = (spec.origin or "") if spec else ""
    locations = list(spec.submodule_search_locations or []) if spec else []
    return any(p in ("site-packages", "dist-packages") for p in Path(origin or "/").parts) or any(
        "site-packages" in Path(loc).parts for loc in locations
    )


def _copy_package(package: str, dest: Path) -> None:
    spec = importlib.util.find_spec(package)
    if spec is None:
        raise PipelineModelError(f"code package {package!r} is not importable")
    dest.mkdir(exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")
    if spec.submodule_search_locations:
        src = Path(next(iter(spec.submodule_search_locations)))
        shutil.copytree(src, dest / package, ignore=ignore, symlinks=False)
    elif spec.origin:
        shutil.copy2(spec.origin, dest / Path(spec.origin).name)
