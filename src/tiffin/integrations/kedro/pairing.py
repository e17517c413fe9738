"""``pipeline_ml_factory``: pair a training pipeline with the inference pipeline it feeds.

kedro-mlflow returns a ``Pipeline`` subclass carrying the inference pipeline; Kedro's pipeline
algebra (``+``, ``filter``, ``only_nodes``...) returns plain pipelines, so the pairing was
silently lost and no model was logged (kedro-mlflow#690, #569, #377). Here the factory returns
the training pipeline unchanged and records the pairing in a side table; the hook logs a model
whenever a run *contains* every training node, however the pipeline was assembled.

Checks run at registration, before anything trains: every inference input except the model's
own inputs must come from training (produced or read by it) or be a ``params:`` entry, and
must be persisted by the catalog (a ``MemoryDataset`` vanishes when the run ends, so it could
not be shipped in the model). The persisted check needs the project's catalog: the tiffin hook
hands it over when Kedro creates the context, which is before pipelines are registered; it is
checked again against the run's real catalog before the first node runs.

Example:
    >>> from tiffin.integrations.kedro import pipeline_ml_factory  # doctest: +SKIP
    >>> def register_pipelines():  # doctest: +SKIP
    ...     training = pipeline_ml_factory(
    ...         training=ml.only_nodes_with_tags("training"),
    ...         inference=ml.only_nodes_with_tags("inference"),
    ...         input_name="instances",
    ...         registered_model_name="sentiment",
    ...         alias="champion",
    ...     )
    ...     return {"training": training, "inference": inference}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tiffin.integrations.kedro.errors import PipelineModelError
from tiffin.integrations.kedro.graph import InferenceGraph, data_name

__all__ = [
    "PipelineModelSpec",
    "check_persisted",
    "output_names_of",
    "pairings_in",
    "pipeline_ml_factory",
    "set_registration_catalog",
]

PARAMS = "params:"

#: the ``log_model_kwargs`` keys ``pipeline_ml_factory`` reads (``artifact_path`` is ``name``)
LOG_MODEL_KEYS = frozenset(
    {"name", "registered_model_name", "signature", "input_example"}
    | {"pip_requirements", "extra_pip_requirements", "metadata"}
)

#: MLflow ``log_model`` keys kedro-mlflow passes through that a pipeline model does without
_UNSUPPORTED = {
    "conda_env": "a pipeline model's environment is requirements.txt: give pip_requirements "
    "or extra_pip_requirements",
    "code_paths": "the project's code is shipped in code/ already",
    "python_model": "the model is the inference pipeline itself",
    "artifacts": "artifacts are the inference inputs training saves",
}


def _unsupported_hint(unknown: set[str]) -> str:
    hints = [f"{key}: {_UNSUPPORTED[key]}" for key in sorted(unknown) if key in _UNSUPPORTED]
    return f" ({'; '.join(hints)})" if hints else ""


@dataclass
class PipelineModelSpec:
    """What the hook needs to log a pipeline model at the end of a training run."""

    training: Any
    inference: Any
    input_names: list[str]
    output_names: list[str]
    name: str = "model"
    registered_model_name: str | None = None
    alias: str | None = None
    signature: str | None = "auto"
    input_example: Any = None
    sample_rows: int = 5
    pip_requirements: Sequence[str] | None = None
    extra_pip_requirements: Sequence[str] | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def training_node_names(self) -> frozenset[str]:
        return frozenset(n.name for n in self.training.nodes)

    def artifact_names(self) -> list[str]:
        """Inference inputs shipped as artifacts: everything but model inputs and params."""
        free = self.inference.inputs()
        inputs = set(self.input_names)
        return sorted(n for n in free if data_name(n) not in inputs and not n.startswith(PARAMS))

    def param_names(self) -> list[str]:
        return sorted(n for n in self.inference.inputs() if n.startswith(PARAMS))


#: training node names -> pairing; re-registering the same training pipeline replaces it
_PAIRINGS: dict[frozenset[str], PipelineModelSpec] = {}
_registration_persisted: Callable[[str], bool] | None = None


def set_registration_catalog(is_persisted: Callable[[str], bool] | None) -> None:
    """Called by the hook when Kedro creates the context: how to tell if a dataset persists."""
    global _registration_persisted
    _registration_persisted = is_persisted


def pipeline_ml_factory(
    training: Any,
    inference: Any,
    input_name: str | Sequence[str],
    *,
    output_name: str | Sequence[str] | None = None,
    name: str = "model",
    registered_model_name: str | None = None,
    alias: str | None = None,
    signature: str | None = "auto",
    input_example: Any = None,
    sample_rows: int = 5,
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    log_model_kwargs: Mapping[str, Any] | None = None,
) -> Any:
    """Pair ``training`` with ``inference``; return ``training`` itself, ready to register.

    Args:
        training: the pipeline that fits and saves the artifacts.
        inference: the pipeline served as the model; its free inputs are ``input_name``
            (what callers send), artifacts from training, and ``params:`` entries.
        input_name: the inference input(s) a caller provides; several names mean predict
            takes a dict of them.
        output_name: what predict returns (default: every terminal output of inference;
            one name returns the value, several return a dict).
        name: artifact path of the model in the run (``runs:/<run>/<name>``).
        registered_model_name: register each logged model as a new version of this name.
        alias: after registering, point this alias (e.g. ``champion``) at the new version.
        signature: ``"auto"`` infers inputs, params and outputs by running inference on a
            sample of ``input_name`` from the catalog; ``None`` saves no signature.
        input_example: rows to save as the example (default: the first ``sample_rows``).
        log_model_kwargs: kedro-mlflow's spelling; its ``name``/``registered_model_name``/
            ``signature``/``input_example``/``pip_requirements``/``extra_pip_requirements``/
            ``metadata`` keys are accepted (``artifact_path`` is read as ``name``).

    Raises:
        PipelineModelError: names the inference inputs that training cannot provide, the
            unknown input or output names, or the artifacts the catalog does not persist.

    Example:
        >>> training = pipeline_ml_factory(train, infer, "features")  # doctest: +SKIP
    """
    extra = dict(log_model_kwargs or {})
    if "artifact_path" in extra:
        extra.setdefault("name", extra.pop("artifact_path"))
    unknown = set(extra) - LOG_MODEL_KEYS
    if unknown:
        raise PipelineModelError(
            f"log_model_kwargs: unknown keys {sorted(unknown)}; accepted keys: "
            f"{sorted(LOG_MODEL_KEYS)}" + _unsupported_hint(unknown)
        )
    inputs = [input_name] if isinstance(input_name, str) else list(input_name)
    spec = PipelineModelSpec(
        training=training,
        inference=inference,
        input_names=[data_name(n) for n in inputs],
        output_names=output_names_of(inference, output_name),
        name=str(extra.get("name", name)),
        registered_model_name=extra.get("registered_model_name", registered_model_name),
        alias=alias,
        signature=extra.get("signature", signature),
        input_example=extra.get("input_example", input_example),
        sample_rows=sample_rows,
        pip_requirements=extra.get("pip_requirements", pip_requirements),
        extra_pip_requirements=extra.get("extra_pip_requirements", extra_pip_requirements),
        metadata=dict(extra.get("metadata", metadata) or {}),
    )
    if alias and not spec.registered_model_name:
        raise PipelineModelError(f"alias={alias!r} needs registered_model_name= to point into")
    _check_structure(spec)
    InferenceGraph.from_pipeline(inference)  # refuses lambdas & co. now, not after training
    if _registration_persisted is not None:
        check_persisted(spec, _registration_persisted)
    _PAIRINGS[spec.training_node_names] = spec
    return training


def output_names_of(inference: Any, output_name: str | Sequence[str] | None) -> list[str]:
    """What predict returns: the named outputs (checked), else every terminal output.

    Example:
        >>> output_names_of(inference, None)  # doctest: +SKIP
        ['predicted_labels']
    """
    terminal = [data_name(o) for o in sorted(inference.outputs())]
    if output_name is None:
        if not terminal:
            raise PipelineModelError("the inference pipeline has no output")
        return terminal
    wanted = [output_name] if isinstance(output_name, str) else list(output_name)
    produced = {data_name(o) for o in inference.all_outputs()}
    missing = [o for o in wanted if data_name(o) not in produced]
    if missing:
        raise PipelineModelError(
            f"output_name {missing} is not produced by the inference pipeline; "
            f"it produces {sorted(produced)}"
        )
    return [data_name(o) for o in wanted]


def _check_structure(spec: PipelineModelSpec) -> None:
    free = {data_name(n) for n in spec.inference.inputs()}
    missing_inputs = [n for n in spec.input_names if n not in free]
    if missing_inputs:
        raise PipelineModelError(
            f"input_name {missing_inputs} is not a free input of the inference pipeline; "
            f"its free inputs are {sorted(free)}"
        )
    if "parameters" in spec.inference.inputs():
        raise PipelineModelError(
            "the inference pipeline takes the whole 'parameters' dict; take the entries it "
            "needs as 'params:<name>' inputs so each becomes a predict-time param"
        )
    from_training = {data_name(n) for n in spec.training.all_outputs() | spec.training.inputs()}
    orphans = [n for n in spec.artifact_names() if data_name(n) not in from_training]
    if orphans:
        raise PipelineModelError(
            f"inference inputs {orphans} are neither produced nor read by the training "
            "pipeline, so the model could not ship them; produce them in training, make them "
            "params: entries, or add them to input_name"
        )


def check_persisted(spec: PipelineModelSpec, is_persisted: Callable[[str], bool]) -> None:
    """Refuse artifacts the catalog keeps only in memory, naming each one.

    Example:
        >>> check_persisted(spec, lambda name: name != "encoder")  # doctest: +SKIP
        PipelineModelError: ... 'encoder' ...
    """
    transient = [n for n in spec.artifact_names() if not is_persisted(n)]
    if transient:
        raise PipelineModelError(
            f"the inference pipeline needs {transient} from training, but the catalog keeps "
            "them only in memory (MemoryDataset or no catalog entry), so they would be lost "
            "when the run ends; declare each in conf/base/catalog.yml with a file dataset "
            "(for example type: pickle.PickleDataset)"
        )


def pairings_in(pipeline: Any) -> list[PipelineModelSpec]:
    """The registered pairings whose every training node is in ``pipeline``."""
    present = {n.name for n in pipeline.nodes}
    return [spec for key, spec in _PAIRINGS.items() if key and key <= present]
