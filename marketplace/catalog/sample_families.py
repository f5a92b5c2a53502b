"""Phrase tables of the sample catalog: product families across HS sections, with names, variants,
materials and selling points per language, and the exporters that sell them (country, currency, ports)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    """A kind of product: its subcategory (under HS section `section`), HS codes, unit and the words a
    listing of it is written with, per language (`en`, `de`, `ja`, `zh_Hans`, `es`)."""

    code: str
    section: str
    hs_codes: tuple[str, ...]
    unit: str
    names: dict[str, str]
    variants: tuple[str, ...]
    materials: dict[str, tuple[str, ...]]
    features: dict[str, tuple[str, ...]]
    standards: tuple[str, ...]
    price_usd: tuple[float, float]
    moqs: tuple[int, ...]


FAMILIES: tuple[Family, ...] = (
    Family(
        "ball-bearings",
        "XVI",
        ("848210", "84821010", "84821090"),
        "PCE",
        {
            "en": "Deep groove ball bearing",
            "de": "Rillenkugellager",
            "ja": "深溝玉軸受",
            "zh_Hans": "深沟球轴承",
            "es": "Rodamiento rígido de bolas",
        },
        ("6204-2RS 20×47×14 mm", "6205-ZZ 25×52×15 mm", "6001-2RS 12×28×8 mm", "6308 40×90×23 mm", "608-ZZ 8×22×7 mm"),
        {
            "en": ("chrome steel", "stainless steel AISI 440C", "ceramic hybrid"),
            "de": ("Wälzlagerstahl 100Cr6", "Edelstahl 1.4125", "Keramik-Hybrid"),
            "ja": ("高炭素クロム軸受鋼", "ステンレス鋼SUS440C", "セラミックハイブリッド"),
            "zh_Hans": ("轴承钢GCr15", "不锈钢440C", "陶瓷混合"),
            "es": ("acero al cromo", "acero inoxidable AISI 440C", "híbrido cerámico"),
        },
        {
            "en": (
                "sealed both sides",
                "C3 clearance",
                "pre-lubricated with lithium grease",
                "low-noise, P6 precision",
            ),
            "de": (
                "beidseitig abgedichtet",
                "Lagerluft C3",
                "mit Lithiumfett vorgeschmiert",
                "geräuscharm, Toleranz P6",
            ),
            "ja": ("両側シール", "C3すきま", "リチウムグリース封入", "低騒音、P6級精度"),
            "zh_Hans": ("双面密封", "C3游隙", "预填锂基润滑脂", "低噪音，P6精度"),
            "es": (
                "sellado por ambos lados",
                "juego C3",
                "prelubricado con grasa de litio",
                "bajo ruido, precisión P6",
            ),
        },
        ("DIN 625", "ISO 15", "JIS B 1521"),
        (0.4, 18.0),
        (100, 500, 1000, 5000),
    ),
    Family(
        "power-cables",
        "XVI",
        ("854449", "854460", "85444920"),
        "MTR",
        {
            "en": "Power cable",
            "de": "Energiekabel",
            "ja": "電力ケーブル",
            "zh_Hans": "电力电缆",
            "es": "Cable de energía",
        },
        ("NYY-J 3×2.5 mm²", "H07RN-F 5G6 mm²", "N2XY 4×16 mm²", "CVV 2×1.5 mm²", "XLPE 1×240 mm² 0.6/1 kV"),
        {
            "en": ("copper conductor, PVC sheath", "copper conductor, XLPE insulation", "tinned copper, rubber sheath"),
            "de": ("Kupferleiter, PVC-Mantel", "Kupferleiter, VPE-Isolierung", "verzinntes Kupfer, Gummimantel"),
            "ja": ("銅導体、ビニルシース", "銅導体、架橋ポリエチレン絶縁", "すずめっき銅、ゴムシース"),
            "zh_Hans": ("铜导体，PVC护套", "铜导体，交联聚乙烯绝缘", "镀锡铜，橡胶护套"),
            "es": ("conductor de cobre, cubierta de PVC", "conductor de cobre, aislamiento XLPE", "cobre estañado"),
        },
        {
            "en": ("flame retardant", "UV resistant", "on 500 m drums", "halogen-free"),
            "de": ("flammwidrig", "UV-beständig", "auf 500-m-Trommeln", "halogenfrei"),
            "ja": ("難燃性", "耐候性", "500 mドラム巻", "ハロゲンフリー"),
            "zh_Hans": ("阻燃", "抗紫外线", "500米盘装", "无卤"),
            "es": ("retardante de llama", "resistente a los rayos UV", "en bobinas de 500 m", "libre de halógenos"),
        },
        ("IEC 60502-1", "DIN VDE 0276", "JIS C 3605"),
        (0.3, 25.0),
        (500, 1000, 5000),
    ),
    Family(
        "ball-valves",
        "XVI",
        ("848180", "84818081", "84818099"),
        "PCE",
        {"en": "Ball valve", "de": "Kugelhahn", "ja": "ボールバルブ", "zh_Hans": "球阀", "es": "Válvula de bola"},
        ("DN15 PN40", "DN25 PN16", "DN50 PN25 flanged", '1/2" BSP', '2" NPT threaded'),
        {
            "en": ("forged brass", "stainless steel 316", "cast steel WCB"),
            "de": ("Messing geschmiedet", "Edelstahl 1.4408", "Stahlguss 1.0619"),
            "ja": ("鍛造黄銅", "ステンレス鋼SCS14", "鋳鋼SCPH2"),
            "zh_Hans": ("锻造黄铜", "不锈钢316", "铸钢WCB"),
            "es": ("latón forjado", "acero inoxidable 316", "acero fundido WCB"),
        },
        {
            "en": ("full bore", "PTFE seats", "ISO 5211 mounting pad", "lockable lever"),
            "de": ("voller Durchgang", "PTFE-Dichtungen", "Kopfflansch nach ISO 5211", "abschließbarer Hebel"),
            "ja": ("フルボア", "PTFEシート", "ISO 5211マウントパッド", "ロック付きレバー"),
            "zh_Hans": ("全通径", "PTFE阀座", "ISO 5211顶法兰", "可锁手柄"),
            "es": ("paso total", "asientos de PTFE", "brida ISO 5211", "palanca con bloqueo"),
        },
        ("DIN EN 13547", "ISO 17292", "JIS B 2071"),
        (3.0, 240.0),
        (10, 50, 100, 500),
    ),
    Family(
        "centrifugal-pumps",
        "XVI",
        ("841370", "84137021", "84137081"),
        "PCE",
        {
            "en": "Centrifugal pump",
            "de": "Kreiselpumpe",
            "ja": "渦巻ポンプ",
            "zh_Hans": "离心泵",
            "es": "Bomba centrífuga",
        },
        ("0.75 kW 230 V", "2.2 kW 400 V", "5.5 kW 400 V 50 Hz", "11 kW end suction", "1.1 kW multistage"),
        {
            "en": ("cast iron housing", "stainless steel impeller", "bronze impeller"),
            "de": ("Gehäuse aus Grauguss", "Laufrad aus Edelstahl", "Laufrad aus Bronze"),
            "ja": ("鋳鉄ケーシング", "ステンレス羽根車", "青銅羽根車"),
            "zh_Hans": ("铸铁泵壳", "不锈钢叶轮", "青铜叶轮"),
            "es": ("carcasa de hierro fundido", "impulsor de acero inoxidable", "impulsor de bronce"),
        },
        {
            "en": ("IE3 motor", "mechanical seal", "for clean water", "IP55"),
            "de": ("IE3-Motor", "Gleitringdichtung", "für sauberes Wasser", "Schutzart IP55"),
            "ja": ("IE3モーター", "メカニカルシール", "清水用", "IP55"),
            "zh_Hans": ("IE3电机", "机械密封", "适用于清水", "防护等级IP55"),
            "es": ("motor IE3", "sello mecánico", "para agua limpia", "IP55"),
        },
        ("ISO 2858", "DIN EN 733", "JIS B 8313"),
        (80.0, 2400.0),
        (1, 5, 10, 20),
    ),
    Family(
        "led-lamps",
        "XVI",
        ("853952", "85395200"),
        "PCE",
        {"en": "LED lamp", "de": "LED-Lampe", "ja": "LED電球", "zh_Hans": "LED灯泡", "es": "Lámpara LED"},
        ("E27 9 W 806 lm", "GU10 5 W 2700 K", "T8 tube 1200 mm 18 W", "E14 candle 4.9 W", "High bay 150 W"),
        {
            "en": ("aluminium heat sink", "polycarbonate diffuser", "glass filament"),
            "de": ("Kühlkörper aus Aluminium", "Diffusor aus Polycarbonat", "Glas, Filament"),
            "ja": ("アルミヒートシンク", "ポリカーボネート拡散カバー", "ガラスフィラメント"),
            "zh_Hans": ("铝散热器", "聚碳酸酯灯罩", "玻璃灯丝"),
            "es": ("disipador de aluminio", "difusor de policarbonato", "filamento de vidrio"),
        },
        {
            "en": ("dimmable", "CRI 90", "25,000 h rated life", "4000 K neutral white"),
            "de": ("dimmbar", "Farbwiedergabe Ra 90", "Lebensdauer 25.000 h", "4000 K neutralweiß"),
            "ja": ("調光対応", "演色性Ra90", "定格寿命25,000時間", "4000K昼白色"),
            "zh_Hans": ("可调光", "显色指数90", "额定寿命25000小时", "4000K中性白"),
            "es": ("regulable", "IRC 90", "vida útil de 25.000 h", "blanco neutro 4000 K"),
        },
        ("IEC 62560", "DIN EN 62612", "JIS C 8158"),
        (0.6, 45.0),
        (200, 1000, 3000, 10000),
    ),
    Family(
        "seamless-steel-pipes",
        "XV",
        ("730419", "730441", "73041910"),
        "MTR",
        {
            "en": "Seamless steel pipe",
            "de": "Nahtloses Stahlrohr",
            "ja": "継目無鋼管",
            "zh_Hans": "无缝钢管",
            "es": "Tubo de acero sin soldadura",
        },
        ("OD 60.3 × 3.91 mm", "OD 114.3 × 6.02 mm", "OD 33.7 × 3.2 mm", '2" SCH40', "OD 219.1 × 8.18 mm"),
        {
            "en": ("carbon steel P235GH", "API 5L grade B", "stainless steel 304L"),
            "de": ("Kesselstahl P235GH", "API 5L Grad B", "Edelstahl 1.4307"),
            "ja": ("炭素鋼STPG370", "API 5L グレードB", "ステンレス鋼SUS304L"),
            "zh_Hans": ("碳钢20#", "API 5L B级", "不锈钢304L"),
            "es": ("acero al carbono P235GH", "API 5L grado B", "acero inoxidable 304L"),
        },
        {
            "en": ("hot rolled", "bevelled ends", "black varnished", "in 6 m lengths", "3.1 mill certificate"),
            "de": ("warmgewalzt", "Schweißfase", "schwarz lackiert", "in 6-m-Längen", "Abnahmezeugnis 3.1"),
            "ja": ("熱間圧延", "開先加工", "黒塗装", "定尺6 m", "ミルシート3.1付"),
            "zh_Hans": ("热轧", "坡口", "黑漆", "定尺6米", "附3.1材质证书"),
            "es": ("laminado en caliente", "extremos biselados", "barnizado negro", "en tramos de 6 m"),
        },
        ("DIN EN 10216-2", "ISO 3183", "JIS G 3454"),
        (4.0, 160.0),
        (300, 600, 1200),
    ),
    Family(
        "hex-bolts",
        "XV",
        ("731815", "73181595"),
        "KGM",
        {
            "en": "Hexagon head bolt",
            "de": "Sechskantschraube",
            "ja": "六角ボルト",
            "zh_Hans": "六角头螺栓",
            "es": "Tornillo de cabeza hexagonal",
        },
        ("M8×40", "M10×50", "M12×80", "M16×120", "M20×100"),
        {
            "en": ("steel grade 8.8, zinc plated", "hot-dip galvanized 10.9", "stainless A2-70"),
            "de": ("Festigkeitsklasse 8.8, verzinkt", "feuerverzinkt 10.9", "Edelstahl A2-70"),
            "ja": ("強度区分8.8、電気亜鉛めっき", "溶融亜鉛めっき10.9", "ステンレスA2-70"),
            "zh_Hans": ("8.8级，镀锌", "热镀锌10.9级", "不锈钢A2-70"),
            "es": ("acero 8.8 cincado", "galvanizado en caliente 10.9", "inoxidable A2-70"),
        },
        {
            "en": ("fully threaded", "partially threaded", "in 25 kg cartons", "with nuts and washers"),
            "de": ("Vollgewinde", "Teilgewinde", "in 25-kg-Kartons", "mit Muttern und Scheiben"),
            "ja": ("全ねじ", "半ねじ", "25 kg箱入り", "ナット・座金付き"),
            "zh_Hans": ("全螺纹", "半螺纹", "25公斤纸箱", "配螺母和垫圈"),
            "es": ("rosca completa", "rosca parcial", "en cajas de 25 kg", "con tuercas y arandelas"),
        },
        ("DIN 933", "ISO 4017", "JIS B 1180"),
        (1.5, 9.0),
        (500, 1000, 2000),
    ),
    Family(
        "cotton-yarn",
        "XI",
        ("520512", "520522", "52052200"),
        "KGM",
        {
            "en": "Cotton yarn",
            "de": "Baumwollgarn",
            "ja": "綿糸",
            "zh_Hans": "棉纱",
            "es": "Hilo de algodón",
        },
        ("Ne 30/1 combed", "Ne 20/1 carded", "Ne 40/1 compact", "Ne 16/1 open end", "Ne 60/2 gassed"),
        {
            "en": ("100% cotton", "organic cotton, GOTS", "Supima cotton"),
            "de": ("100 % Baumwolle", "Bio-Baumwolle, GOTS", "Supima-Baumwolle"),
            "ja": ("綿100%", "オーガニックコットン(GOTS)", "スーピマ綿"),
            "zh_Hans": ("100%棉", "有机棉（GOTS）", "苏皮马棉"),
            "es": ("100 % algodón", "algodón orgánico GOTS", "algodón Supima"),
        },
        {
            "en": ("for knitting", "for weaving", "on cones of 1.89 kg", "raw white"),
            "de": ("für Strickerei", "für Weberei", "auf Konen zu 1,89 kg", "rohweiß"),
            "ja": ("ニット用", "織物用", "1.89 kgコーン巻", "生成り"),
            "zh_Hans": ("针织用", "机织用", "1.89公斤筒装", "本白"),
            "es": ("para tejido de punto", "para tejeduría", "en conos de 1,89 kg", "crudo"),
        },
        ("ISO 2060", "Oeko-Tex Standard 100", "JIS L 1095"),
        (2.2, 7.5),
        (1000, 5000, 20000),
    ),
    Family(
        "t-shirts",
        "XI",
        ("610910", "61091000"),
        "PCE",
        {"en": "T-shirt", "de": "T-Shirt", "ja": "Tシャツ", "zh_Hans": "T恤衫", "es": "Camiseta"},
        ("crew neck 180 g/m²", "V-neck 150 g/m²", "heavyweight 220 g/m²", "long sleeve 200 g/m²", "polo 200 g/m²"),
        {
            "en": ("100% cotton jersey", "organic cotton", "cotton/elastane 95/5"),
            "de": ("Single Jersey aus 100 % Baumwolle", "Bio-Baumwolle", "Baumwolle/Elasthan 95/5"),
            "ja": ("綿100%天竺", "オーガニックコットン", "綿95%ポリウレタン5%"),
            "zh_Hans": ("100%纯棉汗布", "有机棉", "棉95%氨纶5%"),
            "es": ("punto jersey 100 % algodón", "algodón orgánico", "algodón/elastano 95/5"),
        },
        {
            "en": ("sizes S-XXL", "pre-shrunk", "private label available", "reactive dyed"),
            "de": ("Größen S-XXL", "vorgewaschen", "Eigenmarke möglich", "reaktiv gefärbt"),
            "ja": ("サイズS～XXL", "防縮加工", "OEM対応", "反応染め"),
            "zh_Hans": ("尺码S-XXL", "预缩处理", "可贴牌", "活性染色"),
            "es": ("tallas S-XXL", "preencogida", "marca blanca disponible", "teñido reactivo"),
        },
        ("Oeko-Tex Standard 100", "ISO 3758", "GOTS"),
        (1.8, 9.5),
        (300, 500, 1000, 3000),
    ),
    Family(
        "tea",
        "II",
        ("090210", "090230", "09021000"),
        "KGM",
        {"en": "Tea", "de": "Tee", "ja": "茶葉", "zh_Hans": "茶叶", "es": "Té"},
        ("Sencha first flush", "Matcha ceremonial grade", "Assam TGFOP", "Darjeeling FTGFOP1", "Gyokuro"),
        {
            "en": ("green tea", "black tea", "organic green tea"),
            "de": ("Grüner Tee", "Schwarzer Tee", "Bio-Grüntee"),
            "ja": ("緑茶", "紅茶", "有機緑茶"),
            "zh_Hans": ("绿茶", "红茶", "有机绿茶"),
            "es": ("té verde", "té negro", "té verde ecológico"),
        },
        {
            "en": ("loose leaf", "in 1 kg foil bags", "spring harvest", "pesticide residue tested"),
            "de": ("lose Blätter", "in 1-kg-Aromabeuteln", "Frühjahrsernte", "auf Rückstände geprüft"),
            "ja": ("リーフ", "1 kgアルミ袋入り", "一番摘み", "残留農薬検査済み"),
            "zh_Hans": ("散装茶叶", "1公斤铝箔袋", "春茶", "农残检测合格"),
            "es": ("hoja suelta", "en bolsas de 1 kg", "cosecha de primavera", "análisis de residuos"),
        },
        ("ISO 3720", "JAS organic", "EU 2018/848"),
        (8.0, 140.0),
        (20, 50, 100, 500),
    ),
    Family(
        "coffee",
        "II",
        ("090111", "090121", "09011100"),
        "KGM",
        {"en": "Coffee beans", "de": "Kaffeebohnen", "ja": "コーヒー豆", "zh_Hans": "咖啡豆", "es": "Café en grano"},
        ("Arabica Santos NY2 17/18", "Robusta grade 1 screen 18", "Arabica Cerrado", "Sul de Minas", "Dak Lak"),
        {
            "en": ("green, washed", "green, natural process", "roasted medium"),
            "de": ("Rohkaffee, gewaschen", "Rohkaffee, naturbelassen", "mittel geröstet"),
            "ja": ("生豆、ウォッシュト", "生豆、ナチュラル", "中煎り"),
            "zh_Hans": ("生豆，水洗", "生豆，日晒", "中度烘焙"),
            "es": ("verde, lavado", "verde, natural", "tostado medio"),
        },
        {
            "en": ("in 60 kg jute bags", "crop 2026", "Rainforest Alliance certified", "cup score 82+"),
            "de": ("in 60-kg-Jutesäcken", "Ernte 2026", "Rainforest-Alliance-zertifiziert", "Cupping 82+"),
            "ja": ("60 kg麻袋入り", "2026年産", "レインフォレスト・アライアンス認証", "カップスコア82以上"),
            "zh_Hans": ("60公斤麻袋装", "2026产季", "雨林联盟认证", "杯测82分以上"),
            "es": ("en sacos de yute de 60 kg", "cosecha 2026", "certificado Rainforest Alliance", "taza 82+"),
        },
        ("ISO 10470", "ISO 4149", "EU 2018/848"),
        (3.5, 14.0),
        (600, 1200, 19200),
    ),
    Family(
        "olive-oil",
        "III",
        ("150920", "150930", "15092000"),
        "LTR",
        {
            "en": "Extra virgin olive oil",
            "de": "Natives Olivenöl extra",
            "ja": "エクストラバージンオリーブオイル",
            "zh_Hans": "特级初榨橄榄油",
            "es": "Aceite de oliva virgen extra",
        },
        ("500 ml glass bottle", "5 l tin", "1 l PET bottle", "bulk 1000 l IBC", "250 ml dark glass"),
        {
            "en": ("Coratina cultivar", "Frantoio and Leccino", "Picual"),
            "de": ("Sorte Coratina", "Frantoio und Leccino", "Picual"),
            "ja": ("コラティーナ種", "フラントイオ種・レッチーノ種", "ピクアル種"),
            "zh_Hans": ("科拉蒂纳品种", "弗朗托依和莱星品种", "皮夸尔品种"),
            "es": ("variedad Coratina", "Frantoio y Leccino", "Picual"),
        },
        {
            "en": ("cold extracted", "acidity below 0.3%", "PDO Toscano", "harvest 2025/26"),
            "de": ("kalt extrahiert", "Säure unter 0,3 %", "g.U. Toscano", "Ernte 2025/26"),
            "ja": ("低温抽出", "酸度0.3%未満", "PDOトスカーノ", "2025/26年収穫"),
            "zh_Hans": ("冷榨", "酸度低于0.3%", "托斯卡纳原产地保护", "2025/26产季"),
            "es": ("extracción en frío", "acidez inferior al 0,3 %", "DOP Toscano", "cosecha 2025/26"),
        },
        ("EU 2022/2104", "IOC COI/T.15", "ISO 660"),
        (5.0, 22.0),
        (300, 1000, 5000),
    ),
    Family(
        "porcelain-tableware",
        "XIII",
        ("691110", "69111000"),
        "SET",
        {
            "en": "Porcelain tableware set",
            "de": "Porzellan-Geschirrset",
            "ja": "磁器食器セット",
            "zh_Hans": "瓷器餐具套装",
            "es": "Vajilla de porcelana",
        },
        ("18 pieces", "24 pieces for 6 persons", "dinner plates 27 cm, 6 pieces", "30 pieces", "tea set 15 pieces"),
        {
            "en": ("hard porcelain", "bone china", "stoneware with reactive glaze"),
            "de": ("Hartporzellan", "Bone China", "Steinzeug mit Reaktivglasur"),
            "ja": ("硬質磁器", "ボーンチャイナ", "窯変釉の炻器"),
            "zh_Hans": ("硬质瓷", "骨瓷", "窑变釉炻器"),
            "es": ("porcelana dura", "porcelana de hueso", "gres con esmalte reactivo"),
        },
        {
            "en": ("dishwasher safe", "microwave safe", "hotel grade", "hand-painted rim"),
            "de": ("spülmaschinenfest", "mikrowellengeeignet", "Hotelqualität", "handbemalter Rand"),
            "ja": ("食洗機対応", "電子レンジ対応", "業務用", "手描き縁"),
            "zh_Hans": ("可用洗碗机", "可用微波炉", "酒店级", "手绘边"),
            "es": ("apto para lavavajillas", "apto para microondas", "calidad hostelería", "borde pintado a mano"),
        },
        ("DIN EN 1388", "ISO 6486", "JIS S 2400"),
        (12.0, 180.0),
        (50, 100, 300),
    ),
    Family(
        "office-furniture",
        "XX",
        ("940330", "940360", "94033011"),
        "PCE",
        {
            "en": "Office desk",
            "de": "Büroschreibtisch",
            "ja": "オフィスデスク",
            "zh_Hans": "办公桌",
            "es": "Mesa de oficina",
        },
        ("160×80 cm", "140×70 cm height adjustable", "180×90 cm executive", "120×60 cm", "bench 4 seats"),
        {
            "en": ("oak veneer", "melamine on chipboard", "solid acacia", "powder-coated steel frame"),
            "de": (
                "Eichenfurnier",
                "melaminbeschichtete Spanplatte",
                "Akazie massiv",
                "pulverbeschichtetes Stahlgestell",
            ),
            "ja": ("オーク突板", "メラミン化粧パーティクルボード", "アカシア無垢材", "粉体塗装スチール脚"),
            "zh_Hans": ("橡木贴皮", "三聚氰胺刨花板", "实木相思木", "喷涂钢架"),
            "es": ("chapa de roble", "melamina sobre aglomerado", "acacia maciza", "estructura de acero"),
        },
        {
            "en": ("flat packed", "cable tray included", "FSC certified wood", "10-year warranty"),
            "de": ("zerlegt verpackt", "mit Kabelwanne", "FSC-zertifiziertes Holz", "10 Jahre Garantie"),
            "ja": ("組立式", "配線トレー付き", "FSC認証材", "10年保証"),
            "zh_Hans": ("平板包装", "含走线槽", "FSC认证木材", "十年质保"),
            "es": ("embalaje plano", "bandeja de cables incluida", "madera certificada FSC", "garantía de 10 años"),
        },
        ("DIN EN 527-1", "ISO 5970", "JIS S 1031"),
        (45.0, 620.0),
        (10, 20, 50, 100),
    ),
)

BY_CODE = {f.code: f for f in FAMILIES}

SUBCATEGORY_NAMES: dict[str, dict[str, str]] = {
    "ball-bearings": {"en": "Ball bearings", "de": "Kugellager", "ja": "玉軸受"},
    "power-cables": {"en": "Power cables", "de": "Energiekabel", "ja": "電力ケーブル"},
    "ball-valves": {"en": "Valves", "de": "Armaturen", "ja": "バルブ"},
    "centrifugal-pumps": {"en": "Pumps", "de": "Pumpen", "ja": "ポンプ"},
    "led-lamps": {"en": "LED lighting", "de": "LED-Beleuchtung", "ja": "LED照明"},
    "seamless-steel-pipes": {"en": "Steel pipes", "de": "Stahlrohre", "ja": "鋼管"},
    "hex-bolts": {"en": "Fasteners", "de": "Verbindungselemente", "ja": "締結部品"},
    "cotton-yarn": {"en": "Yarn", "de": "Garne", "ja": "糸"},
    "t-shirts": {"en": "Knitted garments", "de": "Maschenware", "ja": "ニット衣類"},
    "tea": {"en": "Tea", "de": "Tee", "ja": "茶"},
    "coffee": {"en": "Coffee", "de": "Kaffee", "ja": "コーヒー"},
    "olive-oil": {"en": "Olive oil", "de": "Olivenöl", "ja": "オリーブオイル"},
    "porcelain-tableware": {"en": "Tableware", "de": "Geschirr", "ja": "食器"},
    "office-furniture": {"en": "Office furniture", "de": "Büromöbel", "ja": "オフィス家具"},
}
"""The subcategory each family is filed under (its code is the family's), named per language."""


@dataclass(frozen=True)
class Exporter:
    """A sample exporter: who it is, where it ships from, what it sells and in which languages."""

    name: str
    country: str
    currency: str
    locale: str
    city: str
    ports: tuple[str, ...]
    families: tuple[str, ...]
    languages: tuple[str, ...]


EXPORTERS: tuple[Exporter, ...] = (
    Exporter(
        "Hanseatic Bearings GmbH",
        "DE",
        "EUR",
        "de",
        "Hamburg",
        ("Hamburg", "Bremerhaven"),
        ("ball-bearings", "ball-valves", "centrifugal-pumps", "hex-bolts", "seamless-steel-pipes"),
        ("de", "en", "ja"),
    ),
    Exporter(
        "Kansai Seiko K.K.",
        "JP",
        "JPY",
        "ja",
        "Osaka",
        ("Osaka", "Kobe", "Yokohama"),
        ("ball-bearings", "led-lamps", "porcelain-tableware", "tea"),
        ("ja", "en", "de"),
    ),
    Exporter(
        "Ningbo Everbright Electric Co., Ltd.",
        "CN",
        "CNY",
        "zh_Hans",
        "Ningbo",
        ("Ningbo", "Shanghai", "Shenzhen"),
        ("power-cables", "led-lamps", "ball-valves", "office-furniture", "hex-bolts"),
        ("zh_Hans", "en", "ja", "de"),
    ),
    Exporter(
        "Frantoio Toscano S.r.l.",
        "IT",
        "EUR",
        "it",
        "Florence",
        ("Livorno", "La Spezia", "Genoa"),
        ("olive-oil", "porcelain-tableware", "office-furniture"),
        ("en", "de", "es", "ja"),
    ),
    Exporter(
        "Coimbatore Cotton Mills Pvt. Ltd.",
        "IN",
        "INR",
        "en_IN",
        "Coimbatore",
        ("Chennai", "Tuticorin", "Nhava Sheva"),
        ("cotton-yarn", "t-shirts", "tea", "centrifugal-pumps"),
        ("en", "de", "ja"),
    ),
    Exporter(
        "Cafés do Cerrado Exportação Ltda.",
        "BR",
        "BRL",
        "pt_BR",
        "Santos",
        ("Santos", "Paranaguá", "Vitória"),
        ("coffee", "office-furniture"),
        ("en", "es", "de", "ja"),
    ),
    Exporter(
        "Anadolu Boru Sanayi A.Ş.",
        "TR",
        "TRY",
        "tr",
        "Istanbul",
        ("Mersin", "Istanbul Ambarlı", "Izmir"),
        ("seamless-steel-pipes", "hex-bolts", "t-shirts", "cotton-yarn"),
        ("en", "de"),
    ),
    Exporter(
        "Saigon Highland Trading JSC",
        "VN",
        "USD",  # Vietnamese exporters quote in dollars (and there is no ECB reference rate for VND)
        "vi",
        "Ho Chi Minh City",
        ("Ho Chi Minh City (Cat Lai)", "Hai Phong", "Da Nang"),
        ("coffee", "office-furniture", "t-shirts", "porcelain-tableware"),
        ("en", "ja", "zh_Hans"),
    ),
)

DESTINATIONS = (
    "Rotterdam",
    "Antwerp",
    "Felixstowe",
    "Los Angeles",
    "New York",
    "Singapore",
    "Dubai (Jebel Ali)",
    "Yokohama",
    "Busan",
    "Sydney",
    "Hamburg",
    "Valencia",
)
"""Ports of destination the sample exporters quote CFR, CIF and DAP to."""

USD_RATES = {"EUR": 0.92, "JPY": 150.0, "CNY": 7.2, "INR": 83.0, "BRL": 5.0, "TRY": 32.0, "USD": 1.0}
"""Rough units of each sample currency per US dollar, so sample prices look plausible."""
