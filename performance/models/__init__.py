"""Tables of the performance app; one module per area, re-exported here."""

from .attachments import Attachment
from .evaluation import IndicatorEvaluation, SelfEvaluation
from .goals import GoalTask, Indicator, PerformanceGoal
from .jobs import Job
from .monitoring import MonitoringEntry, MonitoringReport, MonitoringRound
from .reminders import Notification, ReportingWindow
from .schemes import SchemeAssignment, ScoringScheme

__all__ = [
    "Attachment",
    "GoalTask",
    "Indicator",
    "IndicatorEvaluation",
    "Job",
    "MonitoringEntry",
    "MonitoringReport",
    "MonitoringRound",
    "Notification",
    "PerformanceGoal",
    "ReportingWindow",
    "SchemeAssignment",
    "ScoringScheme",
    "SelfEvaluation",
]
