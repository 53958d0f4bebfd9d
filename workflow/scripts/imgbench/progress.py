"""Progress bars that stay quiet: nothing for short loops, a few lines when stderr is not a terminal."""

import sys

from tqdm import tqdm


def progress(iterable=None, total=None, desc="", unit="it", **kwargs):
    interactive = sys.stderr.isatty()
    return tqdm(
        iterable,
        total=total,
        desc=desc,
        unit=unit,
        delay=0 if unit == "B" else 2,  # loops shorter than 2 s print nothing
        mininterval=0.2 if interactive else 30,  # a few lines in a log, not thousands
        ascii=not interactive,
        file=sys.stderr,
        **kwargs,
    )
