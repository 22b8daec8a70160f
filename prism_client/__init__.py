"""A thin, typed client for Micro's Prism API (no Django in here).

    from prism_client import PrismClient, Query

    with PrismClient() as prism:  # MICRO_BASE_URL / MICRO_API_KEY / MICRO_TEAM_ID
        page = prism.contacts.query(Query(select=("first_name",)).where("status", "=", "lead"))
"""

from .client import PrismClient, Reply
from .errors import (
    APIConnectionError,
    APIError,
    BadRequest,
    ConfigurationError,
    Conflict,
    Forbidden,
    ImportNotFinished,
    InvalidQuery,
    MethodNotAllowed,
    NotFound,
    OperationNotSupported,
    PreconditionFailed,
    PrismError,
    RateLimited,
    RedirectRefused,
    ServerError,
    Timeout,
    TooManyItems,
    Unauthorized,
    ValidationError,
)
from .object_types import OBJECT_TYPES, OBJECT_TYPES_BY_SEGMENT, ObjectType, object_type
from .query import MAX_LIMIT, Filter, Operator, Query, Sort
from .records import (
    Access,
    BatchItemResult,
    BatchResult,
    BatchSummary,
    ErrorInfo,
    Grant,
    ImportJob,
    ImportRowResult,
    Page,
    PropertyDefinition,
    PropertyOption,
    Record,
    RecordPatch,
    Row,
    UpsertResult,
)
from .resources import ImportService, PropertyService, RecordService
from .retry import RetryPolicy

__all__ = [
    "MAX_LIMIT",
    "OBJECT_TYPES",
    "OBJECT_TYPES_BY_SEGMENT",
    "APIConnectionError",
    "APIError",
    "Access",
    "BadRequest",
    "BatchItemResult",
    "BatchResult",
    "BatchSummary",
    "ConfigurationError",
    "Conflict",
    "ErrorInfo",
    "Filter",
    "Forbidden",
    "Grant",
    "ImportJob",
    "ImportNotFinished",
    "ImportRowResult",
    "ImportService",
    "InvalidQuery",
    "MethodNotAllowed",
    "NotFound",
    "ObjectType",
    "OperationNotSupported",
    "Operator",
    "Page",
    "PreconditionFailed",
    "PrismClient",
    "PrismError",
    "PropertyDefinition",
    "PropertyOption",
    "PropertyService",
    "Query",
    "RateLimited",
    "Record",
    "RecordPatch",
    "RecordService",
    "Reply",
    "RetryPolicy",
    "Row",
    "ServerError",
    "Sort",
    "Timeout",
    "TooManyItems",
    "Unauthorized",
    "UpsertResult",
    "ValidationError",
    "object_type",
]
