"""Score the extractor's findings on the two reviews against the gold set, every level, all and sequential.

    python benchmarks/extract_reviews.py --out-dir /tmp/ev
    python benchmarks/score_reviews.py --pred-dir /tmp/ev

Prints the markdown table recorded in BENCHMARKS.md (review, slice, level, tp, fp, fn, P, R, F1).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from miner.config import GOLD_DIR
from miner.evaluate import evaluate
from miner.evaluate.matcher import LEVELS


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pred-dir", type=Path, default=Path("/tmp"), help="Directory holding p000.jsonl and p001.jsonl.")
    ap.add_argument("--gold", type=Path, default=GOLD_DIR)
    args = ap.parse_args()
    print("| review | slice | level | tp | fp | fn | precision | recall | F1 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for review in ("000", "001"):
        pred = args.pred_dir / f"p{review}.jsonl"
        for kind in (None, "sequential"):
            result = evaluate(args.gold, pred, review=review, kind=kind)
            for level in LEVELS:
                s = result.score(level)
                print(f"| {review} | {kind or 'all'} | {level} | {s['tp']} | {s['fp']} | {s['fn']} | "
                      f"{s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
