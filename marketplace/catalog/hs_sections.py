"""The 21 sections of the Harmonized System: the roots of the category tree (code, chapters, names)."""

from __future__ import annotations

from functools import lru_cache

SECTIONS: tuple[tuple[str, str, dict[str, str]], ...] = (
    (
        "I",
        "01-05",
        {
            "en": "Live animals; animal products",
            "de": "Lebende Tiere und Waren tierischen Ursprungs",
            "ja": "動物及び動物性生産品",
        },
    ),
    ("II", "06-14", {"en": "Vegetable products", "de": "Waren pflanzlichen Ursprungs", "ja": "植物性生産品"}),
    (
        "III",
        "15-15",
        {
            "en": "Animal, vegetable or microbial fats and oils",
            "de": "Tierische, pflanzliche oder mikrobielle Fette und Öle",
            "ja": "動物性、植物性又は微生物性の油脂",
        },
    ),
    (
        "IV",
        "16-24",
        {
            "en": "Prepared foodstuffs; beverages, spirits and vinegar; tobacco",
            "de": "Lebensmittelzubereitungen; Getränke, Spirituosen und Essig; Tabak",
            "ja": "調製食料品、飲料、アルコール、食酢及びたばこ",
        },
    ),
    ("V", "25-27", {"en": "Mineral products", "de": "Mineralische Stoffe", "ja": "鉱物性生産品"}),
    (
        "VI",
        "28-38",
        {
            "en": "Products of the chemical or allied industries",
            "de": "Erzeugnisse der chemischen Industrie und verwandter Industrien",
            "ja": "化学工業の生産品",
        },
    ),
    (
        "VII",
        "39-40",
        {
            "en": "Plastics and rubber, and articles thereof",
            "de": "Kunststoffe und Kautschuk und Waren daraus",
            "ja": "プラスチック及びゴム並びにこれらの製品",
        },
    ),
    (
        "VIII",
        "41-43",
        {
            "en": "Hides, skins, leather, furskins and articles thereof; travel goods and handbags",
            "de": "Häute, Felle, Leder, Pelzfelle und Waren daraus; Reiseartikel und Handtaschen",
            "ja": "皮革、毛皮及びこれらの製品、旅行用具及びハンドバッグ",
        },
    ),
    (
        "IX",
        "44-46",
        {
            "en": "Wood and articles of wood; cork; basketware",
            "de": "Holz und Holzwaren; Kork; Flechtwaren",
            "ja": "木材及びその製品、コルク及びかご細工物",
        },
    ),
    (
        "X",
        "47-49",
        {
            "en": "Pulp of wood; paper and paperboard and articles thereof",
            "de": "Holzstoff; Papier und Pappe und Waren daraus",
            "ja": "パルプ、紙及び板紙並びにこれらの製品",
        },
    ),
    (
        "XI",
        "50-63",
        {"en": "Textiles and textile articles", "de": "Spinnstoffe und Waren daraus", "ja": "紡織用繊維及びその製品"},
    ),
    (
        "XII",
        "64-67",
        {
            "en": "Footwear, headgear, umbrellas; prepared feathers; artificial flowers",
            "de": "Schuhe, Kopfbedeckungen, Regenschirme; zugerichtete Federn; künstliche Blumen",
            "ja": "履物、帽子、傘、調製羽毛及び造花",
        },
    ),
    (
        "XIII",
        "68-70",
        {
            "en": "Articles of stone, plaster or cement; ceramic products; glass",
            "de": "Waren aus Steinen, Gips oder Zement; keramische Waren; Glas",
            "ja": "石、プラスター又はセメントの製品、陶磁製品及びガラス",
        },
    ),
    (
        "XIV",
        "71-71",
        {
            "en": "Pearls, precious stones and metals; jewellery; coin",
            "de": "Perlen, Edelsteine und Edelmetalle; Schmuck; Münzen",
            "ja": "真珠、貴石、貴金属及びその製品、身辺用模造細貨類並びに貨幣",
        },
    ),
    (
        "XV",
        "72-83",
        {
            "en": "Base metals and articles of base metal",
            "de": "Unedle Metalle und Waren daraus",
            "ja": "卑金属及びその製品",
        },
    ),
    (
        "XVI",
        "84-85",
        {
            "en": "Machinery and mechanical appliances; electrical equipment",
            "de": "Maschinen, Apparate und mechanische Geräte; elektrotechnische Waren",
            "ja": "機械類及び電気機器",
        },
    ),
    (
        "XVII",
        "86-89",
        {
            "en": "Vehicles, aircraft, vessels and transport equipment",
            "de": "Beförderungsmittel",
            "ja": "車両、航空機、船舶及び輸送機器",
        },
    ),
    (
        "XVIII",
        "90-92",
        {
            "en": "Optical, measuring and medical instruments; clocks and watches; musical instruments",
            "de": "Optische, Mess- und medizinische Instrumente; Uhren; Musikinstrumente",
            "ja": "光学機器、測定機器、医療用機器、時計及び楽器",
        },
    ),
    ("XIX", "93-93", {"en": "Arms and ammunition", "de": "Waffen und Munition", "ja": "武器及び銃砲弾"}),
    ("XX", "94-96", {"en": "Miscellaneous manufactured articles", "de": "Verschiedene Waren", "ja": "雑品"}),
    (
        "XXI",
        "97-97",
        {
            "en": "Works of art, collectors' pieces and antiques",
            "de": "Kunstgegenstände, Sammlungsstücke und Antiquitäten",
            "ja": "美術品、収集品及びこっとう",
        },
    ),
)


def section_of(hs_code: str) -> str:
    """The code of the section an HS code's chapter (its first two digits) falls in."""
    return _section_of_chapter(hs_code[:2])


@lru_cache(maxsize=128)
def _section_of_chapter(digits: str) -> str:
    chapter = int(digits)
    for code, chapters, _names in SECTIONS:
        low, high = (int(x) for x in chapters.split("-"))
        if low <= chapter <= high:
            return code
    raise ValueError(f"HS chapter {chapter:02d} is in no section")
