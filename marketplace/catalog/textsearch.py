"""Words to search terms: stems in the text's language (Snowball), and for Chinese, Japanese and Korean,
which write no spaces between words, overlapping pairs of characters. A listing is indexed with the terms
of every translation (each with its own language's stemmer); a query with the buyer's language."""

from __future__ import annotations

import re
from functools import cache, lru_cache

import snowballstemmer

_LANGUAGES = {
    "ar": "arabic",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "nl": "dutch",
    "no": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "tr": "turkish",
}
"""Languages (ISO 639-1) with a Snowball stemmer; words of others are only lowercased."""
STEMMED = tuple(_LANGUAGES)
"""The languages whose words a search reduces to their stems (`Kugellagern` finds `Kugellager`)."""

_CJK = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f"
"""Kana, CJK ideographs and Hangul syllables: scripts written without spaces between words."""
_RUN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_CJK_RUN = re.compile(rf"[{_CJK}]+")
COMPOUNDING = frozenset({"de", "nl", "sv", "da", "nb", "no"})
"""Languages that write compound nouns as one word ("Rillenkugellager"): their long words are also indexed
by the words they end with ("kugellager", "lager"), the compound's head, so a search for the kind finds
the sorts."""
MIN_COMPOUND, MIN_HEAD, MIN_MODIFIER = 8, 4, 3
UNFINISHED = 3
MAX_TERM = 60
"""Longer words are cut: nobody searches for them whole, and index entries stay small."""


@cache
def _stemmer(language: str) -> snowballstemmer.Stemmer | None:
    name = _LANGUAGES.get(language)
    return snowballstemmer.stemmer(name) if name else None


def language_of(locale: str) -> str:
    """`pt_BR` -> `pt`."""
    return locale.replace("-", "_").split("_")[0].lower()


def words(text: str) -> list[str]:
    """The runs of letters and digits in `text`, lowercased; a run of CJK characters is one word."""
    return [w[:MAX_TERM] for w in _RUN.findall(text.casefold())]


def is_cjk(word: str) -> bool:
    return bool(_CJK_RUN.fullmatch(word))


def bigrams(run: str) -> list[str]:
    """`軸受鋼` -> `軸受`, `受鋼`; a single character stays itself."""
    return [run] if len(run) < 2 else [run[i : i + 2] for i in range(len(run) - 1)]


@lru_cache(maxsize=1 << 16)
def _terms(word: str, language: str) -> tuple[str, ...]:
    """Remembered: stemming is slow and a catalog's vocabulary small, so indexing a million listings meets
    the same words again and again."""
    if is_cjk(word):
        return tuple(bigrams(word))
    stemmer = _stemmer(language)
    if stemmer is None:
        return (word,)
    stem = stemmer.stemWord(word)
    if language not in COMPOUNDING or len(word) < MIN_COMPOUND:
        return (stem,)
    heads = (stemmer.stemWord(word[i:]) for i in range(MIN_MODIFIER, len(word) - MIN_HEAD + 1))
    return tuple(dict.fromkeys([stem, *heads]))


def word_stem(word: str, locale: str) -> str:
    """The stem of one word (a CJK run's first character pair) as the index holds it."""
    return _terms(word, language_of(locale))[0]


def tokens(text: str, locale: str) -> list[str]:
    """The search terms of `text` written in `locale`, in order, repeats kept."""
    language = language_of(locale)
    return [term for word in words(text) for term in _terms(word, language)]


def document(texts: list[tuple[str, str]]) -> str:
    """The terms of several (text, locale) pairs, each once, separated by spaces: what is indexed."""
    seen: dict[str, None] = {}
    for text, locale in texts:
        for term in tokens(text, locale):
            seen.setdefault(term, None)
    return " ".join(seen)


def query_terms(text: str, locale: str) -> list[tuple[tuple[str, ...], str | None]]:
    """What a query asks for, one entry per term, every entry required: the terms that match (a word's stem
    in `locale`, the word itself and its English stem, since buyers often type English words whatever
    their language), and a prefix that matches too (for the last word, possibly still being typed, and
    for a lone CJK character). An unfinished last word may have passed its stem ("beari" for "bear",
    the stem of "bearing"): its shorter beginnings, down to `UNFINISHED` letters fewer, match too."""
    found = words(text)
    out: list[tuple[tuple[str, ...], str | None]] = []
    for i, word in enumerate(found):
        if is_cjk(word):
            out.extend(((p,), p if len(p) == 1 else None) for p in bigrams(word))
            continue
        variants = [word_stem(word, locale), word, word_stem(word, "en")]
        last = i == len(found) - 1 and len(word) >= 2
        if last:
            variants += [word[:n] for n in range(len(word) - 1, max(MIN_HEAD, len(word) - UNFINISHED) - 1, -1)]
        out.append((tuple(dict.fromkeys(variants)), word if last else None))
    return list(dict.fromkeys(out))
