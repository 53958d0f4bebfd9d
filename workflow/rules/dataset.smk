# The source every later step reads (results/source/): prepared from the dataset that dataset.source names
# (a module of workflow/scripts/imgbench/datasets/), from the files it asks for (the downloaded archive, for
# cifar10) or none (synthetic, folder).


# An archive already in place (downloaded or placed by hand) is a plain source file, not a job's output:
# then no change of dataset.url, of the download code or a --forceall can make Snakemake delete it to fetch
# it again (the md5 says what the data is; the URL only where to get it). prepare_source still checks its
# md5; to download again, delete the archive.
if not Path(DOWNLOADED_ARCHIVE).exists():

    rule download:
        output:
            archive=DOWNLOADED_ARCHIVE,
        log:
            f"{LOGS}/download.log",
        conda:
            "../../envs/imgbench.yaml"
        params:
            url=config["dataset"].get("url", ""),
            md5=config["dataset"].get("md5", ""),
            speed_limit=config["dataset"]["download_speed_limit"],
            speed_time=config["dataset"]["download_speed_time"],
        script:
            "../scripts/download.py"


rule prepare_source:
    input:
        unpack(dataset_inputs),
    output:
        images=f"{RESULTS}/source/images.npy",
        labels=f"{RESULTS}/source/labels.npy",
        classes=f"{RESULTS}/source/classes.txt",
        info=f"{RESULTS}/source/source.json",
    log:
        f"{LOGS}/prepare_source.log",
    conda:
        "../../envs/imgbench.yaml"
    params:
        # What determines the source (a folder's fingerprint, synthetic's seed...), so that a change of any of
        # it, and of nothing else, prepares it again.
        dataset=DATASET_PARAMS,
    script:
        "../scripts/prepare_source.py"
