"""One round of a paired comparison in this fresh process (comparing.run_in_process starts it).

Usage: python -m imgbench.compare_round PLAN RESULT. PLAN is a pickled comparing.RoundPlan; RESULT gets the
pickled list of comparing.TurnResult, or the message of a BenchmarkError (exit status 0 in both cases:
any other failure is a crash, reported by the parent with this process's status and last line).
"""

import pickle
import sys
from pathlib import Path

from imgbench.comparing import play
from imgbench.errors import BenchmarkError


def main(plan_path: str, result_path: str) -> None:
    plan = pickle.loads(Path(plan_path).read_bytes())
    try:
        outcome = play(plan)
    except BenchmarkError as error:
        outcome = str(error)
    partial = Path(f"{result_path}.partial")
    partial.write_bytes(pickle.dumps(outcome))
    partial.rename(result_path)  # the parent never reads half a result


if __name__ == "__main__":
    main(*sys.argv[1:])
