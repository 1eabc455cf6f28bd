"""The fixed cast of the demo: business units, ERP modules, people and the words they use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from models import Priority, Role


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    time_zone: str
    country: str
    # (weekday 0=Mon..6=Sun, start, end) working windows, local time.
    hours: tuple[tuple[int, time, time], ...]
    weight: float
    persian_share: float


def _days(days: tuple[int, ...], start: time, end: time) -> tuple[tuple[int, time, time], ...]:
    return tuple((d, start, end) for d in days)


MON_FRI = (0, 1, 2, 3, 4)
SUN_THU = (6, 0, 1, 2, 3)
SAT_WED = (5, 6, 0, 1, 2)

UNITS: tuple[UnitSpec, ...] = (
    UnitSpec("DXB-HQ", "Group Finance HQ — Dubai", "Asia/Dubai", "AE", _days(MON_FRI, time(8), time(17)), 0.24, 0.0),
    UnitSpec(
        "THR-MFG",
        "Tehran Manufacturing — کارخانه تهران",
        "Asia/Tehran",
        "IR",
        (*_days(SAT_WED, time(8), time(16, 30)), (3, time(8), time(12))),
        0.20,
        0.45,
    ),
    UnitSpec(
        "RUH-SLS", "Riyadh Sales & Distribution", "Asia/Riyadh", "SA", _days(SUN_THU, time(8), time(17)), 0.18, 0.0
    ),
    UnitSpec("MCT-LOG", "Muscat Logistics", "Asia/Muscat", "OM", _days(SUN_THU, time(7, 30), time(15, 30)), 0.10, 0.0),
    UnitSpec(
        "IFN-PLT",
        "Isfahan Steel Plant — کارخانه اصفهان",
        "Asia/Tehran",
        "IR",
        (*_days(SAT_WED, time(7), time(15)), (3, time(7), time(12))),
        0.16,
        0.55,
    ),
    UnitSpec(
        "LON-GS", "Group Services — London", "Europe/London", "GB", _days(MON_FRI, time(9), time(17, 30)), 0.12, 0.0
    ),
)


@dataclass(frozen=True)
class ModuleSpec:
    code: str
    name: str
    weight: float
    titles: tuple[str, ...]
    titles_fa: tuple[str, ...]
    categories: tuple[str, ...]


MODULES: tuple[ModuleSpec, ...] = (
    ModuleSpec(
        "FIN",
        "Finance",
        0.26,
        (
            "Journal entry {n} will not post: period closed",
            "Bank statement import rejected for account {n}",
            "Intercompany reconciliation difference of {n} AED",
            "Fixed asset depreciation run stopped at asset {n}",
            "VAT return report totals do not match the ledger",
            "Payment run {n} created duplicate vendor payments",
            "Cannot reverse accrual document {n}",
        ),
        (
            "خطا در ثبت سند حسابداری شماره {n}",
            "مغایرت در تطبیق حساب بانکی {n}",
            "گزارش مالیات بر ارزش افزوده با دفتر کل همخوانی ندارد",
        ),
        ("General ledger", "Accounts payable", "Accounts receivable", "Bank", "Fixed assets", "Tax", "Period close"),
    ),
    ModuleSpec(
        "PRC",
        "Procurement",
        0.15,
        (
            "Purchase order {n} stuck in approval workflow",
            "Three-way match fails for invoice {n}",
            "Vendor {n} cannot be selected on requisitions",
            "Contract release order exceeds the agreed price",
        ),
        ("سفارش خرید {n} در گردش تایید متوقف شده است", "فاکتور خرید {n} با رسید انبار تطبیق نمی‌شود"),
        ("Requisitions", "Purchase orders", "Vendor master", "Invoice matching", "Contracts"),
    ),
    ModuleSpec(
        "INV",
        "Inventory / Supply chain",
        0.15,
        (
            "Stock on hand for item {n} differs from the physical count",
            "Goods receipt {n} posted to the wrong warehouse",
            "Transfer order {n} cannot be confirmed",
            "Batch {n} shows negative stock",
        ),
        ("مغایرت موجودی انبار برای کالای {n}", "رسید انبار {n} در انبار اشتباه ثبت شده است"),
        ("Warehouse", "Stock counts", "Transfers", "Batches and serials", "Planning"),
    ),
    ModuleSpec(
        "MFG",
        "Manufacturing",
        0.10,
        (
            "Production order {n} cannot be released: missing BOM component",
            "Routing for item {n} has no work centre",
            "MRP run created {n} duplicate planned orders",
            "Backflush posted the wrong quantity on order {n}",
        ),
        ("توقف خط تولید به دلیل کسری مواد در سفارش {n}", "دستور تولید {n} آزاد نمی‌شود"),
        ("Production orders", "Bills of material", "MRP", "Shop floor", "Quality"),
    ),
    ModuleSpec(
        "SLS",
        "Sales",
        0.15,
        (
            "Sales order {n} blocked by credit check",
            "Invoice {n} printed with the wrong price list",
            "Customer {n} cannot be found in order entry",
            "Delivery note {n} not created after picking",
        ),
        ("عدم امکان صدور فاکتور فروش {n}", "سفارش فروش {n} به دلیل کنترل اعتبار مسدود است"),
        ("Order entry", "Pricing", "Billing", "Customer master", "Credit management"),
    ),
    ModuleSpec(
        "HRP",
        "HR / Payroll",
        0.09,
        (
            "Payroll simulation fails for employee {n}",
            "Overtime for cost centre {n} not paid",
            "Leave balance wrong after the policy change",
            "Payslip {n} shows the old tax table",
        ),
        ("خطا در محاسبه حقوق و دستمزد پرسنل {n}", "مانده مرخصی پس از تغییر آیین‌نامه اشتباه است"),
        ("Payroll", "Time and attendance", "Employee master", "Leave", "Benefits"),
    ),
    ModuleSpec(
        "TEC",
        "Technical / Integration",
        0.10,
        (
            "Interface to the bank host down since {n}:00",
            "Nightly batch job {n} ended with errors",
            "Report {n} times out after 10 minutes",
            "User {n} locked out after password reset",
            "EDI messages from the 3PL are queued",
        ),
        ("اتصال رابط بانک قطع است", "گزارش {n} پس از ۱۰ دقیقه متوقف می‌شود"),
        ("Interfaces", "Batch jobs", "Performance", "Authorisations", "Printing"),
    ),
)

# Share of new tickets by priority: most are medium or low; a critical is rare.
PRIORITY_MIX: dict[Priority, float] = {
    Priority.CRITICAL: 0.02,
    Priority.HIGH: 0.12,
    Priority.MEDIUM: 0.48,
    Priority.LOW: 0.38,
}

FIRST_NAMES = (
    "Sara", "Omar", "Fatima", "James", "Aisha", "Khalid", "Emma", "Yousef", "Layla", "Daniel", "Noura",
    "Hassan", "Olivia", "Tariq", "Mariam", "Samuel", "Huda", "Rashid", "Chloe", "Faisal", "Reem", "Ahmed",
)  # fmt: skip
LAST_NAMES = (
    "Al Mansoori", "Haddad", "Smith", "Al Harthy", "Khan", "Nasser", "Taylor", "Al Qahtani", "Farouk",
    "Walker", "Saleh", "Al Balushi", "Hughes", "Rahman", "Mehta", "Aziz",
)  # fmt: skip
# Colleagues in the Iranian units write their names (and many tickets) in Persian.
PERSIAN_NAMES = (
    ("sara.ahmadi", "سارا احمدی"),
    ("reza.karimi", "رضا کریمی"),
    ("maryam.hosseini", "مریم حسینی"),
    ("ali.rezaei", "علی رضایی"),
    ("niloufar.moradi", "نیلوفر مرادی"),
    ("hamid.jafari", "حمید جعفری"),
    ("zahra.mohammadi", "زهرا محمدی"),
    ("amir.sadeghi", "امیر صادقی"),
    ("parisa.kazemi", "پریسا کاظمی"),
    ("mehdi.nouri", "مهدی نوری"),
)

# How many people hold each role (60 in all).
STAFFING: dict[Role, int] = {
    Role.ADMIN: 1,
    Role.SUPPORT_MANAGER: 3,
    Role.SERVICE_DESK_ANALYST: 8,
    Role.FUNCTIONAL_CONSULTANT: 21,
    Role.TECHNICAL: 6,
    Role.SUPER_USER: 15,
    Role.CHANGE_APPROVER: 6,
}

FIRST_RESPONSES = (
    "Thanks for reporting this. I am looking into it now.",
    "Received — I can reproduce it on my side and will update you within the hour.",
    "Could you send a screenshot of the error and the document number?",
)
FIRST_RESPONSES_FA = ("سلام، درخواست شما دریافت شد و در حال بررسی است.", "لطفا تصویر خطا و شماره سند را ارسال کنید.")
WORK_NOTES = (
    "Checked the posting log: the period was closed by the month-end job before the document was saved.",
    "Reproduced in the test client. The customising entry for the document type is missing.",
    "Traced to the nightly interface: the message was rejected with a mapping error.",
    "Authorisation trace shows the role lacks the activity 02 for this object.",
    "Data fix prepared; waiting for a second pair of eyes before running it in production.",
)
WORK_NOTES_FA = ("لاگ ثبت بررسی شد؛ دوره مالی قبل از ذخیره سند بسته شده بود.", "در محیط تست بازتولید شد.")
RESOLUTIONS = (
    "Fixed: the document is posted and the balances agree. Please confirm on your side.",
    "Resolved with a data correction; I added the steps to the knowledge base.",
    "Workaround applied and confirmed by the reporter; the root cause is tracked in the linked problem.",
)
RESOLUTIONS_FA = ("مشکل برطرف شد؛ لطفا تایید کنید.", "با اصلاح داده حل شد.")
PENDING_REASONS = {
    "pending_reporter": "Waiting for the reporter to send the document number and a screenshot.",
    "pending_vendor": "Escalated to the vendor: defect in the standard posting program.",
    "pending_change": "Needs a configuration change; waiting for the change to reach production.",
}
VENDORS = ("Northwind ERP Support", "Payroll Localisation Partner")
