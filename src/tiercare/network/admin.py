from django.contrib import admin

from tiercare.core.admin import AuditedAdmin
from tiercare.network import models as m


@admin.register(m.Organization)
class OrganizationAdmin(AuditedAdmin):
    list_display = ("name", "kind", "tier", "gp_mode", "status", "province", "city", "county")
    list_filter = ("kind", "tier", "status")
    search_fields = ("name", "short_name", "county")


@admin.register(m.Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ("name", "organization", "specialty", "beds")
    list_filter = ("specialty",)
    search_fields = ("name", "organization__name")
    raw_id_fields = ("organization",)


@admin.register(m.Practitioner)
class PractitionerAdmin(AuditedAdmin):
    list_display = ("name", "title", "specialty", "home_organization", "doctor_group", "is_active")
    list_filter = ("specialty", "title", "is_active")
    search_fields = ("name", "name_pinyin", "name_initials", "license_number")
    raw_id_fields = ("user", "home_organization", "home_department", "doctor_group")


for model in (
    m.PractitionerRole,
    m.SiteRegistration,
    m.InsurancePolicy,
    m.Partnership,
    m.Alliance,
    m.AllianceMembership,
    m.SupportAgreement,
    m.Invitation,
    m.OnlinePracticeConsent,
):
    admin.site.register(model, AuditedAdmin)
