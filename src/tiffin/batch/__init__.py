"""Batch prediction over files: stream CSV, Parquet or JSON Lines through a model in chunks."""
