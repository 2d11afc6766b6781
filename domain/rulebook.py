"""The rule catalogue: every hard rule (H1–H7) and norm (N1–N7) of the opinion,
with its message in English and Chinese and the clause of the policy text it
comes from (温州市《关于加强基层组织创新完善基层社会管理服务体系的实施意见》).

Hard rules refuse commands; they also appear as findings when a later change
(a lower veto cap, a secretary who left) breaks them after the fact. Norms
never refuse anything: they are findings of the compliance report for a date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

HARD = "hard"
NORM = "norm"


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str  # HARD or NORM
    title: str
    title_zh: str
    clause: str  # where in the policy text
    text_zh: str  # the words of the policy text it reads

    @property
    def severity(self) -> str:
        """A hard rule broken after the fact is an error; a norm unmet, a warning."""
        return "error" if self.kind == HARD else "warning"


RULES: dict[str, Rule] = {rule.id: rule for rule in (
    Rule("H1", HARD, "A village belongs to at most one community or federation; a converted "
         "or merged village is no longer active", "一村只属于一个社区或联居；转、并后的村不再存续",
         "二(三)2–4", "通过“转、并、联”方式改革村级组织设置"),
    Rule("H2", HARD, "Conversion takes one active village; merger and federation two or more "
         "that are not already federated", "村转社区一村一转；合并、联合须两村以上",
         "二(三)2–4", "符合村转城市社区的城中村和城郊村…合并设立农村社区…多村联合建立农村联合居民社区"),
    Rule("H3", HARD, "Plan first: a conversion, merger or federation fits the plan in force",
         "先规划后落实", "二(三)4", "按照“先规划后落实，先试点后推开，先服务后整合”的要求"),
    Rule("H4", HARD, "Units hang under units of the right kind, within their life span; nothing "
         "changes a unit after it ceased", "组织层级与存续期间", "二",
         "健全组织架构"),
    Rule("H5", HARD, "A social work committee only in central towns, sub-districts and zones; "
         "1–5 full-time staff; led concurrently by the party secretary and a deputy",
         "社会工作委员会的设置、人员与兼任", "二(一)3、二(二)3",
         "主任由中心镇党委书记兼任，社会工作委员会办公室主任由中心镇党委副书记兼任，"
         "根据工作需要可配备1—5名专职工作人员"),
    Rule("H6", HARD, "The head of a 'combined, horizontal-primary' dispatched agency is "
         "appointed or removed only with the host party committee's written consent",
         "派驻机构主要负责人任免须征得党委书面同意", "三(二)2",
         "实行“条块结合、以块为主”考核的县(市、区)职能部门派驻机构主要负责人任免应征得中心镇党委的书面同意"),
    Rule("H7", HARD, "A town's assessment catalogue holds only the town's functions, none of a "
         "county department's, and a capped number of one-vote-veto items",
         "考核目录限于本镇职能，严控一票否决", "三(二)3",
         "不属于中心镇职能范围的事项，不得列入考核；县(市、区)职能部门职能范围内的事项，"
         "不得转嫁到中心镇考核；严格控制对中心镇考核的“一票否决”事项"),
    Rule("N1", NORM, "A federation's party organisation has 5–7 members; its secretary is of "
         "deputy-section rank or a deputy-section reserve cadre",
         "联居党组织5—7人，书记为副科级干部或副科级后备干部", "二(三)4",
         "联居党组织一般由5—7人组成，党组织书记一般由优秀的副科级领导干部或副科级后备干部担任"),
    Rule("N2", NORM, "A federation's management committee has 5–7 members",
         "联居管委会5—7人", "二(三)4", "联居管委会一般由5—7人组成"),
    Rule("N3", NORM, "A federation's full-time staff number at least max(5, H/400 + F/2000)",
         "联居专职工作人员按每400户配1人、流动人口每2000人增配1人，不少于5人", "二(三)4",
         "按照常住人口每400户配1人的标准配备，流动人口较多的应按流动人口每2000人增配1人，总人数不少于5人"),
    Rule("N4", NORM, "A federation's full-time staff come from township cadres, station staff, "
         "college-graduate village officials or village cadres",
         "专职工作人员从乡镇干部、基层站所工作人员、大学生村官和村干部中选配", "二(三)4",
         "主要从乡镇干部、基层站所工作人员、大学生村官和村干部中选配"),
    Rule("N5", NORM, "A service centre has a hall of at least 200 m², the nine windows and the "
         "five unifications of design", "便民服务中心大厅不少于200平方米、九个窗口、五统一",
         "四(一)1", "推行外观设计、内部装修、整体风格、柜台设计、窗口布局“五统一”，"
         "大厅面积一般不少于200平方米"),
    Rule("N6", NORM, "Every village is covered by a community or a federation; rural new "
         "communities reach the target", "农村社区全覆盖", "二(三)1",
         "2011年底前全市建立农村新社区800个左右，实现“农村社区全覆盖”"),
    Rule("N7", NORM, "A zone and a sub-district run 'one team, two nameplates' (the same "
         "leaders) or 'coordinated' (leaders cross-appointed)", "区街合一或区街统分",
         "三(一)", "“一套班子、两块牌子”运作…部分领导干部实行交叉任职"),
)}

# N5: the windows a service centre should open (应设立…窗口).
SERVICE_WINDOWS = ("综合服务", "综治信访", "计划生育", "民政事务", "合作医疗", "养老保险",
                   "农业综合", "流动人口管理", "农村建房")
MIN_HALL_AREA = 200  # m² (大厅面积一般不少于200平方米)
# N1, N2: the size of a federation's party organisation and management committee.
FEDERATION_BODY_SIZE = (5, 7)


@dataclass(frozen=True)
class Finding:
    """One place where the structure on a date falls short of a rule."""

    rule: str
    unit_id: UUID | None
    message: str
    message_zh: str
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        return RULES[self.rule].severity

    @property
    def clause(self) -> str:
        return RULES[self.rule].clause
