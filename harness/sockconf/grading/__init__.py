"""make grade: a class of implementations graded into one results.json."""
