"""The one refusal type of the domain services; the API turns it into JSON, the pages into a message."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the user can act on: HTTP-like status, machine code, Chinese message, field errors."""

    def __init__(self, status: int, code: str, message: str, fields: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or []


def not_found(what: str) -> DomainError:
    return DomainError(404, "not_found", f"{what}不存在或无权查看")


def forbidden(message: str = "无权进行此操作") -> DomainError:
    return DomainError(403, "forbidden", message)


def conflict(message: str) -> DomainError:
    return DomainError(409, "conflict", message)


def invalid(field: str, message: str) -> DomainError:
    return DomainError(422, "invalid_input", f"{field}：{message}", [(field, message)])
