"""The torch side: data, problems, models, FLOPs, engines, the run loop, executors and the CLI."""
