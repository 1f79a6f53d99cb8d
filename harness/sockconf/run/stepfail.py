"""How a verb says that its step failed: what it expected and what it saw."""
import time


class StepFailed(Exception):
    def __init__(self, message, expected=None, actual=None):
        super().__init__(message)
        self.expected = expected
        self.actual = actual


def nothing_for(seconds, wait, message, expected, describe):
    """WAIT(deadline) must return None for SECONDS; otherwise the step fails
    with MESSAGE, EXPECTED and DESCRIBE(what WAIT returned)."""
    got = wait(time.monotonic() + seconds)
    if got is not None:
        raise StepFailed(message, expected=expected, actual=describe(got))
