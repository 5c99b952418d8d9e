"""Triage's text model: a complaint in everyday Chinese → a probability for each specialty.

jieba cuts the complaint into words; TF-IDF weighs word unigrams and bigrams and character 1–3-grams (characters
catch what the segmentation splits differently: 胸口疼 / 胸口 疼); a complement naive Bayes classifier (a linear
model in log space, made for short texts with few examples per class), trained on each labelled complaint's first
acceptable specialty, ranks the specialties. A token for the person's age band goes in with the words, so the model
learns that a child's cough is pediatrics (sex is left to the rules). A lexicon of the words patients use for each
specialty's conditions (``data/lexicon.tsv``) adds one-word examples. Training is deterministic (counts, no random
state) and takes a second or two, most of it jieba loading its dictionary; the fitted model is cached in the
process. The labelled complaints are in ``data/train.jsonl`` (sources, licence, labelling rules: ``data/README.md``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TRAINING_FILE = Path(__file__).resolve().parent / "data" / "train.jsonl"
LEXICON_FILE = Path(__file__).resolve().parent / "data" / "lexicon.tsv"
ALPHA = 0.3  # smoothing; 0.1–1.0 moved the held-out mean registrations by less than 0.05

_lock = threading.Lock()
_cached: TextModel | None = None


@dataclass(frozen=True)
class Example:
    complaint: str
    age_years: float
    sex: str
    specialties: tuple[str, ...]
    urgent: bool


def load_examples(path: Path) -> list[Example]:
    """The labelled complaints of one JSON-lines file."""
    examples = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                row = json.loads(line)
                examples.append(
                    Example(
                        complaint=row["complaint"],
                        age_years=float(row["age_years"]),
                        sex=row["sex"],
                        specialties=tuple(row["specialties"]),
                        urgent=bool(row["urgent"]),
                    )
                )
    return examples


def load_lexicon(path: Path = LEXICON_FILE) -> list[Example]:
    """The lexicon's words, each a one-word example of its specialty (an adult's: age rules do the rest)."""
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            specialty, words = line.split("\t", 1)
            for word in words.split():
                examples.append(Example(word, 40.0, "", (specialty,), False))
    return examples


def _first_label(specialties: tuple[str, ...]) -> str:
    """The specialty a complaint trains: its first acceptable one other than emergency medicine, which only the
    red-flag rules name."""
    return next((s for s in specialties if s != "emergency"), specialties[0])


def _age_band(age_years: float) -> str:
    if age_years < 28 / 365.25:
        return "agenewborn"
    if age_years < 1:
        return "ageinfant"
    if age_years < 14:
        return "agechild"
    if age_years < 18:
        return "ageteen"
    if age_years < 65:
        return "ageadult"
    return "ageelder"


def _words(text: str) -> list[str]:
    import jieba

    return [w for w in jieba.lcut(text) if w.strip() and not _punctuation(w)]


def _punctuation(word: str) -> bool:
    return all(not ch.isalnum() for ch in word)


def document(complaint: str, age_years: float, sex: str) -> str:
    """The text the model reads: the segmented complaint, space-separated, with the age and sex tokens."""
    return " ".join([*_words(complaint), _age_band(age_years)])


class TextModel:
    """The fitted pipeline and its classes (specialty codes)."""

    def __init__(self, examples: Iterable[Example]):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.naive_bayes import ComplementNB
        from sklearn.pipeline import FeatureUnion, make_pipeline

        rows = list(examples)
        docs = [document(e.complaint, e.age_years, e.sex) for e in rows]
        labels = [_first_label(e.specialties) for e in rows]
        features = FeatureUnion(
            [
                ("words", TfidfVectorizer(analyzer=str.split, sublinear_tf=True)),
                ("word_pairs", TfidfVectorizer(token_pattern=r"\S+", ngram_range=(2, 2), sublinear_tf=True)),
                ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)),
            ]
        )
        self.pipeline: Any = make_pipeline(features, ComplementNB(alpha=ALPHA))
        self.pipeline.fit(docs, labels)
        self.classes: list[str] = [str(c) for c in self.pipeline.classes_]

    def rank(self, complaint: str, age_years: float, sex: str) -> list[tuple[str, float]]:
        """Every specialty the model knows with its probability, most probable first."""
        probs = self.pipeline.predict_proba([document(complaint, age_years, sex)])[0]
        return sorted(zip(self.classes, (float(p) for p in probs), strict=True), key=lambda cp: (-cp[1], cp[0]))


def train(path: Path = TRAINING_FILE, *, lexicon: bool = True) -> TextModel:
    """A model trained on the labelled complaints at ``path`` (and the lexicon's words unless ``lexicon=False``)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return TextModel([*load_examples(path), *(load_lexicon() if lexicon else [])])


def text_model() -> TextModel:
    """The model trained on the shipped training file, trained once per process on first use."""
    global _cached
    with _lock:
        if _cached is None:
            _cached = train()
        return _cached
