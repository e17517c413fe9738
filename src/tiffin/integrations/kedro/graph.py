"""An inference pipeline as data: nodes by dotted function path, run without Kedro's runner.

kedro-mlflow pickles the Kedro ``Pipeline``, its catalog and its runner into the model, so the
model loads only with nearly the same Kedro (kedro-mlflow#483), and each predict goes through
a runner and a deep copy of the catalog (milliseconds, growing with artifact size). Here the
graph is recorded as plain data (``name``, ``func: "pkg.module:function"``, ``inputs``,
``outputs``), written to YAML, and executed by :meth:`InferenceGraph.run`: one dict of values,
each node called in the topological order Kedro already computed. Objects are passed by
reference, never deep-copied, so a 400 MB model costs the same as a 4 kB one.

Example:
    >>> from kedro.pipeline import node, pipeline  # doctest: +SKIP
    >>> graph = InferenceGraph.from_pipeline(pipeline([node(upper, "x", "y")]))  # doctest: +SKIP
    >>> graph.run({"x": "a"})  # doctest: +SKIP
    {'y': 'A'}
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tiffin.integrations.kedro.errors import PipelineModelError

__all__ = ["InferenceGraph", "NodeSpec", "data_name", "function_path"]

#: inputs and outputs exactly as Kedro nodes accept them
Names = str | list[str] | dict[str, str] | None


def data_name(dataset: str) -> str:
    """The value a dataset name refers to: Kedro's transcoding (``cars@pandas``) shares one.

    Example:
        >>> data_name("cars@spark")
        'cars'
    """
    return dataset.split("@", 1)[0]


def function_path(func: Callable[..., Any], node_name: str) -> str:
    """``module:qualname`` of a node function, refusing what cannot be imported back.

    Raises:
        PipelineModelError: a lambda, a ``functools.partial``, a function defined inside
            another one, a bound method, or a name that does not import back to this object.

    Example:
        >>> function_path(data_name, "n")
        'tiffin.integrations.kedro.graph:data_name'
    """
    why = None
    if isinstance(func, functools.partial):
        why = "is a functools.partial"
    elif inspect.ismethod(func):
        why = "is a bound method"
    elif not hasattr(func, "__qualname__") or not hasattr(func, "__module__"):
        why = f"is a {type(func).__name__} object, not a function"
    elif "<lambda>" in func.__qualname__:
        why = "is a lambda"
    elif "<locals>" in func.__qualname__:
        why = "is defined inside another function"
    if why is None:
        path = f"{func.__module__}:{func.__qualname__}"
        try:
            found = _import(path)
        except Exception as e:  # any import failure means the model could not load either
            why = f"cannot be imported back from {path!r} ({e})"
        else:
            if found is not func and getattr(found, "__wrapped__", None) is not func:
                why = f"is not the object found at {path!r}"
            else:
                return path
    raise PipelineModelError(
        f"node {node_name!r}: its function {why}; a pipeline model records functions by "
        "import path, so use a module-level function (wrap parameters into node inputs)"
    )


def _import(path: str) -> Callable[..., Any]:
    module_name, _, qualname = path.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise PipelineModelError(f"{path!r} is not callable")
    return obj  # type: ignore[no-any-return]


def _names(value: Names) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return list(value.values())
    return list(value)


@dataclass(frozen=True)
class NodeSpec:
    """One node as data: what to call, with what, and where its results go."""

    name: str
    func: str
    inputs: Names
    outputs: Names

    def input_names(self) -> list[str]:
        return [data_name(n) for n in _names(self.inputs)]

    def output_names(self) -> list[str]:
        return [data_name(n) for n in _names(self.outputs)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "func": self.func,
            "inputs": self.inputs,
            "outputs": self.outputs,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NodeSpec:
        try:
            return cls(str(data["name"]), str(data["func"]), data["inputs"], data["outputs"])
        except KeyError as e:
            raise PipelineModelError(f"pipeline node {dict(data)!r} has no {e.args[0]!r}") from e


@dataclass
class _Step:
    """A node compiled for calling: the function and how to wire it."""

    name: str
    func: Callable[..., Any]
    args: list[str]
    kwargs: dict[str, str]
    outputs: Names


@dataclass
class InferenceGraph:
    """The nodes of an inference pipeline, in an order where inputs come before their users."""

    nodes: list[NodeSpec]
    _steps: list[_Step] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_pipeline(cls, pipeline: Any) -> InferenceGraph:
        """Record a Kedro ``Pipeline`` (its nodes are already topologically sorted)."""
        specs = []
        for node in pipeline.nodes:
            specs.append(
                NodeSpec(
                    name=node.name,
                    func=function_path(node.func, node.name),
                    inputs=_plain(node._inputs),  # the dict form (kwargs) exists only here
                    outputs=_plain(node._outputs),
                )
            )
        return cls(specs)

    def to_list(self) -> list[dict[str, Any]]:
        return [n.to_dict() for n in self.nodes]

    @classmethod
    def from_list(cls, data: Iterable[Mapping[str, Any]]) -> InferenceGraph:
        return cls([NodeSpec.from_dict(d) for d in data])

    def free_inputs(self) -> list[str]:
        """Values the graph needs from outside (the model input, artifacts, params)."""
        produced = {o for n in self.nodes for o in n.output_names()}
        seen: dict[str, None] = {}
        for n in self.nodes:
            for i in n.input_names():
                if i not in produced:
                    seen[i] = None
        return list(seen)

    def terminal_outputs(self) -> list[str]:
        """Values produced and not consumed: what a predict returns by default."""
        consumed = {i for n in self.nodes for i in n.input_names()}
        return [o for n in self.nodes for o in n.output_names() if o not in consumed]

    def compile(self) -> None:
        """Import every node function now (at model load), not on the first predict."""
        steps = []
        for spec in self.nodes:
            try:
                func = _import(spec.func)
            except PipelineModelError:
                raise
            except Exception as e:
                raise PipelineModelError(
                    f"node {spec.name!r}: cannot import {spec.func!r} ({type(e).__name__}: {e}); "
                    "is the project's code shipped in the model's code/ directory?"
                ) from e
            kwargs = (
                {k: data_name(v) for k, v in spec.inputs.items()}
                if isinstance(spec.inputs, dict)
                else {}
            )
            args = [] if kwargs else spec.input_names()
            steps.append(_Step(spec.name, func, args, kwargs, spec.outputs))
        self._steps = steps

    def run(self, feed: Mapping[str, Any], outputs: Iterable[str] | None = None) -> dict[str, Any]:
        """Call every node once on ``feed``; return the ``outputs`` (default: terminal ones).

        Nothing is copied here: each node receives the objects it names, as Kedro's
        ``assign`` copy mode would pass them. The pipeline model gives ``feed`` its own copies
        of the caller's inputs and guarded views of shared artifacts
        (:mod:`~tiffin.integrations.kedro.isolation`), so a node writing into its input
        changes neither the caller's object nor the next call.
        """
        if self._steps is None:
            self.compile()
        data = dict(feed)
        for step in self._steps or ():
            try:  # only the lookups: a KeyError from the node itself is the node's own error
                args = [data[a] for a in step.args]
                kwargs = {k: data[v] for k, v in step.kwargs.items()}
            except KeyError as e:
                raise PipelineModelError(
                    f"node {step.name!r}: no value for input {e.args[0]!r}"
                ) from e
            _store(step, step.func(*args, **kwargs), data)
        wanted = list(outputs) if outputs is not None else self.terminal_outputs()
        return {name: data[name] for name in wanted}


def _store(step: _Step, result: Any, data: dict[str, Any]) -> None:
    out = step.outputs
    if out is None:
        return
    if isinstance(out, str):
        data[data_name(out)] = result
    elif isinstance(out, dict):
        for key, name in out.items():
            data[data_name(name)] = result[key]
    else:
        if not isinstance(result, list | tuple) or len(result) != len(out):
            raise PipelineModelError(
                f"node {step.name!r}: declares {len(out)} outputs {out} but returned "
                f"{type(result).__name__}"
            )
        for name, value in zip(out, result, strict=True):
            data[data_name(name)] = value


def _plain(value: Any) -> Names:
    """Kedro keeps inputs/outputs as str, list or dict; store them as plain YAML types."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return [str(v) for v in value]
