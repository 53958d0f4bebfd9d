"""Write results/environment.json: the machine, software and config these results were measured with."""

import json
from pathlib import Path

from imgbench.environment import environment_record
from imgbench.fsutil import write_text_atomic
from imgbench.job import logged

with logged(snakemake):
    output = Path(snakemake.output.record)
    source = json.loads(Path(snakemake.input.source).read_text())  # results/source/source.json
    record = environment_record(output.parent, Path(snakemake.params.workflow_dir), dict(snakemake.config), source)
    record["ceilings"] = json.loads(Path(snakemake.input.ceilings).read_text())  # measured in this run
    write_text_atomic(output, json.dumps(record, indent=2, default=str) + "\n")
