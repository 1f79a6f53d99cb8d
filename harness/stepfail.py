"""How a verb says that its step failed: what it expected and what it saw."""


class StepFailed(Exception):
    def __init__(self, message, expected=None, actual=None):
        super().__init__(message)
        self.expected = expected
        self.actual = actual
