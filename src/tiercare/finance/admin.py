"""Admin for finance: price and rule versions, charges and issued statements are shown, never changed or deleted
here (a change is a new version, a correction an adjustment; issued statements are also guarded by database
triggers, finance migration 0002)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tiercare.core.admin import AuditedAdmin
from tiercare.finance import models as m


class ReadOnlyAdmin(AuditedAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StatementLineInline(ReadOnlyInline):
    model = m.StatementLine
    fields = ("occurred_on", "kind", "hospital_name", "service", "fact_kind", "fact_id", "gross", "share")
    readonly_fields = fields


class SettlementLineInline(ReadOnlyInline):
    model = m.SettlementLine
    fields = ("occurred_on", "service", "fact_kind", "fact_id", "expert_name", "amount", "hospital_share")
    readonly_fields = fields


@admin.register(m.Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = ("number", "expert", "month", "gross", "tax", "net", "issued_at")
    list_filter = ("month",)
    inlines = [StatementLineInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in self.model._meta.fields]


@admin.register(m.HospitalSettlement)
class HospitalSettlementAdmin(ReadOnlyAdmin):
    list_display = ("number", "hospital", "month", "amount", "hospital_share", "payable", "issued_at")
    list_filter = ("month",)
    inlines = [SettlementLineInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in self.model._meta.fields]


@admin.register(m.Price)
class PriceAdmin(ReadOnlyAdmin):
    list_display = ("hospital", "service", "version", "amount", "effective_from")
    list_filter = ("service",)


@admin.register(m.ShareRule)
class ShareRuleAdmin(ReadOnlyAdmin):
    list_display = ("hospital", "version", "effective_from", "platform_pct", "hospital_pct", "expert_pct")


@admin.register(m.Charge)
class ChargeAdmin(ReadOnlyAdmin):
    list_display = ("occurred_on", "service", "hospital", "expert", "amount", "expert_share", "platform_share")
    list_filter = ("service", "fact_kind")


@admin.register(m.ReimbursementRule)
class ReimbursementRuleAdmin(AuditedAdmin):
    """Reimbursement rules are data kept by administrators (audited); a new year is a new row. Coverage is patient
    data and is recorded on the person's coverage page, not here."""

    list_display = (
        "region",
        "scheme",
        "year",
        "deductible",
        "grassroots_pct",
        "secondary_pct",
        "tertiary_pct",
        "annual_cap",
        "illustrative",
    )
    list_filter = ("scheme", "year", "illustrative")
    raw_id_fields = ("region",)


@admin.register(m.ContractFeeRule)
class ContractFeeRuleAdmin(AuditedAdmin):
    """Who funds a family-doctor contract fee, by region, year and package: data kept by administrators (audited);
    a new year is a new row. The resident pays what the two funds do not."""

    list_display = ("region", "year", "package", "insurance_fund_pct", "public_health_pct", "illustrative")
    list_filter = ("year", "package", "illustrative")
    raw_id_fields = ("region",)
