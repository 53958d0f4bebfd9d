# Store and read lots of images with several methods, and time it honestly.
# Run: snakemake --cores 1 (the workflow profile in profiles/default sets the defaults).


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/dataset.smk"
include: "workflow/rules/benchmark.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        final_outputs(),


onstart:
    before_run()


onsuccess:
    print_summary()
