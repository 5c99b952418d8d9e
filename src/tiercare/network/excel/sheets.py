"""The directory's sheet kinds, one declaration each: the doctor group's experts, site registrations (多点执业)
and malpractice insurance. A declaration is built when a sheet is asked for (``sheet_for``), so that its
messages are in the language of the request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from tiercare.core.errors import ValidationFailed
from tiercare.core.validation import check_birth_date, check_plan_date
from tiercare.network.excel.cells import (
    Amount,
    Cell,
    Choice,
    Date,
    LicenceNumber,
    Mobile,
    Sex,
    Text,
    YesNo,
    max_length,
)
from tiercare.network.excel.sheet import (
    Column,
    DoctorGroupByName,
    NotInDirectory,
    OrganizationByName,
    PractitionerByLicence,
    Sheet,
    Values,
    not_after_today,
    period,
)
from tiercare.network.models import (
    ImportKind,
    InsurancePolicy,
    Organization,
    Practitioner,
    RegistrationKind,
    SiteRegistration,
    Specialty,
    Title,
)

TITLE_ALIASES = {
    "主任医师": Title.CHIEF,
    "副主任医师": Title.ASSOCIATE_CHIEF,
    "主治医师": Title.ATTENDING,
    "住院医师": Title.RESIDENT,
    "护士": Title.NURSE,
    "健康管理师": Title.HEALTH_MANAGER,
    "行政人员": Title.STAFF,
}
# The short Chinese names of the registration kinds that forms and sheets use.
REGISTRATION_KIND_LABELS_ZH: dict[str, str] = {
    RegistrationKind.MAIN: "主要执业机构",
    RegistrationKind.FILING: "备案",
    RegistrationKind.ADDED: "增加注册",
}


def _licence_column(cell: Cell, **kwargs: Any) -> Column:
    """The licence number that names the practitioner of a row."""
    return Column(
        "license_number",
        "执业证书编码",
        "licence number",
        cell,
        required=True,
        aliases=("license number", "practising certificate number", "执业证书编号"),
        **kwargs,
    )


def _practitioner_columns() -> tuple[Column, Column]:
    """Licence number and name of a registration's or policy's practitioner, who is already in the directory."""
    return (
        _licence_column(
            Text(max_length(Practitioner, "license_number")), field="practitioner", source="practitioner.license_number"
        ),
        Column(
            "practitioner_name",
            "姓名",
            "name",
            Text(max_length(Practitioner, "name")),
            aliases=("practitioner", "医师姓名"),
            field=None,
            source="practitioner.name",
        ),
    )


def _validity_columns(*, valid_to_required: bool) -> tuple[Column, Column]:
    return (
        Column("valid_from", "起始日期", "valid from", Date(check_plan_date), required=True),
        Column("valid_to", "截止日期", "valid to", Date(check_plan_date), required=valid_to_required),
    )


def experts() -> Sheet:
    """The doctor group's experts, new to the directory (a licence number already there is refused)."""
    return Sheet(
        kind=ImportKind.EXPERTS,
        model=Practitioner,
        columns=(
            Column("name", "姓名", "name", Text(max_length(Practitioner, "name")), required=True),
            Column("sex", "性别", "sex", Sex()),
            Column(
                "title", "职称", "title", Choice(Title, _("unknown title '%(value)s'"), TITLE_ALIASES), required=True
            ),
            Column("specialty", "专科", "specialty", Choice(Specialty, _("unknown specialty '%(value)s'"))),
            _licence_column(LicenceNumber()),
            Column(
                "home_organization",
                "主要执业机构",
                "main institution",
                Text(max_length(Organization, "name")),
                aliases=("home organization", "home hospital"),
                source="home_organization.name",
            ),
            Column("can_operate", "可手术", "can operate", YesNo(), aliases=("qualified to operate",)),
            Column("independent_practice_since", "独立执业起始", "independent practice since", Date(check_birth_date)),
            Column("phone", "手机", "mobile", Mobile(), aliases=("phone", "手机号", "手机号码")),
            Column(
                "doctor_group",
                "医生集团",
                "doctor group",
                Text(max_length(Organization, "name")),
                source="doctor_group.name",
            ),
        ),
        identity=("license_number",),
        identity_field="license_number",
        rules=(not_after_today("independent_practice_since"),),
        lookups=(
            NotInDirectory(
                column="license_number",
                existing=_existing_licence_numbers,
                key=lambda values, found: (values.get("license_number") or "",),
                message=lambda values: (
                    _("licence number %(value)s is already in the directory")
                    % {"value": values.get("license_number") or ""}
                ),
            ),
            OrganizationByName("home_organization"),
            DoctorGroupByName("doctor_group"),
        ),
        export_query=lambda: (
            Practitioner.objects.filter(doctor_group__isnull=False)
            .select_related("home_organization", "doctor_group")
            .order_by("name_pinyin", "name")
        ),
    )


def _existing_licence_numbers(rows: list[Values]) -> set[tuple[Any, ...]]:
    numbers = {r["license_number"] for r in rows if r.get("license_number")}
    return {
        (n,) for n in Practitioner.objects.filter(license_number__in=numbers).values_list("license_number", flat=True)
    }


def registrations() -> Sheet:
    """Site registrations of practitioners found by licence number; one already in force is refused."""
    return Sheet(
        kind=ImportKind.REGISTRATIONS,
        model=SiteRegistration,
        columns=(
            *_practitioner_columns(),
            Column(
                "site",
                "执业地点",
                "practice site",
                Text(max_length(Organization, "name")),
                required=True,
                aliases=("site",),
                source="site.name",
            ),
            Column(
                "kind",
                "类型",
                "kind",
                Choice(
                    RegistrationKind,
                    _("unknown registration kind '%(value)s'; write 主要执业机构, 备案 or 增加注册"),
                    aliases={v: k for k, v in REGISTRATION_KIND_LABELS_ZH.items()},
                    export_labels=REGISTRATION_KIND_LABELS_ZH,
                ),
                required=True,
            ),
            *_validity_columns(valid_to_required=False),
            Column(
                "scope",
                "执业范围",
                "scope of practice",
                Text(max_length(SiteRegistration, "scope")),
                aliases=("scope",),
            ),
            Column(
                "reference",
                "备案号",
                "filing reference",
                Text(max_length(SiteRegistration, "reference")),
                aliases=("reference",),
            ),
        ),
        identity=("license_number", "site", "kind", "valid_from"),
        identity_field="site",
        rules=(period("valid_from", "valid_to"),),
        lookups=(
            PractitionerByLicence(),
            OrganizationByName("site"),
            NotInDirectory(
                column="site",
                existing=_existing_registrations,
                key=lambda values, found: (
                    getattr(found["practitioner"], "pk", None),
                    getattr(found["site"], "pk", None),
                    values.get("kind"),
                    values.get("valid_from"),
                ),
                message=lambda values: _(
                    "this registration (same site, kind and start date) is already in the directory"
                ),
            ),
        ),
        export_query=lambda: (
            SiteRegistration.objects.filter(revoked=False)
            .exclude(practitioner__license_number="")
            .select_related("practitioner", "site")
            .order_by("practitioner__name_pinyin", "valid_from")
        ),
    )


def _existing_registrations(rows: list[Values]) -> set[tuple[Any, ...]]:
    numbers = {r["license_number"] for r in rows if r.get("license_number")}
    existing = SiteRegistration.objects.filter(practitioner__license_number__in=numbers, revoked=False).values_list(
        "practitioner_id", "site_id", "kind", "valid_from"
    )
    return {(p, s, k, v.isoformat()) for p, s, k, v in existing}


def insurance() -> Sheet:
    """Malpractice insurance policies of practitioners found by licence number; a policy number already there
    (same insurer) is refused."""
    return Sheet(
        kind=ImportKind.INSURANCE,
        model=InsurancePolicy,
        columns=(
            *_practitioner_columns(),
            Column("insurer", "保险公司", "insurer", Text(max_length(InsurancePolicy, "insurer")), required=True),
            Column("number", "保单号", "policy number", Text(max_length(InsurancePolicy, "number")), required=True),
            *_validity_columns(valid_to_required=True),
            Column(
                "cover_amount",
                "保额",
                "cover amount (yuan)",
                Amount(),
                required=True,
                aliases=("保额(元)", "保额元", "cover amount"),
            ),
        ),
        identity=("insurer", "number"),
        identity_field="number",
        rules=(period("valid_from", "valid_to"),),
        lookups=(
            PractitionerByLicence(),
            NotInDirectory(
                column="number",
                existing=_existing_policies,
                key=lambda values, found: (values.get("insurer"), values.get("number")),
                message=lambda values: (
                    _("policy %(insurer)s %(number)s is already in the directory")
                    % {"insurer": values["insurer"], "number": values["number"]}
                ),
            ),
        ),
        export_query=lambda: (
            InsurancePolicy.objects.exclude(practitioner__license_number="")
            .select_related("practitioner")
            .order_by("practitioner__name_pinyin", "valid_from")
        ),
    )


def _existing_policies(rows: list[Values]) -> set[tuple[Any, ...]]:
    numbers = {r["number"] for r in rows if r.get("number")}
    return set(InsurancePolicy.objects.filter(number__in=numbers).values_list("insurer", "number"))


_SHEETS: dict[str, Callable[[], Sheet]] = {
    ImportKind.EXPERTS: experts,
    ImportKind.REGISTRATIONS: registrations,
    ImportKind.INSURANCE: insurance,
}


def sheet_for(kind: str) -> Sheet:
    """The sheet of ``kind``; ValidationFailed for an unknown kind."""
    factory = _SHEETS.get(kind)
    if factory is None:
        raise ValidationFailed(
            _("Unknown sheet '%(kind)s'; choose one of %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(ImportKind.values)}
        )
    return factory()
