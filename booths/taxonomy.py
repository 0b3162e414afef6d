"""The fixed industry taxonomy: codes stored on booths, labels in the six languages.

Twelve sectors matching what the city's manufacturers make. A fixed list (not free tags) so
that the directory filter and the conversion report's "by category" stay comparable across
fairs; labels are written here rather than in the gettext catalogs because they are data a
translator reviews as a table.
"""

from __future__ import annotations

from fair.i18n import lazy, pick_text

CATEGORIES: dict[str, dict[str, str]] = {
    "machinery": {
        "ja": "産業機械",
        "en": "Industrial Machinery",
        "zh_Hans": "工业机械",
        "zh_Hant": "工業機械",
        "vi": "Máy móc công nghiệp",
        "th": "เครื่องจักรอุตสาหกรรม",
    },
    "metal_parts": {
        "ja": "金属部品・金属加工",
        "en": "Metal Parts & Metalworking",
        "zh_Hans": "金属零部件与加工",
        "zh_Hant": "金屬零組件與加工",
        "vi": "Linh kiện và gia công kim loại",
        "th": "ชิ้นส่วนและงานแปรรูปโลหะ",
    },
    "cutlery_tools": {
        "ja": "刃物・作業工具",
        "en": "Cutlery & Hand Tools",
        "zh_Hans": "刀具与手工具",
        "zh_Hant": "刀具與手工具",
        "vi": "Dao kéo và dụng cụ cầm tay",
        "th": "มีดและเครื่องมือช่าง",
    },
    "food_beverage": {
        "ja": "食品・飲料",
        "en": "Food & Beverages",
        "zh_Hans": "食品饮料",
        "zh_Hant": "食品飲料",
        "vi": "Thực phẩm và đồ uống",
        "th": "อาหารและเครื่องดื่ม",
    },
    "textiles": {
        "ja": "繊維・テキスタイル",
        "en": "Textiles",
        "zh_Hans": "纺织品",
        "zh_Hant": "紡織品",
        "vi": "Dệt may",
        "th": "สิ่งทอ",
    },
    "ceramics": {
        "ja": "陶磁器",
        "en": "Ceramics & Porcelain",
        "zh_Hans": "陶瓷器皿",
        "zh_Hant": "陶瓷器皿",
        "vi": "Gốm sứ",
        "th": "เซรามิกและเครื่องกระเบื้อง",
    },
    "chemicals": {
        "ja": "化学品",
        "en": "Chemicals",
        "zh_Hans": "化工产品",
        "zh_Hant": "化工產品",
        "vi": "Hóa chất",
        "th": "เคมีภัณฑ์",
    },
    "electronics": {
        "ja": "電子部品・電気機器",
        "en": "Electronics & Electrical Components",
        "zh_Hans": "电子元器件与电气设备",
        "zh_Hant": "電子元件與電氣設備",
        "vi": "Linh kiện điện tử và thiết bị điện",
        "th": "อิเล็กทรอนิกส์และอุปกรณ์ไฟฟ้า",
    },
    "wood_crafts": {
        "ja": "木工・木製品",
        "en": "Woodcraft & Wooden Products",
        "zh_Hans": "木工艺品与木制品",
        "zh_Hant": "木工藝品與木製品",
        "vi": "Đồ gỗ và thủ công mỹ nghệ gỗ",
        "th": "งานไม้และผลิตภัณฑ์ไม้",
    },
    "cosmetics": {
        "ja": "化粧品・美容",
        "en": "Cosmetics & Beauty",
        "zh_Hans": "化妆品与美容",
        "zh_Hant": "化妝品與美容",
        "vi": "Mỹ phẩm và làm đẹp",
        "th": "เครื่องสำอางและความงาม",
    },
    "packaging": {
        "ja": "包装・梱包資材",
        "en": "Packaging & Materials",
        "zh_Hans": "包装与包材",
        "zh_Hant": "包裝與包材",
        "vi": "Bao bì và vật liệu đóng gói",
        "th": "บรรจุภัณฑ์และวัสดุบรรจุ",
    },
    "medical": {
        "ja": "医療機器",
        "en": "Medical Devices",
        "zh_Hans": "医疗器械",
        "zh_Hant": "醫療器材",
        "vi": "Thiết bị y tế",
        "th": "เครื่องมือแพทย์",
    },
}

# Units a minimum order quantity is counted in; labels go through the gettext catalogs.
MOQ_UNITS: dict[str, str] = {
    "piece": lazy("pieces"),
    "set": lazy("sets"),
    "pair": lazy("pairs"),
    "pack": lazy("packs"),
    "carton": lazy("cartons"),
    "case": lazy("cases"),
    "bottle": lazy("bottles"),
    "kg": lazy("kg"),
    "tonne": lazy("tonnes"),
    "metre": lazy("metres"),
    "litre": lazy("litres"),
}

# Suggested in the editor; exhibitors may type others.
COMMON_CERTIFICATIONS: tuple[str, ...] = (
    "ISO 9001",
    "ISO 14001",
    "ISO 13485",
    "ISO 22000",
    "FSSC 22000",
    "HACCP",
    "JAS Organic",
    "Halal",
    "CE",
    "FDA registered",
    "RoHS",
    "GOTS",
)


def category_label(code: str, language: str) -> str:
    labels = CATEGORIES.get(code)
    if not labels:
        return code
    return pick_text(labels, language)[0]
