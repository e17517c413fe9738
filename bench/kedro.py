"""Kedro pipeline models: per-call predict overhead and logging time, tiffin next to kedro-mlflow.

One tiny Kedro project, written to a temporary directory by this script, with a 3-node
inference pipeline ``preprocess -> predict(model, params:threshold) -> decode(label_encoder)``
paired with its training pipeline. It is built once per artifact size: ``tiny`` (the model
pickle is ~1 kB) and ``100 MB`` (the model object also carries a 100,000,000-byte float64
array that ``predict`` never reads). Both sides use the same project files and node functions;
``pipeline_registry.py`` calls tiffin's or kedro-mlflow's ``pipeline_ml_factory`` depending on
``KBENCH_SIDE``.

Each (side, size) runs in a fresh worker process: this same file, run with ``--worker``, by
``.venv/bin/python`` for tiffin and by a separate venv's python for kedro-mlflow (never
installed in ``.venv``: its hook would join every Kedro session of our tests). The worker:

1. trains with an in-process ``KedroSession`` (``pipeline_names=["training"]``); the hook's
   ``after_pipeline_run`` is wrapped to time the model logging at the end of training, and so
   is the call inside it (tiffin: ``log_pipeline_model``; kedro-mlflow: ``mlflow.pyfunc.log_model``,
   after building its ``KedroPipelineModel``, copying artifacts and inferring the signature).
   The first training in the fresh process is the figure (what ``kedro run`` pays, imports
   included); a second one, full mode only, shows the warm cost;
2. loads the registered model (tiffin: ``tiffin.pyfunc.load_model(uri, trust=True)``;
   kedro-mlflow: ``mlflow.pyfunc.load_model(uri)``);
3. times, per call, on 1-row and 100-row DataFrames, interleaved in rounds:
   ``floor``: the 3 node functions called in order on the artifacts (unpickled from the
   project's ``data/06_models``); ``pyfunc``: the pyfunc model's ``predict(df, params=...)``;
   ``raw``: the object under the pyfunc wrapper (tiffin's ``PipelinePredictor.predict``,
   kedro-mlflow's ``KedroPipelineModel.predict``), for information; ``isolation`` (tiffin
   only): the copies ``predict`` makes so that no node sees the caller's input or a shared
   artifact (a shallow copy of the DataFrame under pandas copy-on-write, guarded artifacts and
   params), which ``raw`` and ``pyfunc`` include.

Overhead = the *paired* median over rounds of ``pyfunc - floor`` (the two samples of a round ran
moments apart). Targets (tiffin): overhead < 1 ms with the 100 MB artifact; overhead independent
of the artifact size, read as |overhead(100 MB) - overhead(tiny)| < 0.5 ms; logging at the end
of training (the whole ``after_pipeline_run``, first training in the process) < 2 s.

Usage::

    .venv/bin/python bench/kedro.py                      # about 65 s on 2 cores
    .venv/bin/python bench/kedro.py --quick              # fewer rounds, one training per side
    .venv/bin/python bench/kedro.py --skip-kedro-mlflow  # tiffin and the floor only
    .venv/bin/python bench/kedro.py --kedro-mlflow-python /path/to/venv/bin/python

Without ``--kedro-mlflow-python`` the kedro-mlflow venv is ``/tmp/tiffin-bench-kedro-mlflow``,
created on first use (``python -m venv`` + ``pip install kedro==1.7.0 kedro-mlflow==2.0.3 ...``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# This file is named kedro.py: run as a script, its folder comes first on sys.path and
# ``import kedro`` would import this file. Move the folder last (``_common`` still imports).
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() != BENCH_DIR]
sys.path.append(str(BENCH_DIR))

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import textwrap  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

TIFFIN, KEDRO_MLFLOW = "tiffin", "kedro-mlflow"
SIZES = {"tiny": 0, "100 MB": 100_000_000}  # bytes of the ballast array in the model object
ROWS = (1, 100)
DEFAULT_VENV = Path("/tmp/tiffin-bench-kedro-mlflow")
KEDRO_MLFLOW_PACKAGES = [
    "kedro==1.7.0",
    "kedro-mlflow==2.0.3",
    "kedro-datasets[pandas-csvdataset,pickle-pickledataset]",
    "scikit-learn",
    "pandas",
    "numpy",
]
PACKAGE = "kbench"
FEATURES = ["f0", "f1", "f2", "f3"]
THRESHOLD = 0.5
OVERHEAD_MAX_MS = 1.0
SIZE_DRIFT_MAX_MS = 0.5
LOGGING_MAX_S = 2.0

# --- the Kedro project ---------------------------------------------------------------------

NODES_PY = '''\
"""Node functions shared by training and inference (the same file on both sides)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import LabelEncoder

FEATURES = ["f0", "f1", "f2", "f3"]


@dataclass
class BallastModel:
    """A classifier plus an array predict never reads: it only makes the artifact big."""

    classifier: LogisticRegression
    ballast: np.ndarray


def split(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    return raw[FEATURES], raw["label"]


def fit_label_encoder(labels: pd.Series) -> LabelEncoder:
    return LabelEncoder().fit(labels)


def preprocess(features: pd.DataFrame) -> np.ndarray:
    return features[FEATURES].to_numpy(dtype="float64")


def train(
    x: np.ndarray, labels: pd.Series, label_encoder: LabelEncoder, ballast_bytes: int
) -> BallastModel:
    classifier = LogisticRegression(max_iter=500).fit(x, label_encoder.transform(labels))
    return BallastModel(classifier, np.arange(ballast_bytes // 8, dtype=np.float64))


def predict(model: BallastModel, x: np.ndarray, threshold: float) -> np.ndarray:
    proba = model.classifier.predict_proba(x)
    return np.where(proba.max(axis=1) >= threshold, proba.argmax(axis=1), -1)


def decode(label_encoder: LabelEncoder, predictions: np.ndarray) -> pd.DataFrame:
    classes = label_encoder.classes_
    return pd.DataFrame({"label": [classes[i] if i >= 0 else "unsure" for i in predictions]})
'''

REGISTRY_PY = '''\
"""Training + inference; KBENCH_SIDE picks whose pipeline_ml_factory pairs them."""

from __future__ import annotations

import os

from kedro.pipeline import Pipeline, node

from kbench import nodes


def register_pipelines() -> dict[str, Pipeline]:
    preprocess = node(nodes.preprocess, "features", "x", name="preprocess")
    training = Pipeline(
        [
            node(nodes.split, "raw", ["features", "labels"], name="split"),
            node(nodes.fit_label_encoder, "labels", "label_encoder", name="fit_label_encoder"),
            preprocess,
            node(
                nodes.train,
                ["x", "labels", "label_encoder", "params:ballast_bytes"],
                "model",
                name="train",
            ),
        ]
    )
    inference = Pipeline(
        [
            preprocess,
            node(nodes.predict, ["model", "x", "params:threshold"], "predictions", name="predict"),
            node(nodes.decode, ["label_encoder", "predictions"], "predicted_labels", name="decode"),
        ]
    )
    if os.environ.get("KBENCH_SIDE") == "kedro-mlflow":
        from kedro_mlflow.pipeline import pipeline_ml_factory

        paired = pipeline_ml_factory(
            training=training,
            inference=inference,
            input_name="features",
            log_model_kwargs={"registered_model_name": "kbench"},
        )
    else:
        from tiffin.integrations.kedro import pipeline_ml_factory

        paired = pipeline_ml_factory(
            training=training,
            inference=inference,
            input_name="features",
            registered_model_name="kbench",
            alias="champion",
        )
    return {"training": paired, "inference": inference, "__default__": paired}
'''

CATALOG_YML = """\
raw:
  type: pandas.CSVDataset
  filepath: data/01_raw/train.csv
features:
  type: pandas.CSVDataset
  filepath: data/02_intermediate/features.csv
model:
  type: pickle.PickleDataset
  filepath: data/06_models/model.pkl
label_encoder:
  type: pickle.PickleDataset
  filepath: data/06_models/label_encoder.pkl
"""

# Kedro's default is a rich handler at INFO: its output would dominate the measured process.
LOGGING_YML = """\
version: 1
disable_existing_loggers: false
formatters:
  simple:
    format: "%(asctime)s %(levelname)s %(name)s: %(message)s"
handlers:
  console:
    class: logging.StreamHandler
    level: WARNING
    formatter: simple
    stream: ext://sys.stderr
root:
  level: WARNING
  handlers: [console]
"""


def write_project(root: Path, ballast_bytes: int, side: str) -> None:
    """A minimal Kedro project: pyproject ``[tool.kedro]``, src/kbench, conf, raw data."""
    import numpy as np
    import pandas as pd

    src = root / "src" / PACKAGE
    src.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(f"""\
        [project]
        name = "{PACKAGE}"
        version = "0.1.0"

        [tool.kedro]
        package_name = "{PACKAGE}"
        project_name = "{PACKAGE}"
        kedro_init_version = "1.7.0"
        source_dir = "src"
        """)
    )
    (src / "__init__.py").write_text('"""Benchmark project."""\n\n__version__ = "0.1.0"\n')
    (src / "settings.py").write_text('"""Defaults only; hooks come from entry points."""\n')
    (src / "nodes.py").write_text(NODES_PY)
    (src / "pipeline_registry.py").write_text(REGISTRY_PY)
    base = root / "conf" / "base"
    base.mkdir(parents=True)
    (root / "conf" / "local").mkdir()
    (base / "catalog.yml").write_text(CATALOG_YML)
    (base / "parameters.yml").write_text(
        f"threshold: {THRESHOLD}\nballast_bytes: {ballast_bytes}\n"
    )
    if side == KEDRO_MLFLOW:  # its default file store is refused by mlflow >= 3.13
        (base / "mlflow.yml").write_text(
            "server:\n"
            f"  mlflow_tracking_uri: sqlite:///{root / 'mlflow.db'}\n"
            "tracking:\n"
            "  experiment:\n"
            "    name: kbench\n"
        )
    rng = np.random.default_rng(0)
    centers = np.array([[0, 0, 0, 0], [2, 2, 0, 1], [0, 2, 2, -1]], dtype=float)
    y = rng.integers(0, 3, 600)
    x = centers[y] + rng.standard_normal((600, 4))
    frame = pd.DataFrame(x, columns=FEATURES)
    frame["label"] = np.array(["setosa", "versicolor", "virginica"])[y]
    (root / "data" / "01_raw").mkdir(parents=True)
    frame.to_csv(root / "data" / "01_raw" / "train.csv", index=False)


# --- the worker (runs in the side's own venv) ---------------------------------------------


class _Timings:
    """What the wrapped hook methods record during one training session."""

    def __init__(self) -> None:
        self.hook_s: list[float] = []
        self.inner_s: list[float] = []
        self.model_uris: list[str] = []


def _timed(func: Any, sink: list[float], after: Any = None) -> Any:
    """``func`` wrapped to append its duration to ``sink`` (pluggy reads the wrapped signature)."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            result = func(*args, **kwargs)
        finally:
            sink.append(time.perf_counter() - start)
        if after is not None:
            after(result)
        return result

    return wrapper


def _instrument(side: str, timings: _Timings) -> None:
    """Wrap the end-of-training hook and the model-logging call inside it, before any session."""
    if side == TIFFIN:
        import tiffin.integrations.kedro.model_logging as model_logging
        from tiffin.integrations.kedro.hook import TiffinHook

        model_logging.log_pipeline_model = _timed(
            model_logging.log_pipeline_model,
            timings.inner_s,
            after=lambda info: timings.model_uris.append(info.model_uri),
        )
        TiffinHook.after_pipeline_run = _timed(TiffinHook.after_pipeline_run, timings.hook_s)
    else:
        import mlflow.pyfunc
        from kedro_mlflow.framework.hooks.mlflow_hook import MlflowHook

        mlflow.pyfunc.log_model = _timed(
            mlflow.pyfunc.log_model,
            timings.inner_s,
            after=lambda info: timings.model_uris.append(info.model_uri),
        )
        MlflowHook.after_pipeline_run = _timed(MlflowHook.after_pipeline_run, timings.hook_s)


def _train(project: Path, trainings: int, timings: _Timings) -> list[float]:
    """Run the training pipeline ``trainings`` times, each in a new session; wall times."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(project)
    walls = []
    for _ in range(trainings):
        start = time.perf_counter()
        with KedroSession.create(project_path=project) as session:
            session.run(pipeline_names=["training"])
        walls.append(time.perf_counter() - start)
    if len(timings.hook_s) != trainings or len(timings.model_uris) != trainings:
        raise RuntimeError(
            f"expected {trainings} logged models, hook ran {len(timings.hook_s)} times and "
            f"logged {timings.model_uris}"
        )
    return walls


def _load(side: str, project: Path, uri: str) -> tuple[Any, Any, Any]:
    """(pyfunc model, raw predict callable taking (df, params), requirements text)."""
    if side == TIFFIN:
        import tiffin
        import tiffin.pyfunc

        tiffin.set_tracking_uri(f"sqlite:///{project / 'tiffin.db'}")
        model = tiffin.pyfunc.load_model(uri, trust=True)
        raw = model.get_raw_model()
        requirements = (model.model_dir / "requirements.txt").read_text()
        return model, raw.predict, requirements
    import mlflow
    import mlflow.pyfunc

    mlflow.set_tracking_uri(f"sqlite:///{project / 'mlflow.db'}")
    model = mlflow.pyfunc.load_model(uri)
    kpm = model.unwrap_python_model()
    local = Path(mlflow.artifacts.download_artifacts(uri))
    requirements = (local / "requirements.txt").read_text()

    def raw(df: Any, params: Any) -> Any:
        return kpm.predict(None, df, params)

    return model, raw, requirements


def _floor_predict(df: Any, fns: Any, model: Any, encoder: Any, threshold: float) -> Any:
    """The floor: the three node functions, called in order, nothing else."""
    preprocess, predict, decode = fns
    return decode(encoder, predict(model, preprocess(df), threshold))


def _isolation(predictor: Any, df: Any, params: Any) -> None:
    """The copies tiffin's predict makes before the first node runs (part of ``raw``)."""
    from tiffin.integrations.kedro.isolation import guard_shared, isolate_input

    feed = {name: guard_shared(value) for name, value in predictor._base.items()}
    feed.update({"params:" + k: isolate_input(v) for k, v in params.items()})
    feed[predictor.input_names[0]] = isolate_input(df)


def _calibrate(fn: Any, sample_seconds: float) -> int:
    import timeit

    number, elapsed = timeit.Timer(fn).autorange()
    return max(1, round(number * sample_seconds / elapsed))


def worker(args: argparse.Namespace) -> int:
    """Train, load, time; write one JSON object to the real stdout."""
    real_stdout = os.dup(1)
    os.dup2(2, 1)  # everything else (mlflow prints, subprocesses) goes to stderr
    import logging
    import pickle
    import timeit
    import warnings
    from functools import partial

    warnings.filterwarnings("ignore")
    for name in ("mlflow", "kedro", "kedro_mlflow", "tiffin", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    side, project = args.worker, Path(args.project)
    os.chdir(project)
    timings = _Timings()
    _instrument(side, timings)
    walls = _train(project, args.trainings, timings)
    print(f"[{side}] trained {args.trainings}x: hook {timings.hook_s}", file=sys.stderr)

    import numpy as np
    import pandas as pd

    start = time.perf_counter()
    model, raw, requirements = _load(side, project, timings.model_uris[-1])
    load_s = time.perf_counter() - start

    import kbench.nodes as nodes  # on sys.path since bootstrap_project

    models_dir = project / "data" / "06_models"
    with open(models_dir / "model.pkl", "rb") as f:
        artifact = pickle.load(f)
    with open(models_dir / "label_encoder.pkl", "rb") as f:
        encoder = pickle.load(f)
    fns = (nodes.preprocess, nodes.predict, nodes.decode)
    params = {"threshold": THRESHOLD}
    rng = np.random.default_rng(1)
    samples: dict[str, dict[str, list[float]]] = {}
    for n_rows in ROWS:
        df = pd.DataFrame(rng.standard_normal((n_rows, len(FEATURES))), columns=FEATURES)
        variants = [
            ("floor", partial(_floor_predict, df, fns, artifact, encoder, THRESHOLD)),
            ("pyfunc", partial(model.predict, df, params=params)),
            ("raw", partial(raw, df, params)),
        ]
        if side == TIFFIN:  # what predict pays so no node sees the caller's or shared objects
            variants.append(("isolation", partial(_isolation, model.get_raw_model(), df, params)))
        expected = variants[0][1]()
        for name, fn in variants:  # same answer everywhere, and a warm-up
            got = fn()
            if name == "isolation":
                continue
            if not expected.equals(pd.DataFrame(got)):
                raise RuntimeError(f"{side} {name}: output differs from the floor:\n{got}")
            for _ in range(2):
                fn()
        numbers = {name: _calibrate(fn, args.sample_seconds) for name, fn in variants}
        per_rows: dict[str, list[float]] = {name: [] for name, _ in variants}
        for i in range(args.rounds):
            shift = i % len(variants)
            for name, fn in variants[shift:] + variants[:shift]:
                number = numbers[name]
                per_rows[name].append(timeit.Timer(fn).timeit(number) / number)
        samples[str(n_rows)] = per_rows
        print(f"[{side}] {n_rows} rows: calls per sample {numbers}", file=sys.stderr)

    from importlib.metadata import version

    result = {
        "side": side,
        "artifact_bytes": (models_dir / "model.pkl").stat().st_size,
        "hook_s": timings.hook_s,
        "log_model_s": timings.inner_s,
        "session_run_s": walls,
        "model_uri": timings.model_uris[-1],
        "load_s": load_s,
        "requirements": requirements.split(),
        "samples": samples,
        "versions": {
            d: version(d)
            for d in ("kedro", "kedro-datasets", "mlflow", "pandas", "numpy", "scikit-learn")
        },
    }
    with os.fdopen(real_stdout, "w") as out:
        out.write(json.dumps(result) + "\n")
    return 0


# --- the orchestrator -----------------------------------------------------------------------


def ensure_kedro_mlflow_python(explicit: str | None) -> str:
    """The python of a venv with kedro-mlflow; create the default venv if it is missing."""
    check = "import kedro, kedro_mlflow, kedro_datasets.pickle, kedro_datasets.pandas, sklearn"
    if explicit:
        try:
            ok = subprocess.run([explicit, "-c", check]).returncode == 0
        except OSError:
            ok = False
        if not ok:
            raise SystemExit(f"{explicit} cannot import kedro-mlflow and its datasets ({check})")
        return explicit
    python = DEFAULT_VENV / "bin" / "python"
    if python.exists() and subprocess.run([python, "-c", check]).returncode == 0:
        return str(python)
    print(
        f"creating the kedro-mlflow venv {DEFAULT_VENV} (python -m venv + pip install "
        f"{' '.join(KEDRO_MLFLOW_PACKAGES)}): a minute or two",
        flush=True,
    )
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(DEFAULT_VENV)], check=True)
    proc = subprocess.run(
        [python, "-m", "pip", "install", "-q", *KEDRO_MLFLOW_PACKAGES],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"pip install into {DEFAULT_VENV} failed:\n{proc.stderr[-3000:]}")
    subprocess.run([python, "-c", check], check=True)
    return str(python)


def run_worker(
    python: str, side: str, project: Path, args: argparse.Namespace, logging_yml: Path
) -> dict[str, Any]:
    from _common import child_env

    env = child_env()
    for key in ("TIFFIN_TRACKING_URI", "MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        env.pop(key, None)
    env.update(
        KEDRO_DISABLE_TELEMETRY="true",
        KEDRO_LOGGING_CONFIG=str(logging_yml),
        KBENCH_SIDE=side,
        # what an installed project gives: mlflow's requirement inference subprocess imports it;
        # a caller's PYTHONPATH (a worktree's src/) stays after it
        PYTHONPATH=os.pathsep.join([str(project / "src"), *filter(None, [env.get("PYTHONPATH")])]),
    )
    argv = [python, str(BENCH_DIR / "kedro.py"), "--worker", side, "--project", str(project)]
    argv += ["--rounds", str(args.rounds), "--sample-seconds", str(args.sample_seconds)]
    argv += ["--trainings", str(args.trainings)]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{side} worker failed ({proc.returncode}):\n{proc.stderr[-5000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f}" if seconds < 0.01 else f"{seconds * 1e3:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, one training")
    parser.add_argument("--skip-kedro-mlflow", action="store_true", help="tiffin side only")
    parser.add_argument("--kedro-mlflow-python", help=f"default: {DEFAULT_VENV}/bin/python")
    parser.add_argument("--keep", action="store_true", help="keep the temporary projects")
    parser.add_argument("--worker", choices=(TIFFIN, KEDRO_MLFLOW), help=argparse.SUPPRESS)
    parser.add_argument("--project", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sample-seconds", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--trainings", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)

    from _common import Report

    args.rounds = args.rounds or (11 if args.quick else 41)
    args.sample_seconds = args.sample_seconds or (0.01 if args.quick else 0.02)
    args.trainings = args.trainings or (1 if args.quick else 2)
    pythons = {TIFFIN: sys.executable}
    if not args.skip_kedro_mlflow:
        pythons[KEDRO_MLFLOW] = ensure_kedro_mlflow_python(args.kedro_mlflow_python)
    report = Report("kedro", "Kedro pipeline model: predict per call, logging at end of training")
    tmp = Path(tempfile.mkdtemp(prefix="tiffin-bench-kedro-"))
    results: dict[tuple[str, str], dict[str, Any]] = {}
    started = time.perf_counter()
    try:
        logging_yml = tmp / "logging.yml"
        logging_yml.write_text(LOGGING_YML)
        for size, ballast in SIZES.items():
            for side, python in pythons.items():
                project = tmp / f"{side}-{size.replace(' ', '')}"
                write_project(project, ballast, side)
                t0 = time.perf_counter()
                results[side, size] = run_worker(python, side, project, args, logging_yml)
                print(f"  {side}, {size}: done in {time.perf_counter() - t0:.0f} s", flush=True)
    finally:
        if args.keep:
            print(f"projects kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    for (side, size), res in results.items():
        for n_rows, per_variant in res["samples"].items():
            for variant, values in per_variant.items():
                for value in values:
                    report.add(f"{size} {side} {n_rows}r: {variant}", value)
        report.add(f"{size} {side}: logging, first training", res["hook_s"][0])
        report.add(f"{size} {side}: log_model call, first training", res["log_model_s"][0])
        for value in res["hook_s"][1:]:
            report.add(f"{size} {side}: logging, warm", value)

    def overhead(side: str, size: str, n_rows: int, variant: str = "pyfunc") -> float:
        base = f"{size} {side} {n_rows}r: "
        return report.paired(base + variant, base + "floor", how="diff")

    print(f"\n== Kedro pipeline model: 3 nodes, {args.rounds} rounds, medians ==")
    head = (
        f"{'side':<13}{'artifact':>9}{'rows':>5}{'floor ms':>10}{'predict ms':>11}"
        f"{'overhead ms':>12}{'vs tiffin':>10}{'raw ms':>9}{'logging s':>10}"
    )
    print(head)
    for size in SIZES:
        for n_rows in ROWS:
            for side in pythons:
                base = f"{size} {side} {n_rows}r: "
                over = overhead(side, size, n_rows)
                ref = overhead(TIFFIN, size, n_rows)
                report.derived[f"{size} {side} {n_rows}r: overhead ms (paired)"] = over * 1e3
                report.derived[f"{size} {side} {n_rows}r: raw overhead ms (paired)"] = (
                    overhead(side, size, n_rows, "raw") * 1e3
                )
                logging_s = results[side, size]["hook_s"][0]
                print(
                    f"{side:<13}{size:>9}{n_rows:>5}{_ms(report.med(base + 'floor')):>10}"
                    f"{_ms(report.med(base + 'pyfunc')):>11}{_ms(over):>12}"
                    f"{over / ref:>9.1f}x{_ms(report.med(base + 'raw')):>9}{logging_s:>10.2f}"
                )
    for size in SIZES:
        for n_rows in ROWS:
            label = f"{size} {TIFFIN} {n_rows}r: isolation"
            report.derived[f"{label} (inputs copied, shared values guarded), us"] = (
                report.med(label) * 1e6
            )
    print("\n== end of training (seconds; first training in a fresh process, then warm) ==")
    print(
        f"{'side':<13}{'artifact':>9}{'pickle MB':>10}{'hook':>7}{'log_model':>10}"
        f"{'warm hook':>10}{'kedro run':>10}{'load model':>11}"
    )
    for (side, size), res in results.items():
        warm = f"{res['hook_s'][1]:.2f}" if len(res["hook_s"]) > 1 else "-"
        print(
            f"{side:<13}{size:>9}{res['artifact_bytes'] / 1e6:>10.1f}{res['hook_s'][0]:>7.2f}"
            f"{res['log_model_s'][0]:>10.2f}{warm:>10}{res['session_run_s'][0]:>10.2f}"
            f"{res['load_s']:>11.2f}"
        )
    for side in pythons:
        res = results[side, "100 MB"]
        report.notes.append(
            f"{side}: versions {res['versions']}; requirements.txt {res['requirements']}"
        )
    report.notes.append(
        "logging = the hook's whole after_pipeline_run (model logging + registration + ending "
        "the run); log_model = tiffin log_pipeline_model / kedro-mlflow mlflow.pyfunc.log_model"
    )

    big, tiny = "100 MB", "tiny"
    for n_rows in ROWS:
        over = overhead(TIFFIN, big, n_rows) * 1e3
        report.target(
            f"tiffin overhead < {OVERHEAD_MAX_MS:g} ms, {n_rows} row(s), 100 MB artifact",
            over,
            lambda v: v < OVERHEAD_MAX_MS,
            f"{over:.3f} ms paired (predict {_ms(report.med(f'{big} {TIFFIN} {n_rows}r: pyfunc'))}"
            f" ms, floor {_ms(report.med(f'{big} {TIFFIN} {n_rows}r: floor'))} ms)",
        )
    for n_rows in ROWS:
        drift = (overhead(TIFFIN, big, n_rows) - overhead(TIFFIN, tiny, n_rows)) * 1e3
        report.derived[f"tiffin {n_rows}r: overhead 100 MB - tiny, ms"] = drift
        shown = f"{drift:+.3f} ms"
        if KEDRO_MLFLOW in pythons:
            kdrift = (
                overhead(KEDRO_MLFLOW, big, n_rows) - overhead(KEDRO_MLFLOW, tiny, n_rows)
            ) * 1e3
            report.derived[f"kedro-mlflow {n_rows}r: overhead 100 MB - tiny, ms"] = kdrift
            shown += f" (kedro-mlflow: {kdrift:+.1f} ms)"
        report.target(
            f"tiffin overhead independent of artifact size, {n_rows} row(s): "
            f"|100 MB - tiny| < {SIZE_DRIFT_MAX_MS:g} ms",
            drift,
            lambda v: abs(v) < SIZE_DRIFT_MAX_MS,
            shown,
        )
    for size in (big, tiny):
        res = results[TIFFIN, size]
        shown = f"{res['hook_s'][0]:.2f} s (log_pipeline_model {res['log_model_s'][0]:.2f} s)"
        if KEDRO_MLFLOW in pythons:
            kres = results[KEDRO_MLFLOW, size]
            shown += f"; kedro-mlflow {kres['hook_s'][0]:.2f} s"
            report.derived[f"{size}: kedro-mlflow / tiffin logging"] = (
                kres["hook_s"][0] / res["hook_s"][0]
            )
        report.target(
            f"tiffin logging at end of training < {LOGGING_MAX_S:g} s, {size} artifact",
            res["hook_s"][0],
            lambda v: v < LOGGING_MAX_S,
            shown,
        )
    report.print_table(floor=lambda label: label.rpartition(": ")[0] + ": floor")
    print(f"  whole benchmark: {time.perf_counter() - started:.0f} s")
    report.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
