"""Choices of the projects app: unit kinds, roles, project types and fund sources."""

from django.db import models


class UnitKind(models.TextChoices):
    FINANCE = "finance", "财政局"
    DEPARTMENT = "department", "主管部门"
    UNIT = "unit", "预算单位"


class Role(models.TextChoices):
    FILLER = "filler", "填报人"
    UNIT_REVIEWER = "unit_reviewer", "单位审核人"
    DEPT_REVIEWER = "dept_reviewer", "主管部门审核人"
    FINANCE_REVIEWER = "finance_reviewer", "财政审核人"
    ADMIN = "admin", "管理员"


class ProjectCategory(models.TextChoices):
    PERSONNEL = "personnel", "人员类"
    OPERATING = "operating", "运转类（其他运转类）"
    SPECIAL = "special", "特定目标类"


class Continuity(models.TextChoices):
    NEW = "new", "新增"
    CONTINUING = "continuing", "延续"


class FundSource(models.TextChoices):
    GENERAL_PUBLIC = "general_public", "一般公共预算"
    GOVERNMENT_FUND = "government_fund", "政府性基金"
    STATE_CAPITAL = "state_capital", "国有资本经营"
    FISCAL_SPECIAL = "fiscal_special", "财政专户管理资金"
    UNIT_FUNDS = "unit_funds", "单位资金"
    CARRYOVER = "carryover", "上年结转"
