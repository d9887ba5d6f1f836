"""Slot values for the demo corpus templates: places, numbers, dates, products, names.

All word lists are written for this project (no Faker dependency, so the corpus is the same wherever
it is generated). A template names its slots in braces, e.g. `"{city}{org}近日发布了{topic}。"`;
`fill(template, rng)` replaces each slot with a value drawn from `rng`. Paired slots (`{city_pair}`
and friends) keep the zh and en sides of a bilingual sentence pair consistent.
"""

from __future__ import annotations

import random
import re

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红燕鹏辉建国志宇浩然欣怡子涵梓萱雨晨思远嘉豪婷琳博文佳宁晓东海峰立新春梅丹凯")
CITIES = ("北京 上海 广州 深圳 杭州 成都 武汉 西安 南京 重庆 天津 苏州 长沙 郑州 青岛 厦门 宁波 合肥 济南 福州 "
          "昆明 贵阳 南宁 兰州 西宁 银川 太原 石家庄 沈阳 大连 长春 哈尔滨 呼和浩特 乌鲁木齐 拉萨 海口 三亚 "
          "南昌 无锡 佛山 东莞 温州 绍兴 泉州 烟台 洛阳 桂林 大理 丽江 珠海 扬州 徐州 常州 嘉兴 金华 台州").split()
PROVINCES = ("河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川 贵州 云南 "
             "陕西 甘肃 青海 内蒙古 广西 宁夏 新疆 西藏").split()
DISTRICTS = "朝阳区 海淀区 浦东新区 徐汇区 天河区 南山区 福田区 西湖区 武侯区 江汉区 雁塔区 鼓楼区 渝中区 思明区".split()
ROADS = "人民路 中山路 解放路 建设路 和平路 文化路 长江路 黄河路 青年路 学府路 滨江路 迎宾大道 科技园路".split()
ORGS = ("市教育局 市交通运输局 市卫生健康委员会 市气象台 市文化和旅游局 市生态环境局 市统计局 市住房和城乡建设局 "
        "市市场监督管理局 市农业农村局 市图书馆 市博物馆 区人民法院 市消防救援支队 市医保局").split()
CO_PREFIX = "华信 鼎盛 远航 青禾 启明 宏远 星河 海纳 嘉禾 云帆 恒通 新锐 瑞丰 博达 天诚 聚源 明德 锦程 安泰 领航".split()
CO_SUFFIX = "科技有限公司 电子有限公司 食品有限公司 物流有限公司 网络科技有限公司 新材料股份有限公司 文化传媒有限公司".split()
PRODUCTS = ("空气炸锅 蓝牙耳机 电动牙刷 扫地机器人 保温杯 机械键盘 羽绒服 跑步鞋 护眼台灯 电饭煲 充电宝 "
            "洗碗机 加湿器 双肩包 行车记录仪 智能手表 投影仪 净水器 登山杖 折叠自行车").split()
BRANDS = "禾木 青岚 北辰 小满 拾光 山野 云朵 知夏 橙意 简屿 木槿 鹿鸣".split()
FOODS = "红烧肉 酸菜鱼 麻婆豆腐 小笼包 热干面 肉夹馍 螺蛳粉 煎饼果子 牛肉面 糖醋排骨 宫保鸡丁 兰州拉面 过桥米线".split()
TOPICS = ("垃圾分类 老旧小区改造 夜间经济 新能源汽车推广 义务教育课后服务 城市绿道建设 社区养老 "
          "数字政务 文旅融合 乡村振兴 公共交通优化 节水型城市建设 青少年近视防控 消费券发放").split()
SEASONS = "春节 国庆假期 五一假期 端午假期 中秋假期 清明假期 元旦假期".split()

EN_FIRST = ("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Susan Richard Jessica "
            "Thomas Sarah Daniel Karen Matthew Nancy Anthony Lisa Mark Emily Steven Laura Kevin Megan").split()
EN_LAST = ("Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin Jackson "
           "Thompson White Harris Clark Lewis Walker Hall Allen Young King Wright Scott Green Baker Carter").split()
EN_CITIES = ("Portland Denver Austin Boston Seattle Chicago Atlanta Phoenix Baltimore Nashville Sacramento "
             "Pittsburgh Cleveland Omaha Tucson Raleigh Madison Spokane Albany Boise").split()
EN_ORGS = ("the city council|the state transportation department|the county health office|the local school board|"
           "the regional water authority|the public library system|the parks department|the state university").split("|")
EN_PRODUCTS = ("air fryer|wireless earbuds|standing desk|robot vacuum|rice cooker|trail shoes|desk lamp|"
               "water filter|backpack|mechanical keyboard|e-reader|coffee grinder").split("|")
EN_MONTHS = "January February March April May June July August September October November December".split()

# (zh, en) pairs for bilingual templates.
CITY_PAIRS = [("北京", "Beijing"), ("上海", "Shanghai"), ("广州", "Guangzhou"), ("深圳", "Shenzhen"),
              ("杭州", "Hangzhou"), ("成都", "Chengdu"), ("武汉", "Wuhan"), ("西安", "Xi'an"), ("南京", "Nanjing"),
              ("重庆", "Chongqing"), ("苏州", "Suzhou"), ("长沙", "Changsha"), ("青岛", "Qingdao"),
              ("厦门", "Xiamen"), ("昆明", "Kunming"), ("哈尔滨", "Harbin"), ("天津", "Tianjin"), ("拉萨", "Lhasa")]
SEASON_PAIRS = [("春天", "spring"), ("夏天", "summer"), ("秋天", "autumn"), ("冬天", "winter")]
WEEKDAY_PAIRS = [("周一", "Monday"), ("周二", "Tuesday"), ("周三", "Wednesday"), ("周四", "Thursday"),
                 ("周五", "Friday"), ("周六", "Saturday"), ("周日", "Sunday")]


def _date(rng: random.Random) -> str:
    return f"{rng.randint(2018, 2025)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"


def _en_date(rng: random.Random) -> str:
    return f"{rng.choice(EN_MONTHS)} {rng.randint(1, 28)}, {rng.randint(2018, 2025)}"


SLOTS = {
    "city": lambda r: r.choice(CITIES),
    "city2": lambda r: r.choice(CITIES),
    "province": lambda r: r.choice(PROVINCES),
    "district": lambda r: r.choice(DISTRICTS),
    "road": lambda r: r.choice(ROADS),
    "org": lambda r: r.choice(ORGS),
    "company": lambda r: r.choice(CO_PREFIX) + r.choice(CO_SUFFIX),
    "product": lambda r: r.choice(PRODUCTS),
    "brand": lambda r: r.choice(BRANDS),
    "food": lambda r: r.choice(FOODS),
    "topic": lambda r: r.choice(TOPICS),
    "season": lambda r: r.choice(SEASONS),
    "mr": lambda r: r.choice(SURNAMES) + r.choice(["先生", "女士", "老师", "师傅", "阿姨"]),
    "date": _date,
    "month": lambda r: f"{r.randint(1, 12)}月",
    "year": lambda r: str(r.randint(2015, 2025)),
    "n": lambda r: str(r.randint(2, 19)),
    "num": lambda r: str(r.randint(20, 99)),
    "big": lambda r: str(r.randint(120, 9800)),
    "wan": lambda r: f"{r.randint(1, 300)}.{r.randint(1, 9)}万",
    "yi": lambda r: f"{r.randint(1, 900)}.{r.randint(1, 9)}亿",
    "pct": lambda r: f"{r.randint(1, 45)}.{r.randint(0, 9)}%",
    "hipct": lambda r: f"{r.randint(80, 99)}.{r.randint(0, 9)}%",
    "mcount": lambda r: str(r.randint(2, 11)),
    "price": lambda r: str(r.choice([19, 29, 39, 49, 59, 69, 89, 99, 129, 159, 199, 249, 299, 399, 599, 899, 1299])),
    "hour": lambda r: str(r.randint(7, 21)),
    "en_name": lambda r: f"{r.choice(EN_FIRST)} {r.choice(EN_LAST)}",
    "en_last": lambda r: r.choice(EN_LAST),
    "en_city": lambda r: r.choice(EN_CITIES),
    "en_org": lambda r: r.choice(EN_ORGS),
    "en_product": lambda r: r.choice(EN_PRODUCTS),
    "en_date": _en_date,
    "en_month": lambda r: r.choice(EN_MONTHS),
}

_SLOT = re.compile(r"\{(\w+)\}")


def fill(template: str, rng: random.Random) -> str:
    """Replace every `{slot}` in `template` with a value drawn from `rng` (unknown slots raise KeyError)."""
    return _SLOT.sub(lambda m: SLOTS[m.group(1)](rng), template)


def fill_pair(zh: str, en: str, rng: random.Random) -> tuple[str, str]:
    """Fill a bilingual pair: `{city}`, `{season}`, `{weekday}` and numeric slots get the same value on both sides."""
    values: dict[str, str | tuple[str, str]] = {}

    def value(name: str, side: int) -> str:
        if name not in values:
            if name == "city":
                values[name] = rng.choice(CITY_PAIRS)
            elif name == "season":
                values[name] = rng.choice(SEASON_PAIRS)
            elif name == "weekday":
                values[name] = rng.choice(WEEKDAY_PAIRS)
            else:
                values[name] = SLOTS[name](rng)
        v = values[name]
        return v[side] if isinstance(v, tuple) else v

    return (_SLOT.sub(lambda m: value(m.group(1), 0), zh), _SLOT.sub(lambda m: value(m.group(1), 1), en))
