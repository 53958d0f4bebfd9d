# Getting the images: the real archive (downloaded and checked) or a synthetic one, then unpickling.


# An archive already in place (downloaded or placed by hand) is a plain source file, not a job's output:
# then no change of dataset.url, of the download code or a --forceall can make Snakemake delete it to fetch
# it again (the md5 says what the data is; the URL only where to get it). unpickle still checks its md5;
# to download again, delete the archive.
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


rule synthetic_archive:
    output:
        archive=SYNTHETIC_ARCHIVE,
    log:
        f"{LOGS}/synthetic_archive.log",
    conda:
        "../../envs/imgbench.yaml"
    params:
        seed=config["seed"],
        batch_images=config["dataset"]["synthetic_batch_images"],
    script:
        "../scripts/synthetic.py"


rule unpickle:
    input:
        archive=archive_path(),
    output:
        images=f"{RESULTS}/source/images.npy",
        labels=f"{RESULTS}/source/labels.npy",
    log:
        f"{LOGS}/unpickle.log",
    conda:
        "../../envs/imgbench.yaml"
    params:
        # The generated archive has no published checksum; a downloaded or hand-placed one is checked.
        md5=(
            ""
            if config["dataset"]["source"] == "synthetic"
            else config["dataset"]["md5"]
        ),
    script:
        "../scripts/unpickle.py"
