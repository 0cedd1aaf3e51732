"""A realistic sample of the parties of a district's 揭榜挂帅 year, for the demo and the tests.

The organisations are fictional; their unified social credit codes are well-formed (GB 32100-2015
check character) so that every rule that compares organisations by code is exercised for real.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from jiebang_es.domain.content import ChallengeContent
from jiebang_es.domain.values import (
    Actor,
    ApplicantUnit,
    Category,
    Commitment,
    CreditStatus,
    ExpertKind,
    Indicator,
    Milestone,
    Organisation,
    Role,
    Scope,
    UnitType,
    uscc_check_char,
)


def make_code(first17: str) -> str:
    """A unified social credit code from its first 17 characters."""
    return first17 + uscc_check_char(first17)


# 500106 is Shapingba District's administrative division code; 110108 and 310104 lie elsewhere.
BUREAU = Organisation(
    make_code("11500106MB1234567"), "沙坪坝区科学技术局", UnitType.INSTITUTE, True
)
END_USER_EQUIPMENT = Organisation(
    make_code("91500106MA5U7KX2Q"), "重庆沙磁智能装备有限公司", UnitType.ENTERPRISE, True
)
END_USER_PHARMA = Organisation(
    make_code("91500106MA60B3L8R"), "重庆歌乐山生物医药有限公司", UnitType.ENTERPRISE, True
)
INSTITUTE_WEST = Organisation(
    make_code("12500106MB0X4521K"), "西部智能制造研究院", UnitType.INSTITUTE, True
)
UNIVERSITY_JIANGNAN = Organisation(
    make_code("12310104425006731"), "江南理工大学", UnitType.UNIVERSITY, False
)
ENTERPRISE_HUADONG = Organisation(
    make_code("91110108MA01C9TP4"), "华东精密传感科技有限公司", UnitType.ENTERPRISE, False
)
ENTERPRISE_STARTUP = Organisation(
    make_code("91500106MAE2G7H1X"), "重庆青创微纳科技有限公司", UnitType.ENTERPRISE, True
)
UNIVERSITY_MEDICAL = Organisation(
    make_code("12500000450400282"), "嘉陵医科大学", UnitType.UNIVERSITY, True
)


def actor(role: Role, org: Organisation, person: str) -> Actor:
    return Actor(id=person, role=role, org_code=org.credit_code, name=person)


def unit(org: Organisation, credit: CreditStatus = CreditStatus.GOOD) -> ApplicantUnit:
    return ApplicantUnit(organisation=org, credit_status=credit)


@dataclass(frozen=True)
class SampleExpert:
    person_id: str
    name: str
    org: Organisation
    kind: ExpertKind
    speciality: str


def experts_for(end_user: Organisation, tag: str) -> list[SampleExpert]:
    """A panel's worth of experts of every kind the plan names, the end user's head last."""
    return [
        SampleExpert(f"exp-{tag}-mgmt", "刘主任", BUREAU, ExpertKind.MANAGEMENT, "产业管理"),
        SampleExpert(
            f"exp-{tag}-front",
            "陈总工",
            END_USER_PHARMA if end_user is END_USER_EQUIPMENT else END_USER_EQUIPMENT,
            ExpertKind.FRONT_LINE,
            "产线工艺",
        ),
        SampleExpert(
            f"exp-{tag}-peer-in", "王教授", INSTITUTE_WEST, ExpertKind.PEER_INSIDE, "智能控制"
        ),
        SampleExpert(
            f"exp-{tag}-peer-out",
            "赵研究员",
            UNIVERSITY_MEDICAL,
            ExpertKind.PEER_OUTSIDE,
            "生物材料",
        ),
        SampleExpert(
            f"exp-{tag}-peer-out2",
            "孙教授",
            ENTERPRISE_HUADONG,
            ExpertKind.PEER_OUTSIDE,
            "精密传感",
        ),
        SampleExpert(f"exp-{tag}-eu", "周董事长", end_user, ExpertKind.END_USER_REP, "需求方"),
    ]


def key_challenge_content(**overrides: object) -> ChallengeContent:
    """A complete key-project (重点) challenge in 智能科技."""
    fields: dict[str, object] = {
        "name": "高精度伺服电机编码器国产化",
        "industry": "智能科技",
        "category": Category.KEY,
        "chokepoint": "23位绝对值编码器依赖进口，交期长达26周",
        "industry_effect": "制约区内智能装备整机交付与成本，影响产业链自主可控",
        "indicators": (
            Indicator("分辨率", "23", "位"),
            Indicator("重复定位精度", "±1", "角秒"),
        ),
        "benchmarking": "对标海德汉ECN系列，国内同类产品最高20位",
        "funding": Decimal("100000.00"),
        "period_months": 18,
        "milestones": (
            Milestone("样机", 9, "工程样机及测试报告"),
            Milestone("小批量验证", 18, "100台小批量装机验证"),
        ),
        "solver_conditions": "具备编码器或精密光栅研发基础",
        "scope": Scope.PUBLIC,
        "commitment": Commitment(Decimal("200000.00"), "提供产线测试平台与装机验证", True),
    }
    fields.update(overrides)
    return ChallengeContent(**fields)  # type: ignore[arg-type]


def major_challenge_content(**overrides: object) -> ChallengeContent:
    """A complete major-project (重大) challenge in 生命健康, restricted in scope."""
    fields: dict[str, object] = {
        "name": "可降解镁合金心血管支架关键工艺",
        "industry": "生命健康",
        "category": Category.MAJOR,
        "chokepoint": "镁合金支架降解速率控制工艺缺失，产品依赖进口",
        "industry_effect": "决定区内医疗器械企业能否进入三类器械市场",
        "indicators": (
            Indicator("体内降解周期", "6–12", "月"),
            Indicator("径向支撑力", "≥120", "kPa"),
        ),
        "benchmarking": "对标国际同类产品，国内尚无获批产品",
        "funding": Decimal("300000.00"),
        "period_months": 30,
        "milestones": (
            Milestone("工艺定型", 12, "涂层与热处理工艺包"),
            Milestone("动物实验", 24, "动物实验报告"),
            Milestone("注册检验", 30, "型式检验报告"),
        ),
        "solver_conditions": "具备医用金属材料研发与GLP动物实验条件",
        "scope": Scope.RESTRICTED,
        # R-SCOPE: the range is named by credit code (the medical-device alliance's members).
        "recipients": (UNIVERSITY_MEDICAL.credit_code, INSTITUTE_WEST.credit_code),
        "commitment": Commitment(Decimal("600000.00"), "提供洁净车间和临床资源", True),
    }
    fields.update(overrides)
    return ChallengeContent(**fields)  # type: ignore[arg-type]
