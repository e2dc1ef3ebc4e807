"""django-import-export where it serves: the admin's 导出 of the flat template as csv.

The template's columns belong to the import (``services.imports.columns``) and its rows to the
flat writer (``services.exports.flat.template_row``); this resource only hands both to the
library, whose export view (format choice, the list's filters, the download) the goal and
indicator lists use, and :class:`FormulaSafeCSV` writes the csv so that no cell can start a
spreadsheet formula. The import does not use the library: its preview and all-or-nothing
writes are ``services.imports`` (see docs/architecture.md, "Excel in and out").
"""

from __future__ import annotations

import tablib
from import_export import resources
from import_export.fields import Field
from import_export.formats import base_formats

from .csv_cells import formula_safe
from .models import Indicator
from .services.exports.flat import template_indicators, template_row
from .services.imports.columns import TEMPLATE_COLUMNS


class TargetTemplateResource(resources.Resource):
    """The flat template: one row per indicator of a project's current goal."""

    class Meta:
        model = Indicator
        name = "绩效目标导入模板"

    @classmethod
    def get_display_name(cls) -> str:
        """The name the library's export form shows for this resource."""
        return cls._meta.name

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields = {column.key: Field(column_name=column.header) for column in TEMPLATE_COLUMNS}

    def filter_export(self, queryset, **kwargs):
        return template_indicators(queryset)

    def export_resource(self, instance, selected_fields=None, **kwargs) -> list:
        return template_row(instance)


class FormulaSafeCSV(base_formats.CSV):
    """CSV export whose text cells never start a spreadsheet formula (see ``formula_safe``),
    starting with a BOM so that Excel reads it as UTF-8."""

    def export_data(self, dataset, **kwargs):
        safe = tablib.Dataset(headers=dataset.headers, title=dataset.title)
        for row in dataset:
            safe.append([formula_safe(cell) for cell in row])
        # a BOM first: Excel opens a UTF-8 csv without one as the local code page (乱码)
        return "\ufeff" + super().export_data(safe, **kwargs)
