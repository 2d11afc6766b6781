// Words of the page in zh-CN (the default) and English. Kinds and change types are
// the API's names; everything a person reads goes through t().

const WORDS = {
  zh: {
    title: "基层组织台账", signIn: "登录", signOut: "退出", key: "密钥",
    keyHint: "县（市、区）或市的密钥，只用于换取本次会话，页面不保存。",
    tree: "某日的县域", unit: "单元", time: "历年", reconcile: "与统计发布对照",
    asOf: "日期（as_of）", slider: "拖动选择日期", knownAt: "按记录时间（known_at，可空）", search: "按名称或代码搜索",
    counts: "数量", towns: "乡镇级", members: "成员村", noMatch: "没有符合的单元",
    facts: "当日情况", history: "历史", lineage: "沿革", roster: "机构与人员",
    predecessors: "前身", successors: "后继", group: "成组沿革（发布无法逐一对应）",
    exact: "逐一对应", status: "状态", code: "代码", established: "设立", ceased: "撤销",
    population: "户数 / 人口 / 流动人口", bodies: "机构", none: "无",
    recordedAt: "记录时间", document: "文件",
    villagesByKind: "村级单元（按类型，每年末）", changesByYear: "变更（按类型，每年）",
    coverage: "覆盖率（每年末）", shortfall: "联居专职人员缺口（每年末）",
    compliance: "合规检查", rule: "规则", clause: "条款", message: "说明", severity: "级别",
    noFindings: "没有发现问题", release: "统计发布", propose: "生成对照方案",
    proposals: "已有方案", items: "条目", type: "类型", evidence: "依据", confidence: "可信度",
    ledgerUnits: "台账单元", releaseRows: "发布记录", excluded: "排除", allTypes: "全部类型",
    allTowns: "全部乡镇", mapping: "上传对应关系 CSV（predecessor_code,successor_code）",
    apply: "应用方案", applied: "已应用", changesRecorded: "记录的变更",
    check: "发布核对", matches: "台账与发布一致", differences: "差异", expected: "发布",
    found: "台账", refused: "被拒绝", readOnly: "此密钥只能查看。", city: "全市",
    cityView: "全市汇总", counties: "所辖县（市、区）",
    role: "角色", language: "English",
    proposalOf: "方案", effectiveDate: "生效日期",
  },
  en: {
    title: "Grassroots Ledger", signIn: "Sign in", signOut: "Sign out", key: "Key",
    keyHint: "Your county's or city's key; exchanged for this session only, never stored by the page.",
    tree: "The county on a date", unit: "Unit", time: "Over time", reconcile: "Reconcile with a release",
    asOf: "Date (as_of)", slider: "Drag through the dates", knownAt: "As known at (known_at, optional)", search: "Search by name or code",
    counts: "Counts", towns: "Towns", members: "Member villages", noMatch: "No unit matches",
    facts: "On the date", history: "History", lineage: "Lineage", roster: "Bodies and roster",
    predecessors: "Predecessors", successors: "Successors", group: "Group lineage (the release cannot pair them)",
    exact: "exact", status: "Status", code: "Code", established: "Established", ceased: "Ceased",
    population: "Households / residents / floating", bodies: "Bodies", none: "none",
    recordedAt: "Recorded", document: "Document",
    villagesByKind: "Village-level units by kind (year end)", changesByYear: "Changes by type per year",
    coverage: "Coverage ratio (year end)", shortfall: "Federation staffing shortfall (year end)",
    compliance: "Compliance", rule: "Rule", clause: "Clause", message: "Message", severity: "Severity",
    noFindings: "No findings", release: "Release", propose: "Propose",
    proposals: "Proposals", items: "Items", type: "Type", evidence: "Evidence", confidence: "Confidence",
    ledgerUnits: "Ledger units", releaseRows: "Release rows", excluded: "Exclude", allTypes: "All types",
    allTowns: "All towns", mapping: "Upload mapping CSV (predecessor_code,successor_code)",
    apply: "Apply", applied: "Applied", changesRecorded: "Changes recorded",
    check: "Release check", matches: "The ledger matches the release", differences: "Differences",
    expected: "Release", found: "Ledger", refused: "Refused", readOnly: "This key can only read.",
    city: "City", cityView: "City totals", counties: "Counties",
    role: "Role", language: "中文",
    proposalOf: "Proposal", effectiveDate: "Effective date",
  },
};

const KINDS = {
  zh: { central_town: "中心镇", town: "镇", township: "乡", subdistrict: "街道",
        functional_zone: "功能区", village: "村", urban_community: "城市社区",
        rural_community: "农村社区", federation: "联居" },
  en: { central_town: "central town", town: "town", township: "township", subdistrict: "sub-district",
        functional_zone: "functional zone", village: "village", urban_community: "urban community",
        rural_community: "rural community", federation: "federation" },
};

const CHANGES = {
  zh: { conversion: "转", merger: "并", federation: "联", village_merger: "合并村",
        consolidation: "成组调整", rename: "更名", name_form: "名称规范", recode: "代码变更",
        move: "隶属变更", establishment: "设立", dissolution: "撤销", town_merger: "乡镇合并",
        town_rename: "乡镇更名", town_name_form: "乡镇名称规范", town_recode: "乡镇代码变更",
        reclassification: "镇改街道", town_establishment: "乡镇设立", town_dissolution: "乡镇撤销",
        federation_join: "加入联居", federation_leave: "退出联居", import: "导入" },
  en: {},
};

let lang = "zh";

export function setLanguage(code) {
  lang = code === "en" ? "en" : "zh";
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

export const language = () => lang;
export const t = (word) => WORDS[lang][word] ?? word;
export const kindName = (kind) => KINDS[lang][kind] ?? kind;
export const changeName = (type) => CHANGES[lang][type] ?? type.replaceAll("_", " ");
export const VILLAGE_KINDS = ["village", "urban_community", "rural_community", "federation"];
