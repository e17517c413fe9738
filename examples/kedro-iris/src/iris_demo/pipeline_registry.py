"""Two pipelines; ``pipeline_ml_factory`` pairs them so training logs the inference one."""

from __future__ import annotations

from kedro.pipeline import Pipeline, node

from iris_demo import nodes
from tiffin.integrations.kedro import pipeline_ml_factory


def register_pipelines() -> dict[str, Pipeline]:
    shared = [
        node(nodes.preprocess, "features", "clean_features", name="preprocess"),
        node(nodes.encode, ["scaler", "clean_features"], "encoded", name="encode"),
    ]
    training = Pipeline(
        [
            node(nodes.split_columns, "iris", ["features", "labels"], name="split_columns"),
            node(nodes.fit_scaler, "clean_features", "scaler", name="fit_scaler"),
            node(nodes.fit_label_encoder, "labels", "label_encoder", name="fit_label_encoder"),
            *shared,
            node(
                nodes.train_model,
                ["encoded", "labels", "label_encoder", "params:model_options"],
                "classifier",
                name="train_model",
            ),
            node(
                nodes.evaluate,
                ["classifier", "encoded", "labels", "label_encoder"],
                "metrics",
                name="evaluate",
            ),
        ]
    )
    inference = Pipeline(
        [
            *shared,
            node(
                nodes.predict,
                {"classifier": "classifier", "encoded": "encoded", "threshold": "params:threshold"},
                "predictions",
                name="predict",
            ),
            node(nodes.decode, ["label_encoder", "predictions"], "predicted_labels", name="decode"),
        ]
    )
    training = pipeline_ml_factory(
        training=training,
        inference=inference,
        input_name="features",
        registered_model_name="iris",
        alias="champion",
    )
    return {"training": training, "inference": inference, "__default__": training}
