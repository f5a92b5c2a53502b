"""Words to search terms: stems in the text's language (Snowball), and for Chinese, Japanese and Korean,
which write no spaces between words, overlapping pairs of characters. A listing is indexed with the terms
of every translation (each with its own language's stemmer); a query with the buyer's language."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import cache, lru_cache
from itertools import chain

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


_local = threading.local()


def _stemmer(language: str) -> snowballstemmer.Stemmer | None:
    """This thread's stemmer for `language`: a stemmer keeps the word it works on, so threads (an import job
    beside the requests' searches) must not share one."""
    name = _LANGUAGES.get(language)
    if name is None:
        return None
    mine: dict[str, snowballstemmer.Stemmer] = _local.__dict__.setdefault("stemmers", {})
    found = mine.get(name)
    if found is None:
        found = mine[name] = snowballstemmer.stemmer(name)
    return found


def words(text: str) -> list[str]:
    """The runs of letters and digits in `text`, lowercased; a run of CJK characters is one word."""
    return [w[:MAX_TERM] for w in _RUN.findall(text.casefold())]


def is_cjk(word: str) -> bool:
    return bool(_CJK_RUN.fullmatch(word))


def bigrams(run: str) -> list[str]:
    """`軸受鋼` -> `軸受`, `受鋼`; a single character stays itself."""
    return [run] if len(run) < 2 else [run[i : i + 2] for i in range(len(run) - 1)]


def _word_terms(word: str, language: str) -> tuple[str, ...]:
    if is_cjk(word):
        return tuple(bigrams(word))
    stemmer = _stemmer(language)
    if stemmer is None:
        return (word,)
    stem = _stemmed(stemmer, word)
    if language not in COMPOUNDING or len(word) < MIN_COMPOUND:
        return (stem,)
    heads = (_stemmed(stemmer, word[i:]) for i in range(MIN_MODIFIER, len(word) - MIN_HEAD + 1))
    return tuple(dict.fromkeys([stem, *heads]))


def _stemmed(stemmer: snowballstemmer.Stemmer, word: str) -> str:
    """`stemmer.stemWord(word)`; numbers, which every Snowball stemmer leaves as they are, without asking it
    (a catalog has as many numbers as products)."""
    return word if word.isdigit() and word.isascii() else stemmer.stemWord(word)


_terms = lru_cache(maxsize=1 << 16)(_word_terms)
"""Remembered: stemming is slow and a catalog's vocabulary small, so indexing a million listings meets
the same words again and again."""

_KNOWN: dict[str, dict[str, tuple[str, ...]]] = {}
"""Per language, each word (as `_RUN` finds it) with its terms: what `_terms` remembers for queries, for the
indexing loop, where a plain dictionary lookup costs less than a call."""
MAX_KNOWN = 1 << 16
"""Words remembered per language before that language's memory is cleared."""
SHORT_TEXT = 200
"""Texts up to this long (titles) have their terms remembered whole: a catalog repeats them."""


@cache
def language_of(locale: str) -> str:
    """`pt_BR` -> `pt`."""
    return locale.replace("-", "_").split("_")[0].lower()


def _term_runs(text: str, language: str) -> list[tuple[str, ...]]:
    """The terms of each word of `text`, in order."""
    known = _KNOWN.get(language)
    if known is None:
        known = _KNOWN[language] = {}
    found = _RUN.findall(text.casefold())
    try:
        return list(map(known.__getitem__, found))
    except KeyError:
        if len(known) > MAX_KNOWN:
            known.clear()
        runs = []
        for word in found:
            terms = known.get(word)
            if terms is None:
                terms = known[word] = _word_terms(word[:MAX_TERM], language)
            runs.append(terms)
        return runs


@lru_cache(maxsize=1 << 13)
def _short_text_terms(text: str, language: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(chain.from_iterable(_term_runs(text, language))))


def word_stem(word: str, locale: str) -> str:
    """The stem of one word (a CJK run's first character pair) as the index holds it."""
    return _terms(word, language_of(locale))[0]


def tokens(text: str, locale: str) -> list[str]:
    """The search terms of `text` written in `locale`, in order, repeats kept."""
    return list(chain.from_iterable(_term_runs(text, language_of(locale))))


def document(texts: list[tuple[str, str]]) -> str:
    """The terms of several (text, locale) pairs, each once, separated by spaces: what is indexed."""
    runs: list[Iterable[str]] = []
    for text, locale in texts:
        language = language_of(locale)
        if len(text) <= SHORT_TEXT:
            runs.append(_short_text_terms(text, language))
        else:
            runs.extend(_term_runs(text, language))
    return " ".join(dict.fromkeys(chain.from_iterable(runs)))


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
