"""Words/s of the transformer NER (configs/ner_cdr_trf.cfg) on this CPU, with random weights (issue 19).

A random-weight BERT at BERT-base size (12 layers, width 768) and at a 6-layer size (width 768) costs what a trained
one of that shape costs, so this sizes the CPU/GPU need without any pretrained checkpoint. Each model gets a
30,522-piece WordPiece vocabulary (BERT's size) learned from the BC5CDR train abstracts, so the number of word pieces
per word is that of a domain vocabulary. Measured on BC5CDR test abstracts tokenized beforehand (only the NER
component runs: the transformer forward pass over 128-word windows with stride 96, mean pooling to spaCy tokens, and
the transition-based NER), and for comparison one run of the shipped CNN recognizer (models/ner_cdr, 1 of its 5 runs)
on the same docs. ``--train-batches N`` also times N training updates (forward + backward + Adam) on BC5CDR train
documents.

    python benchmarks/trf_speed.py [--docs 50] [--sizes base 6-layer] [--threads 1] [--train-batches 3] [--json F]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=50, help="BC5CDR test abstracts to tag")
    ap.add_argument("--sizes", nargs="+", default=["6-layer", "base"])
    ap.add_argument("--threads", type=int, default=1, help="torch threads (this machine: 2 cores, shared)")
    ap.add_argument("--train-batches", type=int, default=3, help="training updates to time (0: none)")
    ap.add_argument("--batch-docs", type=int, default=8, help="abstracts per training update")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import spacy
    import torch
    from spacy.training import Example
    from spacy.util import load_config, load_model_from_config

    import miner.nlp.transformer.spacy_code  # noqa: F401  (registrations of the trf configs)
    from miner.config import REPO_ROOT, SHARED_DIR
    from miner.nlp.training.conllu import open_text
    from miner.nlp.training.ner_data import PUBTATOR_LABELS, make_ner_doc, parse_pubtator
    from miner.nlp.tokenizer import scispacy_nlp, tokenize
    from miner.nlp.transformer.checkpoint import SIZES, save_random_bert

    torch.set_num_threads(args.threads)
    cdr = SHARED_DIR / "data" / "bc5cdr"
    train_docs = list(parse_pubtator(open_text(cdr / "CDR_TrainingSet.PubTator.txt.gz"), PUBTATOR_LABELS))
    test_texts = [d.text for d in parse_pubtator(open_text(cdr / "CDR_TestSet.PubTator.txt.gz"), PUBTATOR_LABELS)]
    docs = [tokenize(t) for t in test_texts[: args.docs]]
    n_words = sum(len(d) for d in docs)
    results: dict = {"load_average_at_start": os.getloadavg()[0], "threads": args.threads, "docs": len(docs),
                     "words": n_words, "torch": torch.__version__,
                     "models": {}}

    # the shipped CNN recognizer, one run (MINER_CDR_RUNS=1), on the same tokenized docs
    cnn_path = REPO_ROOT / "models" / "ner_cdr"
    if (cnn_path / "meta.json").is_file():
        cnn = spacy.load(cnn_path)
        vote = cnn.get_pipe("ner_cdr")
        if hasattr(vote, "select"):
            vote.select(1)
        cnn_docs = [cnn.make_doc(t) for t in test_texts[: args.docs]]  # its own vocab: the static vectors
        start, cpu = time.perf_counter(), time.process_time()
        for _ in vote.pipe(cnn_docs, batch_size=16):
            pass
        secs, cpu = time.perf_counter() - start, time.process_time() - cpu
        results["models"]["cnn ner_cdr (1 run)"] = {"seconds": round(secs, 2), "words_per_s": round(n_words / secs),
                                                    "words_per_cpu_s": round(n_words / cpu)}
        print(f"cnn ner_cdr, 1 run: {n_words / secs:,.0f} words/s ({n_words / cpu:,.0f} per CPU second)", flush=True)

    rng = random.Random(0)
    sample = rng.sample(train_docs, args.batch_docs * max(1, args.train_batches) + 8)
    examples = []
    for d in sample:
        doc, _stats = make_ner_doc(d.text, d.spans)
        examples.append(Example(tokenize(d.text), doc))
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            ckpt = save_random_bert(Path(tmp) / size, (d.text for d in train_docs), vocab_size=30522, **SIZES[size])
            config = load_config(REPO_ROOT / "configs" / "ner_cdr_trf.cfg",
                                 overrides={"paths.encoder": str(ckpt)}, interpolate=True)
            nlp = load_model_from_config(config, auto_fill=True, validate=True)
            nlp.tokenizer = scispacy_nlp().tokenizer
            optimizer = nlp.initialize(lambda: examples[:8])
            ner = nlp.get_pipe("ner_cdr_trf")
            tokenizer = next(n for n in ner.model.walk() if n.name == "transformer").tokenizer
            pieces = sum(len(tokenizer(d.text, add_special_tokens=False)["input_ids"]) for d in docs)
            for _ in ner.pipe((d.copy() for d in docs[:2]), batch_size=16):  # warm-up
                pass
            start, cpu = time.perf_counter(), time.process_time()
            for _ in ner.pipe((d.copy() for d in docs), batch_size=16):
                pass
            secs, cpu = time.perf_counter() - start, time.process_time() - cpu
            row = {"layers": SIZES[size]["layers"], "hidden": SIZES[size]["hidden"],
                   "pieces_per_word": round(pieces / n_words, 2), "seconds": round(secs, 2),
                   "words_per_s": round(n_words / secs, 1), "words_per_cpu_s": round(n_words / cpu, 1)}
            print(f"{size}: {n_words / secs:,.1f} words/s, {n_words / cpu:,.1f} per CPU second "
                  f"({pieces / n_words:.2f} pieces/word)", flush=True)
            if args.train_batches:
                batches = [examples[8 + i * args.batch_docs: 8 + (i + 1) * args.batch_docs]
                           for i in range(args.train_batches)]
                trained = 0
                start, cpu = time.perf_counter(), time.process_time()
                for batch in batches:
                    nlp.update(batch, sgd=optimizer, drop=0.1, losses={})
                    trained += sum(len(eg.predicted) for eg in batch)
                tsecs, tcpu = time.perf_counter() - start, time.process_time() - cpu
                row["train_words_per_s"] = round(trained / tsecs, 1)
                row["train_words_per_cpu_s"] = round(trained / tcpu, 1)
                row["train_seconds_per_update"] = round(tsecs / len(batches), 2)
                print(f"{size}: training {trained / tsecs:,.1f} words/s, {trained / tcpu:,.1f} per CPU second, "
                      f"{tsecs / len(batches):.1f} s per update of {args.batch_docs} abstracts", flush=True)
            results["models"][size] = row
            del nlp, ner, optimizer
    results["load_average_at_end"] = os.getloadavg()[0]
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
