"""Build ``configs/codes/classification.tsv``: 支出功能分类 and 部门经济分类 codes with canonical names.

A developer tool, not part of the pipeline: it reads ``pdftotext -layout`` output of the shared real PDFs and the
seeds' TSV tables, and merges what they print with the national names in :data:`NATIONAL` (only names we are sure of).
Every entry records where it came from (``real:<file>``, ``seed:<file>``, ``national``), so a person can check it.

    PYTHONPATH=. python scripts/catalogue_build.py \
        --real ../shared/data/real --seeds ../shared/data/seeds -o configs/codes/classification.tsv

Printed names win over national ones only when they are not a truncation (a prefix) of a longer name: table cells
wrap, and pdftotext cuts the second line off.
"""

from __future__ import annotations

import argparse
import re
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

from juesuan.io.atomic import write_text

# National classification names (财政部《政府收支分类科目》 支出功能分类 and 部门预算支出经济分类), the entries we are
# sure of. Codes are joined digits: 类 3, 款 5, 项 7.
NATIONAL_FUNCTION: dict[str, str] = {
    "201": "一般公共服务支出",
    "202": "外交支出",
    "203": "国防支出",
    "204": "公共安全支出",
    "205": "教育支出",
    "206": "科学技术支出",
    "207": "文化旅游体育与传媒支出",
    "208": "社会保障和就业支出",
    "209": "社会保险基金支出",
    "210": "卫生健康支出",
    "211": "节能环保支出",
    "212": "城乡社区支出",
    "213": "农林水支出",
    "214": "交通运输支出",
    "215": "资源勘探工业信息等支出",
    "216": "商业服务业等支出",
    "217": "金融支出",
    "219": "援助其他地区支出",
    "220": "自然资源海洋气象等支出",
    "221": "住房保障支出",
    "222": "粮油物资储备支出",
    "223": "国有资本经营预算支出",
    "224": "灾害防治及应急管理支出",
    "227": "预备费",
    "229": "其他支出",
    "230": "转移性支出",
    "231": "债务还本支出",
    "232": "债务付息支出",
    "233": "债务发行费用支出",
    "234": "抗疫特别国债安排的支出",
    "20101": "人大事务",
    "20102": "政协事务",
    "20103": "政府办公厅（室）及相关机构事务",
    "20104": "发展与改革事务",
    "20105": "统计信息事务",
    "20106": "财政事务",
    "20107": "税收事务",
    "20108": "审计事务",
    "20111": "纪检监察事务",
    "20113": "商贸事务",
    "20126": "档案事务",
    "20129": "群众团体事务",
    "20131": "党委办公厅（室）及相关机构事务",
    "20132": "组织事务",
    "20133": "宣传事务",
    "20134": "统战事务",
    "20138": "市场监督管理事务",
    "20199": "其他一般公共服务支出",
    "20402": "公安",
    "20406": "司法",
    "20499": "其他公共安全支出",
    "2040601": "行政运行",
    "2040602": "一般行政管理事务",
    "2040603": "机关服务",
    "2040604": "基层司法业务",
    "2040605": "普法宣传",
    "2040607": "公共法律服务",
    "2040650": "事业运行",
    "2040699": "其他司法支出",
    "20801": "人力资源和社会保障管理事务",
    "20802": "民政管理事务",
    "20805": "行政事业单位养老支出",
    "20807": "就业补助",
    "20808": "抚恤",
    "20811": "残疾人事业",
    "20816": "红十字事业",
    "20899": "其他社会保障和就业支出",
    "2080101": "行政运行",
    "2080102": "一般行政管理事务",
    "2080103": "机关服务",
    "2080150": "事业运行",
    "2080501": "行政单位离退休",
    "2080502": "事业单位离退休",
    "2080505": "机关事业单位基本养老保险缴费支出",
    "2080506": "机关事业单位职业年金缴费支出",
    "2080599": "其他行政事业单位养老支出",
    "2089999": "其他社会保障和就业支出",
    "20799": "其他文化旅游体育与传媒支出",
    "21001": "卫生健康管理事务",
    "21007": "计划生育事务",
    "21011": "行政事业单位医疗",
    "2101101": "行政单位医疗",
    "2101102": "事业单位医疗",
    "2101103": "公务员医疗补助",
    "2101199": "其他行政事业单位医疗支出",
    "22101": "保障性安居工程支出",
    "22102": "住房改革支出",
    "2210201": "住房公积金",
    "2210202": "提租补贴",
    "2210203": "购房补贴",
}
# 政府收支分类 項 01/02/03/50 under the 201 款 that have them: the same four names everywhere.
for _kuan in (
    "20101",
    "20102",
    "20103",
    "20104",
    "20105",
    "20106",
    "20107",
    "20108",
    "20111",
    "20113",
    "20126",
    "20129",
    "20131",
    "20132",
    "20133",
    "20134",
    "20138",
):
    NATIONAL_FUNCTION.setdefault(_kuan + "01", "行政运行")
    NATIONAL_FUNCTION.setdefault(_kuan + "02", "一般行政管理事务")
    NATIONAL_FUNCTION.setdefault(_kuan + "03", "机关服务")
    NATIONAL_FUNCTION.setdefault(_kuan + "50", "事业运行")

NATIONAL_ECONOMIC: dict[str, str] = {
    "301": "工资福利支出",
    "302": "商品和服务支出",
    "303": "对个人和家庭的补助",
    "307": "债务利息及费用支出",
    "309": "资本性支出（基本建设）",
    "310": "资本性支出",
    "311": "对企业补助（基本建设）",
    "312": "对企业补助",
    "313": "对社会保障基金补助",
    "399": "其他支出",
    "30101": "基本工资",
    "30102": "津贴补贴",
    "30103": "奖金",
    "30106": "伙食补助费",
    "30107": "绩效工资",
    "30108": "机关事业单位基本养老保险缴费",
    "30109": "职业年金缴费",
    "30110": "职工基本医疗保险缴费",
    "30111": "公务员医疗补助缴费",
    "30112": "其他社会保障缴费",
    "30113": "住房公积金",
    "30114": "医疗费",
    "30199": "其他工资福利支出",
    "30201": "办公费",
    "30202": "印刷费",
    "30203": "咨询费",
    "30204": "手续费",
    "30205": "水费",
    "30206": "电费",
    "30207": "邮电费",
    "30208": "取暖费",
    "30209": "物业管理费",
    "30211": "差旅费",
    "30212": "因公出国（境）费用",
    "30213": "维修（护）费",
    "30214": "租赁费",
    "30215": "会议费",
    "30216": "培训费",
    "30217": "公务接待费",
    "30218": "专用材料费",
    "30224": "被装购置费",
    "30225": "专用燃料费",
    "30226": "劳务费",
    "30227": "委托业务费",
    "30228": "工会经费",
    "30229": "福利费",
    "30231": "公务用车运行维护费",
    "30239": "其他交通费用",
    "30240": "税金及附加费用",
    "30299": "其他商品和服务支出",
    "30301": "离休费",
    "30302": "退休费",
    "30303": "退职（役）费",
    "30304": "抚恤金",
    "30305": "生活补助",
    "30306": "救济费",
    "30307": "医疗费补助",
    "30308": "助学金",
    "30309": "奖励金",
    "30310": "个人农业生产补贴",
    "30311": "代缴社会保险费",
    "30399": "其他对个人和家庭的补助",
    "31001": "房屋建筑物购建",
    "31002": "办公设备购置",
    "31003": "专用设备购置",
    "31005": "基础设施建设",
    "31006": "大型修缮",
    "31007": "信息网络及软件购置更新",
    "31013": "公务用车购置",
    "31019": "其他交通工具购置",
    "31021": "文物和陈列品购置",
    "31022": "无形资产购置",
    "31099": "其他资本性支出",
}

_HAN = "\u4e00-\u9fff（）()、"
# 类 [款 [项]] then a name, or one joined code then a name. Amounts (with , or .) never precede a code.
_SPLIT = re.compile(rf"(?<![\d.,])(\d{{3}})(?:[ \t]+(\d{{2}}))?(?:[ \t]+(\d{{2}}))?[ \t]*([\u4e00-\u9fff][{_HAN}]*)")
_JOINED = re.compile(rf"(?<![\d.,])(\d{{5}}|\d{{7}})(?!\d)[ \t]*([\u4e00-\u9fff][{_HAN}]*)")
_NOT_NAMES = ("万", "元", "年", "月", "日", "个", "人", "次", "名", "辆", "项", "家", "户", "号")


def _system(code: str) -> str | None:
    lei = code[:3]
    if lei in NATIONAL_FUNCTION and len(code) in (3, 5, 7):
        return "function"
    if lei in NATIONAL_ECONOMIC and len(code) in (3, 5):
        return "economic"
    return None


def _clean(name: str) -> str:
    return name.replace("(", "（").replace(")", "）").strip()


def harvest(text: str, source: str) -> list[tuple[str, str, str]]:
    """(code, name, source) pairs printed in ``text``."""
    out: list[tuple[str, str, str]] = []
    for raw in text.splitlines():
        if "\t" in raw:  # seeds' TSV: 类 \t 款 \t 项 \t [单位代码] \t 名称
            cells = [c.strip() for c in raw.split("\t")]
            parts = []
            for c in cells[:3]:
                if re.fullmatch(r"\d{2,3}", c) and (parts or len(c) == 3):
                    parts.append(c)
                else:
                    break
            named = [c for c in cells[len(parts) :] if re.match(r"[\u4e00-\u9fff]", c)]
            code = "".join(parts)
            if parts and named and _system(code):
                name = _clean(named[0].replace(" ", ""))
                if len(name) >= 2 and not name.startswith(_NOT_NAMES):
                    out.append((code, name, source))
            continue
        line = re.sub(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])", "", raw)  # 其 他 商 品 → 其他商品
        for m in _SPLIT.finditer(line):
            code = m.group(1) + (m.group(2) or "") + (m.group(3) or "")
            if m.group(3) and not m.group(2):
                continue
            name = _clean(m.group(4))
            if _system(code) and len(name) >= 2 and not name.startswith(_NOT_NAMES):
                out.append((code, name, source))
        for m in _JOINED.finditer(line):
            code, name = m.group(1), _clean(m.group(2))
            if _system(code) and len(name) >= 2 and not name.startswith(_NOT_NAMES):
                out.append((code, name, source))
    return out


def _best_name(names: Counter[str], national: str | None) -> str:
    """The longest printed name that others are prefixes of; a truncated cell loses to its full form."""
    candidates = list(names)
    if national:
        candidates.append(national)
    full = [n for n in candidates if not any(o != n and o.startswith(n) for o in candidates)]
    if national and national in full:
        return national
    return max(full, key=lambda n: (names[n], len(n)))


def build(real_dir: Path, seeds_dir: Path) -> list[tuple[str, str, int, str, str]]:
    found: dict[str, Counter[str]] = defaultdict(Counter)
    sources: dict[str, set[str]] = defaultdict(set)
    for pdf in sorted(real_dir.glob("*.pdf")):
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        for code, name, src in harvest(text, f"real:{pdf.name}"):
            found[code][name] += 1
            sources[code].add(src)
    for seed in sorted(seeds_dir.glob("*.txt")):
        for code, name, src in harvest(seed.read_text(encoding="utf-8"), f"seed:{seed.name}"):
            found[code][name] += 1
            sources[code].add(src)
    rows = []
    national = {**NATIONAL_FUNCTION, **NATIONAL_ECONOMIC}
    for code in sorted(set(found) | set(national)):
        system = _system(code)
        if system is None:
            continue
        nat = national.get(code)
        names = found.get(code, Counter())
        if not names and nat is None:
            continue
        name = _best_name(names, nat)
        src = sorted(sources.get(code, set()))
        if nat is not None:
            src.append("national")
        level = {3: 1, 5: 2, 7: 3}[len(code)]
        rows.append((system, code, level, name, ";".join(src)))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--real", type=Path, required=True)
    parser.add_argument("--seeds", type=Path, required=True)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    rows = build(args.real, args.seeds)
    lines = ["system\tcode\tlevel\tname\tsources"]
    lines += [f"{s}\t{c}\t{lv}\t{n}\t{src}" for s, c, lv, n, src in rows]
    write_text(args.output, "\n".join(lines) + "\n")
    print(f"{len(rows)} codes → {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
