"""Read-only admin views of the programs app (writes go through the pages and services, audited)."""

from django.contrib import admin
from django.http import HttpRequest

from tiercare.programs.models import (
    Assessment,
    Attendance,
    Course,
    CourseSession,
    KpiActual,
    Milestone,
    MilestoneEvidence,
    Program,
    ProgramTransition,
    SurveyCampaign,
    TrainingScore,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Program)
class ProgramAdmin(ReadOnly):
    list_display = ("title", "department", "stage", "start")
    list_filter = ("stage",)


for model in (
    SurveyCampaign,
    Assessment,
    ProgramTransition,
    Milestone,
    KpiActual,
    Course,
    CourseSession,
    Attendance,
    TrainingScore,
    MilestoneEvidence,
):
    admin.site.register(model, ReadOnly)
