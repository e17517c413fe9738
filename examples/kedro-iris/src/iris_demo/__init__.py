"""iris_demo: the classic Kedro tutorial shape, logged and served with tiffin."""

__version__ = "0.1.0"
