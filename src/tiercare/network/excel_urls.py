"""URLs of the directory's Excel pages; network/urls.py includes them under ``excel/`` (namespace network)."""

from django.urls import path

from tiercare.network import excel_views

urlpatterns = [
    path("", excel_views.excel_home, name="excel"),
    path("export/<slug:kind>.xlsx", excel_views.excel_export, name="excel_export"),
    path("import/", excel_views.excel_import, name="excel_import"),
    path("import/<uuid:batch_id>/", excel_views.excel_batch, name="excel_batch"),
    path("import/<uuid:batch_id>/confirm/", excel_views.excel_confirm, name="excel_confirm"),
    path("import/<uuid:batch_id>/discard/", excel_views.excel_discard, name="excel_discard"),
    path("import/<uuid:batch_id>/errors.xlsx", excel_views.excel_errors, name="excel_errors"),
]
