"""Words for the codes stored in rows: statuses, organization kinds, pending chain actions, outcomes,
rate sources and document kinds. Each is an English message marked for extraction here and translated
where it is shown (pages through the `label` filter, domain errors through `Term`)."""

from __future__ import annotations

from marketplace.errors import Term


def N_(message: str) -> str:
    """Mark `message` for extraction by `pybabel extract`; it is translated when shown."""
    return message


STATUS = {
    # RFQs and quotes
    "open": N_("open"),
    "superseded": N_("superseded"),
    "accepted": N_("accepted"),
    # trades
    "awaiting_funding": N_("awaiting funding"),
    "funded": N_("funded"),
    "shipped": N_("shipped"),
    "disputed": N_("disputed"),
    "released": N_("released"),
    "refunded": N_("refunded"),
    "resolved": N_("resolved"),
    # settlement batches
    "pending": N_("pending"),
    "anchored": N_("anchored"),
    # listings
    "draft": N_("draft"),
    "published": N_("published"),
    "archived": N_("archived"),
}
VISIBILITY = {"public": N_("public"), "restricted": N_("only chosen buyers")}
UNIT = {  # UN/ECE Recommendation 20 codes a listing's quantity is counted in
    "PCE": N_("piece"),
    "H87": N_("piece (unit)"),
    "C62": N_("one"),
    "SET": N_("set"),
    "PR": N_("pair"),
    "DZN": N_("dozen"),
    "KGM": N_("kilogram"),
    "GRM": N_("gram"),
    "TNE": N_("tonne"),
    "LBR": N_("pound"),
    "MTR": N_("metre"),
    "CMT": N_("centimetre"),
    "MMT": N_("millimetre"),
    "MTK": N_("square metre"),
    "MTQ": N_("cubic metre"),
    "LTR": N_("litre"),
    "MLT": N_("millilitre"),
    "KWH": N_("kilowatt hour"),
}
ORG_KIND = {
    "exporter": N_("exporter"),
    "buyer": N_("buyer"),
    "auditor": N_("auditor"),
    "arbiter": N_("arbitration desk"),
}
ACTION = {  # a trade's pending chain action, as a noun
    "fund": N_("funding"),
    "ship": N_("shipping"),
    "milestone": N_("milestone payment"),
    "release": N_("release of the payment"),
    "refund": N_("refund"),
    "dispute": N_("dispute"),
    "propose": N_("settlement proposal"),
    "accept": N_("acceptance of the settlement"),
    "settle": N_("settlement"),  # rows written before proposal and acceptance were told apart
    "rule": N_("ruling"),
    "timeout": N_("default outcome"),
}
OUTCOME = {  # how a closed trade was split (ledger.merkle.Outcome)
    "released": N_("released to the seller"),
    "refunded": N_("refunded to the buyer"),
    "ruled": N_("split by ruling"),
    "default_ruled": N_("split by default ruling"),
    "settled": N_("settled by agreement"),
}
RATE_SOURCE = {"ECB euro foreign exchange reference rates": N_("ECB euro foreign exchange reference rates")}
DOCUMENT_KIND = {"bill_of_lading": N_("bill of lading"), "evidence": N_("dispute evidence")}

HTTP_ERROR = {  # pages' words for the web server's own errors (the JSON API keeps the server's English)
    400: N_("The request was not understood."),
    403: N_("You may not open this page."),
    404: N_("There is no such page."),
    405: N_("This address does not take that kind of request."),
    413: N_("What was sent is too large."),
}
HTTP_ERROR_OTHER = N_("The request could not be completed.")

GROUPS: dict[str, dict[str, str]] = {
    "status": STATUS,
    "kind": ORG_KIND,
    "action": ACTION,
    "outcome": OUTCOME,
    "source": RATE_SOURCE,
    "document": DOCUMENT_KIND,
    "visibility": VISIBILITY,
    "unit": UNIT,
}


def words(code: str, group: str) -> str:
    """The English words for `code` in `group` (a KeyError for an unknown code: every code has words)."""
    return GROUPS[group][code]


def term(code: str, group: str) -> Term:
    """The words for `code`, to be translated along with the domain error that carries them."""
    return Term(words(code, group))
