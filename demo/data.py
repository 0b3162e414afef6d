"""Demo dataset for ``fair demo``.

Pure data, no behaviour. It describes a fictional programme in its second year: twelve small
manufacturers from production towns across Japan, twelve overseas buyers weighted like the
programme's buyer mix (CN 4, VN 2, TW 2, TH 2, US 2) and three contracted interpreters.

Every company, person, e-mail address and website is invented; domains use the reserved
``.example`` TLD. Language keys are ``ja``, ``en``, ``zh_Hans``, ``zh_Hant``, ``vi`` and ``th``.
Exhibitor texts always have ``ja`` and ``en``; other languages appear only where the exhibitor
has had them translated. Fair titles carry no year: the loader appends it.
"""

from __future__ import annotations

from typing import Any

# The demo's open day: a short fair around the day the demo is loaded, live at that moment,
# so that a newcomer can book a time and enter a meeting that is happening now (the loader
# appends the date).
OPEN_DAY_TITLE: dict[str, str] = {
    "ja": "オープンデー：ビデオ商談を体験",
    "en": "Open Days: try a video meeting",
    "zh_Hans": "开放日：体验视频洽谈",
    "zh_Hant": "開放日：體驗視訊洽談",
    "vi": "Những ngày mở cửa: trải nghiệm cuộc họp video",
    "th": "วันเปิดบ้าน: ทดลองประชุมทางวิดีโอ",
}
OPEN_DAY_DESCRIPTION: dict[str, str] = {
    "ja": "本日前後の短期見本市です。プログラムの全出展者が毎日9:00〜18:00（日本時間）にバイヤーと商談します。"
    "時間を予約するか、いま行われている商談に参加してください。",
    "en": "A short fair around today: every exhibitor of the programme meets buyers from "
    "9:00 to 18:00 Japan time, every day. Book a time, or enter a meeting that is happening now.",
    "zh_Hans": "今天前后的短期展会：项目所有参展商每天 9:00–18:00（日本时间）与买家洽谈。"
    "预约时间，或进入正在进行的洽谈。",
    "zh_Hant": "今天前後的短期展會：計畫所有參展商每天 9:00–18:00（日本時間）與買家洽談。"
    "預約時間，或進入正在進行的洽談。",
    "vi": "Hội chợ ngắn quanh hôm nay: mọi nhà trưng bày của chương trình gặp người mua từ 9:00 "
    "đến 18:00 giờ Nhật Bản, mỗi ngày. Hãy đặt lịch hoặc tham gia cuộc họp đang diễn ra.",
    "th": "งานแสดงสินค้าระยะสั้นช่วงวันนี้: ผู้แสดงสินค้าทุกรายของโครงการพบผู้ซื้อระหว่าง 9:00–18:00 น. "
    "ตามเวลาญี่ปุ่น ทุกวัน จองเวลา หรือเข้าร่วมการประชุมที่กำลังดำเนินอยู่",
}

EXHIBITORS: list[dict[str, Any]] = [
    # 1. Tsubame Migaki Kogyo Co., Ltd., Tsubame, Niigata (metal_parts)
    {
        "email": "info@tsubame-migaki.example",
        "name": "Kenji Watanabe",
        "company": {"ja": "燕ミガキ工業株式会社", "en": "Tsubame Migaki Kogyo Co., Ltd."},
        "city": "Tsubame, Niigata",
        "category": "metal_parts",
        "tagline": {
            "ja": "深絞りと鏡面研磨で、ステンレスを「製品の顔」に。",
            "en": (
                "Deep drawing and mirror polishing that turn stainless steel into the face of your "
                "product."
            ),
            "zh_Hans": "以深拉伸与镜面抛光工艺，让不锈钢成为产品的门面。",
            "vi": "Dập sâu và đánh bóng gương: biến thép không gỉ thành gương mặt của sản phẩm.",
        },
        "description": {
            "ja": (
                "1952年、洋食器の研磨専業として燕市で創業しました。"
                "現在は深絞りプレスから溶接、鏡面研磨までを社内で一貫して手がけ、家電・"
                "業務用厨房機器メーカー向けのステンレス外装部品と、"
                "自社ブランドのタンブラーを製造しています。"
                "2019年にISO 9001とISO 14001を取得し、"
                "ドイツの調理器具ブランドにOEM部品を供給しています。"
                "本プログラムの初年度には、ベトナムの厨房機器メーカーとの試作案件がまとまりました。"
                "中国と東南アジアで、"
                "小ロットでも外観品質にこだわる部品を任せていただけるパートナーを探しています。"
            ),
            "en": (
                "Founded in Tsubame in 1952 as a specialist polisher of Western tableware, we now "
                "handle every step in-house, from deep-draw pressing and welding to mirror "
                "polishing. We make stainless steel exterior parts for home-appliance and "
                "commercial-kitchen manufacturers, as well as tumblers under our own brand. "
                "We have been ISO 9001 and ISO 14001 certified since 2019 and supply OEM parts to "
                "a German cookware brand. "
                "In the programme's first year we began a prototype project with a "
                "kitchen-equipment maker in Vietnam. "
                "We are looking for partners in China and Southeast Asia who need small runs of "
                "parts where the finish really matters."
            ),
            "zh_Hans": (
                "本公司于1952年在燕市创立，最初专门从事西式餐具的抛光。"
                "如今我们在厂内一条龙完成从深拉伸冲压、焊接到镜面抛光的全部工序，"
                "为家电及商用厨房设备厂商生产不锈钢外装部件，并推出自有品牌的保温杯。"
                "公司自2019年起通过ISO 9001和ISO 14001认证，并为德国厨具品牌提供OEM部件。"
                "在本项目的第一年，我们与越南一家厨房设备厂商启动了试制合作。"
                "我们希望在中国和东南亚寻找需要小批量、对外观品质要求高的部件的合作伙伴。"
            ),
            "vi": (
                "Được thành lập tại Tsubame năm 1952 với chuyên môn đánh bóng dao nĩa phương Tây, "
                "ngày nay chúng tôi tự thực hiện trọn quy trình từ dập sâu, hàn đến đánh bóng "
                "gương. Chúng tôi sản xuất chi tiết vỏ inox cho các nhà sản xuất đồ gia dụng và "
                "thiết bị bếp công nghiệp, cùng dòng cốc giữ nhiệt mang thương hiệu riêng. "
                "Công ty đạt chứng nhận ISO 9001 và ISO 14001 từ năm 2019 và đang cung cấp linh "
                "kiện OEM cho một thương hiệu dụng cụ nấu ăn của Đức. "
                "Trong năm đầu tiên của chương trình, chúng tôi đã bắt đầu dự án làm mẫu với một "
                "nhà sản xuất thiết bị bếp tại Việt Nam. "
                "Chúng tôi tìm kiếm đối tác tại Trung Quốc và Đông Nam Á cần các chi tiết số lượng "
                "nhỏ với yêu cầu cao về bề mặt."
            ),
        },
        "markets": ["CN", "VN", "TH", "DE", "US"],
        "languages": ["ja", "en"],
        "certifications": ["ISO 9001", "ISO 14001"],
        "website": "https://www.tsubame-migaki.example",
        "products": [
            {
                "name": {
                    "ja": "ステンレス真空二重タンブラー 350ml",
                    "en": "Vacuum-Insulated Stainless Tumbler, 350 ml",
                },
                "description": {
                    "ja": (
                        "内側まで鏡面研磨したSUS304製の真空二重構造タンブラーです。"
                        "レーザー名入れとカラー仕上げに対応します。"
                    ),
                    "en": (
                        "A double-wall vacuum tumbler in SUS304, mirror-polished inside and out. "
                        "Laser engraving and coloured finishes available."
                    ),
                },
                "hs_code": "961700",
                "moq": 300,
                "price_min": 1800,
                "price_max": 2600,
                "currency": "JPY",
                "lead_time_days": 45,
            },
            {
                "name": {
                    "ja": "深絞りステンレス外装カバー",
                    "en": "Deep-Drawn Stainless Steel Housings",
                },
                "description": {
                    "ja": (
                        "板厚0.5〜2.0mm、絞り深さ最大180mmに対応します。"
                        "図面支給による試作は10個から承ります。"
                    ),
                    "en": (
                        "Sheet thickness 0.5–2.0 mm, draw depth up to 180 mm. "
                        "Prototypes from 10 pieces to your drawings."
                    ),
                },
                "hs_code": "732690",
                "moq": 500,
                "price_min": 4.5,
                "price_max": 38,
                "currency": "USD",
                "lead_time_days": 60,
            },
            {
                "name": {
                    "ja": "ステンレスカトラリー 4点セット",
                    "en": "Stainless Steel Cutlery Set, 4 Pieces",
                },
                "description": {
                    "ja": (
                        "18-8ステンレスを職人が一本ずつ磨き上げた、ホテル・レストラン向けのナイフ・"
                        "フォーク・スプーン・ティースプーンのセットです。"
                    ),
                    "en": (
                        "Knife, fork, spoon and teaspoon in 18-8 stainless steel, each piece "
                        "hand-polished, for hotels and restaurants."
                    ),
                },
                "hs_code": "821520",
                "moq": 200,
                "price_min": 3200,
                "price_max": 4800,
                "currency": "JPY",
                "lead_time_days": 30,
            },
        ],
    },
    # 2. Seki Kaji Hamono Co., Ltd., Seki, Gifu (cutlery_tools)
    {
        "email": "sales@sekikaji.example",
        "name": "Daisuke Kato",
        "company": {"ja": "関鍛冶刃物株式会社", "en": "Seki Kaji Hamono Co., Ltd."},
        "city": "Seki, Gifu",
        "category": "cutlery_tools",
        "tagline": {
            "ja": "七百年続く刃物の町から、料理人の手になじむ一本を。",
            "en": (
                "From a blade-making town with 700 years of history, knives that feel right in a "
                "cook's hand."
            ),
            "zh_Hans": "来自七百年刀具之乡，打造贴合厨师双手的每一把刀。",
            "zh_Hant": "來自七百年刀具之鄉，打造貼合廚師雙手的每一把刀。",
        },
        "description": {
            "ja": (
                "1936年に創業し、関市で三代にわたって包丁を作り続けている刃物メーカーです。"
                "V金10号を芯材にした33層ダマスカス鋼の牛刀・三徳を主力とし、"
                "刃付けと最終の研ぎは今も職人が手作業で行っています。"
                "2016年にISO 9001を取得し、現在は米国・ドイツ・"
                "オーストラリアへの輸出が売上の約4割を占めています。"
                "昨年度の本プログラムを通じて、"
                "台湾の業務用厨房機器の卸売会社との取引が始まりました。"
                "今年は中国本土とシンガポールで、"
                "プロの料理人に直接届けられる販売パートナーを探しています。"
            ),
            "en": (
                "Founded in 1936, we are a third-generation knife maker in Seki. "
                "Our core range is gyuto and santoku knives in 33-layer Damascus steel with a VG10 "
                "core, and every edge is still sharpened and finished by hand. "
                "We have been ISO 9001 certified since 2016, and exports to the United States, "
                "Germany and Australia now make up about 40% of our sales. "
                "Through last year's programme we began supplying a professional kitchen "
                "wholesaler in Taiwan. "
                "This year we are looking for partners in mainland China and Singapore who can "
                "reach professional chefs directly."
            ),
            "zh_Hans": (
                "本公司创立于1936年，三代人在关市坚持制作菜刀。"
                "主力产品为以VG10钢为芯材的33层大马士革钢牛刀和三德刀，"
                "开刃与最终研磨至今仍由匠人手工完成。"
                "我们于2016年通过ISO 9001认证，目前出口美国、德国和澳大利亚的销售额约占总额的四成。"
                "通过去年的本项目，我们开始向台湾一家商用厨房设备批发商供货。"
                "今年我们希望在中国大陆和新加坡寻找能够直接面向专业厨师的销售伙伴。"
            ),
            "zh_Hant": (
                "本公司創立於1936年，三代人在關市堅持製作菜刀。"
                "主力產品為以VG10鋼為芯材的33層大馬士革鋼牛刀與三德刀，"
                "開刃與最終研磨至今仍由匠人手工完成。"
                "我們於2016年取得ISO 9001認證，目前外銷美國、德國與澳洲的營收約占總額四成。"
                "透過去年的本計畫，我們開始供貨給台灣一家營業用廚房設備批發商。"
                "今年我們希望在中國大陸與新加坡尋找能直接服務專業廚師的銷售夥伴。"
            ),
        },
        "markets": ["US", "DE", "AU", "TW", "CN", "SG"],
        "languages": ["ja", "en"],
        "certifications": ["ISO 9001"],
        "website": "https://www.sekikaji.example",
        "products": [
            {
                "name": {
                    "ja": "33層ダマスカス 牛刀 210mm",
                    "en": "33-Layer Damascus Gyuto, 210 mm",
                },
                "description": {
                    "ja": (
                        "V金10号芯材、硬度HRC60±1。"
                        "積層模様が美しいプロ向けのシェフナイフで、ハンドルは積層強化木です。"
                    ),
                    "en": (
                        "VG10 core hardened to HRC 60±1, with a distinctive layered pattern. "
                        "A professional chef's knife with a laminated hardwood handle."
                    ),
                },
                "hs_code": "821192",
                "moq": 50,
                "price_min": 68,
                "price_max": 95,
                "currency": "USD",
                "lead_time_days": 60,
            },
            {
                "name": {"ja": "三徳包丁 165mm", "en": "Santoku Knife, 165 mm"},
                "description": {
                    "ja": (
                        "肉・魚・野菜を一本でこなす家庭用の定番包丁です。"
                        "モリブデンバナジウム鋼で錆びにくく、手入れも簡単です。"
                    ),
                    "en": (
                        "The all-round Japanese home knife for meat, fish and vegetables. "
                        "Molybdenum-vanadium stainless steel that resists rust and is easy to care "
                        "for."
                    ),
                },
                "hs_code": "821192",
                "moq": 100,
                "price_min": 22,
                "price_max": 35,
                "currency": "USD",
                "lead_time_days": 45,
            },
            {
                "name": {"ja": "両面砥石 #1000/#6000", "en": "Dual-Grit Whetstone, #1000/#6000"},
                "description": {
                    "ja": (
                        "中砥と仕上げ砥を一体にした家庭用砥石です。"
                        "滑り止めのゴム台と、英語の研ぎ方ガイドが付属します。"
                    ),
                    "en": (
                        "A combination medium and finishing stone for home use, supplied with a "
                        "non-slip rubber base and an English sharpening guide."
                    ),
                },
                "hs_code": "680430",
                "moq": 100,
                "price_min": 14,
                "price_max": 20,
                "currency": "USD",
                "lead_time_days": 30,
            },
        ],
    },
    # 3. Shimanami Shokufu Co., Ltd., Imabari, Ehime (textiles)
    {
        "email": "export@shimanami-shokufu.example",
        "name": "Yuko Ochi",
        "company": {"ja": "しまなみ織布株式会社", "en": "Shimanami Shokufu Co., Ltd."},
        "city": "Imabari, Ehime",
        "category": "textiles",
        "tagline": {
            "ja": "軟水で仕上げる、5秒で水に沈むやわらかなタオル。",
            "en": "Towels finished in soft water, so absorbent they sink within five seconds.",
            "zh_Hant": "以軟水精製，五秒內沉入水中的柔軟毛巾。",
            "th": "ผ้าขนหนูเนื้อนุ่มที่ผ่านการฟอกด้วยน้ำอ่อน ซึมซับน้ำจนจมได้ภายในห้าวินาที",
        },
        "description": {
            "ja": (
                "1961年に今治で創業したタオル織布メーカーで、"
                "先染めのジャカード織を得意としています。"
                "石鎚山系の軟水で晒しと染色を行うことで、"
                "高い吸水性とやわらかな風合いを両立させています。"
                "全製品がOEKO-TEX Standard 100の認証を受けており、"
                "ベビー向けの商品も安心してお使いいただけます。"
                "2年前からタイと台湾のホテル・スパ向けに、オリジナル柄の受注生産を始めました。"
                "ホテルアメニティやギフト市場に強い販路を持つ輸入代理店との出会いを期待しています。"
            ),
            "en": (
                "Founded in Imabari in 1961, we are a towel weaver specialising in yarn-dyed "
                "jacquard. We bleach and dye in soft water from the Ishizuchi mountains, which "
                "gives our towels both high absorbency and a soft hand. "
                "Every product is certified to OEKO-TEX Standard 100, so our baby range can be "
                "used with complete confidence. "
                "Two years ago we began made-to-order production of original designs for hotels "
                "and spas in Thailand and Taiwan. "
                "We hope to meet importers with strong channels in hotel amenities and the gift "
                "market."
            ),
            "zh_Hant": (
                "本公司於1961年在今治創立，是一家專精先染提花織的毛巾織造廠。"
                "我們以石鎚山系的軟水進行漂白與染色，使毛巾兼具高吸水性與柔軟觸感。"
                "全系列產品皆通過OEKO-TEX Standard 100認證，嬰幼兒系列也能安心使用。"
                "兩年前起，我們開始為泰國與台灣的飯店及SPA接單生產原創花色。"
                "期待結識在飯店備品與禮品市場擁有穩固通路的進口代理商。"
            ),
            "th": (
                "บริษัทของเราก่อตั้งขึ้นที่เมืองอิมาบาริในปี 1961 "
                "เป็นโรงทอผ้าขนหนูที่เชี่ยวชาญการทอลายแจ็คการ์ดแบบย้อมเส้นด้าย "
                "เราฟอกและย้อมด้วยน้ำอ่อนจากเทือกเขาอิชิซึจิ ทำให้ผ้าขนหนูของเราซึมซับน้ำได้ดีและมีสัมผัสนุ่มไปพร้อมกัน "
                "สินค้าทุกรายการได้รับการรับรอง OEKO-TEX Standard 100 จึงใช้กับเด็กเล็กได้อย่างมั่นใจ เมื่อสองปีก่อน "
                "เราเริ่มผลิตลายออริจินัลตามสั่งให้กับโรงแรมและสปาในประเทศไทยและไต้หวัน "
                "เราหวังว่าจะได้พบผู้นำเข้าที่มีช่องทางจำหน่ายแข็งแกร่งในตลาดของใช้ในโรงแรมและตลาดของขวัญ"
            ),
        },
        "markets": ["TW", "TH", "SG", "MY", "US"],
        "languages": ["ja", "en"],
        "certifications": ["OEKO-TEX Standard 100"],
        "website": "https://www.shimanami-shokufu.example",
        "products": [
            {
                "name": {
                    "ja": "ジャカード織 バスタオル 60×120cm",
                    "en": "Jacquard Bath Towel, 60 × 120 cm",
                },
                "description": {
                    "ja": (
                        "綿100%、630g/m²の先染めジャカードです。"
                        "ホテル名やロゴを織り込むオリジナル製作は300枚から承ります。"
                    ),
                    "en": (
                        "100% cotton, 630 g/m² yarn-dyed jacquard. "
                        "Custom designs with your hotel name or logo woven in from 300 pieces."
                    ),
                },
                "hs_code": "630260",
                "moq": 300,
                "price_min": 2400,
                "price_max": 3800,
                "currency": "JPY",
                "lead_time_days": 50,
            },
            {
                "name": {
                    "ja": "ガーゼ&パイル フェイスタオル 34×80cm",
                    "en": "Gauze-and-Pile Face Towel, 34 × 80 cm",
                },
                "description": {
                    "ja": "片面ガーゼ・片面パイルの二重構造で、軽くて乾きが早いのが特長です。",
                    "en": (
                        "Gauze on one side and pile on the other: light, quick-drying and gentle "
                        "on the skin."
                    ),
                },
                "hs_code": "630260",
                "moq": 500,
                "price_min": 780,
                "price_max": 1200,
                "currency": "JPY",
                "lead_time_days": 40,
            },
            {
                "name": {"ja": "6重ガーゼ ベビーケット", "en": "Six-Layer Gauze Baby Blanket"},
                "description": {
                    "ja": (
                        "無撚糸を使った6重ガーゼで、洗うほどにふっくらと仕上がります。"
                        "出産祝いの定番商品です。"
                    ),
                    "en": (
                        "Six layers of untwisted-yarn cotton gauze that grow softer with every "
                        "wash. A favourite baby-shower gift."
                    ),
                },
                "hs_code": "630130",
                "moq": 200,
                "price_min": 3500,
                "price_max": 5200,
                "currency": "JPY",
                "lead_time_days": 45,
            },
        ],
    },
    # 4. Arita Hakujigama Co., Ltd., Arita, Saga (ceramics)
    {
        "email": "info@arita-hakujigama.example",
        "name": "Takumi Matsuo",
        "company": {"ja": "有田白磁窯株式会社", "en": "Arita Hakujigama Co., Ltd."},
        "city": "Arita, Saga",
        "category": "ceramics",
        "tagline": {
            "ja": "四百年の有田の白磁を、世界の食卓とレストランへ。",
            "en": (
                "Four centuries of Arita white porcelain, made for today's tables and restaurants."
            ),
            "zh_Hant": "將四百年的有田白瓷，帶到世界各地的餐桌與餐廳。",
        },
        "description": {
            "ja": (
                "江戸後期の1830年に窯を開き、1951年に法人化した有田焼の窯元です。"
                "有田ならではの透き通るような白磁と手描きの染付・色絵を受け継ぎながら、"
                "業務用として欠けにくい強化磁器の開発にも取り組んできました。"
                "全製品が米国FDA基準の鉛・カドミウム溶出試験に適合しています。"
                "シンガポールと台湾の日本料理店への納入実績があり、"
                "シェフとの共同デザインにも対応しています。"
                "海外のホテル・レストラン向け卸売業者や、"
                "ライフスタイルショップとの取引を広げたいと考えています。"
            ),
            "en": (
                "Our kiln was first fired in 1830, late in the Edo period, and was incorporated in "
                "1951. While keeping Arita's translucent white porcelain and hand-painted "
                "sometsuke and iro-e decoration alive, we have developed chip-resistant reinforced "
                "porcelain for professional kitchens. "
                "All our products pass lead and cadmium leaching tests to US FDA limits. "
                "We already supply Japanese restaurants in Singapore and Taiwan and can co-design "
                "pieces with chefs. "
                "We want to grow our business with hotel and restaurant wholesalers and lifestyle "
                "retailers overseas."
            ),
            "zh_Hant": (
                "本窯於江戶後期的1830年開窯，1951年改制為公司，是一家有田燒窯元。"
                "我們在傳承有田特有的透亮白瓷與手繪染付、色繪技法的同時，"
                "也致力開發不易崩缺的營業用強化瓷器。全系列產品均符合美國FDA標準的鉛、鎘溶出檢測。"
                "我們已供貨給新加坡與台灣的日本料理餐廳，也能與主廚共同設計器皿。"
                "希望擴大與海外飯店、餐廳批發商以及生活風格選品店的合作。"
            ),
        },
        "markets": ["TW", "US", "SG", "KR", "AU"],
        "languages": ["ja", "en"],
        "certifications": [],
        "website": "https://www.arita-hakujigama.example",
        "products": [
            {
                "name": {
                    "ja": "染付 唐草リム皿 24cm",
                    "en": "Sometsuke Arabesque Rim Plate, 24 cm",
                },
                "description": {
                    "ja": (
                        "呉須で一枚ずつ手描きした唐草文様のリム皿です。"
                        "強化磁器で、業務用食器洗浄機に対応します。"
                    ),
                    "en": (
                        "Arabesque pattern hand-painted in cobalt blue, plate by plate, on "
                        "reinforced porcelain. Safe for commercial dishwashers."
                    ),
                },
                "hs_code": "691110",
                "moq": 60,
                "price_min": 3800,
                "price_max": 5500,
                "currency": "JPY",
                "lead_time_days": 75,
            },
            {
                "name": {"ja": "白磁 丼 18cm", "en": "White Porcelain Donburi Bowl, 18 cm"},
                "description": {
                    "ja": (
                        "ラーメン店・丼店向けの白磁の丼です。"
                        "縁を厚くして欠けにくくし、重ねやすい形に仕上げました。"
                    ),
                    "en": (
                        "A plain white bowl for ramen and rice-bowl restaurants, with a thickened "
                        "rim to resist chipping and a shape that stacks neatly."
                    ),
                },
                "hs_code": "691110",
                "moq": 100,
                "price_min": 2200,
                "price_max": 3000,
                "currency": "JPY",
                "lead_time_days": 60,
            },
            {
                "name": {
                    "ja": "色絵 酒器揃え（徳利1・ぐい呑み2）",
                    "en": "Iro-e Sake Set (One Flask, Two Cups)",
                },
                "description": {
                    "ja": (
                        "赤絵と金彩で仕上げた徳利とぐい呑みの桐箱入りセットです。"
                        "海外の贈答用に人気があります。"
                    ),
                    "en": (
                        "A tokkuri flask and two guinomi cups in red overglaze with gold accents, "
                        "presented in a paulownia box. Popular as a gift."
                    ),
                },
                "hs_code": "691110",
                "moq": 30,
                "price_min": 18000,
                "price_max": 26000,
                "currency": "JPY",
                "lead_time_days": 90,
            },
        ],
    },
    # 5. Uji Ryokkoen Co., Ltd., Uji, Kyoto (food_beverage)
    {
        "email": "global@uji-ryokkoen.example",
        "name": "Mayumi Morita",
        "company": {"ja": "宇治緑香園株式会社", "en": "Uji Ryokkoen Co., Ltd."},
        "city": "Uji, Kyoto",
        "category": "food_beverage",
        "tagline": {
            "ja": "石臼で挽いた宇治抹茶を、自園の茶畑から直接お届けします。",
            "en": "Stone-ground Uji matcha, shipped straight from our own tea fields.",
            "zh_Hans": "石臼研磨的宇治抹茶，从自家茶园直接发货。",
            "zh_Hant": "石臼研磨的宇治抹茶，從自家茶園直接出貨。",
            "th": "มัทฉะอุจิบดด้วยโม่หิน ส่งตรงจากไร่ชาของเราเอง",
        },
        "description": {
            "ja": (
                "1924年に宇治で製茶業を始め、"
                "現在は京都府南部の自園12ヘクタールで碾茶を栽培しています。"
                "収穫前の約3週間は茶畑を覆って日光を遮り、"
                "自社工場の石臼では1台で1時間にわずか40グラムほどしか挽くことができません。"
                "工場はFSSC 22000の認証を取得しており、"
                "有機JASとUSDAオーガニックの両方の認証を受けた有機抹茶も生産しています。"
                "台湾と米国のカフェチェーンへの、ラテ・製菓用抹茶の供給が輸出の柱です。"
                "今年はタイ・マレーシア・中国の食品メーカーやカフェに向けて、"
                "用途別のグレードをご提案したいと考えています。"
            ),
            "en": (
                "We began producing tea in Uji in 1924 and today grow tencha on 12 hectares of our "
                "own fields in southern Kyoto. "
                "The bushes are shaded for about three weeks before harvest, and each granite mill "
                "in our factory grinds only around 40 grams of matcha an hour. "
                "Our factory is FSSC 22000 certified, and we also produce organic matcha certified "
                "under both JAS Organic and USDA Organic. "
                "Supplying matcha for lattes and confectionery to café chains in Taiwan and the "
                "United States is the core of our export business. "
                "This year we want to offer grades matched to each use to food manufacturers and "
                "cafés in Thailand, Malaysia and China."
            ),
            "zh_Hans": (
                "本公司自1924年起在宇治制茶，目前在京都府南部拥有12公顷自营茶园，种植碾茶。"
                "采摘前约三周进行遮光覆盖栽培，工厂内每台石臼每小时仅能研磨约40克抹茶。"
                "工厂已通过FSSC 22000认证，并生产同时获得日本有机JAS和美国USDA有机认证的有机抹茶。"
                "向台湾和美国的连锁咖啡店供应拿铁及烘焙用抹茶，是我们出口业务的核心。"
                "今年我们希望向泰国、马来西亚和中国的食品厂商及咖啡店，"
                "提供按用途区分等级的产品方案。"
            ),
            "zh_Hant": (
                "本公司自1924年起在宇治製茶，目前在京都府南部擁有12公頃自營茶園，栽培碾茶。"
                "採摘前約三週進行遮光覆蓋栽培，工廠內每台石臼每小時僅能研磨約40公克抹茶。"
                "工廠已取得FSSC 22000認證，並生產同時獲得日本有機JAS與美國USDA有機認證的有機抹茶。"
                "供應拿鐵及烘焙用抹茶給台灣與美國的連鎖咖啡店，是我們外銷業務的核心。"
                "今年我們希望向泰國、馬來西亞與中國的食品廠商及咖啡店，"
                "提供依用途區分等級的產品方案。"
            ),
            "th": (
                "เราเริ่มผลิตชาที่เมืองอุจิในปี 1924 และปัจจุบันปลูกเทนฉะบนไร่ชาของเราเองขนาด 12 "
                "เฮกตาร์ทางตอนใต้ของจังหวัดเกียวโต ต้นชาจะถูกคลุมบังแดดราวสามสัปดาห์ก่อนเก็บเกี่ยว "
                "และโม่หินแต่ละเครื่องในโรงงานของเราบดมัทฉะได้เพียงประมาณ 40 กรัมต่อชั่วโมง "
                "โรงงานของเราได้รับการรับรอง FSSC 22000 และยังผลิตมัทฉะออร์แกนิกที่ได้รับการรับรองทั้ง JAS "
                "Organic และ USDA Organic "
                "ธุรกิจส่งออกหลักของเราคือการจัดส่งมัทฉะสำหรับลาเต้และขนมให้กับเครือร้านกาแฟในไต้หวันและสหรัฐอเมริกา "
                "ปีนี้เราต้องการนำเสนอมัทฉะเกรดต่าง ๆ ตามการใช้งานให้กับผู้ผลิตอาหารและร้านกาแฟในไทย มาเลเซีย "
                "และจีน"
            ),
        },
        "markets": ["TW", "CN", "TH", "US", "SG", "MY", "AU", "DE"],
        "languages": ["ja", "en", "zh_Hant"],
        "certifications": ["FSSC 22000", "JAS Organic", "USDA Organic"],
        "website": "https://www.uji-ryokkoen.example",
        "products": [
            {
                "name": {
                    "ja": "有機抹茶 セレモニアルグレード 30g缶",
                    "en": "Organic Ceremonial Matcha, 30 g Tin",
                },
                "description": {
                    "ja": (
                        "一番茶の若芽だけを石臼で挽いた最上級グレードです。"
                        "濃茶・薄茶のどちらにも適しています。"
                    ),
                    "en": (
                        "Our top grade, stone-ground from the young leaves of the first flush "
                        "only. Suited to both koicha and usucha."
                    ),
                },
                "hs_code": "090210",
                "moq": 200,
                "price_min": 12,
                "price_max": 18,
                "currency": "USD",
                "lead_time_days": 21,
            },
            {
                "name": {
                    "ja": "業務用抹茶 ラテ・製菓グレード 1kg",
                    "en": "Culinary Matcha for Lattes and Baking, 1 kg",
                },
                "description": {
                    "ja": (
                        "牛乳と合わせても色と香りが負けないよう調整したブレンドです。"
                        "1kgアルミ袋入りで、月1トンまで安定して供給できます。"
                    ),
                    "en": (
                        "Blended to keep its colour and aroma when mixed with milk. "
                        "Packed in 1 kg aluminium bags, with steady supply of up to one tonne a "
                        "month."
                    ),
                },
                "hs_code": "090210",
                "moq": 20,
                "price_min": 38,
                "price_max": 65,
                "currency": "USD",
                "lead_time_days": 14,
            },
            {
                "name": {
                    "ja": "宇治ほうじ茶 ティーバッグ 20袋入",
                    "en": "Uji Hojicha Tea Bags, 20 Bags",
                },
                "description": {
                    "ja": (
                        "宇治の番茶を浅めに焙じた、香ばしいほうじ茶です。"
                        "カフェインが少なく、食事にも合わせやすい味わいです。"
                    ),
                    "en": (
                        "Uji bancha lightly roasted for a toasty aroma. "
                        "Low in caffeine and easy to pair with meals."
                    ),
                },
                "hs_code": "090210",
                "moq": 300,
                "price_min": 4.5,
                "price_max": 7,
                "currency": "USD",
                "lead_time_days": 21,
            },
        ],
    },
    # 6. Sabae Titanium Medical Co., Ltd., Sabae, Fukui (medical)
    {
        "email": "medical@sabae-titanium.example",
        "name": "Akiko Yoshida",
        "company": {"ja": "鯖江チタンメディカル株式会社", "en": "Sabae Titanium Medical Co., Ltd."},
        "city": "Sabae, Fukui",
        "category": "medical",
        "tagline": {
            "ja": "メガネの町で磨いたチタン加工技術を、眼科手術の現場へ。",
            "en": (
                "Titanium know-how from Japan's eyewear capital, now in the ophthalmic operating "
                "room."
            ),
            "zh_Hans": "将眼镜之乡积累的钛加工技术，带进眼科手术室。",
            "vi": (
                "Kỹ thuật gia công titan từ thủ phủ kính mắt Nhật Bản, nay phục vụ phòng mổ nhãn "
                "khoa."
            ),
        },
        "description": {
            "ja": (
                "1968年、チタン製メガネフレームの部品メーカーとして鯖江で創業しました。"
                "加工の難しいチタンの精密切削とレーザー溶接の技術を生かし、2009年から眼科・"
                "脳神経外科向けの手術器具を製造しています。"
                "2014年にISO 13485を取得し、国内の医療機器メーカー数社にOEM供給を行っています。"
                "軽くて磁性のないチタン製の器具は、"
                "長時間に及ぶ顕微鏡下手術で術者の負担を軽くします。"
                "中国・ベトナム・東南アジアで、"
                "医療機器の登録手続きと販売を担える代理店を探しています。"
            ),
            "en": (
                "We were founded in Sabae in 1968 as a maker of components for titanium eyeglass "
                "frames. Since 2009 we have applied our precision machining and laser welding of "
                "titanium, a notoriously difficult material, to surgical instruments for "
                "ophthalmology and neurosurgery. "
                "We obtained ISO 13485 certification in 2014 and supply several Japanese medical "
                "device companies on an OEM basis. "
                "Light and non-magnetic, our titanium instruments reduce surgeon fatigue during "
                "long microsurgical procedures. "
                "We are looking for distributors in China, Vietnam and Southeast Asia who can "
                "handle both medical device registration and sales."
            ),
            "zh_Hans": (
                "本公司于1968年在鲭江创立，最初生产钛金属眼镜框架零件。"
                "凭借对钛这种难加工材料的精密切削和激光焊接技术，"
                "我们自2009年起制造眼科及神经外科手术器械。"
                "公司于2014年通过ISO 13485认证，并为日本多家医疗器械企业提供OEM产品。"
                "钛制器械重量轻、无磁性，可在长时间显微手术中减轻术者的负担。"
                "我们正在中国、越南及东南亚寻找能够同时负责医疗器械注册与销售的代理商。"
            ),
            "vi": (
                "Chúng tôi được thành lập tại Sabae năm 1968, ban đầu sản xuất linh kiện cho gọng "
                "kính titan. Từ năm 2009, chúng tôi ứng dụng kỹ thuật gia công chính xác và hàn "
                "laser titan, một vật liệu nổi tiếng khó gia công, để sản xuất dụng cụ phẫu thuật "
                "nhãn khoa và thần kinh. "
                "Công ty đạt chứng nhận ISO 13485 năm 2014 và đang cung cấp sản phẩm OEM cho một "
                "số doanh nghiệp thiết bị y tế Nhật Bản. "
                "Nhẹ và không nhiễm từ, dụng cụ titan của chúng tôi giúp phẫu thuật viên đỡ mệt "
                "mỏi trong các ca vi phẫu kéo dài. "
                "Chúng tôi đang tìm nhà phân phối tại Trung Quốc, Việt Nam và Đông Nam Á có thể "
                "đảm nhận cả đăng ký lưu hành lẫn kinh doanh thiết bị y tế."
            ),
        },
        "markets": ["CN", "VN", "SG", "MY", "DE"],
        "languages": ["ja", "en", "zh_Hans"],
        "certifications": ["ISO 13485", "ISO 9001"],
        "website": "https://www.sabae-titanium.example",
        "products": [
            {
                "name": {
                    "ja": "チタン製 眼科用マイクロ剪刀",
                    "en": "Titanium Ophthalmic Micro Scissors",
                },
                "description": {
                    "ja": (
                        "刃長6mm、全長110mm。"
                        "白内障・硝子体手術向けで、オートクレーブ滅菌に対応します。"
                    ),
                    "en": (
                        "6 mm blades, 110 mm overall, for cataract and vitreoretinal surgery. "
                        "Autoclavable."
                    ),
                },
                "hs_code": "901850",
                "moq": 10,
                "price_min": 420,
                "price_max": 680,
                "currency": "USD",
                "lead_time_days": 60,
            },
            {
                "name": {"ja": "チタン製 マイクロ鑷子", "en": "Titanium Micro Forceps"},
                "description": {
                    "ja": (
                        "先端幅0.3mm。"
                        "脳神経外科・形成外科の顕微鏡下手術向けで、全体が非磁性のチタン製です。"
                    ),
                    "en": (
                        "0.3 mm tips, for microsurgery in neurosurgery and plastic surgery. "
                        "Non-magnetic titanium throughout."
                    ),
                },
                "hs_code": "901890",
                "moq": 10,
                "price_min": 280,
                "price_max": 450,
                "currency": "USD",
                "lead_time_days": 60,
            },
            {
                "name": {
                    "ja": "βチタン メガネフレーム（OEM）",
                    "en": "Beta-Titanium Eyeglass Frames (OEM)",
                },
                "description": {
                    "ja": (
                        "創業以来の技術を生かした軽量フレームです。"
                        "デザイン支給によるOEM生産を300本から承ります。"
                    ),
                    "en": (
                        "Lightweight frames built on the craft we started with. "
                        "OEM production to your design from 300 frames."
                    ),
                },
                "hs_code": "900319",
                "moq": 300,
                "price_min": 28,
                "price_max": 55,
                "currency": "USD",
                "lead_time_days": 90,
            },
        ],
    },
    # 7. Sanuki Noodle Machinery Co., Ltd., Marugame, Kagawa (machinery)
    {
        "email": "overseas@sanuki-menki.example",
        "name": "Takeshi Miyoshi",
        "company": {"ja": "讃岐製麺機株式会社", "en": "Sanuki Noodle Machinery Co., Ltd."},
        "city": "Marugame, Kagawa",
        "category": "machinery",
        "tagline": {
            "ja": "1時間に300食。お店で打ちたての麺を出せる小型製麺機。",
            "en": (
                "Compact noodle machines that make 300 servings an hour, right in your restaurant."
            ),
            "vi": "Máy làm mì cỡ nhỏ cho ra 300 suất mỗi giờ ngay tại nhà hàng của bạn.",
        },
        "description": {
            "ja": (
                "1972年に丸亀で創業し、半世紀にわたってうどん店向けの製麺機を作り続けてきました。"
                "現在はうどん・そば・ラーメン・パスタに対応する小型製麺機が主力で、"
                "手打ちに近い食感を再現する圧延技術に定評があります。"
                "CEマーキング対応機種を揃え、これまでに18か国へ累計600台以上を出荷しました。"
                "昨年度の本プログラムでは、ベトナムのラーメンチェーンに3台を納入し、"
                "現地の技術者向けに研修も行いました。"
                "東南アジアで据付とメンテナンスまで任せられる販売代理店を募集しています。"
            ),
            "en": (
                "Founded in Marugame in 1972, we have been building noodle machines for udon "
                "restaurants for half a century. "
                "Our core products are compact machines for udon, soba, ramen and pasta, known for "
                "rolling technology that reproduces the texture of hand-made noodles. "
                "Our CE-marked models have been shipped to 18 countries, with more than 600 units "
                "installed to date. "
                "Through last year's programme we delivered three machines to a ramen chain in "
                "Vietnam and trained its local technicians. "
                "We are recruiting distributors in Southeast Asia who can also take care of "
                "installation and maintenance."
            ),
            "vi": (
                "Được thành lập tại Marugame năm 1972, chúng tôi đã chế tạo máy làm mì cho các "
                "quán udon suốt nửa thế kỷ. "
                "Sản phẩm chủ lực là các dòng máy nhỏ gọn làm udon, soba, ramen và mì Ý, nổi tiếng "
                "với công nghệ cán bột tái hiện độ dai của mì làm tay. "
                "Các mẫu máy mang dấu CE của chúng tôi đã được xuất khẩu sang 18 quốc gia, với hơn "
                "600 máy đã lắp đặt. "
                "Thông qua chương trình năm ngoái, chúng tôi đã giao ba máy cho một chuỗi nhà hàng "
                "ramen tại Việt Nam và đào tạo kỹ thuật viên tại chỗ. "
                "Chúng tôi đang tìm đại lý phân phối tại Đông Nam Á có thể đảm nhận cả lắp đặt và "
                "bảo trì."
            ),
        },
        "markets": ["VN", "TH", "MY", "SG", "US", "AU"],
        "languages": ["ja", "en"],
        "certifications": ["ISO 9001", "CE marking"],
        "website": "https://www.sanuki-menki.example",
        "products": [
            {
                "name": {"ja": "小型製麺機 MK-300", "en": "Compact Noodle Machine MK-300"},
                "description": {
                    "ja": (
                        "生地の圧延から切り出しまでを1台で行います。"
                        "1時間に約300食、設置面積は畳1枚分ほどです。"
                    ),
                    "en": (
                        "Rolls and cuts the dough in a single unit. "
                        "About 300 servings an hour from a footprint the size of one tatami mat "
                        "(about 1.6 m²)."
                    ),
                },
                "hs_code": "843810",
                "moq": 1,
                "price_min": 2800000,
                "price_max": 3600000,
                "currency": "JPY",
                "lead_time_days": 90,
            },
            {
                "name": {"ja": "真空ミキサー VM-25", "en": "Vacuum Dough Mixer VM-25"},
                "description": {
                    "ja": (
                        "減圧下で加水・混練することで、コシと透明感のある麺生地に仕上げます。"
                        "小麦粉25kgまで対応します。"
                    ),
                    "en": (
                        "Hydrates and kneads under vacuum for firm, glossy noodle dough. "
                        "Up to 25 kg of flour per batch."
                    ),
                },
                "hs_code": "843810",
                "moq": 1,
                "price_min": 1900000,
                "price_max": 2400000,
                "currency": "JPY",
                "lead_time_days": 75,
            },
            {
                "name": {"ja": "交換用 切刃ロール", "en": "Replacement Cutter Rolls"},
                "description": {
                    "ja": "麺幅1.5〜10mmの各種切刃です。他社製の既存機への後付けもご相談ください。",
                    "en": (
                        "Cutter rolls for noodle widths from 1.5 to 10 mm. "
                        "Ask us about retrofits for machines from other makers."
                    ),
                },
                "hs_code": "843890",
                "moq": 1,
                "price_min": 85000,
                "price_max": 160000,
                "currency": "JPY",
                "lead_time_days": 30,
            },
        ],
    },
    # 8. Kishu Chemical Co., Ltd., Wakayama, Wakayama (chemicals)
    {
        "email": "info@kishu-chemical.example",
        "name": "Naoki Yamamoto",
        "company": {"ja": "紀州ケミカル株式会社", "en": "Kishu Chemical Co., Ltd."},
        "city": "Wakayama, Wakayama",
        "category": "chemicals",
        "tagline": {
            "ja": "備長炭づくりから生まれた、高性能活性炭と環境にやさしい洗浄剤。",
            "en": (
                "High-performance activated carbon and gentler cleaning agents, grown out of "
                "binchotan charcoal making."
            ),
        },
        "description": {
            "ja": (
                "1958年に紀州備長炭の製炭・販売から始まり、"
                "1980年代に活性炭の製造へ事業を広げました。"
                "現在はヤシ殻や竹を原料とする浄水用・食品脱色用の活性炭と、"
                "金属加工後の部品洗浄に使う中性の水系洗浄剤を製造しています。"
                "ISO 9001とISO 14001を取得し、全製品のSDS（安全データシート）を英語・中国語・"
                "韓国語で用意しています。"
                "韓国の浄水器メーカーには10年以上にわたって活性炭を供給してきました。"
                "アジアの浄水器メーカーや部品加工工場と、長期的な供給関係を築きたいと考えています。"
            ),
            "en": (
                "We began in 1958 making and selling Kishu binchotan charcoal, and moved into "
                "activated carbon in the 1980s. "
                "Today we produce coconut-shell and bamboo activated carbon for water purification "
                "and food decolourisation, along with neutral water-based cleaners for washing "
                "parts after machining. "
                "We are ISO 9001 and ISO 14001 certified and provide safety data sheets for every "
                "product in English, Chinese and Korean. "
                "We have supplied activated carbon to a Korean water-purifier manufacturer for "
                "more than ten years. "
                "We want to build long-term supply relationships with water-purifier makers and "
                "parts-processing plants across Asia."
            ),
        },
        "markets": ["CN", "KR", "VN", "TH", "MY"],
        "languages": ["ja", "en"],
        "certifications": ["ISO 9001", "ISO 14001"],
        "website": "https://www.kishu-chemical.example",
        "products": [
            {
                "name": {
                    "ja": "浄水用 ヤシ殻粒状活性炭",
                    "en": "Coconut-Shell Granular Activated Carbon for Water Treatment",
                },
                "description": {
                    "ja": (
                        "ヨウ素吸着性能1,100mg/g以上。"
                        "浄水器カートリッジに合わせて粒度を指定して供給します（価格はkg単位）。"
                    ),
                    "en": (
                        "Iodine number of 1,100 mg/g or more, supplied in the particle size your "
                        "cartridges require (priced per kg)."
                    ),
                },
                "hs_code": "380210",
                "moq": 500,
                "price_min": 4.2,
                "price_max": 6.8,
                "currency": "USD",
                "lead_time_days": 30,
            },
            {
                "name": {
                    "ja": "食品脱色用 竹活性炭パウダー",
                    "en": "Bamboo Activated Carbon Powder for Food Decolourisation",
                },
                "description": {
                    "ja": (
                        "糖液や食用油の脱色・脱臭に使う粉末タイプで、"
                        "食品添加物公定書の規格に適合しています（価格はkg単位）。"
                    ),
                    "en": (
                        "A powder grade for decolourising and deodorising sugar syrups and edible "
                        "oils, meeting Japan's food additive specifications (priced per kg)."
                    ),
                },
                "hs_code": "380210",
                "moq": 200,
                "price_min": 7.5,
                "price_max": 11,
                "currency": "USD",
                "lead_time_days": 30,
            },
            {
                "name": {
                    "ja": "中性水系 部品洗浄剤 18L",
                    "en": "Neutral Water-Based Parts Cleaner, 18 L",
                },
                "description": {
                    "ja": (
                        "切削油・プレス油を落とす中性タイプで、"
                        "アルミや銅合金を変色させにくいのが特長です。20倍に希釈して使用します。"
                    ),
                    "en": (
                        "A neutral cleaner that removes cutting and stamping oils without "
                        "discolouring aluminium or copper alloys. Used at 20× dilution."
                    ),
                },
                "hs_code": "340290",
                "moq": 20,
                "price_min": 9800,
                "price_max": 14000,
                "currency": "JPY",
                "lead_time_days": 21,
            },
        ],
    },
    # 9. Suwa Techno Electronics Co., Ltd., Suwa, Nagano (electronics)
    {
        "email": "sales@suwa-techno.example",
        "name": "Yusuke Kobayashi",
        "company": {"ja": "諏訪テクノ電子株式会社", "en": "Suwa Techno Electronics Co., Ltd."},
        "city": "Suwa, Nagano",
        "category": "electronics",
        "tagline": {
            "ja": "試作1個から量産まで。温度センサーとハーネスの小回りが利くパートナー。",
            "en": (
                "From a single prototype to volume production: an agile partner for temperature "
                "sensors and harnesses."
            ),
            "zh_Hans": "从1个样品到批量生产，温度传感器与线束领域灵活高效的合作伙伴。",
        },
        "description": {
            "ja": (
                "1983年、時計・カメラ部品の協力工場として諏訪で創業しました。"
                "現在はサーミスタ式温度センサーと、産業機器向けワイヤーハーネスの設計・"
                "製造が主力です。ISO 9001とISO 14001を取得し、全製品がRoHS指令に適合しています。"
                "2015年にはベトナム・ドンナイ省に協力工場を立ち上げ、"
                "日本と同じ品質基準で量産できる体制を整えました。"
                "中国・タイ・マレーシアの家電・空調メーカーや、"
                "ドイツの産業機器メーカーとの取引を求めています。"
            ),
            "en": (
                "We were founded in Suwa in 1983 as a subcontractor for watch and camera "
                "components. Today our core business is designing and manufacturing thermistor "
                "temperature sensors and wire harnesses for industrial equipment. "
                "We are ISO 9001 and ISO 14001 certified, and all our products comply with the "
                "RoHS directive. In 2015 we set up a partner factory in Dong Nai, Vietnam, giving "
                "us volume capacity built to the same quality standards as at home. "
                "We are looking for business with appliance and air-conditioner manufacturers in "
                "China, Thailand and Malaysia, and with industrial equipment makers in Germany."
            ),
            "zh_Hans": (
                "本公司于1983年在诹访创立，最初是钟表和相机零部件的协作工厂。"
                "目前以热敏电阻式温度传感器和工业设备用线束的设计与制造为主营业务。"
                "公司已通过ISO 9001和ISO 14001认证，全部产品符合RoHS指令。"
                "2015年我们在越南同奈省建立了合作工厂，"
                "具备了按照与日本相同的品质标准进行量产的能力。"
                "我们希望与中国、泰国和马来西亚的家电及空调厂商，以及德国的工业设备制造商开展合作。"
            ),
        },
        "markets": ["CN", "VN", "TH", "MY", "DE"],
        "languages": ["ja", "en", "zh_Hans"],
        "certifications": ["ISO 9001", "ISO 14001", "RoHS compliant"],
        "website": "https://www.suwa-techno.example",
        "products": [
            {
                "name": {
                    "ja": "NTCサーミスタ 温度センサー",
                    "en": "NTC Thermistor Temperature Probes",
                },
                "description": {
                    "ja": (
                        "測定範囲−40〜+150°C、精度±0.5°C。"
                        "保護管の材質、リード線の長さ、コネクタを用途に合わせて設計します。"
                    ),
                    "en": (
                        "−40 to +150 °C with ±0.5 °C accuracy. "
                        "Sheath material, lead length and connector designed around your "
                        "application."
                    ),
                },
                "hs_code": "853340",
                "moq": 1000,
                "price_min": 0.8,
                "price_max": 3.5,
                "currency": "USD",
                "lead_time_days": 35,
            },
            {
                "name": {
                    "ja": "産業機器用 ワイヤーハーネス",
                    "en": "Wire Harness Assemblies for Industrial Equipment",
                },
                "description": {
                    "ja": (
                        "図面または現品からの製作に対応します。"
                        "UL・CSA認定電線を使用し、全数導通検査を行います。"
                    ),
                    "en": (
                        "Built from your drawings or samples using UL/CSA-recognised wire, with "
                        "100% continuity testing."
                    ),
                },
                "hs_code": "854442",
                "moq": 200,
                "price_min": 2.5,
                "price_max": 45,
                "currency": "USD",
                "lead_time_days": 30,
            },
            {
                "name": {"ja": "メンブレンスイッチパネル", "en": "Membrane Switch Panels"},
                "description": {
                    "ja": "LEDの組み込み、キーのエンボス加工、屋外用の耐候シートに対応します。",
                    "en": (
                        "Options include embedded LEDs, embossed keys and UV-resistant overlays "
                        "for outdoor use."
                    ),
                },
                "hs_code": "853650",
                "moq": 300,
                "price_min": 4,
                "price_max": 22,
                "currency": "USD",
                "lead_time_days": 40,
            },
        ],
    },
    # 10. Hida Mokkosha Co., Ltd., Takayama, Gifu (wood_crafts)
    {
        "email": "contact@hida-mokkosha.example",
        "name": "Emi Furukawa",
        "company": {"ja": "飛騨木工舎株式会社", "en": "Hida Mokkosha Co., Ltd."},
        "city": "Takayama, Gifu",
        "category": "wood_crafts",
        "tagline": {
            "ja": "曲木の技と飛騨の広葉樹で、百年使える家具を。",
            "en": "Bentwood craft and Hida hardwoods, for furniture that lasts a hundred years.",
        },
        "description": {
            "ja": (
                "1946年に高山で創業した家具工房で、蒸した無垢材を型に沿って曲げる「曲木」"
                "の技術を受け継いでいます。"
                "材料には飛騨地方のナラ・ブナ・クリを中心に、"
                "FSC認証材と地域の間伐材を使っています。"
                "椅子は職人が一脚ずつ組み上げ、"
                "座面の張り替えや部品交換などのアフターサービスも長く続けています。"
                "2年前から、オーストラリアと米国西海岸のインテリアショップとの取引を始めました。"
                "海外の設計事務所やホテル開発会社と、"
                "特注家具のプロジェクトに取り組みたいと考えています。"
            ),
            "en": (
                "Founded in Takayama in 1946, our workshop carries on the craft of bentwood: "
                "shaping steamed solid timber around moulds. "
                "We work mainly with oak, beech and chestnut from the Hida region, using "
                "FSC-certified timber and thinnings from local forests. "
                "Each chair is assembled by hand by one craftsperson, and we offer long-term "
                "aftercare such as reupholstering seats and replacing parts. "
                "Two years ago we began selling through interior shops in Australia and on the US "
                "West Coast. We would like to work with overseas architects and hotel developers "
                "on custom furniture projects."
            ),
        },
        "markets": ["US", "AU", "DE", "TW", "SG"],
        "languages": ["ja", "en"],
        "certifications": ["FSC CoC"],
        "website": "https://www.hida-mokkosha.example",
        "products": [
            {
                "name": {"ja": "曲木ダイニングチェア（ナラ）", "en": "Bentwood Dining Chair, Oak"},
                "description": {
                    "ja": (
                        "背もたれを一枚の曲木で仕上げた軽いチェアです。"
                        "座面は板座と布張りからお選びいただけます。"
                    ),
                    "en": (
                        "A light chair whose back is formed from a single piece of bentwood. "
                        "Choose a solid wood or upholstered seat."
                    ),
                },
                "hs_code": "940169",
                "moq": 20,
                "price_min": 48000,
                "price_max": 72000,
                "currency": "JPY",
                "lead_time_days": 90,
            },
            {
                "name": {"ja": "栗材の一枚板まな板", "en": "Solid Chestnut Cutting Board"},
                "description": {
                    "ja": (
                        "水に強い国産の栗材を一枚板で仕上げました。"
                        "刃あたりがやさしく、包丁を傷めにくいまな板です。"
                    ),
                    "en": (
                        "Cut from a single piece of water-resistant Japanese chestnut. "
                        "Kind to knife edges."
                    ),
                },
                "hs_code": "441990",
                "moq": 50,
                "price_min": 6500,
                "price_max": 12000,
                "currency": "JPY",
                "lead_time_days": 45,
            },
            {
                "name": {"ja": "飛騨ひのき バススツール", "en": "Hida Hinoki Bath Stool"},
                "description": {
                    "ja": (
                        "香りのよい飛騨産ヒノキを、金具を使わないほぞ組みで仕立てました。"
                        "水はけのよい形状です。"
                    ),
                    "en": (
                        "Fragrant Hida hinoki joined with mortise and tenon, without metal "
                        "fittings, and shaped to drain water quickly."
                    ),
                },
                "hs_code": "442199",
                "moq": 30,
                "price_min": 9800,
                "price_max": 15000,
                "currency": "JPY",
                "lead_time_days": 60,
            },
        ],
    },
    # 11. Goto Tsubaki Cosmetics Co., Ltd., Goto, Nagasaki (cosmetics)
    {
        "email": "hello@goto-tsubaki.example",
        "name": "Misaki Hamaguchi",
        "company": {"ja": "五島椿コスメ株式会社", "en": "Goto Tsubaki Cosmetics Co., Ltd."},
        "city": "Goto, Nagasaki",
        "category": "cosmetics",
        "tagline": {
            "ja": "島の椿を、搾りたてのまま肌と髪へ。",
            "en": "Island camellia oil, cold-pressed and straight to your skin and hair.",
            "zh_Hans": "海岛山茶花籽油，冷榨后直达肌肤与秀发。",
            "zh_Hant": "海島山茶花籽油，冷壓後直達肌膚與秀髮。",
        },
        "description": {
            "ja": (
                "2008年に五島列島の福江島で創業し、"
                "島に自生するヤブツバキの実を地元の農家から買い取り、自社で低温圧搾しています。"
                "椿油100%のヘアオイルを中心に、椿油を配合したスキンケアと石けんを製造しています。"
                "工場はISO 22716（化粧品GMP）に準拠しており、台湾と香港への輸出実績があります。"
                "中国本土向けには一般化粧品の届出を順次進めており、越境ECでの販売にも対応できます。"
                "アジア各地のドラッグストアやセレクトショップ、"
                "越境EC事業者との出会いを期待しています。"
            ),
            "en": (
                "Founded in 2008 on Fukue Island in the Goto archipelago, we buy the seeds of the "
                "island's wild camellias from local farmers and cold-press them ourselves. "
                "Our range centres on 100% camellia hair oil, together with skincare and soaps "
                "made with camellia oil. "
                "Our factory follows ISO 22716 cosmetics GMP, and we already export to Taiwan and "
                "Hong Kong. We are working through general cosmetics filings for mainland China "
                "and can support cross-border e-commerce sales. "
                "We hope to meet drugstores, select shops and cross-border e-commerce operators "
                "across Asia."
            ),
            "zh_Hans": (
                "本公司2008年创立于五岛列岛的福江岛，从当地农户收购岛上野生山茶花的果实，"
                "在自有工厂低温压榨。"
                "产品以100%山茶花籽油护发精油为主，另有添加山茶花籽油的护肤品和手工皂。"
                "工厂按ISO 22716（化妆品GMP）标准运营，已有出口台湾和香港的实绩。"
                "面向中国大陆的普通化妆品备案正在陆续推进，也可配合跨境电商销售。"
                "期待结识亚洲各地的药妆店、买手店及跨境电商运营商。"
            ),
            "zh_Hant": (
                "本公司2008年創立於五島列島的福江島，向當地農戶收購島上野生山茶花的果實，"
                "在自有工廠低溫壓榨。"
                "產品以100%山茶花籽油護髮油為主，另有添加山茶花籽油的保養品與手工皂。"
                "工廠依ISO 22716（化妝品GMP）標準運作，已有外銷台灣與香港的實績。"
                "針對中國大陸的普通化妝品備案正陸續進行，也能配合跨境電商銷售。"
                "期待結識亞洲各地的藥妝店、選品店及跨境電商業者。"
            ),
        },
        "markets": ["CN", "TW", "VN", "TH", "SG", "MY"],
        "languages": ["ja", "en"],
        "certifications": ["ISO 22716"],
        "website": "https://www.goto-tsubaki.example",
        "products": [
            {
                "name": {"ja": "椿油100% ヘアオイル 60ml", "en": "Pure Camellia Hair Oil, 60 ml"},
                "description": {
                    "ja": (
                        "五島産ヤブツバキの種子油だけを使用しています。"
                        "髪にまとまりとツヤを与え、肌のブースターオイルとしても使えます。"
                    ),
                    "en": (
                        "Nothing but seed oil from Goto's wild camellias. "
                        "Tames hair and adds shine, and doubles as a facial booster oil."
                    ),
                },
                "hs_code": "330590",
                "moq": 500,
                "price_min": 1400,
                "price_max": 2200,
                "currency": "JPY",
                "lead_time_days": 30,
            },
            {
                "name": {"ja": "椿 保湿クリーム 40g", "en": "Camellia Moisturising Cream, 40 g"},
                "description": {
                    "ja": (
                        "椿油とセラミドを配合した、無香料・無着色のクリームです。"
                        "乾燥する季節や敏感肌の方にもお使いいただけます。"
                    ),
                    "en": (
                        "A fragrance-free, colourant-free cream with camellia oil and ceramides, "
                        "for dry seasons and sensitive skin."
                    ),
                },
                "hs_code": "330499",
                "moq": 300,
                "price_min": 2000,
                "price_max": 3200,
                "currency": "JPY",
                "lead_time_days": 30,
            },
            {
                "name": {"ja": "椿の手づくり石けん 100g", "en": "Handmade Camellia Soap, 100 g"},
                "description": {
                    "ja": (
                        "コールドプロセス製法で約6週間熟成させた石けんです。"
                        "きめ細かな泡で、しっとりと洗い上がります。"
                    ),
                    "en": (
                        "Cold-process soap cured for about six weeks, with a fine lather that "
                        "leaves skin soft."
                    ),
                },
                "hs_code": "340111",
                "moq": 500,
                "price_min": 700,
                "price_max": 1100,
                "currency": "JPY",
                "lead_time_days": 45,
            },
        ],
    },
    # 12. Fuji Shiki Co., Ltd., Fuji, Shizuoka (packaging)
    {
        "email": "info@fuji-shiki.example",
        "name": "Kazuya Suzuki",
        "company": {"ja": "富士紙器株式会社", "en": "Fuji Shiki Co., Ltd."},
        "city": "Fuji, Shizuoka",
        "category": "packaging",
        "tagline": {
            "ja": "紙だけで守り、魅せる。プラスチックを減らすパッケージ設計。",
            "en": (
                "Protect and present with paper alone: packaging designed to take the plastic out."
            ),
        },
        "description": {
            "ja": (
                "製紙の町・富士市で1965年に創業した紙器メーカーです。"
                "化粧品や菓子向けの貼り箱・組立箱の製造に加え、"
                "プラスチックのトレーを紙製の緩衝材に置き換える構造設計を得意としています。"
                "FSC CoC認証とISO 9001を取得しており、大豆油インキによる印刷にも対応しています。"
                "国内の菓子メーカーの輸出用ギフト箱を数多く手がけ、"
                "タイのお客様の工場には現地で組み立てる前提で折りたたんだ状態の箱を出荷しています。"
                "脱プラスチックを進めたい海外の食品・化粧品ブランドとの取引を期待しています。"
            ),
            "en": (
                "We are a paper-box maker founded in 1965 in Fuji, a city built on papermaking. "
                "Besides rigid and folding boxes for cosmetics and confectionery, we specialise in "
                "structural designs that replace plastic trays with paper cushioning. "
                "We hold FSC Chain of Custody and ISO 9001 certification and can print with "
                "soy-based inks. We make export gift boxes for many Japanese confectioners and "
                "ship flat-packed boxes to a customer's plant in Thailand for assembly on site. "
                "We look forward to working with overseas food and cosmetics brands that want to "
                "move away from plastic."
            ),
        },
        "markets": ["VN", "TH", "MY", "SG", "US"],
        "languages": ["ja", "en"],
        "certifications": ["FSC CoC", "ISO 9001"],
        "website": "https://www.fuji-shiki.example",
        "products": [
            {
                "name": {"ja": "紙仕切り付き ギフトボックス", "en": "Gift Box with Paper Inserts"},
                "description": {
                    "ja": (
                        "瓶や缶を紙の仕切りだけで固定する貼り箱です。"
                        "箔押しやエンボス加工にも対応します。"
                    ),
                    "en": (
                        "A rigid box that holds bottles or tins in place with paper inserts alone. "
                        "Foil stamping and embossing available."
                    ),
                },
                "hs_code": "481920",
                "moq": 1000,
                "price_min": 180,
                "price_max": 650,
                "currency": "JPY",
                "lead_time_days": 30,
            },
            {
                "name": {"ja": "段ボール製 EC配送箱", "en": "Corrugated E-Commerce Mailer Box"},
                "description": {
                    "ja": (
                        "テープを使わずに組み立てられる差し込み式です。"
                        "開封用のジッパー付きで、返品時にも再利用できます。"
                    ),
                    "en": (
                        "A tuck-in design that assembles without tape, with a tear strip for "
                        "opening, and reusable for returns."
                    ),
                },
                "hs_code": "481910",
                "moq": 3000,
                "price_min": 45,
                "price_max": 160,
                "currency": "JPY",
                "lead_time_days": 21,
            },
            {
                "name": {"ja": "パルプモールド緩衝材", "en": "Moulded Pulp Cushioning"},
                "description": {
                    "ja": "古紙100%のパルプモールドです。製品の形状に合わせて金型から製作します。",
                    "en": (
                        "Moulded from 100% recycled paper, on tooling made to the shape of your "
                        "product."
                    ),
                },
                "hs_code": "482370",
                "moq": 5000,
                "price_min": 25,
                "price_max": 120,
                "currency": "JPY",
                "lead_time_days": 45,
            },
        ],
    },
]

BUYERS: list[dict[str, Any]] = [
    # China
    {
        "email": "wang.liwei@hengtai-kitchen.example",
        "name": "王立伟",
        "company": "Shanghai Hengtai Kitchenware Trading Co., Ltd.",
        "country": "CN",
        "timezone": "Asia/Shanghai",
        "locale": "zh_Hans",
        "interests": ["cutlery_tools", "ceramics", "metal_parts"],
    },
    {
        "email": "liu.ting@yunshang-cbec.example",
        "name": "刘婷",
        "company": "Hangzhou Yunshang Cross-Border E-Commerce Co., Ltd.",
        "country": "CN",
        "timezone": "Asia/Shanghai",
        "locale": "zh_Hans",
        "interests": ["cosmetics", "food_beverage", "textiles"],
    },
    {
        "email": "chen.jianhua@huarui-components.example",
        "name": "陈建华",
        "company": "Shenzhen Huarui Electronic Components Co., Ltd.",
        "country": "CN",
        "timezone": "Asia/Shanghai",
        "locale": "zh_Hans",
        "interests": ["electronics", "metal_parts", "machinery"],
    },
    {
        "email": "zhao.min@kangning-medical.example",
        "name": "赵敏",
        "company": "Guangzhou Kangning Medical Equipment Co., Ltd.",
        "country": "CN",
        "timezone": "Asia/Shanghai",
        "locale": "zh_Hans",
        "interests": ["medical", "chemicals", "packaging"],
    },
    # Vietnam
    {
        "email": "ha.nguyen@saomai-import.example",
        "name": "Nguyễn Thị Thu Hà",
        "company": "Sao Mai Food Import JSC",
        "country": "VN",
        "timezone": "Asia/Ho_Chi_Minh",
        "locale": "vi",
        "interests": ["food_beverage", "cosmetics", "packaging"],
    },
    {
        "email": "quan.tran@thanhcong-precision.example",
        "name": "Trần Minh Quân",
        "company": "Thanh Cong Precision Engineering Co., Ltd.",
        "country": "VN",
        "timezone": "Asia/Ho_Chi_Minh",
        "locale": "vi",
        "interests": ["machinery", "metal_parts", "electronics", "medical"],
    },
    # Taiwan
    {
        "email": "lin.yichun@hefeng-lifestyle.example",
        "name": "林怡君",
        "company": "Hefeng Lifestyle Co., Ltd.",
        "country": "TW",
        "timezone": "Asia/Taipei",
        "locale": "zh_Hant",
        "interests": ["ceramics", "wood_crafts", "textiles", "food_beverage"],
    },
    {
        "email": "huang.chihming@jingyi-machinery.example",
        "name": "黃志明",
        "company": "Taichung Jingyi Machinery Co., Ltd.",
        "country": "TW",
        "timezone": "Asia/Taipei",
        "locale": "zh_Hant",
        "interests": ["machinery", "cutlery_tools", "metal_parts"],
    },
    # Thailand
    {
        "email": "nattapon.s@siamgourmet-import.example",
        "name": "ณัฐพล ศรีสุวรรณ",
        "company": "Siam Gourmet Import Co., Ltd.",
        "country": "TH",
        "timezone": "Asia/Bangkok",
        "locale": "th",
        "interests": ["food_beverage", "packaging", "ceramics"],
    },
    {
        "email": "pimchanok.c@chaophraya-beauty.example",
        "name": "พิมพ์ชนก จันทร์เพ็ญ",
        "company": "Chao Phraya Beauty Distribution Co., Ltd.",
        "country": "TH",
        "timezone": "Asia/Bangkok",
        "locale": "th",
        "interests": ["cosmetics", "textiles", "medical"],
    },
    # United States
    {
        "email": "emily.carter@pacificrim-kitchen.example",
        "name": "Emily Carter",
        "company": "Pacific Rim Kitchen Supply LLC",
        "country": "US",
        "timezone": "America/Los_Angeles",
        "locale": "en",
        "interests": ["cutlery_tools", "ceramics", "food_beverage"],
    },
    {
        "email": "dbrooks@hudson-home-imports.example",
        "name": "Daniel Brooks",
        "company": "Hudson Home & Design Imports Inc.",
        "country": "US",
        "timezone": "America/New_York",
        "locale": "en",
        "interests": ["wood_crafts", "textiles", "ceramics", "cosmetics"],
    },
]

INTERPRETERS: list[dict[str, Any]] = [
    {
        "email": "zhou.yan@kakehashi-interpreters.example",
        "name": "Yan Zhou",
        "languages": ["ja", "zh_Hans", "zh_Hant", "en"],
    },
    {
        "email": "lan.pham@kakehashi-interpreters.example",
        "name": "Phạm Thị Lan",
        "languages": ["ja", "vi", "en"],
    },
    {
        "email": "kanokwan.inoue@kakehashi-interpreters.example",
        "name": "Kanokwan Inoue",
        "languages": ["ja", "th", "en"],
    },
]
