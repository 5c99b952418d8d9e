from django.urls import path

from tiercare.programs import training_views, views

app_name = "programs"
urlpatterns = [
    path("", views.program_list, name="list"),
    path("<uuid:program_id>/", views.program_detail, name="program"),
    path("<uuid:program_id>/move/", views.program_move, name="move"),
    path("<uuid:program_id>/actuals/", views.actuals, name="actuals"),
    path("<uuid:program_id>/plan/", views.plan, name="plan"),
    path("<uuid:program_id>/milestones/<uuid:milestone_id>/done/", views.milestone_done, name="milestone_done"),
    path("<uuid:program_id>/milestones/<uuid:milestone_id>/evidence/", views.evidence_add, name="evidence_add"),
    path("<uuid:program_id>/evidence/<uuid:evidence_id>/", views.evidence_download, name="evidence"),
    path("assess/<uuid:department_id>/", views.assess, name="assess"),
    path("assess/<uuid:department_id>/blank.xlsx", views.assess_blank, name="assess_blank"),
    path("assess/<uuid:department_id>/import/", views.assess_import, name="assess_import"),
    path("<uuid:program_id>/actuals/blank.xlsx", views.actuals_blank, name="actuals_blank"),
    path("<uuid:program_id>/actuals/import/", views.actuals_import, name="actuals_import"),
    path("survey/<uuid:campaign_id>/", views.campaign, name="campaign"),
    path("survey/new/", views.campaign_new, name="campaign_new"),
    path("<uuid:program_id>/evaluation/", views.evaluation, name="evaluation"),
    path("<uuid:program_id>/evaluation.pdf", views.evaluation_pdf, name="evaluation_pdf"),
    path("<uuid:program_id>/evaluation.xlsx", views.evaluation_xlsx, name="evaluation_xlsx"),
    path("<uuid:program_id>/training/", training_views.training, name="training"),
    path("<uuid:program_id>/training/<uuid:trainee_id>/", training_views.trainee, name="trainee"),
    path(
        "<uuid:program_id>/training/scores/<uuid:score_id>/certificate.pdf",
        training_views.certificate,
        name="certificate",
    ),
]
