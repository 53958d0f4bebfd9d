# The timed jobs. Each takes one timing_slot; the profile caps timing_slot at 1, so no two timed jobs
# ever overlap, whatever --cores says. mem_mb and runtime are for cluster schedulers (profiles/slurm):
# memory is bounded by chunking whatever the cutoff.


rule store:
    input:
        images=rules.unpickle.output.images,
        labels=rules.unpickle.output.labels,
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
    script:
        "../scripts/store.py"


rule read:
    input:
        images=rules.unpickle.output.images,
        labels=rules.unpickle.output.labels,
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
        patterns=read_patterns,
    script:
        "../scripts/read.py"


rule single:
    input:
        images=rules.unpickle.output.images,
        labels=rules.unpickle.output.labels,
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
    script:
        "../scripts/single.py"


rule aggregate:
    input:
        timings=raw_timings(),
        usage=raw_usage(),
    output:
        timings=f"{RESULTS}/timings.csv",
        usage=f"{RESULTS}/disk_usage.csv",
        summary=f"{RESULTS}/summary.csv",
        scaling=f"{RESULTS}/scaling.csv",
    log:
        f"{LOGS}/aggregate.log",
    conda:
        "../../envs/imgbench.yaml"
    script:
        "../scripts/aggregate.py"


rule environment:
    input:
        rules.aggregate.output.timings,
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
