"""The demo network's fixed material: the province and its prefectures' centres, the tertiary hospitals and which
specialties their experts come from, department names, the partner departments, and the pools of names people are
drawn from. Changing any of it changes the demo every seed loads."""

from __future__ import annotations

from tiercare.network.models import Specialty

DEMO_PASSWORD = "tiercare-demo"
PROVINCE_CODE = "510000"
PROVINCE = "四川省"

EXPERTS_BY_SPECIALTY = {Specialty.PEDIATRICS: 35, Specialty.GYNECOLOGY: 30, Specialty.ONCOLOGY: 38}
GRASSROOTS_HOSPITALS = 124
GRASSROOTS_DEPARTMENTS = 256

# Approximate centres of Sichuan's prefectures, for synthetic coordinates and travel times.
PREFECTURE_CENTRES = {
    "5101": (30.66, 104.07),
    "5103": (29.34, 104.78),
    "5104": (26.58, 101.72),
    "5105": (28.87, 105.44),
    "5106": (31.13, 104.40),
    "5107": (31.47, 104.68),
    "5108": (32.44, 105.84),
    "5109": (30.53, 105.59),
    "5110": (29.58, 105.06),
    "5111": (29.55, 103.77),
    "5113": (30.84, 106.11),
    "5114": (30.08, 103.85),
    "5115": (28.77, 104.63),
    "5116": (30.46, 106.63),
    "5117": (31.21, 107.47),
    "5118": (29.98, 103.01),
    "5119": (31.87, 106.75),
    "5120": (30.13, 104.63),
    "5132": (31.90, 102.22),
    "5133": (30.05, 101.96),
    "5134": (27.88, 102.27),
}

TERTIARY = [
    ("锦城大学附属第一医院", "锦大一院", "510107"),
    ("锦城大学附属妇女儿童医院", "锦大妇儿", "510104"),
    ("四川省示范肿瘤医院", "省示范肿瘤", "510105"),
    ("天府省立人民医院", "天府省医", "510106"),
    ("蜀都医科大学附属医院", "蜀医附院", "510108"),
    ("西南示范儿童医学中心", "西南儿童", "510116"),
]
# Which specialties each tertiary hospital's experts come from (index into TERTIARY), so experts cluster plausibly.
TERTIARY_SPECIALTIES = {
    Specialty.PEDIATRICS: [1, 5, 0, 3],
    Specialty.GYNECOLOGY: [1, 0, 3, 4],
    Specialty.ONCOLOGY: [2, 0, 4, 3],
}
DEPARTMENT_NAMES: dict[str, str] = {
    Specialty.PEDIATRICS: "儿科",
    Specialty.NEONATOLOGY: "新生儿科",
    Specialty.GYNECOLOGY: "妇科",
    Specialty.OBSTETRICS: "产科",
    Specialty.GYNECOLOGIC_ONCOLOGY: "妇科肿瘤科",
    Specialty.ONCOLOGY: "肿瘤科",
    Specialty.INTERNAL_MEDICINE: "内科",
    Specialty.CARDIOLOGY: "心内科",
    Specialty.ENDOCRINOLOGY: "内分泌科",
    Specialty.SURGERY: "普外科",
    Specialty.GENERAL_PRACTICE: "全科",
    Specialty.NEUROLOGY: "神经内科",
    Specialty.NEPHROLOGY: "肾内科",
    Specialty.RESPIRATORY: "呼吸内科",
    Specialty.GASTROENTEROLOGY: "消化内科",
    Specialty.EMERGENCY: "急诊科",
}
# The departments a GP center refers to (care.services.SUGGESTED_SPECIALTY), in every tertiary hospital, each with
# one staff doctor of the hospital (not a doctor-group expert), so that a referral or tele-consult from a GP reaches
# the right department (issue 11).
GP_REFERRAL_SPECIALTIES = (
    Specialty.CARDIOLOGY,
    Specialty.ENDOCRINOLOGY,
    Specialty.NEUROLOGY,
    Specialty.NEPHROLOGY,
    Specialty.RESPIRATORY,
    Specialty.GASTROENTEROLOGY,
    Specialty.SURGERY,
    Specialty.EMERGENCY,
)
SURNAMES_FOR_STAFF = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN_FOR_STAFF = ("建华", "秀英", "志强", "丽娟", "国平", "海燕", "文杰", "春梅", "晓东", "玉兰", "明辉", "红霞")
# The 7 partner departments at 5 partner hospitals (index of the partner hospital, specialty).
PARTNER_DEPARTMENTS = [
    (0, Specialty.PEDIATRICS),
    (0, Specialty.GYNECOLOGY),
    (1, Specialty.PEDIATRICS),
    (1, Specialty.NEONATOLOGY),
    (2, Specialty.GYNECOLOGIC_ONCOLOGY),
    (3, Specialty.GYNECOLOGY),
    (4, Specialty.PEDIATRICS),
]
PARTNER_PREFECTURES = ["5106", "5114", "5120", "5107", "5109"]  # 德阳 眉山 资阳 绵阳 遂宁
GRASSROOTS_SPECIALTY_POOL = [
    Specialty.PEDIATRICS,
    Specialty.GYNECOLOGY,
    Specialty.ONCOLOGY,
    Specialty.INTERNAL_MEDICINE,
    Specialty.OBSTETRICS,
    Specialty.SURGERY,
    Specialty.CARDIOLOGY,
    Specialty.ENDOCRINOLOGY,
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国红梅鹏辉斌宇浩凯婷雪琳"
    "晨欣怡子涵梓轩雨嘉俊博文思瑶佳乐安宁康健和顺德志"
)
