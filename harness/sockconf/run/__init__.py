"""One case run: the engine walks the steps, actors act, the failure is reported."""
