"""A run's JUnit file (pytest's junitxml): where it is and what it says,
one reader for the driver, the mutants, the soak and the bench."""
import os
import re
import xml.etree.ElementTree as ET

from sockconf.paths import REPORTS
from sockconf.verdicts import of_junit

NAME_RE = re.compile(r"^test_case\[(.*)\]$")


def path(label):
    """Where a run labelled LABEL writes its JUnit file."""
    return os.path.join(REPORTS, label + ".junit.xml")


def testcases(junit_path):
    """(case/variant, seconds, <testcase> element) of every case run in the file."""
    for test in ET.parse(junit_path).getroot().iter("testcase"):
        yield NAME_RE.sub(r"\1", test.get("name")), float(test.get("time") or 0.0), test


def verdicts(junit_path):
    """{case/variant: Verdict} from a run's JUnit file."""
    return {name: of_junit(test) for name, _, test in testcases(junit_path)}
