"""The primer's helper process: for each size read from stdin, fill that many bytes and free them, then
answer with its resident peak (memory.Primer starts it; it ends at end of input, when its job does).

Usage: python -m imgbench.primer   (one decimal size per line in; "ok PEAK_BYTES" per line out)
"""

import sys

import numpy as np

from imgbench.memory import resident_peak_bytes


def main() -> None:
    for line in sys.stdin:
        filled = np.ones(int(line), dtype=np.uint8)  # every page touched
        del filled  # freed at once: the pages are the guest's, ready for the job's operation
        sys.stdout.write(f"ok {resident_peak_bytes()}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
