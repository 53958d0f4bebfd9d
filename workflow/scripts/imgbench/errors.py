"""Errors the pipeline raises on purpose, each with a message a user can act on."""


class BenchmarkError(Exception):
    """A clear, expected failure: the message says what failed and how to proceed."""


class RetryStore(Exception):
    """A method had to grow (e.g. an LMDB map): the attempt is discarded and the store redone from empty,
    with the writer options changed as ``options`` says (kept for the later repeats of the same job)."""

    def __init__(self, reason: str, options: dict):
        super().__init__(reason)
        self.options = options
