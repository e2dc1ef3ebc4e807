"""Tables of the performance app; one module per area, re-exported here. ``review`` holds the
abstract columns every reviewed document shares."""

from .attachments import Attachment
from .evaluation import IndicatorEvaluation, SelfEvaluation
from .goals import GoalTask, Indicator, PerformanceGoal
from .jobs import Job
from .monitoring import MonitoringEntry, MonitoringReport, MonitoringRound
from .policies import BureauPolicy, WorkCalendarDay
from .reminders import Notification, ReportingWindow
from .review import FilledDocument, ReviewedDocument
from .schemes import SchemeAssignment, ScoringScheme

__all__ = [
    "Attachment",
    "BureauPolicy",
    "FilledDocument",
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
    "ReviewedDocument",
    "SchemeAssignment",
    "ScoringScheme",
    "SelfEvaluation",
    "WorkCalendarDay",
]
