"""The dashboard, the printable tables, the to-do list (待办) and 绩效公开, mounted under /admin/
before the admin's own URLs."""

from django.contrib import admin
from django.urls import path

from ..publication import publication_view
from ..results import results_view
from ..todo import todo_view
from .printing import print_view
from .views import dashboard_view

urlpatterns = [
    path("dashboard/", admin.site.admin_view(dashboard_view), name="performance_dashboard"),
    path("print/", admin.site.admin_view(print_view), name="performance_print"),
    path("todo/", admin.site.admin_view(todo_view), name="performance_todo"),
    path("publication/", admin.site.admin_view(publication_view), name="performance_publication"),
    path("results/", admin.site.admin_view(results_view), name="performance_results"),
]
