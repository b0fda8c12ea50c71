"""Checks on a GraphQL request before any resolver runs, for every transport (HTTP and WebSocket).

- **One operation to run.** A document with several operations and no ``operationName`` is refused
  (GraphQL spec, *GetOperation*: "produce a request error requiring operationName"); strawberry on its
  own would run the first one. An ``operationName`` that names no operation is refused by strawberry.
- **Storable text.** Every string the client sends — literals in the document and every string (and
  key) in the variables — must be text PostgreSQL can store (:mod:`catalog.text_values`: no NUL, no
  unpaired surrogate). Checked here once, for every argument of every field, so a label, a name or
  an idempotency key never fails in the database as "Unexpected error.".
- **Error codes.** After the operation, request errors (parse, validation, variable coercion) get
  the code of :mod:`api.graphql.error_codes` so the HTTP layer can answer 400 and masking leaves
  them alone. Listed after ``MaskErrors`` so this runs before it on the way out.

The extension instance is made per operation (the schema takes a factory), and everything it knows
about a request comes from that operation's execution context — except the schema's memo of documents
that validated already (:mod:`api.graphql.validation_memo`): a remembered document skips validation;
the variables are checked on every request all the same.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    StringValueNode,
    ValidationRule,
)
from graphql import (
    ExecutionResult as GraphQLExecutionResult,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types.execution import ExecutionResult, PreExecutionError

from api.graphql import error_codes
from api.graphql.validation_memo import ValidDocuments
from catalog.text_values import text_problem


class RequestChecks(SchemaExtension):
    def __init__(self, valid_documents: ValidDocuments | None = None) -> None:
        super().__init__()
        self._valid_documents = valid_documents
        self._memo_key: tuple[bytes, str | None] | None = None

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        # Before parsing, strawberry's ``operation_name`` is exactly what the client sent: only once
        # the document exists does it fall back to the first operation's name.
        assert context.graphql_document is None, "RequestChecks must see the operation before parsing"
        context.validation_rules = (*context.validation_rules, _request_rule(context.operation_name))
        if self._valid_documents is not None and context.query is not None:
            self._memo_key = ValidDocuments.key(context.query, context.operation_name)
        yield
        result = context.result  # strawberry's ExecutionResult, or graphql-core's after execution
        if isinstance(result, ExecutionResult | GraphQLExecutionResult) and result.errors:
            for error in result.errors:
                _tag_request_error(
                    error, pre_execution=isinstance(result, PreExecutionError), data=result.data
                )

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        memo, key = self._valid_documents, self._memo_key
        remembered = memo is not None and key is not None and key in memo
        problems = [
            GraphQLError(
                f"Variable {where} {problem}; text cannot contain NUL or unpaired surrogates.",
                extensions={"code": error_codes.BAD_USER_INPUT},
            )
            for where, problem in _variable_text_problems(context.variables or {})
        ]
        if problems:  # validated here, so the variables' errors come with the document's own
            assert context.graphql_document is not None
            context.pre_execution_errors = [
                *problems,
                *validate_document(
                    context.schema._schema, context.graphql_document, context.validation_rules
                ),
            ]
        elif remembered:
            context.pre_execution_errors = []  # strawberry validates only when this is None
        yield
        if memo is not None and key is not None and not remembered and context.pre_execution_errors == []:
            memo.add(key)


def _tag_request_error(error: GraphQLError, *, pre_execution: bool, data: object) -> None:
    if (error.extensions or {}).get("code") or error.path is not None:
        return
    if isinstance(error, GraphQLSyntaxError):
        code = error_codes.GRAPHQL_PARSE_FAILED
    elif pre_execution and error.original_error is None:
        code = error_codes.GRAPHQL_VALIDATION_FAILED
    elif not pre_execution and data is None and _is_coercion_error(error):
        code = error_codes.BAD_USER_INPUT  # graphql-core: variable values that do not fit their types
    else:
        return
    error.extensions = {**(error.extensions or {}), "code": code}


def _is_coercion_error(error: GraphQLError) -> bool:
    original = error.original_error
    return original is None or isinstance(original, GraphQLError | ValueError | TypeError)


def _request_rule(provided_operation_name: str | None) -> type[ASTValidationRule]:
    class RequestRule(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: object) -> None:
            operations = [item for item in node.definitions if isinstance(item, OperationDefinitionNode)]
            if len(operations) > 1 and provided_operation_name is None:
                names = ", ".join(item.name.value if item.name else "(anonymous)" for item in operations)
                self.report_error(
                    GraphQLError(
                        f"The document has {len(operations)} operations ({names}); "
                        "send `operationName` to say which one to run.",
                        extensions={"code": error_codes.BAD_REQUEST},
                    )
                )

        def enter_string_value(self, node: StringValueNode, *_args: object) -> None:
            problem = text_problem(node.value)
            if problem is not None:
                self.report_error(
                    GraphQLError(
                        f"String value {problem}; text cannot contain NUL or unpaired surrogates.",
                        nodes=[node],
                        extensions={"code": error_codes.BAD_USER_INPUT},
                    )
                )

    return RequestRule


def _variable_text_problems(variables: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """``(where, problem)`` for each unstorable string in the variables, keys included (iterative:
    the HTTP layer bounds the nesting, but this must not depend on it)."""
    pending: list[tuple[str, object]] = []
    for name, value in variables.items():
        if (problem := text_problem(name)) is not None:
            yield f"name `{_printable(name)}`", problem
        pending.append((f"${name}", value))
    while pending:
        where, value = pending.pop()
        if isinstance(value, str):
            if (problem := text_problem(value)) is not None:
                yield f"`{_printable(where)}`", problem
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if isinstance(key, str) and (problem := text_problem(key)) is not None:
                    yield f"`{_printable(where)}` key", problem
                pending.append((f"{where}.{key}", item))
        elif isinstance(value, list):
            pending.extend((f"{where}[{index}]", item) for index, item in enumerate(value))


def _printable(where: str) -> str:
    return where.encode("utf-8", errors="backslashreplace").decode("ascii", errors="backslashreplace")
