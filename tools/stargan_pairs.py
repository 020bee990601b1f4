"""Where the `stargan` entry's error is: the 8 x 8 table of per-pair errors and the ink it draws.

Prints, on the 1,000 held-out digits of `kerasgen.data.mnist_domain_task`:
- the mean absolute error of G(T_a(d), b) against T_b(d) for every source
  domain a (rows) and target domain b (columns), the diagonal being the
  translation into the domain the image is in;
- the mean over the pairs that change the stroke thickness and over those
  that keep it;
- for the translations between plain and thick strokes (both polarities),
  the share of the image the ink covers in the translation and in the right
  answer, so that under- or over-drawn strokes show as a signed gap.

`kerasgen eval stargan` gives the entry's summary figures; this splits them.

Usage:
    python tools/stargan_pairs.py
"""

import numpy as np

from kerasgen import data, evaluation, zoo


def main():
    model = zoo.load("stargan")
    task = data.mnist_domain_task()
    attributes = [data.domain_attributes(k) for k in range(8)]
    thick = task["attributes"].index("thick")
    inverted = task["attributes"].index("inverted")
    errors = np.zeros((8, 8))
    ink_rows = []
    for a, b, _, out, answer in evaluation.domain_translations(model, data.to_model_range(task["test_digits"])):
        errors[a, b] = np.mean(np.abs(out - answer))
        # Ink is bright on plain paper and dark on inverted paper; its share is in [0, 1].
        sign = -1.0 if attributes[b][inverted] else 1.0
        if attributes[a][thick] != attributes[b][thick]:
            ink_rows.append((attributes[b][thick], np.mean((sign * out + 1) / 2), np.mean((sign * answer + 1) / 2)))
    short = ["+".join(n[0] for n, bit in zip(task["attributes"], a) if bit) or "plain" for a in attributes]
    print("mean absolute error, rows: source domain, columns: target domain")
    print("(" + ", ".join(f"{n[0]} = {n}" for n in task["attributes"]) + ")")
    print(" " * 8 + "".join(f"{n:>8}" for n in short))
    for a in range(8):
        print(f"{short[a]:>8}" + "".join(f"{errors[a, b]:>8.3f}" for b in range(8)))
    off = ~np.eye(8, dtype=bool)
    changes = np.array([[attributes[a][thick] != attributes[b][thick] for b in range(8)] for a in range(8)])
    print(f"mean over the 56 pairs: {errors[off].mean():.4f}")
    print(f"the 32 pairs that change the thickness: {errors[off & changes].mean():.4f}")
    print(f"the 24 that keep it: {errors[off & ~changes].mean():.4f}")
    to_thick = [(out, right) for target_thick, out, right in ink_rows if target_thick]
    to_thin = [(out, right) for target_thick, out, right in ink_rows if not target_thick]
    for label, rows in (("to thick strokes", to_thick), ("to thin strokes", to_thin)):
        out, right = np.mean(rows, axis=0)
        print(f"ink share, {label} ({len(rows)} pairs): translation {out:.3f}, right answer {right:.3f}")


if __name__ == "__main__":
    main()
