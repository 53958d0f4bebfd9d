"""When to use each method and container: the README's "when to use it" column (readme.methods_table).

Written by hand from measured runs, not computed: each entry says what those runs showed on our 2-core VM
(docs/results-history.md gives the runs, their commands and figures). Change an entry only from a run.
"""

WHEN_TO_USE: dict[str, str] = {}
