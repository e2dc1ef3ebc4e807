"""Tables of the performance app; one module per area, re-exported here. ``review`` holds the
abstract columns every reviewed document shares."""

from .attachments import Attachment
from .evaluation import IndicatorEvaluation, SelfEvaluation
from .goals import GoalTask, Indicator, PerformanceGoal
from .imports import ImportRun
from .jobs import Job
from .library import LibraryEntry
from .monitoring import MonitoringEntry, MonitoringReport, MonitoringRound
from .policies import BureauPolicy, WorkCalendarDay
from .rectifications import Rectification
from .reminders import Notification, ReportingWindow
from .review import FilledDocument, ReviewedDocument
from .schemes import SchemeAssignment, ScoringScheme
from .spot_checks import SpotCheck, SpotCheckDraw, SpotCheckScore

__all__ = [
    "Attachment",
    "BureauPolicy",
    "FilledDocument",
    "GoalTask",
    "ImportRun",
    "Indicator",
    "IndicatorEvaluation",
    "Job",
    "LibraryEntry",
    "MonitoringEntry",
    "MonitoringReport",
    "MonitoringRound",
    "Notification",
    "PerformanceGoal",
    "Rectification",
    "ReportingWindow",
    "ReviewedDocument",
    "SchemeAssignment",
    "ScoringScheme",
    "SelfEvaluation",
    "SpotCheck",
    "SpotCheckDraw",
    "SpotCheckScore",
    "WorkCalendarDay",
]
