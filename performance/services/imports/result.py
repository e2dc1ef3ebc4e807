"""What an import reports: issues with row, column and a Chinese reason, and the counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"
MAX_ISSUES_STORED = 1000  # in a Job row / API answer; the full list stays on the result


@dataclass(frozen=True)
class ImportIssue:
    """One problem of the file: ``row`` is the spreadsheet row number (None for the file)."""

    message: str
    code: str
    row: int | None = None
    column: str = ""
    severity: str = ERROR

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"第{self.row}行")
        if self.column:
            where.append(f"「{self.column}」")
        return f"{''.join(where)}：{self.message}" if where else self.message

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "text": str(self),
        }


class ImportFileError(Exception):
    """The file cannot be read as a table at all (format, size, encoding, merged cells…)."""

    def __init__(self, *issues: ImportIssue) -> None:
        super().__init__("；".join(str(i) for i in issues))
        self.issues = list(issues)


# The target kind's counts (the default of a bare ImportResult); other kinds declare theirs.
COUNT_KEYS = (
    "rows",
    "projects_created",
    "projects_updated",
    "projects_unchanged",
    "goals_created",
    "indicators_created",
    "indicators_updated",
    "indicators_unchanged",
)
CHANGE_KEYS = ("projects_created", "projects_updated", "indicators_created", "indicators_updated")
UNCHANGED_TEXT = "没有任何变化"


@dataclass(frozen=True)
class NewProject:
    """A project the import would create: a mistyped 项目编码 shows up here before confirming."""

    code: str
    name: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name}


NEW_PROJECTS_NAMED = 20  # the preview names this many; the count covers the rest


@dataclass
class ImportResult:
    """The outcome of an import; ``committed`` is True only when the write step ran.

    ``kind`` names the import kind; ``change_keys`` are the counts that mean a write, so
    ``changed`` is False for a file equal to the database (the summary then says so)."""

    filename: str
    dry_run: bool = False
    errors: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    committed: bool = False
    job_id: int | None = None
    kind: str = "targets"
    count_labels: dict[str, str] = field(default_factory=dict)
    change_keys: tuple[str, ...] = CHANGE_KEYS
    summarize: Callable[[ImportResult], str] | None = None
    new_projects: list[NewProject] = field(default_factory=list)
    run_id: int | None = None  # the ImportRun row (import history) of this run

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changes(self) -> int:
        """How many records the import writes (or, on a dry run, would write)."""
        return sum(self.counts.get(key, 0) for key in self.change_keys)

    @property
    def changed(self) -> bool:
        return self.ok and self.changes > 0

    def error(self, message: str, code: str, row: int | None = None, column: str = "") -> None:
        self.errors.append(ImportIssue(message, code, row, column, ERROR))

    def warn(self, message: str, code: str, row: int | None = None, column: str = "") -> None:
        self.warnings.append(ImportIssue(message, code, row, column, WARNING))

    def summary(self) -> str:
        """One Chinese sentence for a message box or a command's output."""
        c = self.counts
        if self.errors:
            return (
                f"文件「{self.filename}」有 {len(self.errors)} 处错误，未导入任何数据；"
                "请修改后重新上传。"
            )
        if not self.changed:
            rows = f"（共 {c['rows']} 行）" if "rows" in c else ""
            if self.dry_run:
                return f"校验通过：文件与系统中的数据一致，导入不会带来任何变化{rows}。"
            return f"导入完成：文件与系统中的数据一致，{UNCHANGED_TEXT}{rows}。"
        if self.summarize is not None:
            return self.summarize(self)
        if self.kind != "targets":
            verb = "校验通过（未写入）：将" if self.dry_run else "导入完成："
            parts = "、".join(
                f"{self.count_labels.get(key, key)} {value}" for key, value in c.items()
            )
            return f"{verb}{parts}。"
        verb = "校验通过（未写入）：将" if self.dry_run else "导入完成："
        return (
            f"{verb}新增项目 {c['projects_created']} 个、更新项目 {c['projects_updated']} 个，"
            f"新增绩效目标 {c['goals_created']} 个，新增指标 {c['indicators_created']} 条、"
            f"更新指标 {c['indicators_updated']} 条、未变化 {c['indicators_unchanged']} 条"
            f"（共 {c['rows']} 行）。"
        )

    def new_projects_notice(self) -> str:
        """“将新建 N 个项目：codes” before confirming (empty when none), so a mistyped 项目编码
        is caught before it becomes a new project."""
        if not self.new_projects:
            return ""
        named = "，".join(f"{p.code}（{p.name}）" for p in self.new_projects[:NEW_PROJECTS_NAMED])
        more = " 等" if len(self.new_projects) > NEW_PROJECTS_NAMED else ""
        verb = "将新建" if self.dry_run else "已新建"
        return f"{verb} {len(self.new_projects)} 个项目：{named}{more}。" + (
            "请核对项目编码，确认无误后再导入。" if self.dry_run else ""
        )

    def as_dict(self, limit: int = MAX_ISSUES_STORED) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "filename": self.filename,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "committed": self.committed,
            "changed": self.changed,
            "summary": self.summary(),
            "counts": dict(self.counts),
            "error_count": len(self.errors),
            "warning_count": len(self.warnings),
            "errors": [i.as_dict() for i in self.errors[:limit]],
            "warnings": [i.as_dict() for i in self.warnings[:limit]],
            "notices": list(self.notices),
            "job_id": self.job_id,
            "run_id": self.run_id,
            "new_projects": [p.as_dict() for p in self.new_projects[:limit]],
        }
