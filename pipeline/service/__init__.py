"""The API the review UI and the CLI call: one module per capability.

Queries return frozen view objects (never ORM rows); commands take the caller
(:class:`UserView`) and check access in the shared core (:mod:`.core`), not only by
hiding buttons: an entrepreneur of dossier A gets nothing of dossier B, and what a
user may do in a dossier is the permission set of their role there.  Every public
method declares the permission it needs (:data:`REQUIRED`).  Every call is one short
transaction; lists are paginated in the query.

Capabilities: :mod:`.users`, :mod:`.dossiers`, :mod:`.documents`, :mod:`.bookings`,
:mod:`.reports`, :mod:`.invoicing`, :mod:`.portal`,
:mod:`.books`.  :class:`Service` is all of them on one runtime.
"""

from __future__ import annotations

from booking.amounts import plain_number
from pipeline.service.analytics import (
    AnalyticReport,
    AnalyticsService,
    DimensionView,
    LineDistribution,
)
from pipeline.service.archive import ArchiveService, RetentionView
from pipeline.service.bookings import BookingsService, check_entry_rules, normalise_lines
from pipeline.service.books import (
    BooksService,
    DashboardView,
    JournalPage,
    LedgerPage,
    OverviewRow,
    OwnChartView,
)
from pipeline.service.core import (
    REQUIRED,
    ROLE_PERMISSIONS,
    ROLES,
    SYSTEM,
    AccessDenied,
    Permission,
    Refused,
    ServiceError,
    UserView,
    requires,
)
from pipeline.service.documents import DocumentsService
from pipeline.service.dossiers import DossiersService
from pipeline.service.entries import BookyearView, EntriesService, PeriodLocks
from pipeline.service.intake import AlertView, IntakeService, IntakeView, PurgeView
from pipeline.service.invoicing import InvoicingService
from pipeline.service.mandate import MandateService, MandateSupplierView
from pipeline.service.payments import PaymentsService
from pipeline.service.portal import (
    STATE_LABELS,
    DocumentFilter,
    DocumentPage,
    FilingView,
    PortalService,
    UploadItem,
)
from pipeline.service.quota import (
    QuotaAlertView,
    QuotaBillingService,
    QuotaInvoiceView,
    QuotaOutlookView,
    StatementView,
)
from pipeline.service.reminders import RemindersService
from pipeline.service.reports import ReportsService
from pipeline.service.review import ReviewService
from pipeline.service.rights import MEMBER_ROLES, MemberRights, RightsChange, RightsService
from pipeline.service.sending import SendingService
from pipeline.service.sessions import Login, LoginThrottled, SessionsService
from pipeline.service.users import AccountRow, UsersService
from pipeline.service.views import (
    GB,
    PRICE_PER_EXTRA_GB_EUR,
    AccountView,
    DocumentDetail,
    DocumentRow,
    DossierView,
    EntryView,
    LineView,
    MailView,
    QuotaView,
    SupplierView,
    quota_of,
)

__all__ = [
    "GB",
    "MEMBER_ROLES",
    "PRICE_PER_EXTRA_GB_EUR",
    "REQUIRED",
    "ROLES",
    "ROLE_PERMISSIONS",
    "STATE_LABELS",
    "SYSTEM",
    "AccessDenied",
    "AccountRow",
    "AccountView",
    "AlertView",
    "AnalyticReport",
    "BookyearView",
    "DashboardView",
    "DimensionView",
    "DocumentDetail",
    "DocumentFilter",
    "DocumentPage",
    "DocumentRow",
    "DossierView",
    "EntryView",
    "FilingView",
    "IntakeView",
    "InvoicingService",
    "JournalPage",
    "LedgerPage",
    "LineDistribution",
    "LineView",
    "Login",
    "LoginThrottled",
    "MailView",
    "MandateSupplierView",
    "MemberRights",
    "OverviewRow",
    "OwnChartView",
    "PeriodLocks",
    "Permission",
    "PurgeView",
    "QuotaAlertView",
    "QuotaInvoiceView",
    "QuotaOutlookView",
    "QuotaView",
    "Refused",
    "RetentionView",
    "RightsChange",
    "Service",
    "ServiceError",
    "StatementView",
    "SupplierView",
    "UploadItem",
    "UserView",
    "check_entry_rules",
    "normalise_lines",
    "plain_number",
    "quota_of",
    "requires",
]


class Service(
    UsersService,
    SessionsService,
    RightsService,
    DossiersService,
    IntakeService,
    DocumentsService,
    BookingsService,
    ReviewService,
    ReportsService,
    InvoicingService,
    SendingService,
    PaymentsService,
    RemindersService,
    PortalService,
    BooksService,
    ArchiveService,
    EntriesService,
    AnalyticsService,
    MandateService,
    QuotaBillingService,
):
    """Every UI and CLI operation; one instance per process is enough.

    A new capability is a module with a ``ServiceBase`` subclass, added to the bases here.
    """
