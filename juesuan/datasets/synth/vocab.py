"""Vocabulary for synthetic disclosures: organisations, projects, 绩效 indicators, narrative phrases.

Subject codes and names come from the shipped classification catalogue (juesuan.validation.codes,
configs/codes/classification.tsv); the lists here were taken from the shared real PDFs and seeds
(../shared/data) and widened with common names of the same kinds, so generated pages are not tied to one bureau.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

CITIES = (
    "上海市普陀区",
    "上海市静安区",
    "乐山市",
    "达州市",
    "成都市武侯区",
    "杭州市西湖区",
    "南京市鼓楼区",
    "武汉市江汉区",
    "广州市天河区",
    "西安市雁塔区",
    "长沙市岳麓区",
    "合肥市蜀山区",
    "郑州市金水区",
    "昆明市五华区",
)
BUREAUS = (
    "财政局",
    "司法局",
    "商务委员会",
    "人民政府办公室",
    "人力资源和社会保障局",
    "教育局",
    "卫生健康委员会",
    "民政局",
    "生态环境局",
    "市场监督管理局",
    "统计局",
    "审计局",
    "文化和旅游局",
    "退役军人事务局",
    "住房保障和房屋管理局",
    "人民政府万里街道办事处",
    "人民政府长征镇",
    "社会保险事业管理中心",
    "人力资源和社会保障信息中心",
    "国库收付中心",
    "档案馆",
    "图书馆",
    "疾病预防控制中心",
)
PROJECTS = (
    "惠农惠民一卡通项目服务人员经费",
    "信息化建设工作相关支出",
    "金保工程业务专网主线和备线租赁",
    "社保短信费",
    "社保公共服务能力建设资金",
    "财政委托业务支出",
    "政府购买服务项目",
    "办公楼维修改造",
    "机关食堂运行经费",
    "档案数字化加工",
    "法律援助经费",
    "人民调解工作经费",
    "社区矫正专项经费",
    "营商环境优化专项",
    "公共法律服务体系建设",
    "预算绩效管理第三方评估",
    "财政信息系统运维",
    "政府采购代理服务",
    "网络安全等级保护测评",
    "城市网格化管理运行经费",
    "垃圾分类宣传推广",
    "老年人助餐服务补贴",
    "就业困难人员援助补贴",
    "消防设施维护保养",
)
# (一级, 二级, 三级, operator, target, measure unit); targets of 定性 indicators are words.
INDICATORS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("产出指标", "数量指标", "驻派服务人员", "≤", "8", "人/年"),
    ("产出指标", "数量指标", "金保工程数据中心机房运维巡检", "=", "365", "天"),
    ("产出指标", "数量指标", "金保工程数据机房漏洞扫描", "≥", "1", "次"),
    ("产出指标", "数量指标", "区县到中心机房的线路数", "≥", "40", "条"),
    ("产出指标", "数量指标", "专线承载的系统数", "≥", "10", "个"),
    ("产出指标", "数量指标", "开展培训场次", "≥", "12", "场"),
    ("产出指标", "数量指标", "服务人次", "≥", "5000", "人次"),
    ("产出指标", "数量指标", "科目调整次数", "≤", "5", "次"),
    ("产出指标", "质量指标", "系统故障率", "≤", "1", "%"),
    ("产出指标", "质量指标", "社保卡发行和管理中的疑难问题解决率", "≥", "99", "%"),
    ("产出指标", "质量指标", "运行正常日通过率", "≥", "99", "%"),
    ("产出指标", "质量指标", "验收合格率", "=", "100", "%"),
    ("产出指标", "时效指标", "解答群众咨询及时性", "≥", "99", "%"),
    ("产出指标", "时效指标", "故障处理及时性", "≤", "2", "小时"),
    ("产出指标", "时效指标", "金保工程机房维护响应时间", "≤", "48", "小时"),
    ("产出指标", "时效指标", "项目完成及时率", "=", "100", "%"),
    ("产出指标", "成本指标", "项目成本控制", "≤", "50", "万元"),
    ("产出指标", "成本指标", "“三公经费”控制率", "≤", "100", "%"),
    ("效益指标", "社会效益指标", "社会保障卡持卡人口覆盖", "≥", "99", "%"),
    ("效益指标", "社会效益指标", "保障人社信息系统正常运行", "定性", "优良差", ""),
    ("效益指标", "社会效益指标", "推动人社领域经办业务信息化", "定性", "优良中低差", ""),
    ("效益指标", "社会效益指标", "群众办事便利度提升", "定性", "有所提升", ""),
    ("效益指标", "经济效益指标", "节约财政资金", "≥", "10", "万元"),
    ("效益指标", "可持续影响指标", "长效管理机制建立", "定性", "健全", ""),
    ("效益指标", "生态效益指标", "垃圾分类准确率", "≥", "90", "%"),
    ("满意度指标", "服务对象满意度指标", "参保人员满意度", "≥", "95", "%"),
    ("满意度指标", "服务对象满意度指标", "群众满意度", "≥", "95", "%"),
    ("满意度指标", "服务对象满意度指标", "服务对象满意率", "≥", "90", "%"),
)
PEOPLE = ("宋勤洁", "胡凡", "何永庆", "王建国", "李晓梅", "张伟", "陈静", "刘洋", "赵敏", "周涛", "吴芳", "孙磊")

NARRATIVE_HEADINGS = (
    "一、收入支出决算总体情况说明",
    "二、收入决算情况说明",
    "三、支出决算情况说明",
    "四、财政拨款收入支出决算总体情况说明",
    "五、一般公共预算财政拨款支出决算情况说明",
    "六、一般公共预算财政拨款基本支出决算情况说明",
    "七、财政拨款“三公”经费支出决算情况说明",
    "八、政府性基金预算支出决算情况说明",
    "九、国有资本经营预算支出决算情况说明",
    "十、其他重要事项的情况说明",
    "（一）机关运行经费支出情况",
    "（二）政府采购支出情况",
    "（三）国有资产占用情况",
    "（四）预算绩效管理情况",
)
NARRATIVE_SENTENCES = (
    "{year}年度收入总计{a}万元、支出总计{b}万元。与{prev}年度相比，收入、支出总计各{dir}{c}万元，{dir2}{p}%。",
    "主要原因是{reason}。",
    "本年收入合计{a}万元，其中：一般公共预算财政拨款收入{b}万元，占{p}%；其他收入{c}万元，占{q}%。",
    "本年支出合计{a}万元，其中：基本支出{b}万元，占{p}%；项目支出{c}万元，占{q}%。",
    "{year}年度一般公共预算财政拨款支出{a}万元，占本年支出合计的{p}%。与{prev}年度相比，{dir}{c}万元，{dir2}{q}%。",
    "{year}年度“三公”经费财政拨款支出决算为{a}万元，完成预算的{p}%，决算数{cmp}预算数的主要原因是{reason}。",
    "其中：因公出国（境）费支出决算为{b}万元；公务用车购置及运行维护费支出决算为{c}万元；公务接待费支出决算为{d}万元。",
    "{year}年度机关运行经费支出{a}万元，比{prev}年度{dir}{c}万元，{dir2}{p}%。",
    "{year}年度政府采购支出总额{a}万元，其中：政府采购货物支出{b}万元、政府采购工程支出{c}万元、政府采购服务支出{d}万元。",
    "截至{year}年12月31日，共有车辆{n}辆，其中一般公务用车{m}辆。单价100万元以上专用设备0台（套）。",
    "本单位{year}年度无政府性基金预算财政拨款收入，也没有使用政府性基金预算财政拨款安排的支出，故相关表格为空表。",
    "根据预算绩效管理要求，本单位组织对{n}个项目开展了绩效自评，绩效自评表详见附件。",
)
REASONS = (
    "人员变动及社保缴费基数调整",
    "信息化建设项目按进度支付",
    "厉行节约、压减一般性支出",
    "落实过紧日子要求，从严控制公务接待",
    "新增政府购买服务项目",
    "上年结转项目本年执行完毕",
    "公务用车按规定更新",
    "办公用房维修改造项目完工",
)


@dataclass(frozen=True, slots=True)
class Subject:
    """One 科目 from the catalogue: code, name, level (1 类, 2 款, 3 项)."""

    code: str
    name: str
    level: int


@lru_cache(maxsize=1)
def subjects() -> dict[str, tuple[Subject, ...]]:
    """Catalogue entries by system ("function", "economic")."""
    from juesuan.validation.codes import load_catalogue

    cat = load_catalogue()
    out: dict[str, list[Subject]] = {"function": [], "economic": []}
    for entry in cat.entries.values():
        out.setdefault(entry.system, []).append(Subject(entry.code, entry.name, entry.level))
    return {k: tuple(sorted(v, key=lambda s: s.code)) for k, v in out.items()}


@lru_cache(maxsize=1)
def function_tree() -> dict[str, dict[str, list[Subject]]]:
    """类 code → 款 code → 项 subjects, keeping only branches that reach a 项 (tables print whole branches)."""
    subs = subjects()["function"]
    by_code = {s.code: s for s in subs}
    tree: dict[str, dict[str, list[Subject]]] = {}
    for s in subs:
        if s.level == 3 and s.code[:3] in by_code and s.code[:5] in by_code:
            tree.setdefault(s.code[:3], {}).setdefault(s.code[:5], []).append(s)
    return tree


def subject(code: str) -> Subject:
    for s in subjects()["function"] + subjects()["economic"]:
        if s.code == code:
            return s
    raise KeyError(code)


@lru_cache(maxsize=1)
def economic_tree() -> dict[str, list[Subject]]:
    """经济分类 类 code → its 款 subjects."""
    subs = subjects()["economic"]
    tree: dict[str, list[Subject]] = {}
    classes = {s.code for s in subs if s.level == 1}
    for s in subs:
        if s.level == 2 and s.code[:3] in classes:
            tree.setdefault(s.code[:3], []).append(s)
    return tree
