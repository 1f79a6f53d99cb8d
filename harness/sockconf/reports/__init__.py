"""What runs report: the summary, JUnit, results.json, blame, HTML and charts."""
