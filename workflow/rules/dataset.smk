# Getting the images: the real archive (downloaded and checked) or a synthetic one, then unpickling.


rule download:
    output:
        archive="resources/cifar-10-python.tar.gz",
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
        archive="resources/synthetic/cifar-10-python.tar.gz",
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
