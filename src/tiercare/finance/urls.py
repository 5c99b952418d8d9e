from django.urls import path

from tiercare.finance import chain_views, views

app_name = "finance"
urlpatterns = [
    path("", views.index, name="index"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("settlements/", views.settlements, name="settlements"),
    path("settlements/issued/", views.settlement_docs, name="settlement_docs"),
    path("settlements/issued/<uuid:settlement_id>/", views.settlement_doc, name="settlement_doc"),
    path("settlements/issued/<uuid:settlement_id>/pdf/", views.settlement_doc_pdf, name="settlement_pdf"),
    path("charges/", views.charges, name="charges"),
    path("prices/", views.prices, name="prices"),
    path("shares/", views.shares, name="shares"),
    path("unpriced/", views.unpriced, name="unpriced"),
    path("unpriced/<uuid:work_id>/price/", views.unpriced_price, name="unpriced_price"),
    path("statements/", views.statements, name="statements"),
    path("statements/<uuid:statement_id>/", views.statement, name="statement"),
    path("statements/<uuid:statement_id>/pdf/", views.statement_pdf, name="statement_pdf"),
    path("statements/<uuid:statement_id>/xlsx/", views.statement_xlsx_download, name="statement_xlsx"),
    path("incidents/", views.incidents, name="incidents"),
    path("incidents/<uuid:incident_id>/", views.incident, name="incident"),
    path("people/<uuid:person_id>/coverage/", views.coverage, name="coverage"),
    path("chain/", chain_views.dashboard, name="chain"),
    path("chain/rules/", chain_views.rules, name="chain_rules"),
    path("chain/<uuid:center_id>/", chain_views.center, name="chain_center"),
    path("chain/<uuid:center_id>/costs/", chain_views.costs, name="chain_costs"),
    path("chain/costs/<uuid:cost_id>/void/", chain_views.cost_void, name="chain_cost_void"),
]
