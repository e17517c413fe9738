"""Project settings. The tiffin hook needs nothing here: Kedro finds it through its entry point."""
