# Figures, the markdown summary and the pages of the Snakemake report, read from the aggregated tables.
# Every figure and page is marked with report(), so `snakemake --report results/report.html` shows them.
from imgbench import plots


rule figures:
    input:
        summary=rules.aggregate.output.summary,
        usage=rules.aggregate.output.usage,
        scaling=rules.aggregate.output.scaling,
        comparisons=rules.aggregate.output.comparisons,
    output:
        # One named PNG per figure in plots.FIGURES, each with its own caption (workflow/report/<name>.rst).
        **{
            name: report(
                f"{RESULTS}/figures/{name}.png",
                caption=f"../report/{name}.rst",
                category=category,
                subcategory=subcategory,
            )
            for name, (category, subcategory) in plots.FIGURES.items()
        },
    log:
        f"{LOGS}/figures.log",
    conda:
        "../../envs/imgbench.yaml"
    script:
        "../scripts/figures.py"


# One job writes the markdown and both HTML pages: they show the same headline tables.
rule summary_markdown:
    input:
        summary=rules.aggregate.output.summary,
        usage=rules.aggregate.output.usage,
        environment=rules.environment.output.record,
        comparisons=rules.aggregate.output.comparisons,
    output:
        markdown=f"{RESULTS}/summary.md",
        summary_html=report(
            f"{RESULTS}/summary.html",
            caption="../report/summary_table.rst",
            category="Tables",
            subcategory="Summary",
        ),
        environment_html=report(
            f"{RESULTS}/environment.html",
            caption="../report/environment.rst",
            category="Machine and config",
            subcategory="Record",
        ),
    log:
        f"{LOGS}/summary_markdown.log",
    conda:
        "../../envs/imgbench.yaml"
    script:
        "../scripts/summary_markdown.py"
