"""The tutorial's own way of storing and reading, re-typed from its description, timed as it does.

A reference for "ours is no slower than the tutorial's code doing the same work": warm cache, no fsync,
files left to the garbage collector, as the tutorial does. Each repeat writes into its own folder
(deleting many files slows creating files on some filesystems; docs/virtual-machines.md). What the
machine needs is applied as in our harness, so that only the code differs: os.sync() before each store,
and memory priming by memory.worth_priming's rule. Writes one CSV row per timing, which
`python -m imgbench.readme RESULTS README.md TUTORIAL` puts beside the run's own medians.

Usage: PYTHONPATH=workflow/scripts python benchmarks/tutorial_baseline.py SOURCE_DIR WORK_DIR N [REPEATS] [CSV]
e.g.   ... results/source /tmp/tutorial 100000 3 results/tutorial_baseline.csv
"""

import csv
import os
import pickle
import sys
import time
from functools import partial
from pathlib import Path

import h5py
import lmdb
import numpy as np
from PIL import Image

from imgbench import memory, methods
from imgbench.fsutil import write_csv_atomic


class CIFAR_Image:  # noqa: N801 (the tutorial's name)
    def __init__(self, image, label):
        self.channels = image.shape[2]
        self.size = image.shape[:2]
        self.image = image.tobytes()
        self.label = label

    def get_image(self):
        image = np.frombuffer(self.image, dtype=np.uint8)
        return image.reshape(*self.size, self.channels)


def store_many_disk(images, labels, disk_dir):
    num_images = len(images)
    for i, image in enumerate(images):
        Image.fromarray(image).save(disk_dir / f"{i}.png")
    with open(disk_dir / f"{num_images}.csv", "w") as csvfile:
        writer = csv.writer(csvfile, delimiter=" ", quotechar="|", quoting=csv.QUOTE_MINIMAL)
        for label in labels:
            writer.writerow([label])


def store_many_lmdb(images, labels, lmdb_dir):
    num_images = len(images)
    map_size = num_images * images[0].nbytes * 10
    env = lmdb.open(str(lmdb_dir / f"{num_images}_lmdb"), map_size=map_size)
    with env.begin(write=True) as txn:
        for i in range(num_images):
            value = CIFAR_Image(images[i], labels[i])
            key = f"{i:08}"
            txn.put(key.encode("ascii"), pickle.dumps(value))
    env.close()


def store_many_hdf5(images, labels, hdf5_dir):
    num_images = len(images)
    file = h5py.File(hdf5_dir / f"{num_images}_many.h5", "w")
    file.create_dataset("images", np.shape(images), h5py.h5t.STD_U8BE, data=images)
    file.create_dataset("meta", np.shape(labels), h5py.h5t.STD_U8BE, data=labels)
    file.close()


def read_many_disk(num_images, disk_dir):
    images = []
    for image_id in range(num_images):
        images.append(np.array(Image.open(disk_dir / f"{image_id}.png")))
    with open(disk_dir / f"{num_images}.csv") as csvfile:
        reader = csv.reader(csvfile, delimiter=" ", quotechar="|", quoting=csv.QUOTE_MINIMAL)
        labels = [int(row[0]) for row in reader]
    return images, labels


def read_many_lmdb(num_images, lmdb_dir):
    images, labels = [], []
    env = lmdb.open(str(lmdb_dir / f"{num_images}_lmdb"), readonly=True)
    with env.begin() as txn:
        for image_id in range(num_images):
            data = txn.get(f"{image_id:08}".encode("ascii"))
            cifar_image = pickle.loads(data)
            images.append(cifar_image.get_image())
            labels.append(cifar_image.label)
    env.close()
    return images, labels


def read_many_hdf5(num_images, hdf5_dir):
    file = h5py.File(hdf5_dir / f"{num_images}_many.h5", "r+")
    images = np.array(file["/images"]).astype("uint8")
    labels = np.array(file["/meta"]).astype("uint8")
    return images, labels


METHODS = [("disk", store_many_disk, read_many_disk), ("lmdb", store_many_lmdb, read_many_lmdb),
           ("hdf5", store_many_hdf5, read_many_hdf5)]  # fmt: skip
COLUMNS = ["method", "operation", "n_images", "repeat", "seconds"]


def save_npy(images, labels, folder):
    np.save(folder / "raw.npy", images)


def load_npy(num_images, folder):
    return np.load(folder / "raw.npy")


def timed(task, need: int, previous: float | None, primer: memory.Primer) -> float:
    """One shot of the tutorial's code, after the machine preparation our harness also does."""
    if memory.worth_priming(True, previous, need):
        primer.prime(need)
    start = time.perf_counter()
    task()
    return time.perf_counter() - start


def main(source_dir: Path, work: Path, n: int, repeats: int = 1, csv_path: Path | None = None) -> None:
    source_images = np.load(source_dir / "images.npy")
    source_labels = np.load(source_dir / "labels.npy")
    rows = np.arange(n) % len(source_images)
    images, labels = source_images[rows], [int(x) for x in source_labels[rows]]
    results, last, primer = [], {}, memory.Primer()
    for repeat in range(repeats):
        for name, store, read in [*METHODS, ("npy", save_npy, load_npy)]:
            folder = work / f"repeat-{repeat}" / name
            folder.mkdir(parents=True)
            os.sync()
            steps = [
                (
                    "store_many",
                    partial(store, images, labels, folder),
                    int(methods.load(name).store_memory_factor * images.nbytes),
                ),
                ("read_many", partial(read, n, folder), images.nbytes),
            ]
            for operation, task, need in steps:
                seconds = timed(task, need, last.get((name, operation)), primer)
                last[name, operation] = seconds
                results.append(dict(method=name, operation=operation, n_images=n, repeat=repeat, seconds=seconds))
                print(f"{name} {operation} repeat {repeat}: {seconds:.3f} s ({n} images)", flush=True)
    primer.close()
    if csv_path:
        write_csv_atomic(csv_path, results, COLUMNS)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), *[int(a) for a in sys.argv[4:5]],
         *[Path(a) for a in sys.argv[5:6]])  # fmt: skip
