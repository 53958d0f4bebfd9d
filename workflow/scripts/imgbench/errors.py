"""Errors the pipeline raises on purpose, each with a message a user can act on."""


class BenchmarkError(Exception):
    """A clear, expected failure: the message says what failed and how to proceed."""


class RetryStore(Exception):
    """A method had to grow (e.g. an LMDB map): the attempt is discarded and the store redone."""
