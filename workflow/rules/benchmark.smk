# The timed jobs. Each takes one timing_slot, which the profile caps at 1, so Snakemake never starts two
# at once; each also holds the timing lock (imgbench.lock) while it measures, so two never overlap even
# without the profile or after Snakemake itself was killed. mem_mb and runtime are for cluster schedulers (profiles/slurm):
# memory is bounded by chunking whatever the cutoff.


rule store:
    input:
        images=rules.prepare_source.output.images,
        labels=rules.prepare_source.output.labels,
    output:
        store=directory(f"{RESULTS}/stores/{{method}}/{{n_images}}"),
        timings=f"{RESULTS}/raw/store/{{method}}/{{n_images}}.csv",
        usage=f"{RESULTS}/raw/usage/{{method}}/{{n_images}}.csv",
    log:
        f"{LOGS}/store/{{method}}/{{n_images}}.log",
    conda:
        "../../envs/imgbench.yaml"
    resources:
        timing_slot=1,
        mem_mb=1024,
        runtime=runtime_minutes,
    params:
        settings=store_settings,
        timing_lock=TIMING_LOCK,
    script:
        "../scripts/store.py"


rule read:
    input:
        images=rules.prepare_source.output.images,
        labels=rules.prepare_source.output.labels,
        store=rules.store.output.store,
    output:
        timings=f"{RESULTS}/raw/read/{{method}}/{{n_images}}.csv",
    log:
        f"{LOGS}/read/{{method}}/{{n_images}}.log",
    conda:
        "../../envs/imgbench.yaml"
    resources:
        timing_slot=1,
        mem_mb=1024,
        runtime=runtime_minutes,
    params:
        settings=read_settings,
        timing_lock=TIMING_LOCK,
        patterns=read_patterns,
    script:
        "../scripts/read.py"


rule single:
    input:
        images=rules.prepare_source.output.images,
        labels=rules.prepare_source.output.labels,
    output:
        store=directory(f"{RESULTS}/stores/{{method}}/single"),
        timings=f"{RESULTS}/raw/single/{{method}}.csv",
    log:
        f"{LOGS}/single/{{method}}.log",
    conda:
        "../../envs/imgbench.yaml"
    resources:
        timing_slot=1,
        mem_mb=1024,
        runtime=runtime_minutes,
    params:
        settings=single_settings,
        timing_lock=TIMING_LOCK,
    script:
        "../scripts/single.py"


rule compare:
    input:
        images=rules.prepare_source.output.images,
        labels=rules.prepare_source.output.labels,
        stores=compare_stores,
    output:
        rounds=f"{RESULTS}/raw/compare/{{n_images}}.csv",
    log:
        f"{LOGS}/compare/{{n_images}}.log",
    conda:
        "../../envs/imgbench.yaml"
    resources:
        timing_slot=1,
        mem_mb=1024,
        runtime=runtime_minutes,
    params:
        methods=config["methods"],
        settings=compare_settings,
        options=config["method_options"],
        compare=config["compare"] | {"seed": config["seed"]},
        timing_lock=TIMING_LOCK,
    script:
        "../scripts/compare.py"


rule ceilings:
    input:
        info=rules.prepare_source.output.info,
    output:
        ceilings=f"{RESULTS}/raw/ceilings.json",
    log:
        f"{LOGS}/ceilings.log",
    conda:
        "../../envs/imgbench.yaml"
    resources:
        timing_slot=1,
        mem_mb=2048,
        runtime=15,
    params:
        timing_lock=TIMING_LOCK,
    script:
        "../scripts/ceilings.py"


rule aggregate:
    input:
        timings=raw_timings(),
        usage=raw_usage(),
        comparisons=raw_comparisons(),
        ceilings=rules.ceilings.output.ceilings,
    output:
        timings=f"{RESULTS}/timings.csv",
        comparisons=f"{RESULTS}/comparisons.csv",
        usage=f"{RESULTS}/disk_usage.csv",
        summary=f"{RESULTS}/summary.csv",
        scaling=f"{RESULTS}/scaling.csv",
    log:
        f"{LOGS}/aggregate.log",
    conda:
        "../../envs/imgbench.yaml"
    params:
        precision=config["precision"],
    script:
        "../scripts/aggregate.py"


rule environment:
    input:
        rules.aggregate.output.timings,
        source=rules.prepare_source.output.info,
        ceilings=rules.ceilings.output.ceilings,
    output:
        record=f"{RESULTS}/environment.json",
    log:
        f"{LOGS}/environment.log",
    conda:
        "../../envs/imgbench.yaml"
    params:
        workflow_dir=workflow.basedir,
    script:
        "../scripts/record_environment.py"
