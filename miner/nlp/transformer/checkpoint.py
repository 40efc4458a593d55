"""Random-weight BERT checkpoints with a WordPiece vocabulary, written as a Hugging Face model directory.

For tests (a tiny model built in ``tmp_path``: the training and loading code runs on a real checkpoint directory
with the hub offline) and for speed measurements (BERT-base and 6-layer sizes, BENCHMARKS.md). The weights are
random, so such a model predicts nothing useful; it has the shape and the cost of a real one.

The vocabulary is learned from ``texts`` with the ``tokenizers`` WordPiece trainer (lower-cased, BERT's
pre-tokenizer), so the number of word pieces per word is that of a domain vocabulary of the same size.

    python -m miner.nlp.transformer.checkpoint OUT [--layers 2 --hidden 32 --heads 2 --intermediate 37 --vocab 500]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
#: BERT-base and the 6-layer size measured in BENCHMARKS.md (DistilBERT's depth at BERT-base width)
SIZES = {
    "tiny": {"layers": 2, "hidden": 32, "heads": 2, "intermediate": 37},
    "6-layer": {"layers": 6, "hidden": 768, "heads": 12, "intermediate": 3072},
    "base": {"layers": 12, "hidden": 768, "heads": 12, "intermediate": 3072},
}


def train_wordpiece(texts: Iterable[str], vocab_size: int) -> list[str]:
    """A lower-cased WordPiece vocabulary (special tokens first) learned from ``texts``."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=list(SPECIAL_TOKENS), min_frequency=1,
                                        show_progress=False)
    tok.train_from_iterator(list(texts), trainer=trainer)
    vocab = tok.get_vocab()
    return [w for w, _i in sorted(vocab.items(), key=lambda kv: kv[1])]


def save_random_bert(
    out: str | Path,
    texts: Iterable[str],
    vocab_size: int = 500,
    layers: int = 2,
    hidden: int = 32,
    heads: int = 2,
    intermediate: int = 37,
    max_positions: int = 512,
    seed: int = 0,
) -> Path:
    """Write a random-weight ``BertModel`` and a fast WordPiece tokenizer to ``out`` (``save_pretrained``)."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    vocab = train_wordpiece(texts, vocab_size)
    (out / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(out / "vocab.txt"), do_lower_case=True)
    tokenizer.model_max_length = max_positions
    tokenizer.save_pretrained(out)
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=heads, intermediate_size=intermediate,
                        max_position_embeddings=max_positions)
    BertModel(config).save_pretrained(out)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--size", choices=sorted(SIZES), default="tiny")
    ap.add_argument("--vocab", type=int, default=500, help="WordPiece vocabulary size (learned from --texts)")
    ap.add_argument("--texts", type=Path, default=None, help="a text file to learn the vocabulary from "
                    "(default: a few written sentences)")
    args = ap.parse_args(argv)
    if args.texts:
        texts = args.texts.read_text(encoding="utf-8").splitlines()
    else:
        texts = ["Cisplatin induced nephrotoxicity in rats.", "Gefitinib-resistant cells carried EGFR T790M.",
                 "Osimertinib was active after gefitinib in non-small cell lung cancer."]
    size = SIZES[args.size]
    print(save_random_bert(args.out, texts, vocab_size=args.vocab, **size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
