"""Problem titles and details in Chinese, for callers whose ``Accept-Language`` prefers it.

The people who read this system's answers are Chinese-speaking officials; the API's own texts
are English. A problem's ``type``, ``status``, ``rule_id`` and ``errors`` never change with the
language (clients branch on those); only ``title`` and ``detail`` are said in Chinese. The
detail keeps the original English explanation after the Chinese sentence, in brackets: it
names values and fields exactly as the request had them, which a translation would blur.
"""

from __future__ import annotations

from jiebang_es.rule_titles import rule_named

TITLES_ZH: dict[str, str] = {
    "not-permitted": "无权执行此步骤",
    "rule-violation": "违反规则，已拒绝",
    "invalid-value": "取值无效",
    "not-found": "未找到",
    "stale-version": "If-Match 所指版本不是当前版本",
    "conflict": "与同时进行的修改冲突",
    "already-recorded": "已有记录",
    "calendar-not-covered": "节假日日历缺少该年份",
    "store-unavailable": "事件存储暂不可用",
    "internal": "内部错误",
    "malformed-json": "请求体不是有效的 JSON",
    "validation": "请求无效",
    "body-too-large": "请求体过大",
    "range-not-satisfiable": "请求的字节范围超出文件",
    "body-timeout": "请求体传输过慢",
    "unauthenticated": "需要有效的持有者令牌",
    "not-caught-up": "读模型尚未追上",
    "idempotency-key-reused": "幂等键已用于另一请求",
    "http": "请求无法处理",
}

# What the caller should understand, per problem type; the rule id is named where there is one.
DETAILS_ZH: dict[str, str] = {
    "not-permitted": "依据规则 {rule_id}，当前角色或单位不能执行此步骤；未记录任何内容",
    "rule-violation": "依据规则 {rule_id} 拒绝此请求，未记录任何内容；请修改请求后再提交",
    "invalid-value": "有字段取值无效，未记录任何内容",
    "not-found": "对象不存在，或当前身份无权查看",
    "stale-version": "对象已被修改；请读取最新版本后重试",
    "conflict": "另一命令同时修改了该对象；请用新版本重试",
    "already-recorded": "该对象已有记录，本次未记录任何内容；重试不会改变结果，请改用修改或查询",
    "calendar-not-covered": "节假日日历未涵盖所需年份；请配置国务院公布的放假安排",
    "store-unavailable": (
        "事件存储未响应；命令可能已记录也可能未记录，使用相同的 Idempotency-Key 重试是安全的"
    ),
    "internal": "发生意外错误",
    "malformed-json": "请求体无法解析为 JSON",
    "validation": "请求中有字段不符合要求，详见 errors",
    "body-too-large": "请求体超过配置的上限",
    "range-not-satisfiable": "所请求的范围不在文件之内；请在文件长度之内请求一个范围",
    "body-timeout": "请求体未在时限内传完",
    "unauthenticated": "请发送有效的 Authorization: Bearer 令牌",
    "not-caught-up": "读模型尚未到达所请求的日志位置；请稍后重试",
    "idempotency-key-reused": "该 Idempotency-Key 已用于内容不同的请求",
    "http": "请求无法处理",
}


# The generic ``http`` problem (a status Starlette raises: an unknown path, a method the path
# does not serve…) said by its status.
HTTP_STATUS_ZH: dict[int, tuple[str, str]] = {
    400: ("请求无效", "请求无法解析"),
    404: ("未找到", "没有这个地址；请核对路径"),
    405: ("不支持此方法", "此地址不接受该请求方法；Allow 响应头列出可用的方法"),
    406: ("无法提供所要求的格式", "无法以 Accept 请求头要求的格式回答"),
    415: ("不支持该内容类型", "请求体的 Content-Type 不被此地址接受"),
}


def prefers_chinese(accept_language: str | None) -> bool:
    """Whether the header's most preferred language is Chinese (``zh``, ``zh-CN``, …).

    Quality values are honoured (``en;q=0.9, zh`` prefers Chinese); ties keep header order."""
    best_tag, best_q = "", -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag and q > best_q:
            best_tag, best_q = tag.strip().lower(), q
    return best_q > 0 and (best_tag == "zh" or best_tag.startswith("zh-"))


def in_chinese(
    slug: str,
    title: str,
    detail: str,
    rule_id: str | None,
    lead: str | None = None,
    status: int | None = None,
) -> tuple[str, str]:
    """The title and detail said in Chinese, the English detail kept in brackets; ``lead``,
    when given, is the Chinese sentence for this very problem (else the type's own)."""
    title_zh = TITLES_ZH.get(slug, title)
    if slug == "http" and status in HTTP_STATUS_ZH:
        title_zh, lead = HTTP_STATUS_ZH[status][0], lead or HTTP_STATUS_ZH[status][1]
    lead = lead or DETAILS_ZH.get(slug)
    if lead is None:
        return title_zh, detail
    lead = lead.format(rule_id=rule_named(rule_id) if rule_id else "")
    return title_zh, f"{lead}。（{detail}）" if detail else f"{lead}。"
