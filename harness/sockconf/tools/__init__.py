"""The suite's own tools: mutants, soak, bench."""
