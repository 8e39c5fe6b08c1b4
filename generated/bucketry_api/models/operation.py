from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.operation_kind import OperationKind, check_operation_kind
from ..models.operation_status import OperationStatus, check_operation_status
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.operation_params import OperationParams
    from ..models.operation_progress import OperationProgress
    from ..models.operation_result_type_0 import OperationResultType0
    from ..models.problem import Problem


T = TypeVar("T", bound="Operation")


@_attrs_define
class Operation:
    """A server-side storage operation. Once it has ended (SUCCEEDED, FAILED or CANCELLED) it is kept for the server's
    retention (`BUCKETRY_OPERATION_RETENTION_DAYS`, default 30 days after `finished_at`; 0 keeps it forever), then
    deleted: it answers 404, and its `Idempotency-Key` is forgotten with it, so a request repeating that key starts a
    new operation. A pending or running operation is never deleted.

        Attributes:
            id (str): Operation id (`op_…`).
            kind (OperationKind): What an operation does.
            status (OperationStatus): Lifecycle state; SUCCEEDED, FAILED and CANCELLED are final.
            progress (OperationProgress):
            created_at (datetime.datetime):
            params (OperationParams | Unset): The request that started it.
            error (None | Problem | Unset):
            result (None | OperationResultType0 | Unset): Kind-specific outcome, set when SUCCEEDED:
                COPY `{copied, skipped, bytes}` (`bytes`: of the copied blobs);
                DELETE_PREFIX `{dry_run, matched, deleted, bytes}` (`deleted` is 0 in a dry run;
                `bytes`: deleted, or matched in a dry run).
            cancel_requested (bool | Unset): A cancel was asked; the operation ends CANCELLED unless it finished first.
            started_at (datetime.datetime | None | Unset):
            finished_at (datetime.datetime | None | Unset):
    """

    id: str
    kind: OperationKind
    status: OperationStatus
    progress: OperationProgress
    created_at: datetime.datetime
    params: OperationParams | Unset = UNSET
    error: None | Problem | Unset = UNSET
    result: None | OperationResultType0 | Unset = UNSET
    cancel_requested: bool | Unset = UNSET
    started_at: datetime.datetime | None | Unset = UNSET
    finished_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.operation_result_type_0 import OperationResultType0
        from ..models.problem import Problem

        id = self.id

        kind: str = self.kind

        status: str = self.status

        progress = self.progress.to_dict()

        created_at = self.created_at.isoformat()

        params: dict[str, Any] | Unset = UNSET
        if not isinstance(self.params, Unset):
            params = self.params.to_dict()

        error: dict[str, Any] | None | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        elif isinstance(self.error, Problem):
            error = self.error.to_dict()
        else:
            error = self.error

        result: dict[str, Any] | None | Unset
        if isinstance(self.result, Unset):
            result = UNSET
        elif isinstance(self.result, OperationResultType0):
            result = self.result.to_dict()
        else:
            result = self.result

        cancel_requested = self.cancel_requested

        started_at: None | str | Unset
        if isinstance(self.started_at, Unset):
            started_at = UNSET
        elif isinstance(self.started_at, datetime.datetime):
            started_at = self.started_at.isoformat()
        else:
            started_at = self.started_at

        finished_at: None | str | Unset
        if isinstance(self.finished_at, Unset):
            finished_at = UNSET
        elif isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "kind": kind,
                "status": status,
                "progress": progress,
                "created_at": created_at,
            }
        )
        if params is not UNSET:
            field_dict["params"] = params
        if error is not UNSET:
            field_dict["error"] = error
        if result is not UNSET:
            field_dict["result"] = result
        if cancel_requested is not UNSET:
            field_dict["cancel_requested"] = cancel_requested
        if started_at is not UNSET:
            field_dict["started_at"] = started_at
        if finished_at is not UNSET:
            field_dict["finished_at"] = finished_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.operation_params import OperationParams
        from ..models.operation_progress import OperationProgress
        from ..models.operation_result_type_0 import OperationResultType0
        from ..models.problem import Problem

        d = dict(src_dict)
        id = d.pop("id")

        kind = check_operation_kind(d.pop("kind"))

        status = check_operation_status(d.pop("status"))

        progress = OperationProgress.from_dict(d.pop("progress"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        _params = d.pop("params", UNSET)
        params: OperationParams | Unset
        if isinstance(_params, Unset):
            params = UNSET
        else:
            params = OperationParams.from_dict(_params)

        def _parse_error(data: object) -> None | Problem | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                error_type_0 = Problem.from_dict(data)

                return error_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Problem | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        def _parse_result(data: object) -> None | OperationResultType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                result_type_0 = OperationResultType0.from_dict(data)

                return result_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | OperationResultType0 | Unset, data)

        result = _parse_result(d.pop("result", UNSET))

        cancel_requested = d.pop("cancel_requested", UNSET)

        def _parse_started_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                started_at_type_0 = datetime.datetime.fromisoformat(data)

                return started_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        started_at = _parse_started_at(d.pop("started_at", UNSET))

        def _parse_finished_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = datetime.datetime.fromisoformat(data)

                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        finished_at = _parse_finished_at(d.pop("finished_at", UNSET))

        operation = cls(
            id=id,
            kind=kind,
            status=status,
            progress=progress,
            created_at=created_at,
            params=params,
            error=error,
            result=result,
            cancel_requested=cancel_requested,
            started_at=started_at,
            finished_at=finished_at,
        )

        operation.additional_properties = d
        return operation

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
