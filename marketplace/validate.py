"""The field types every request schema is built from, and how a refused field becomes a 400.

Schemas are pydantic models in strict mode: a number where text is expected (or the reverse) is refused,
not converted. Text is bounded by its column's size and may not hold NUL, other control characters, lone
surrogates or bidirectional overrides; invisible characters are removed (`_clean_text`). Whole numbers are
bounded by PostgreSQL's `integer`; amounts are plain decimal strings of ASCII digits that fit BIGINT minor
units. Page forms send text only: `form_data` turns the fields that are plainly whole numbers or (in the
page's language) amounts into what the same schemas expect."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, TypeVar, get_args, get_origin

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberFormatError, get_decimal_symbol, get_group_symbol, parse_decimal
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema
from pydantic_core import PydanticCustomError

from marketplace.errors import Invalid
from marketplace.pricing.money import AMOUNT, KNOWN_CURRENCIES

INT_MAX = 2**31 - 1
"""PostgreSQL `integer`: ids, quantities and day counts stay below it."""
LONG_TEXT = 10_000
"""Descriptions, messages and notes."""

M = TypeVar("M", bound=BaseModel)


def error_template(text: str) -> str:
    """Marks an error message template for extraction (`make messages`); returns it unchanged."""
    return text


GIVEN_TWICE = error_template("%(name)s is given more than once: give it once")
"""A query string parameter repeated (`origin=DE&origin=JP`): which one was meant cannot be told."""


def refuse(template: str, **params: object) -> PydanticCustomError:
    """A validation error whose message is a translatable %-template (see marketplace.errors)."""
    return PydanticCustomError("tradewind", template, params)  # type: ignore[arg-type]


class Schema(BaseModel):
    """A request: strict types, unknown fields refused, text stripped."""

    model_config = ConfigDict(strict=True, extra="forbid", str_strip_whitespace=True, frozen=True)


class Query(Schema):
    """A query string: other parameters (such as `lang`) are left to the pages."""

    model_config = ConfigDict(extra="ignore")


BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI): refused."""
INVISIBLE = frozenset("\u200b\u2060\ufeff\u180e")
"""Zero-width space, word joiner, zero-width no-break space (a byte order mark), Mongolian vowel separator:
removed."""
JOINERS = frozenset("\u200c\u200d")
"""Zero-width non-joiner and joiner: kept where a script or an emoji needs them, removed elsewhere."""
BIDI_MARKS = frozenset("\u200e\u200f\u061c")
"""Left-to-right, right-to-left and Arabic letter marks: kept in text with right-to-left letters, else removed."""


def _joins(before: str, after: str) -> bool:
    """Whether a joiner between `before` and `after` can do its work: both are letters, marks or symbols
    (emoji) outside ASCII, as in Persian words, Indic conjuncts and emoji sequences."""
    return all(ord(c) > 0x7F and unicodedata.category(c)[0] in "LMS" for c in (before, after))


def _clean_text(value: str, min_length: int = 0) -> str:
    """Text as it is kept: control characters and lone surrogates are refused, and so are the bidirectional
    embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069), which make text display in another
    order than it is stored and read (a title that shows as one product while it says another).

    Invisible characters are removed rather than refused, since they arrive unseen, pasted from documents and
    web pages, and nobody can fix what they cannot see: the zero-width space, word joiner and byte order mark
    (U+200B, U+2060, U+FEFF) always; the zero-width non-joiner and joiner (U+200C, U+200D) unless they stand
    between two letters, marks or symbols outside ASCII, where Persian, Indic scripts and emoji sequences
    (👩‍🔬) need them; the directional marks (U+200E, U+200F, U+061C) unless the text has right-to-left
    letters, whose neighbouring digits and punctuation they place. What is left is stripped again and must not
    be empty where the field requires text."""
    if value.isprintable():  # no control, format or separator characters but the space: the common case, in C
        return value
    kept: list[str] = []
    rtl: bool | None = None
    for i, char in enumerate(value):
        if "\ud800" <= char <= "\udfff" or (unicodedata.category(char) == "Cc" and char not in "\t\n\r"):
            raise refuse("%(name)s contains a control character or an invalid code point")
        if char in BIDI_CONTROLS:
            raise refuse(
                "%(name)s contains the bidirectional control character %(code)s, which makes text show in another "
                "order than it is written; remove it",
                code=f"U+{ord(char):04X}",
            )
        if char in INVISIBLE:
            continue
        if char in JOINERS and not (0 < i < len(value) - 1 and _joins(value[i - 1], value[i + 1])):
            continue
        if char in BIDI_MARKS:
            if rtl is None:
                rtl = any(unicodedata.bidirectional(c) in ("R", "AL") for c in value)
            if not rtl:
                continue
        kept.append(char)
    cleaned = "".join(kept)
    if len(cleaned) != len(value):
        cleaned = cleaned.strip()
        if len(cleaned) < min_length:
            raise refuse("%(name)s must not be empty")
    return cleaned


def Text(max_length: int, *, min_length: int = 0) -> Any:
    """Text of at most `max_length` characters (the column's size), cleaned by `_clean_text`."""
    return Annotated[
        str,
        Field(min_length=min_length, max_length=max_length),
        AfterValidator(lambda value: _clean_text(value, min_length)),
    ]


def Whole(maximum: int = INT_MAX) -> Any:
    """A whole number from 1 to `maximum`."""
    return Annotated[int, Field(gt=0, le=maximum)]


def _amount(value: object) -> Decimal:
    if isinstance(value, str) and value.strip().startswith("-") and AMOUNT.fullmatch(value.strip()[1:]):
        raise refuse("%(name)s must be at least %(ge)s", ge=0)  # a negative amount: say so, not "not a number"
    if not isinstance(value, str) or not AMOUNT.fullmatch(value.strip()):
        raise refuse('%(name)s must be a decimal number written as text, such as "12.50"')
    return Decimal(value.strip())


Amount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    WithJsonSchema({"type": "string", "pattern": f"^{AMOUNT.pattern}$", "examples": ["12.50"]}),
]
"""A non-negative decimal given as text ("12.50"): ASCII digits, at most 15 before the point and 6 after."""


def _currency(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{3}", value) or value.upper() not in KNOWN_CURRENCIES:
        raise refuse("%(name)s must be an ISO 4217 currency code such as EUR")
    return value.upper()


Currency = Annotated[str, Field(max_length=3), AfterValidator(_currency)]


@lru_cache(maxsize=1024)
def _locale(value: str) -> str:
    """A Babel locale identifier; BCP 47 tags as browsers send them (`de-DE`) are accepted too."""
    value = value.replace("-", "_")
    try:
        if not re.fullmatch(r"[a-z]{2,3}(_[A-Za-z0-9]{2,8}){0,2}", value):
            raise ValueError(value)
        return str(Locale.parse(value))
    except (ValueError, UnknownLocaleError):
        raise refuse("%(name)s must be a locale such as de or pt_BR") from None


LocaleCode = Annotated[str, Field(max_length=16), AfterValidator(_locale)]


HS_CHAPTERS = frozenset(range(1, 98)) - {77}
"""Chapters 01 to 97 of the Harmonized System; 77 is reserved for future use."""


def _hs_code(value: str) -> str:
    digits = re.sub(r"[.\s]", "", value)
    if not re.fullmatch(r"[0-9]{6,10}", digits):
        raise refuse("%(name)s must be an HS code of 6 to 10 digits, such as 8482.10")
    if int(digits[:2]) not in HS_CHAPTERS:
        raise refuse("%(name)s must start with an HS chapter from 01 to 97")
    return digits


HsCode = Annotated[str, Field(max_length=16), AfterValidator(_hs_code)]
"""An HS code of 6 to 10 digits, dots and spaces allowed (`8482.10`); kept as digits only (`848210`)."""


def hs_display(digits: str) -> str:
    """An HS code as it is printed: heading, subheading, then the national digits (`8482.10.50`)."""
    return ".".join([digits[:4], *(digits[i : i + 2] for i in range(4, len(digits), 2))])


COUNTRIES = frozenset(
    code
    for code in Locale("en").territories
    if re.fullmatch(r"[A-Z]{2}", code) and code not in {"EU", "EZ", "UN", "ZZ"}
)
"""ISO 3166-1 alpha-2 codes (Babel's territories, without the groupings it lists beside them)."""


def _country(value: str) -> str:
    if value.upper() not in COUNTRIES:
        raise refuse("%(name)s must be an ISO 3166-1 country code such as DE")
    return value.upper()


Country = Annotated[str, Field(max_length=2), AfterValidator(_country)]

Sha256 = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$"), AfterValidator(str.lower)]


_BUILTIN = {
    "missing": error_template("%(name)s is required"),
    "extra_forbidden": error_template("%(name)s is not a known field"),
    "string_type": error_template("%(name)s must be text"),
    "string_unicode": error_template("%(name)s contains a control character or an invalid code point"),
    "string_too_short": error_template("%(name)s must not be empty"),
    "string_too_long": error_template("%(name)s must be at most %(max_length)s characters"),
    "string_pattern_mismatch": error_template("%(name)s has the wrong format"),
    "int_type": error_template("%(name)s must be a whole number"),
    "greater_than": error_template("%(name)s must be above %(gt)s"),
    "less_than_equal": error_template("%(name)s must be at most %(le)s"),
    "greater_than_equal": error_template("%(name)s must be at least %(ge)s"),
    "too_long": error_template("%(name)s has more than %(max_length)s entries"),
    "too_short": error_template("%(name)s needs at least %(min_length)s entries"),
    "list_type": error_template("%(name)s must be a list"),
    "literal_error": error_template("%(name)s must be one of %(expected)s"),
    "model_type": error_template("%(name)s must be an object"),
    "dict_type": error_template("%(name)s must be an object"),
}


def refusals(exc: ValidationError) -> list[tuple[tuple[str | int, ...], str, dict[str, object]]]:
    """Every error of a refused request: (location, translatable template, its parameters but `name`)."""
    found = []
    for error in exc.errors(include_url=False):
        params = {k: v for k, v in (error.get("ctx") or {}).items() if isinstance(v, str | int | Decimal)}
        if error["type"] == "tradewind":
            template = error["msg"]
        else:
            template = _BUILTIN.get(error["type"], error_template("%(name)s is not valid"))
        found.append((tuple(error["loc"]), template, params))
    return found


def invalid(exc: ValidationError) -> Invalid:
    """The first error of a refused request as the domain's Invalid, naming the field."""
    location, template, params = refusals(exc)[0]
    field = ".".join(str(part) for part in location if part != "[key]") or None
    return Invalid(template, field, **params, name=field or "the request")


def localized_amount(text: str, locale: str) -> str:
    """An amount typed in a page in `locale` ("12,50" or "1.234,50" in German) as a plain decimal string
    ("12.50"); text that is not one is returned unchanged, for the schema to refuse."""
    text = text.strip()
    if AMOUNT.fullmatch(text) and "," not in text:
        grouped = re.fullmatch(r"[0-9]{1,3}(\.[0-9]{3})+", text)
        if grouped and get_group_symbol(locale) == "." and get_decimal_symbol(locale) != ".":
            return text.replace(".", "")  # "1.000" on a German page is a thousand
        return text  # "12.50" is read as typed on every page
    if not re.fullmatch(r"[0-9.,'\s\u00a0\u202f\u2019]+", text):
        return text
    try:
        value = parse_decimal(text, locale=locale, strict=True)
    except NumberFormatError:
        return text
    return format(value, "f") if value.is_finite() else text


@lru_cache(maxsize=1024)
def _kind(schema: type[BaseModel], key: str) -> type | None:
    """int or Decimal if the schema's field `key` takes one (possibly optional), else None."""
    field = schema.model_fields.get(key)
    if field is None:
        return None
    types = get_args(field.annotation) or (field.annotation,)
    types = tuple(get_args(t)[0] if get_origin(t) is Annotated else t for t in types)
    return next((t for t in (int, Decimal) if t in types), None)


def parse_form(schema: type[M], fields: dict[str, object], locale: str) -> M:
    """A page form through `schema`. Forms send text: empty fields are left out (the schema's default
    applies), a whole-number field of plain digits (a minus sign allowed, for the schema to say how low
    it may go) becomes a number, an amount field is read in the page's `locale`; anything else reaches the
    schema as typed, to be refused there."""
    data: dict[str, object] = {}
    for key, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
            if not value:
                continue
            kind = _kind(schema, key)
            if kind is not None:
                value = unicodedata.normalize("NFKC", value)  # full-width digits, as Japanese input gives them
            if kind is int and re.fullmatch(r"-?[0-9]{1,1000}", value):  # a huge one: "at most", not "a number"
                value = int(value)
            elif kind is Decimal:
                value = localized_amount(value, locale)
        data[key] = value
    return schema.model_validate(data)
