"""Routes of the API: ``/api/v1/…`` resources and ``/api/schema/``, ``/api/docs/``, ``/api/redoc/``."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from ..services.imports import KINDS
from .views.attachments import AttachmentViewSet
from .views.auth import MeView, TokenView
from .views.evaluations import EvaluationViewSet, SchemeViewSet
from .views.feeds import FiguresFeedView
from .views.goals import GoalViewSet, IndicatorViewSet
from .views.jobs import ImportRunViewSet, JobViewSet, RecomputeView
from .views.library import LibraryEntryViewSet
from .views.library_picking import LibraryPickingViewSet
from .views.monitoring import ReportViewSet, RoundViewSet
from .views.publication import PublicationView
from .views.rectifications import RectificationViewSet
from .views.results import ResultsView
from .views.spot_checks import SpotCheckViewSet
from .views.summaries import SummaryView
from .views.todo import TodoView
from .views.transfers import ExportView, import_view
from .views.units import ProjectViewSet, UnitViewSet

app_name = "api"

router = SimpleRouter()
router.register("units", UnitViewSet, basename="unit")
router.register("projects", ProjectViewSet, basename="project")
router.register("goals", GoalViewSet, basename="goal")
router.register("indicators", IndicatorViewSet, basename="indicator")
router.register("monitoring-rounds", RoundViewSet, basename="round")
router.register("monitoring-reports", ReportViewSet, basename="report")
router.register("evaluations", EvaluationViewSet, basename="evaluation")
router.register("schemes", SchemeViewSet, basename="scheme")
router.register("jobs", JobViewSet, basename="job")
router.register("imports/runs", ImportRunViewSet, basename="import-run")
router.register("attachments", AttachmentViewSet, basename="attachment")
router.register("spot-checks", SpotCheckViewSet, basename="spot-check")
router.register("library/entries", LibraryEntryViewSet, basename="library-entry")
router.register("library", LibraryPickingViewSet, basename="library")
router.register("rectifications", RectificationViewSet, basename="rectification")

v1 = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("me/", MeView.as_view(), name="me"),
    path("summaries/", SummaryView.as_view(), name="summaries"),
    path("todo/", TodoView.as_view(), name="todo"),
    path("results/", ResultsView.as_view(), name="results"),  # 结果应用
    path("recompute/", RecomputeView.as_view(), name="recompute"),
    # one route per registered import kind (services.imports.KINDS): imports/targets/ …
    *(
        path(f"imports/{kind}/", import_view(kind).as_view(), name=f"import-{kind}")
        for kind in KINDS
    ),
    # before exports/<kind>/: "figures" is the bulk feed, not a table kind
    path("exports/figures/", FiguresFeedView.as_view(), name="figures-feed"),
    path("exports/<str:kind>/", ExportView.as_view(), name="export"),
    path("publications/", PublicationView.as_view(), name="publications"),  # 绩效公开 (issue 17)
    *router.urls,
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html"),
        name="redoc",
    ),
]
