"""Demo data: three years of an online tea and homeware shop.

Loaded only with the demo data of the addons: ``demo/*.xml`` of each addon
calls ``res.company._relationship_demo_generate`` with a ``<function>`` tag,
which imports the addon's ``demo/`` module and runs its ``generate(env)``: this
is plain Python, not a model, so a database installed without demo data
neither runs nor registers any of it. The customers, their orders, refunds
and complaints come from a seeded random generator (:data:`SEED`): every
install produces the same data, with dates relative to the install day.

Orders follow a repeat-purchase process: each customer is acquired on some
day of the last three years, then buys again after exponential waiting times
(a Poisson process with a rate of its own) until it drops out, with a
probability of its own after each purchase. That gives every lifecycle stage
(prospects and quotations too) and every RFM segment of the scoring addon.

Records are created in batches (``create`` on lists); dates Odoo sets to
"now" (order dates on confirmation) are put back with one SQL ``UPDATE`` per
table. Every demo record gets an XML id ``<addon>.demo_...``, which is how
tests tell demo records apart.
"""

import logging
import random
from collections import defaultdict
from datetime import datetime, time, timedelta
from statistics import median

from odoo import fields
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

SEED = 7
CUSTOMERS = 300
HISTORY_DAYS = 3 * 365
MODULE = "crm_relationship"

# ---------------------------------------------------------------------------
# name pools
# ---------------------------------------------------------------------------
EN_FIRST = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda",
    "David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph",
    "Jessica", "Thomas", "Sarah", "Chris", "Karen", "Daniel", "Nancy", "Matthew",
    "Lisa", "Anthony", "Betty", "Mark", "Sandra", "Steven", "Ashley", "Paul",
    "Emily", "Andrew", "Donna", "Joshua", "Michelle", "Kevin", "Amanda", "Brian",
    "Melissa", "George", "Rebecca", "Edward", "Laura", "Ryan", "Olivia", "Jacob",
    "Sophie", "Harry", "Grace",
)  # fmt: skip
EN_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
    "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Thompson",
    "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen",
    "King", "Wright", "Scott", "Hill", "Green", "Adams", "Baker", "Nelson",
    "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker",
    "Evans", "Edwards", "Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers",
)  # fmt: skip
DE_FIRST = (
    "Lukas", "Anna", "Felix", "Lea", "Jonas", "Hannah", "Paul", "Mia", "Leon",
    "Lena", "Finn", "Emma", "Tim", "Laura", "Jan", "Sophie", "Niklas", "Julia",
)  # fmt: skip
DE_LAST = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner",
    "Becker", "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann",
)  # fmt: skip
FR_FIRST = (
    "Louis", "Camille", "Gabriel", "Chloé", "Hugo", "Manon", "Arthur", "Inès",
    "Jules", "Léa", "Nathan", "Zoé", "Lucas", "Clara", "Théo", "Alice",
)  # fmt: skip
FR_LAST = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit",
    "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel",
    "Garcia", "Roux",
)  # fmt: skip
JP_FIRST = ("Haruto", "Yui", "Sota", "Hina", "Ren", "Aoi", "Yuto", "Sakura", "Kaito")
JP_LAST = ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto")
ZH_SURNAMES = (
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"),
    ("杨", "Yang"), ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"),
    ("徐", "Xu"), ("孙", "Sun"), ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"),
    ("郭", "Guo"), ("何", "He"), ("林", "Lin"), ("罗", "Luo"), ("高", "Gao"),
)  # fmt: skip
ZH_GIVEN = (
    ("伟", "Wei"), ("芳", "Fang"), ("娜", "Na"), ("秀英", "Xiuying"), ("敏", "Min"),
    ("静", "Jing"), ("丽", "Li"), ("强", "Qiang"), ("磊", "Lei"), ("军", "Jun"),
    ("洋", "Yang"), ("勇", "Yong"), ("艳", "Yan"), ("杰", "Jie"), ("娟", "Juan"),
    ("涛", "Tao"), ("明", "Ming"), ("超", "Chao"), ("秀兰", "Xiulan"), ("霞", "Xia"),
    ("平", "Ping"), ("刚", "Gang"), ("晓东", "Xiaodong"), ("雪梅", "Xuemei"),
    ("子涵", "Zihan"), ("浩然", "Haoran"), ("欣怡", "Xinyi"), ("宇轩", "Yuxuan"),
)  # fmt: skip
EN_COMPANY = (
    ("Bluebird", "Home Goods"), ("Maple Leaf", "Interiors"), ("Harbor", "Trading"),
    ("Silverline", "Hospitality"), ("Oakwood", "Cafe"), ("Sunrise", "Tea Room"),
    ("Evergreen", "Gifts"), ("Northwind", "Retail"), ("Copper Kettle", "Bistro"),
    ("Willow", "Boutique Hotel"), ("Granite", "Office Supplies"),
    ("Riverside", "Deli"), ("Golden Gate", "Concierge"), ("Lighthouse", "Bakery"),
)  # fmt: skip
DE_COMPANY = (
    ("Teehaus", "Müller"), ("Kaffeerösterei", "Weber"), ("Wohnwelt", "Becker"),
    ("Hotel", "Schneider"), ("Feinkost", "Wagner"), ("Büroservice", "Koch"),
)  # fmt: skip
FR_COMPANY = (
    ("Maison", "Dubois"), ("Salon de thé", "Leroy"), ("Épicerie fine", "Moreau"),
    ("Hôtel", "Lefebvre"), ("Boutique", "Roux"),
)  # fmt: skip
ZH_CITIES_CN = (
    ("上海", "Shanghai"), ("北京", "Beijing"), ("广州", "Guangzhou"),
    ("深圳", "Shenzhen"), ("杭州", "Hangzhou"), ("成都", "Chengdu"),
    ("南京", "Nanjing"), ("苏州", "Suzhou"), ("武汉", "Wuhan"), ("厦门", "Xiamen"),
)  # fmt: skip
ZH_BRANDS = (
    ("悦家", "yuejia"), ("茗香", "mingxiang"), ("锦程", "jincheng"),
    ("云栖", "yunqi"), ("春禾", "chunhe"), ("雅居", "yaju"), ("瑞丰", "ruifeng"),
    ("嘉禾", "jiahe"), ("德润", "derun"), ("清和", "qinghe"),
)  # fmt: skip
ZH_TRADES = ("贸易", "电子商务", "家居用品", "茶业", "酒店管理", "餐饮管理")

#: region: (countries, currency, weight, language, names, cities)
REGIONS = {
    "us": (("US",), "USD", 30, "en", ("New York", "Austin", "Seattle", "Denver")),
    "gb": (("GB",), "GBP", 10, "en", ("London", "Manchester", "Bristol", "Leeds")),
    "de": (("DE",), "EUR", 9, "de", ("Berlin", "Hamburg", "München", "Köln")),
    "fr": (("FR",), "EUR", 8, "fr", ("Paris", "Lyon", "Bordeaux", "Lille")),
    "cn": (("CN",), "CNY", 25, "zh", ()),
    "zh_overseas": (("SG", "HK", "TW"), "USD", 8, "zh", ("Singapore", "Hong Kong")),
    "au": (("AU", "CA"), "USD", 5, "en", ("Sydney", "Melbourne", "Toronto")),
    "jp": (("JP",), "USD", 5, "jp", ("Tokyo", "Osaka", "Kyoto")),
}

PRODUCTS = (
    # code, name, price (USD), weight in baskets
    ("TEA-JAS", "Jasmine Green Tea 100 g", 12.90, 10),
    ("TEA-OOL", "Tieguanyin Oolong Gift Box", 39.00, 6),
    ("TEA-PUE", "Aged Pu-erh Tea Cake 357 g", 45.00, 4),
    ("TEA-SUB", "Tea Sampler Box (monthly)", 34.00, 6),
    ("POT-CER", "Celadon Ceramic Teapot 600 ml", 49.00, 4),
    ("POT-IRN", "Cast Iron Teapot 900 ml", 95.00, 2),
    ("CUP-GLS", "Double-Wall Glass Cups (set of 4)", 24.00, 6),
    ("TRY-BMB", "Bamboo Tea Tray", 68.00, 2),
    ("KTL-ELE", "Electric Gooseneck Kettle 1 L", 79.00, 3),
    ("LIN-RUN", "Linen Table Runner", 29.00, 3),
    ("CND-SDW", "Sandalwood Scented Candle", 18.50, 5),
    ("DIN-STW", "Stoneware Dinner Set (12 pieces)", 129.00, 2),
)

#: what goes with what: an order holding the first product often gets the
#: second too (what customers buy together, crm_relationship_scoring)
COMPANIONS = (
    ("POT-CER", "CUP-GLS"),
    ("POT-IRN", "TRY-BMB"),
    ("TEA-PUE", "POT-IRN"),
    ("KTL-ELE", "TEA-OOL"),
    ("DIN-STW", "LIN-RUN"),
    ("LIN-RUN", "CND-SDW"),
)

SALESPEOPLE = (
    # key, name, login, language
    ("emma", "Emma Collins", "emma.collins@example.com", "en_US"),
    ("lucas", "Lucas Weber", "lucas.weber@example.com", "en_US"),
    ("lin", "林梅 (Lin Mei)", "lin.mei@example.com", "zh_CN"),
    ("daniel", "Daniel Park", "daniel.park@example.com", "en_US"),
)
REGION_OWNERS = {
    "us": ("emma", "daniel"),
    "gb": ("emma",),
    "de": ("lucas",),
    "fr": ("lucas",),
    "cn": ("lin",),
    "zh_overseas": ("lin", "daniel"),
    "au": ("daniel",),
    "jp": ("daniel",),
}

# complaint plan: (state, count, breached, dispute levels)
COMPLAINT_PLAN = (
    ("new", 4, 2, ()),
    ("acknowledged", 4, 1, ()),
    ("in_progress", 7, 2, ("negotiation", "mediation", "litigation")),
    ("resolved", 5, 1, ("negotiation",)),
    ("closed", 16, 4, ("mediation", "arbitration")),
    ("rejected", 4, 0, ()),
)
COMPLAINT_TOPICS = {
    "quality": (
        ("Teapot lid cracked after a week", "茶壶盖用了一周就裂了"),
        ("Tea tastes stale", "茶叶有陈味"),
        ("Candle burns unevenly", "蜡烛燃烧不均匀"),
    ),
    "delivery": (
        ("Parcel arrived ten days late", "包裹晚到了十天"),
        ("Box delivered damaged", "快递箱送到时已破损"),
        ("Wrong address on the shipping label", "快递单地址写错了"),
    ),
    "service": (
        ("Nobody answered my chat messages", "在线客服一直没有回复"),
        ("Rude answer on the phone", "电话客服态度很差"),
    ),
    "billing": (
        ("Charged twice for one order", "同一个订单被扣款两次"),
        ("Discount code not applied", "优惠码没有生效"),
    ),
    "after_sales": (
        ("Kettle stopped working after two months", "电水壶用了两个月就坏了"),
        ("Return request ignored", "退货申请没有人处理"),
    ),
    "other": (("Marketing emails after unsubscribing", "退订后仍收到营销邮件"),),
}
RESOLUTIONS = ("refund", "replacement", "repair", "compensation", "apology")


def generate(env):
    """Entry point of ``demo/crm_relationship_demo.xml``."""
    return DemoShop(env)._demo_generate()


class DemoShop:
    """The generator of the demo shop, in the environment ``env``."""

    def __init__(self, env):
        self.env = env

    def with_company(self, company):
        return type(self)(self.env["res.company"].with_company(company).env)

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------
    def _demo_env(self):
        """Superuser, main company, no chatter noise."""
        return type(self)(
            self.env(
                su=True,
                context=dict(
                    self.env.context,
                    tracking_disable=True,
                    mail_create_nolog=True,
                    mail_create_nosubscribe=True,
                    mail_notrack=True,
                    mail_auto_subscribe_no_notify=True,
                    mail_activity_quick_update=True,
                    no_reset_password=True,
                    lang="en_US",
                ),
            )
        )

    def _demo_register(self, records, prefix, module=MODULE):
        """Give ``records`` the XML ids ``<module>.demo_<prefix>_<n>`` (one query)."""
        self.env["ir.model.data"]._update_xmlids(
            [
                {
                    "xml_id": f"{module}.demo_{prefix}_{index:04d}",
                    "record": record,
                    "noupdate": True,
                }
                for index, record in enumerate(records, start=1)
            ]
        )

    def _demo_records(self, prefix, model, module=MODULE):
        """The demo records ``<module>.demo_<prefix>_*`` of ``model``, in order."""
        rows = self.env["ir.model.data"].search_read(
            [
                ("module", "=", module),
                ("model", "=", model),
                ("name", "=like", f"demo\\_{prefix}\\_%"),
            ],
            ["res_id"],
            order="name",
        )
        return self.env[model].browse([row["res_id"] for row in rows])

    def _demo_done(self, name, module=MODULE):
        return bool(self.env.ref(f"{module}.demo_{name}", raise_if_not_found=False))

    @staticmethod
    def _demo_slug(text):
        table = str.maketrans(
            {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e", "ô": "o"}
        )
        text = text.lower().translate(table)
        return "".join(c for c in text if c.isascii() and c.isalnum())

    @staticmethod
    def _demo_at(day, rng, first_hour=1, last_hour=14):
        """A datetime (UTC) on ``day`` at a random hour of the shop's day."""
        return datetime.combine(day, time(rng.randint(first_hour, last_hour), 0)) + (
            timedelta(minutes=rng.randint(0, 59))
        )

    # ------------------------------------------------------------------
    # entry point (demo/crm_relationship_demo.xml)
    # ------------------------------------------------------------------
    def _demo_generate(self):
        """Customers, orders, refunds, complaints, stages and tiers."""
        if self._demo_done("customer_0001"):
            return False
        company = self.env.ref("base.main_company")
        return self._demo_env().with_company(company)._demo_build(company)

    def _demo_build(self, company):
        started = fields.Datetime.now()
        rng = random.Random(SEED)
        self.env["res.lang"]._activate_lang("zh_CN")
        pricelists = self._demo_pricelists(company)
        owners = self._demo_salespeople(company)
        products = self._demo_products()
        customers = self._demo_customers(rng, company, pricelists, owners)
        plans = self._demo_plan_orders(rng, customers)
        orders = self._demo_orders(rng, company, customers, plans, products, pricelists)
        self._demo_buying_habits(customers, orders)
        self._demo_place_customers(customers, plans)
        complaints = self._demo_complaints(rng, company, customers, orders)
        self._demo_refunds(rng, company, complaints)
        self._demo_portal_user(company, complaints)
        partners = self.env["res.partner"].browse([c["partner"].id for c in customers])
        partners._relationship_apply_rules()
        self._demo_stage_history(customers, plans)
        self.env["res.partner"].with_company(company)._relationship_assign_tiers()
        self.env.flush_all()
        _logger.info(
            "crm_relationship demo: %s customers, %s orders, %s complaints in %.1f s",
            len(customers),
            sum(len(dated) for dated in orders.values()),
            len(complaints),
            (fields.Datetime.now() - started).total_seconds(),
        )
        return True

    # ------------------------------------------------------------------
    # configuration records
    # ------------------------------------------------------------------
    def _demo_pricelists(self, company):
        """Multi-currency pricelists: the default one, EUR, GBP and CNY."""
        currencies = {
            code: self.env.ref(f"base.{code}") for code in ("USD", "EUR", "GBP", "CNY")
        }
        # activating currencies enables multi-currency and pricelists and
        # creates the company's default pricelist
        currencies_to_activate = self.env["res.currency"].browse(
            [c.id for c in currencies.values() if not c.active]
        )
        currencies_to_activate.write({"active": True})
        self.env["res.company"]._activate_or_create_pricelists()
        Pricelist = self.env["product.pricelist"]
        default = Pricelist.search(
            [
                ("company_id", "in", [company.id, False]),
                ("currency_id", "=", company.currency_id.id),
            ],
            order="sequence, id",
            limit=1,
        )
        extra = Pricelist.create(
            [
                {
                    "name": name,
                    "currency_id": currencies[code].id,
                    "company_id": company.id,
                    "sequence": 50 + index,
                }
                for index, (code, name) in enumerate(
                    (
                        ("EUR", "Online Store Europe (EUR)"),
                        ("GBP", "Online Store UK (GBP)"),
                        ("CNY", "天猫旗舰店 Tmall Store (CNY)"),
                    )
                )
            ]
        )
        self._demo_register(extra, "pricelist")
        result = {pl.currency_id.name: pl for pl in extra}
        result[company.currency_id.name] = default
        return result

    def _demo_salespeople(self, company):
        groups = [
            self.env.ref("sales_team.group_sale_salesman_all_leads").id,
            self.env.ref("crm_relationship.crm_relationship_group_user").id,
        ]
        users = self.env["res.users"].create(
            [
                {
                    "name": name,
                    # salespeople, not customers: no stage
                    "relationship_stage_id": False,
                    "login": login,
                    "email": login,
                    "lang": lang,
                    "company_id": company.id,
                    "company_ids": [(6, 0, company.ids)],
                    "groups_id": [(6, 0, groups)],
                }
                for _key, name, login, lang in SALESPEOPLE
            ]
        )
        self._demo_register(users, "salesperson")
        return {
            key: user for (key, *_rest), user in zip(SALESPEOPLE, users, strict=True)
        }

    def _demo_products(self):
        products = self.env["product.product"].create(
            [
                {
                    "name": name,
                    "default_code": f"DEMO-{code}",
                    "list_price": price,
                    "type": "consu",
                    "sale_ok": True,
                    "invoice_policy": "order",
                }
                for code, name, price, _weight in PRODUCTS
            ]
        )
        self._demo_register(products, "product")
        return [
            (product, weight)
            for product, (*_rest, weight) in zip(products, PRODUCTS, strict=True)
        ]

    # ------------------------------------------------------------------
    # customers
    # ------------------------------------------------------------------
    def _demo_person(self, rng, names):
        """(display name, email local part) of a person of the ``names`` pool."""
        if names == "zh":
            surname, surname_py = rng.choice(ZH_SURNAMES)
            given, given_py = rng.choice(ZH_GIVEN)
            return surname + given, f"{given_py}.{surname_py}".lower()
        first, last = {
            "en": (EN_FIRST, EN_LAST),
            "de": (DE_FIRST, DE_LAST),
            "fr": (FR_FIRST, FR_LAST),
            "jp": (JP_FIRST, JP_LAST),
        }[names]
        first, last = rng.choice(first), rng.choice(last)
        return f"{first} {last}", f"{self._demo_slug(first)}.{self._demo_slug(last)}"

    def _demo_company_name(self, rng, names, city):
        if names == "zh":
            brand, brand_py = rng.choice(ZH_BRANDS)
            city_zh, _city_py = rng.choice(ZH_CITIES_CN)
            return f"{city_zh}{brand}{rng.choice(ZH_TRADES)}有限公司", brand_py
        if names == "de":
            kind, family = rng.choice(DE_COMPANY)
            name = f"{kind} {family} GmbH"
        elif names == "fr":
            kind, family = rng.choice(FR_COMPANY)
            name = f"{kind} {family} SARL"
        else:
            brand, trade = rng.choice(EN_COMPANY)
            suffix = "Ltd" if names == "jp" else "LLC"
            name = f"{brand} {trade} {city} {suffix}".replace("  ", " ")
        return name, self._demo_slug(name)[:18]

    def _demo_customers(self, rng, company, pricelists, owners):
        """~300 commercial customers (a quarter companies with contacts)."""
        countries = {
            c.code: c
            for c in self.env["res.country"].search(
                [
                    (
                        "code",
                        "in",
                        sorted({code for r in REGIONS.values() for code in r[0]}),
                    )
                ]
            )
        }
        region_keys = list(REGIONS)
        weights = [REGIONS[key][2] for key in region_keys]
        customers, vals_list, contacts = [], [], []
        for index in range(CUSTOMERS):
            region = rng.choices(region_keys, weights)[0]
            country_codes, currency, _weight, names, cities = REGIONS[region]
            country = countries[rng.choice(country_codes)]
            is_company = rng.random() < 0.25
            if names == "zh" and region == "cn":
                city_zh, city_py = rng.choice(ZH_CITIES_CN)
                city = city_zh
            else:
                city = rng.choice(cities)
                city_py = city
            if is_company:
                name, slug = self._demo_company_name(rng, names, city_py)
                email = f"orders@{slug}{index}.example.com"
            else:
                name, local = self._demo_person(rng, names)
                email = f"{local}{index}@example.com"
            owner = owners[rng.choice(REGION_OWNERS[region])]
            vals_list.append(
                {
                    "name": name,
                    "is_company": is_company,
                    "email": email,
                    "country_id": country.id,
                    "city": city,
                    "street": f"{rng.randint(1, 280)} "
                    + ("路" if names == "zh" else "Market Street"),
                    "lang": "zh_CN" if names == "zh" else "en_US",
                    "user_id": owner.id,
                    "company_id": False,
                    "customer_rank": 1,
                    # no stage moves while the orders are generated
                    "relationship_stage_locked": True,
                    "specific_property_product_pricelist": pricelists[currency].id,
                }
            )
            customers.append(
                {
                    "index": index,
                    "region": region,
                    "names": names,
                    "currency": currency,
                    "is_company": is_company,
                }
            )
            if is_company:
                for _contact in range(rng.randint(1, 2)):
                    person, local = self._demo_person(rng, names)
                    contacts.append(
                        (
                            index,
                            {
                                "name": person,
                                "type": "contact",
                                "email": f"{local}@{email.split('@', 1)[1]}",
                                "lang": "zh_CN" if names == "zh" else "en_US",
                                "user_id": owner.id,
                            },
                        )
                    )
        # placed by the plans of their orders (_demo_place_customers)
        Partner = self.env["res.partner"]
        partners = Partner.create(
            [dict(vals, relationship_stage_id=False) for vals in vals_list]
        )
        for customer, partner in zip(customers, partners, strict=True):
            customer["partner"] = partner
            customer["contacts"] = []
        contact_records = Partner.create(
            [dict(vals, parent_id=partners[i].id) for i, vals in contacts]
        )
        for (i, _vals), contact in zip(contacts, contact_records, strict=True):
            customers[i]["contacts"].append(contact)
        self._demo_register(partners, "customer")
        self._demo_register(contact_records, "contact")
        return customers

    # ------------------------------------------------------------------
    # the repeat-purchase process
    # ------------------------------------------------------------------
    def _demo_plan_orders(self, rng, customers):
        """Order days of every customer (days ago, most recent last).

        7 % prospects (no order), 5 % exploring (a quotation only), the rest
        buyers: acquired on a day of the last three years (12 % in the last 80
        days), buying at a gamma-distributed yearly rate (companies more
        often, with bigger baskets), dropping out after each order with a
        probability of their own.
        """
        plans = []
        for customer in customers:
            draw = rng.random()
            plan = {"kind": "buyer", "days": [], "quotation": None}
            if draw < 0.07:
                plan["kind"] = "prospect"
                plan["born"] = rng.randint(5, HISTORY_DAYS)
            elif draw < 0.12:
                plan["kind"] = "explorer"
                plan["born"] = rng.randint(10, 120)
                plan["quotation"] = rng.randint(1, 12)
            else:
                if rng.random() < 0.12:
                    first = rng.randint(2, 80)
                else:
                    # a growing shop: more customers acquired lately
                    first = 80 + int((HISTORY_DAYS - 80) * rng.random() ** 1.3)
                rate = rng.gammavariate(1.6, 2.6) * (
                    1.8 if customer["is_company"] else 1.0
                )
                rate = max(rate, 0.4)  # orders per year
                dropout = rng.uniform(0.02, 0.3)
                days, current = [first], float(first)
                while rng.random() > dropout:
                    current -= rng.expovariate(rate / 365.0)
                    if current < 1:
                        break
                    days.append(int(current))
                plan["days"] = sorted(set(days), reverse=True)
                plan["born"] = first + rng.randint(1, 30)
                if rng.random() < 0.06:
                    plan["quotation"] = rng.randint(1, 20)
            plans.append(plan)
        return plans

    def _demo_order_lines(self, rng, customer, products, prices):
        big = customer["is_company"]
        lines = []
        for product in {
            rng.choices([p for p, _w in products], [w for _p, w in products])[0]
            for _i in range(rng.choice((1, 1, 1, 2, 2, 3)))
        }:
            qty = rng.randint(4, 24) if big else rng.choice((1, 1, 1, 2, 2, 3))
            # the list price in the pricelist's currency, without asking the
            # pricelist of every line
            price = prices[product.id, customer["currency"]]
            lines.append(
                (
                    0,
                    0,
                    {
                        "product_id": product.id,
                        "product_uom_qty": qty,
                        "price_unit": price,
                        "technical_price_unit": price,
                        "discount": 0.0,
                        # no analytic distribution model in the demo
                        "analytic_distribution": False,
                    },
                )
            )
        return lines

    def _demo_orders(self, rng, company, customers, plans, products, pricelists):
        """Confirmed orders of the plans, quotations of the explorers.

        Confirmation sets ``date_order`` to now: one UPDATE puts the planned
        dates back. Returns ``{customer index: [(order, date), ...]}``.
        """
        today = fields.Date.context_today(self.env.user)
        prices = {
            (product.id, code): company.currency_id._convert(
                product.list_price, pricelist.currency_id, company, today
            )
            for product, _weight in products
            for code, pricelist in pricelists.items()
        }
        vals_list, dates, owners, quotes = [], [], [], []
        for customer, plan in zip(customers, plans, strict=True):
            partner = customer["partner"]
            buyers = [partner] + customer["contacts"]
            base = {
                "company_id": company.id,
                "pricelist_id": pricelists[customer["currency"]].id,
                "user_id": partner.user_id.id,
            }
            for days in reversed(plan["days"]):
                when = self._demo_at(today - timedelta(days=days), rng)
                vals_list.append(
                    dict(
                        base,
                        partner_id=rng.choice(buyers).id,
                        date_order=when,
                        order_line=self._demo_order_lines(
                            rng, customer, products, prices
                        ),
                    )
                )
                dates.append(when)
                owners.append(customer["index"])
            if plan["quotation"]:
                when = self._demo_at(today - timedelta(days=plan["quotation"]), rng)
                quotes.append(
                    dict(
                        base,
                        partner_id=partner.id,
                        date_order=when,
                        order_line=self._demo_order_lines(
                            rng, customer, products, prices
                        ),
                    )
                )
        SaleOrder = self.env["sale.order"].with_company(company)
        for vals, name in zip(
            vals_list + quotes,
            self._demo_order_names(company, len(vals_list + quotes)),
            strict=True,
        ):
            buyer = vals["partner_id"]
            vals.update(partner_invoice_id=buyer, partner_shipping_id=buyer)
            if name:
                vals["name"] = name
        orders = SaleOrder.create(vals_list)
        self._demo_follow(orders)
        orders.action_confirm()
        quotations = SaleOrder.create(quotes)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE sale_order so
                   SET date_order = v.date_order, create_date = v.date_order
                  FROM unnest(%s::int[], %s::timestamp[]) AS v(id, date_order)
                 WHERE so.id = v.id
                """,
                orders.ids,
                dates,
            )
        )
        orders.invalidate_recordset(["date_order", "create_date"])
        self._demo_register(orders, "order")
        self._demo_register(quotations, "quotation")
        by_customer = defaultdict(list)
        for order, date, index in zip(orders, dates, owners, strict=True):
            by_customer[index].append((order, date))
        return by_customer

    def _demo_buying_habits(self, customers, orders):
        """How the customers buy, for the loyalty factors of
        crm_relationship_scoring: the days they take to confirm a quotation
        (companies compare offers, people mostly buy at once), the discounts
        a quarter of them buy with, and who recommended whom. Drawn from a
        generator of its own: the rest of the demo stays as it was."""
        rng = random.Random(SEED + 1)
        order_ids, created = [], []
        discounts = defaultdict(list)
        for customer in customers:
            dated = orders.get(customer["index"], [])
            if customer["is_company"]:
                pace = rng.choice((0, 1, 2, 4, 7, 14, 21))
            else:
                pace = rng.choice((0, 0, 0, 0.5, 1, 3))
            bargain_hunter = rng.random() < 0.25
            for order, when in dated:
                order_ids.append(order.id)
                created.append(
                    when - timedelta(days=pace * rng.uniform(0.5, 1.5), minutes=5)
                )
                if rng.random() < (0.7 if bargain_hunter else 0.04):
                    discounts[rng.choice((10.0, 15.0, 20.0, 30.0))] += (
                        order.order_line.ids
                    )
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE sale_order so SET create_date = v.created
                  FROM unnest(%s::int[], %s::timestamp[]) AS v(id, created)
                 WHERE so.id = v.id
                """,
                order_ids,
                created,
            )
        )
        Line = self.env["sale.order.line"].with_context(tracking_disable=True)
        for discount, line_ids in discounts.items():
            Line.browse(line_ids).write({"discount": discount})
        # a few long-time buyers recommended customers acquired later
        regulars = [c for c in customers if len(orders.get(c["index"], [])) >= 4]
        referrers = rng.sample(regulars, min(6, len(regulars)))
        newcomers = [
            c for c in customers if orders.get(c["index"]) and c not in referrers
        ]
        for referred in rng.sample(newcomers, min(15, len(newcomers))):
            referred["partner"].relationship_referred_by_id = rng.choice(referrers)[
                "partner"
            ]
        # products bought together: a companion line on most orders of a
        # product that has one
        by_code = {
            product.default_code: product
            for product in self._demo_records("product", "product.product")
        }
        companions = {
            by_code[f"DEMO-{first}"]: by_code[f"DEMO-{second}"]
            for first, second in COMPANIONS
        }
        added = []
        for customer in customers:
            for order, _when in orders.get(customer["index"], []):
                bought = set(order.order_line.product_id)
                for product in sorted(bought, key=lambda p: p.id):
                    companion = companions.get(product)
                    if companion and companion not in bought and rng.random() < 0.6:
                        bought.add(companion)
                        added.append(
                            {
                                "order_id": order.id,
                                "product_id": companion.id,
                                "product_uom_qty": 1,
                                "price_unit": companion.list_price
                                * (order.currency_rate or 1.0),
                                "analytic_distribution": False,
                            }
                        )
        Line.create(added)
        self.env.invalidate_all()

    def _demo_order_names(self, company, count):
        """``count`` names of the sale order sequence, taken at once."""
        sequence = self.env["ir.sequence"].search(
            [("code", "=", "sale.order"), ("company_id", "in", [company.id, False])],
            order="company_id",
            limit=1,
        )
        if not sequence or sequence.use_date_range:
            return [False] * count
        first = sequence.number_next_actual
        prefix, suffix = sequence._get_prefix_suffix()
        sequence.write({"number_next": first + count * sequence.number_increment})
        step, width = sequence.number_increment, sequence.padding
        return [f"{prefix}{first + i * step:0{width}d}{suffix}" for i in range(count)]

    def _demo_follow(self, orders):
        """The customers follow their orders (what confirmation does one
        order at a time), in two queries."""
        _all, _internal, external = self.env["mail.message.subtype"]._default_subtypes(
            "sale.order"
        )
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO mail_followers (res_model, res_id, partner_id)
                SELECT 'sale.order', so.id, so.partner_id
                  FROM sale_order so
                 WHERE so.id = ANY(%s)
                ON CONFLICT DO NOTHING
                RETURNING id
                """,
                orders.ids,
            )
        )
        follower_ids = [row[0] for row in self.env.cr.fetchall()]
        if follower_ids and external:
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO mail_followers_mail_message_subtype_rel
                           (mail_followers_id, mail_message_subtype_id)
                    SELECT f, s FROM unnest(%s::int[]) AS f, unnest(%s::int[]) AS s
                    """,
                    follower_ids,
                    external,
                )
            )
        self.env["mail.followers"].invalidate_model()
        orders.invalidate_recordset(["message_follower_ids", "message_partner_ids"])

    def _demo_place_customers(self, customers, plans):
        """Unlock the customers (locked while their orders were confirmed with
        the wrong dates) and date their creation before their first order."""
        ids = [c["partner"].id for c in customers]
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE res_partner SET relationship_stage_locked = FALSE, "
                "create_date = v.born "
                "FROM unnest(%s::int[], %s::timestamp[]) AS v(id, born) "
                "WHERE res_partner.id = v.id",
                ids,
                [
                    fields.Datetime.now() - timedelta(days=plan["born"])
                    for plan in plans
                ],
            )
        )
        self.env.invalidate_all()

    def _demo_stage_history(self, customers, plans):
        """Rebuild each customer's stage history from its order days.

        Prospect when created, exploration at the quotation, formation at the
        first order, stability once the repeat span is reached, decline and
        churn after the idle delays of the company, ending on the stage the
        rules chose today.
        """
        Stage = self.env["crm.relationship.stage"]
        stages = Stage._stages_by_phase()
        company = self.env.company
        now = fields.Datetime.now()
        vals_list, stage_dates = [], {}
        for customer, plan in zip(customers, plans, strict=True):
            partner = customer["partner"]
            final = partner.relationship_stage_id
            if not final:
                continue
            path = [("prospect", plan["born"])]
            days = sorted(plan["days"], reverse=True)  # oldest first
            if plan["kind"] == "explorer":
                path.append(("exploration", plan["quotation"]))
            if days:
                path.append(("formation", days[0]))
                for count, day in enumerate(days[1:], start=2):
                    if (
                        count >= company.relationship_stability_min_orders
                        and days[0] - day >= company.relationship_stability_min_days
                    ):
                        path.append(("stability", day))
                        break
                if final.phase in ("decline", "churned"):
                    gaps = [a - b for a, b in zip(days, days[1:], strict=False)]
                    limit = (
                        company.relationship_decline_factor * median(gaps)
                        if gaps
                        else company.relationship_decline_days
                    )
                    path.append(("decline", max(days[-1] - int(limit) - 1, 0)))
                    if final.phase == "churned":
                        churn = days[-1] - company.relationship_churn_days - 1
                        path.append(("churned", max(churn, 0)))
            if path[-1][0] != final.phase:
                path.append((final.phase, 0))
            previous = Stage
            last_date = None
            for phase, days_ago in path:
                stage = stages.get(phase)
                if not stage or stage == previous:
                    continue
                date = now - timedelta(days=days_ago) if days_ago else now
                if last_date and date < last_date:
                    date = last_date
                vals_list.append(
                    {
                        "partner_id": partner.id,
                        "company_id": self.env.company.id,
                        "from_stage_id": previous.id,
                        "to_stage_id": stage.id,
                        "date": date,
                        "automatic": True,
                        "user_id": self.env.ref("base.user_root").id,
                        "activity_scheduled": True,
                    }
                )
                previous, last_date = stage, date
            stage_dates[partner.id] = last_date
        History = self.env["crm.relationship.stage.history"]
        ids = list(stage_dates)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "DELETE FROM crm_relationship_stage_history WHERE partner_id = ANY(%s)",
                ids,
            )
        )
        History.create(vals_list)
        # the moves of that history are transitions too (the reports and the
        # dashboard show them); a first placement is not a move
        self.env["crm.relationship.transition"]._transition_create(
            [
                {
                    "partner_id": vals["partner_id"],
                    "kind": "stage",
                    "from_stage_id": vals["from_stage_id"],
                    "to_stage_id": vals["to_stage_id"],
                    "automatic": True,
                    "date": vals["date"],
                }
                for vals in vals_list
                if vals["from_stage_id"]
            ]
        )
        self.env.cr.execute(
            SQL(
                "UPDATE res_partner SET relationship_stage_date = v.date "
                "FROM unnest(%s::int[], %s::timestamp[]) AS v(id, date) "
                "WHERE res_partner.id = v.id",
                ids,
                [stage_dates[i] for i in ids],
            )
        )
        self.env.invalidate_all()

    # ------------------------------------------------------------------
    # complaints and refunds
    # ------------------------------------------------------------------
    def _demo_complaints(self, rng, company, customers, orders):
        """40 complaints in every stage, some breached, some in dispute.

        Closed and rejected complaints are spread over the last 18 months,
        open ones over the last weeks; the oldest open ones have missed their
        deadline (breached) while the newest arrived minutes ago (on track).
        """
        now = fields.Datetime.now().replace(microsecond=0)
        Stage = self.env["crm.relationship.complaint.stage"]
        stages = {s.state: s for s in Stage.search([], order="sequence desc")}
        categories = {
            key: self.env.ref(f"crm_relationship.complaint_category_{key}")
            for key in COMPLAINT_TOPICS
        }
        vals_list = []
        used = set()
        for state, count, breached, disputes in COMPLAINT_PLAN:
            open_state = state in ("new", "acknowledged", "in_progress")
            for number in range(count):
                late = number < breached
                if open_state:
                    age = (
                        timedelta(days=rng.randint(6, 20))
                        if late
                        else timedelta(minutes=rng.randint(20, 50))
                        if state == "new"
                        else timedelta(hours=rng.randint(2, 5))
                    )
                elif state == "resolved":
                    age = timedelta(days=rng.randint(4 if not late else 12, 25))
                else:
                    age = timedelta(days=rng.randint(20, 540))
                received = now - age
                customer, order, line = self._demo_complaint_order(
                    rng, customers, orders, received, used
                )
                key = rng.choice(list(COMPLAINT_TOPICS))
                subject_en, subject_zh = rng.choice(COMPLAINT_TOPICS[key])
                subject = subject_zh if customer["names"] == "zh" else subject_en
                vals = {
                    "partner_id": customer["partner"].id,
                    "contact_id": order.partner_id.id
                    if order.partner_id.parent_id
                    else False,
                    "sale_order_id": order.id,
                    "sale_order_line_id": line.id,
                    "subject": subject,
                    "description": f"<p>{subject}. {order.name}</p>",
                    "category_id": categories[key].id,
                    "channel": rng.choice(
                        ("portal", "email", "phone", "chat", "social", "email")
                    ),
                    "severity": rng.choice(
                        ("low", "normal", "normal", "normal", "high", "critical")
                    ),
                    "stage_id": stages[state].id,
                    "date_received": received,
                    "company_id": company.id,
                    "currency_id": order.currency_id.id,
                    "email_from": order.partner_id.email,
                    "dispute_level": disputes[number % len(disputes)]
                    if disputes and number >= count - len(disputes)
                    else "none",
                }
                # working-hour deadlines are hours to days: late means days
                if state != "new":
                    vals["date_acknowledged"] = received + (
                        timedelta(days=rng.randint(3, 5))
                        if late and state == "acknowledged"
                        else timedelta(minutes=rng.randint(10, 60))
                    )
                if state in ("resolved", "closed"):
                    vals["date_resolved"] = received + (
                        timedelta(days=rng.randint(8, 12))
                        if late
                        else timedelta(hours=rng.randint(2, 6))
                    )
                    kind = rng.choice(RESOLUTIONS)
                    vals.update(
                        resolution_type=kind,
                        resolution=(
                            "退款已处理，向客户致歉。"
                            if customer["names"] == "zh"
                            else "Solution agreed with the customer."
                        ),
                        root_cause="Packaging too thin for long-distance shipping."
                        if key == "delivery"
                        else "Batch not checked before dispatch.",
                        corrective_action="Replaced or refunded the item.",
                        preventive_action="Quality check of every batch before "
                        "dispatch; stronger boxes.",
                    )
                    if kind == "compensation":
                        vals["compensation_amount"] = float(rng.choice((10, 20, 50)))
                if state == "closed":
                    vals["date_closed"] = vals["date_resolved"] + timedelta(
                        days=rng.randint(1, 6)
                    )
                    vals["customer_acceptance"] = "no" if number % 5 == 4 else "yes"
                if state == "rejected":
                    vals["date_acknowledged"] = received + timedelta(hours=1)
                    vals["date_closed"] = received + timedelta(days=1)
                    vals["resolution_type"] = "no_action"
                if state == "in_progress" and late:
                    # acknowledged in time, resolution overdue
                    vals["date_acknowledged"] = received + timedelta(minutes=30)
                vals_list.append(vals)
        complaints = self.env["crm.relationship.complaint"].create(vals_list)
        # breaches seen by the service-level job before today: flagged once
        for complaint in complaints.filtered(lambda c: c.sla_status == "breached"):
            if complaint.state in ("new", "acknowledged", "in_progress"):
                target = "resolve" if complaint.date_acknowledged else "acknowledge"
                complaint.write({f"{target}_warned": True, f"{target}_escalated": True})
        reopened = complaints.filtered(lambda c: c.state == "closed")[:1]
        reopened.write({"reopen_count": 1})
        self._demo_register(complaints, "complaint")
        return complaints

    def _demo_complaint_order(self, rng, customers, orders, received, used):
        """A customer with an order of the weeks before ``received``."""
        window = timedelta(days=45)
        candidates = [
            (customer, order)
            for customer in customers
            if customer["index"] not in used
            for order, date in orders.get(customer["index"], [])
            if received - window <= date <= received - timedelta(hours=1)
        ]
        if not candidates:
            candidates = [
                (customer, order)
                for customer in customers
                if customer["index"] not in used
                for order, date in orders.get(customer["index"], [])
                if date <= received
            ]
        customer, order = rng.choice(candidates)
        used.add(customer["index"])
        return customer, order, rng.choice(order.order_line)

    def _demo_portal_user(self, company, complaints):
        """A portal login (portal.customer@example.com / portal) for a customer
        with a resolved complaint to accept and (survey addon) a survey to
        answer: /my/complaints and /my/surveys as a customer sees them."""
        complaint = complaints.filtered(
            lambda c: c.state == "resolved" and not c.partner_id.is_company
        )[:1]
        if not complaint:
            return self.env["res.users"]
        customer = complaint.partner_id
        user = self.env["res.users"].create(
            {
                "login": "portal.customer@example.com",
                "password": "portal",
                "partner_id": customer.id,
                "company_id": company.id,
                "company_ids": [(6, 0, company.ids)],
                "groups_id": [(6, 0, [self.env.ref("base.group_portal").id])],
            }
        )
        self._demo_register(user, "portal_user")
        return user

    def _demo_refunds(self, rng, company, complaints):
        """Posted credit notes of the complaints resolved by a refund."""
        refunded = complaints.filtered(
            lambda c: (
                c.resolution_type == "refund" and c.state in ("resolved", "closed")
            )
        )
        vals_list = []
        for complaint in refunded:
            line = complaint.sale_order_line_id
            vals_list.append(
                {
                    "move_type": "out_refund",
                    "partner_id": complaint.partner_id.id,
                    "company_id": company.id,
                    "currency_id": complaint.sale_order_id.currency_id.id,
                    "invoice_date": complaint.date_resolved.date(),
                    "invoice_origin": complaint.sale_order_id.name,
                    "ref": complaint.name,
                    "invoice_line_ids": [
                        (
                            0,
                            0,
                            {
                                "product_id": line.product_id.id,
                                "quantity": 1,
                                "price_unit": line.price_unit,
                                "tax_ids": [(6, 0, line.tax_id.ids)],
                            },
                        )
                    ],
                }
            )
        refunds = self.env["account.move"].with_company(company).create(vals_list)
        refunds.action_post()
        self._demo_register(refunds, "refund")
        return refunds
