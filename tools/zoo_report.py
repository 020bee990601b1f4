"""Writes docs/zoo.md: every pretrained entry's figure and figures, side by side with the real-data floor.

Usage:
    python tools/zoo_report.py            # docs/zoo.md and docs/images/zoo/*.png
    python tools/zoo_report.py --out DIR  # somewhere else

The figures are read from each entry's `metadata.json`, where
`python tools/train_zoo.py NAME` recorded what it measured on the held-out
split (`kerasgen eval NAME` prints the same). The pictures are drawn from
the shipped weights with seed 0: what the model draws during training
(`model.sample_figures`): samples, and for models that encode or translate,
held-out images above their reconstructions or translations.
"""

import argparse
import os
import sys

import numpy as np

import kerasgen
from kerasgen import data, images, presets, runs, zoo
from kerasgen.models.base import GENERATE, IMAGE_PAIRS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (metric key, column title, format)
COLUMNS = [
    ("fid_digits", "FID (digits)", "{:.1f}"),
    ("precision_digits", "precision", "{:.2f}"),
    ("recall_digits", "recall", "{:.2f}"),
    ("memorized_share_pixels", "memorized (pixels)", "{:.1%}"),
    ("memorized_share_features", "memorized (features)", "{:.1%}"),
    ("train_seconds_cpu", "training (2-core CPU)", "{:.0f} s"),
]


def pretrained_entries():
    return [n for n in presets.names() if presets.get(n)["training"].get("pretrained", True)]


def held_out_images(name, model, n=8):
    """The first `n` held-out images an entry's figure shows.

    Domain A for a two-domain translation model; on the multi-domain task,
    held-out digit i in domain i, so the rows start from every domain.
    """
    training = presets.get(name)["training"]
    heldout, _ = runs.embedded_split(training, "test")
    if model.batch_structure == IMAGE_PAIRS:
        heldout = heldout[0]
    if training.get("data") == "mnist_domains":
        digits = data.to_model_range(heldout[:n])
        heldout = np.concatenate(
            [data.domain_transform(d[None], data.domain_attributes(i % 8)) for i, d in enumerate(digits)]
        )
    from kerasgen.evaluation import at_size

    return at_size(data.to_model_range(heldout[:n]), model.image_shape)


def draw(name, out_dir):
    """Writes the entry's figures; returns [(title, relative path)]."""
    model = zoo.load(name)
    latents = model.sample_latents(64, seed=0) if model.can(GENERATE) else None
    figures = model.sample_figures(latents, held_out_images(name, model))
    paths = []
    for figure, (pixels, columns) in figures.items():
        path = os.path.join(out_dir, "images", "zoo", f"{name}_{figure}.png")
        images.save_image_grid(np.asarray(pixels), path, columns)
        paths.append((figure, os.path.relpath(path, out_dir)))
    return paths


def fmt(value, pattern):
    return "-" if value is None else pattern.format(value)


def verdict(metrics, targets):
    if not targets:
        return "-"
    parts = []
    for metric, bar in targets.items():
        value = metrics.get(metric)
        mark = "met" if presets.meets(value, bar) else "**not met**"
        shown = "-" if value is None else f"{value:.3g}"
        parts.append(f"{metric} {shown} {bar[0]} {bar[1]:g}: {mark}")
    return "; ".join(parts)


def floor(meta):
    return meta["metrics"].get("reference_fid_digits_train_vs_test")


def report(out_dir):
    lines = [
        "# The zoo",
        "",
        "What each pretrained entry gives before you load it. Written by `python tools/zoo_report.py`",
        "from the shipped weights (pictures, seed 0) and from each entry's `metadata.json`, whose",
        "figures `python tools/train_zoo.py NAME` measured on the 1,000 held-out digits of the",
        "embedded MNIST-5k (`kerasgen eval NAME` prints the same).",
        "",
        "- **FID (digits)**: Frechet distance of 1,000 samples (seed 0) to the held-out digits, on the",
        "  features of the shipped digits classifier. The real-data floor is the same figure for the",
        "  training digits against the held-out ones: no model trained on these digits is expected below it.",
        "- **precision / recall**: improved precision and recall (Kynkaanniemi et al. 2019, k=3) in the",
        "  same features: the share of samples inside the real digits' manifold, and of held-out",
        "  digits inside the samples' manifold.",
        "- **memorized**: the share of samples closer to a training digit than 95% of held-out digits",
        "  are to theirs (about 5% for a model that does not copy; near 100% for one that does).",
        "",
        "| entry | " + " | ".join(title for _, title, _ in COLUMNS) + " | real-data floor (FID) | targets |",
        "|---" * (len(COLUMNS) + 3) + "|",
    ]
    sections = []
    for name in pretrained_entries():
        meta = zoo.metadata(zoo.entry_dir(name))
        metrics = meta.get("metrics", {})
        targets = meta.get("targets", presets.get(name)["targets"])
        cells = [fmt(metrics.get(key), pattern) for key, _, pattern in COLUMNS]
        lines.append(
            f"| [`{name}`](#{name}) | " + " | ".join(cells) + f" | {fmt(floor(meta), '{:.1f}')} | "
            f"{verdict(metrics, targets)} |"
        )
        sections += [f"## {name}", "", meta["description"], ""]
        for figure, path in draw(name, out_dir):
            sections += [f"![{name}: {figure}]({path})", "", f"*{figure}*", ""]
        shown = {k: v for k, v in metrics.items() if isinstance(v, int | float) and v is not None}
        sections += ["| metric | value |", "|---|---|"]
        sections += [f"| {k} | {v:.4g} |" for k, v in sorted(shown.items())]
        card = os.path.join("models", f"{name}.md")
        more = f" Model card: [{card}]({card})." if os.path.exists(os.path.join(out_dir, card)) else ""
        sections += ["", f"Trained by `{meta['training']['command']}`.{more}", ""]
    text = "\n".join(lines + [""] + sections)
    path = os.path.join(out_dir, "zoo.md")
    with open(path, "w") as f:
        f.write(text)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(ROOT, "docs"), help="docs folder")
    args = parser.parse_args(argv)
    print(f"Wrote {report(args.out)} (kerasgen {kerasgen.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
