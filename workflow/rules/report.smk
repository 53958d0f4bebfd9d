# Figures and the markdown summary, read from the aggregated tables.


rule figures:
    input:
        summary=rules.aggregate.output.summary,
        usage=rules.aggregate.output.usage,
        scaling=rules.aggregate.output.scaling,
    output:
        done=f"{RESULTS}/figures/.done",
    log:
        f"{LOGS}/figures.log",
    conda:
        "../../envs/imgbench.yaml"
    script:
        "../scripts/figures.py"


rule summary_markdown:
    input:
        summary=rules.aggregate.output.summary,
        usage=rules.aggregate.output.usage,
        environment=rules.environment.output.record,
    output:
        markdown=f"{RESULTS}/summary.md",
    log:
        f"{LOGS}/summary_markdown.log",
    conda:
        "../../envs/imgbench.yaml"
    script:
        "../scripts/summary_markdown.py"
