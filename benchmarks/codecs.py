"""Each codec's encode and decode rate, bytes per image and ratio to raw, beside its library called directly.

Usage: PYTHONPATH=workflow/scripts python benchmarks/codecs.py [--count N] [--size H W] [--channels C]
                                                               [--passes P] [--codecs NAME ...]
e.g.   ... --count 10000                 (CIFAR-sized, the default)
       ... --count 300 --size 256 256    (ImageNet-like)

Images are photo-like (imgbench.codecs._samples), made in memory before any timing. The images are
timed in chunks of about --chunk-bytes: each chunk --passes times, ours and the direct call alternating
which goes first, the best time per chunk kept and summed over the chunks (perf_counter_ns, garbage
collection paused: imgbench.timer); the rate is images over that sum. "Direct" is the
codec's library called inline in the loop with the same settings, without our wrapper (RGB only), and
decodes into the same preallocated batch; its bytes and pixels are checked equal to ours. Prints a
markdown table with the machine, the date and the command.
"""

import argparse
import io
import platform
import sys
from datetime import datetime

import imagecodecs
import numpy as np
import simplejpeg
from PIL import Image

from imgbench import codecs
from imgbench.codecs import webp
from imgbench.codecs._samples import photo_like
from imgbench.codecs.base import check_images, psnr_db
from imgbench.environment import cpu_model
from imgbench.timer import Stopwatch, gc_paused


def ours(codec):
    encode, decode_into = codec.encode, codec.decode_into

    def encode_all(images):
        return [encode(image) for image in images]

    def decode_all(encoded, out):
        for data, slot in zip(encoded, out, strict=True):
            decode_into(data, slot)

    return encode_all, decode_all


# ---------------------------------------------------------------- the libraries called directly (RGB)


def raw_encode_all(images):
    return [image.tobytes() for image in images]


def raw_decode_all(encoded, out):
    for data, slot in zip(encoded, out, strict=True):
        slot[...] = np.frombuffer(data, dtype=np.uint8).reshape(slot.shape)


def png_encode_all(images):
    encoded = []
    for image in images:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="PNG")
        encoded.append(buffer.getvalue())
    return encoded


def png_decode_all(encoded, out):
    for data, slot in zip(encoded, out, strict=True):
        with Image.open(io.BytesIO(data), formats=("PNG",)) as image:
            slot[...] = np.asarray(image)


def png1_encode_all(images):
    return [imagecodecs.png_encode(image, level=1) for image in images]


def png1_decode_all(encoded, out):
    for data, slot in zip(encoded, out, strict=True):
        imagecodecs.png_decode(data, out=slot)


def qoi_encode_all(images):
    return [imagecodecs.qoi_encode(image) for image in images]


def qoi_decode_all(encoded, out):
    for data, slot in zip(encoded, out, strict=True):
        imagecodecs.qoi_decode(data, out=slot)


def webp_encode_all(images):
    return [imagecodecs.webp_encode(image, level=webp.QUALITY, lossless=True, method=webp.METHOD) for image in images]


def webp_decode_all(encoded, out):
    for data, slot in zip(encoded, out, strict=True):
        imagecodecs.webp_decode(data, out=slot)


def jpeg_direct(quality):
    def encode_all(images):
        return [
            simplejpeg.encode_jpeg(image, quality=quality, colorspace="RGB", colorsubsampling="444") for image in images
        ]

    def decode_all(encoded, out):
        for data, slot in zip(encoded, out, strict=True):
            simplejpeg.decode_jpeg(data, colorspace="RGB", buffer=slot)

    return encode_all, decode_all


DIRECT = {
    "raw": (raw_encode_all, raw_decode_all),
    "png": (png_encode_all, png_decode_all),
    "png1": (png1_encode_all, png1_decode_all),
    "qoi": (qoi_encode_all, qoi_decode_all),
    "webp": (webp_encode_all, webp_decode_all),
    "jpeg90": jpeg_direct(90),
    "jpeg75": jpeg_direct(75),
}


# ---------------------------------------------------------------- timing


def best_seconds(runs: dict, count: int, chunk: int, passes: int) -> dict:
    """Seconds of each named run over all count images: for each chunk of images, the best of passes, the
    ways alternating which goes first; summed over chunks. runs[name](start, stop) runs images[start:stop].

    Best per chunk rather than per whole pass: this VM's hiccups last seconds, and one in every pass of a
    slow codec moved ours/direct by up to 25% in a first version that timed whole passes.
    """
    total = dict.fromkeys(runs, 0.0)
    for start in range(0, count, chunk):
        stop, best = min(start + chunk, count), dict.fromkeys(runs, float("inf"))
        for number in range(passes):
            for name in list(runs)[:: 1 if number % 2 == 0 else -1]:
                watch = Stopwatch()
                with gc_paused(), watch.timed():
                    runs[name](start, stop)
                best[name] = min(best[name], watch.seconds)
        for name in runs:
            total[name] += best[name]
    return total


def measure(name: str, images: np.ndarray, chunk: int, passes: int) -> dict:
    codec = codecs.load(name)
    ways = {"ours": ours(codec)}
    if images.shape[3] == 3 and name in DIRECT:
        ways["direct"] = DIRECT[name]
    encoded = {way: encode_all(images) for way, (encode_all, _) in ways.items()}
    if "direct" in ways and encoded["direct"] != encoded["ours"]:
        raise SystemExit(f"{name}: the direct call encoded other bytes than the codec; fix DIRECT[{name!r}]")
    # One batch for both ways: simplejpeg's decode time moved by up to 30% here with the batch's address.
    out = np.empty_like(images)
    encode_runs = {way: (lambda a, b, f=encode_all: f(images[a:b])) for way, (encode_all, _) in ways.items()}
    decode_runs = {
        way: (lambda a, b, f=decode_all: f(encoded["ours"][a:b], out[a:b])) for way, (_, decode_all) in ways.items()
    }
    count = len(images)
    seconds = {
        step: best_seconds(runs, count, chunk, passes)
        for step, runs in [("encode", encode_runs), ("decode", decode_runs)]
    }
    outputs = {}
    for way, (_, decode_all) in ways.items():
        out[...] = 0
        decode_all(encoded["ours"], out)
        outputs[way] = out.copy()
    if "direct" in ways and not np.array_equal(outputs["direct"], outputs["ours"]):
        raise SystemExit(f"{name}: the direct call decoded other pixels than the codec; fix DIRECT[{name!r}]")
    psnr = psnr_db(images, outputs["ours"])
    if codec.lossless and not np.isinf(psnr).all():
        raise SystemExit(f"{name}: a lossless codec changed {np.sum(~np.isinf(psnr))} images")
    return {
        "codec": codec,
        "rates": {step: {way: count / s for way, s in by_way.items()} for step, by_way in seconds.items()},
        "bytes": float(np.mean([len(data) for data in encoded["ours"]])),
        "psnr": psnr,
    }


# ---------------------------------------------------------------- presentation


def rate_cells(rates: dict) -> list[str]:
    direct = rates.get("direct")
    return [
        f"{rates['ours']:,.0f}",
        f"{direct:,.0f}" if direct else "—",
        f"{rates['ours'] / direct:.2f}" if direct else "—",
    ]


def table(results: list[dict], raw_bytes: int) -> str:
    lines = [
        "| codec | library | encode img/s | direct | ours/direct | decode img/s | direct | ours/direct "
        "| bytes/image | vs raw | PSNR min / median (dB) |",
        "|" + "---|" * 11,
    ]
    for result in results:
        codec, psnr = result["codec"], result["psnr"]
        quality = "lossless" if codec.lossless else f"{psnr.min():.1f} / {np.median(psnr):.1f}"
        cells = [
            codec.name,
            f"{codec.library} {codec.library_version()}",
            *rate_cells(result["rates"]["encode"]),
            *rate_cells(result["rates"]["decode"]),
            f"{result['bytes']:,.0f}",
            f"{result['bytes'] / raw_bytes:.3f}",
            quality,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="number of images (default 10,000)")
    parser.add_argument("--size", type=int, nargs=2, default=[32, 32], metavar=("H", "W"), help="default 32 32")
    parser.add_argument("--channels", type=int, choices=[1, 3], default=3, help="3 (RGB, default) or 1 (grey)")
    parser.add_argument("--passes", type=int, default=3, help="timed passes over each chunk, best kept")
    parser.add_argument("--chunk-bytes", type=int, default=2 << 20, help="raw bytes per timed chunk (default 2 MiB)")
    lossless_first = sorted(codecs.available(), key=lambda name: (not codecs.load(name).lossless, name))
    parser.add_argument("--codecs", nargs="+", default=lossless_first, choices=codecs.available())
    args = parser.parse_args()
    images = photo_like(args.count, *args.size, args.channels, np.random.default_rng(0))
    check_images(images)
    started = datetime.now().astimezone()
    chunk = max(1, args.chunk_bytes // images[0].nbytes)
    results = [measure(name, images, chunk, args.passes) for name in args.codecs]
    height, width = args.size
    print(f"{args.count:,} photo-like {height}x{width}x{args.channels} images", end=", ")
    print(f"timed in chunks of {chunk:,}, best of {args.passes} passes per chunk")
    print(f"machine: {cpu_model()}, {platform.machine()}, Python {platform.python_version()}")
    print(f"date: {started:%Y-%m-%d %H:%M %Z}")
    print(f"command: python {' '.join(sys.argv)}\n")
    print(table(results, images[0].nbytes))


if __name__ == "__main__":
    main()
