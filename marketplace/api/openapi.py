"""The OpenAPI 3.1 document of /api/v1, built from the routes and the pydantic request schemas they
declare (`accepts`): pydantic's own JSON Schema, no framework."""

from __future__ import annotations

import inspect
import re
from typing import Any

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from marketplace.accounts.schemas import TokenRequest
from marketplace.api import declared

PREFIX = "/api/v1"
_ENDPOINT_BODIES: dict[str, type[BaseModel]] = {"api.accounts_api.token": TokenRequest}
"""Routes that check their body themselves rather than through `accepts`."""
_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "field"],
            "properties": {
                "code": {"type": "string", "examples": ["invalid", "not_found", "conflict"]},
                "message": {"type": "string"},
                "field": {"type": ["string", "null"]},
            },
        }
    },
}


PATH_PARAMETERS = {
    "listing_id": "the listing's id",
    "image_id": "the picture's id (`id` of one of the listing's `images`)",
    "locale": "the language of the text, a locale code such as de, ja or pt_BR (BCP 47 tags such as pt-BR too)",
    "slug": "the exporter's slug: the permanent name of its storefront, /s/<slug>",
    "reference": "the trade's reference, such as TW-000042",
    "trade_id": "the trade's id",
    "rfq_id": "the RFQ's id",
    "quote_id": "the quote revision's id",
    "token_id": "the API token's id",
    "document_id": "the document's id",
    "number": "the milestone's number, from 1",
}
"""What each path parameter of the API is, by its name (one name, one meaning, across the routes)."""


def _parameters(rule: str, query: type[BaseModel] | None) -> list[dict[str, Any]]:
    """The route's path parameters, then its query parameters, with their descriptions (the query's from the
    schema's fields)."""
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
            if converter == "int"
            else {"type": "string"},
        }
        | ({"description": PATH_PARAMETERS[name]} if name in PATH_PARAMETERS else {})
        for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule)
    ]
    if query is not None:
        schema = query.model_json_schema()
        for name, prop in schema.get("properties", {}).items():
            prop = dict(prop)
            param: dict[str, Any] = {"name": name, "in": "query", "required": False}
            if "description" in prop:
                param["description"] = prop.pop("description")
            params.append(param | {"schema": prop})
    return params


def _describe(doc: str | None, endpoint: str) -> dict[str, str]:
    """The operation's summary (the docstring's first line) and description (the whole docstring)."""
    if not doc:
        return {"summary": endpoint.rsplit(".", 1)[-1].replace("_", " ")}
    text = inspect.cleandoc(doc)
    return {"summary": text.splitlines()[0], "description": text}


def document(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of every /api/v1 route of `app`."""
    operations: list[tuple[str, str, str, type[BaseModel] | None, type[BaseModel] | None, str | None]] = []
    answers: dict[str, type[BaseModel]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX) or rule.endpoint == "api.openapi":
            continue
        view = app.view_functions[rule.endpoint]
        body = declared(view, "body") or _ENDPOINT_BODIES.get(rule.endpoint)
        answer = declared(view, "answer")
        if answer is not None:
            answers[rule.endpoint] = answer
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operations.append(
                (rule.rule, method, rule.endpoint, body, declared(view, "query"), declared(view, "upload"))
            )
    bodies = {op[3] for op in operations if op[3] is not None}
    refs, defs = models_json_schema(
        [(model, "validation") for model in sorted(bodies, key=lambda m: m.__name__)]
        + [(model, "serialization") for model in sorted(set(answers.values()), key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )
    paths: dict[str, dict[str, Any]] = {}
    for rule, method, endpoint, body, query, upload in operations:
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.removeprefix(PREFIX))
        view = app.view_functions[endpoint]
        operation: dict[str, Any] = {
            "operationId": endpoint.rsplit(".", 1)[-1],
            **_describe(view.__doc__, endpoint),
            "parameters": _parameters(rule, query),
            "responses": {
                "2XX": {"description": "done (202: accepted, the chain confirms later)"},
                "4XX": {
                    "description": "refused; nothing was changed",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
            },
        }
        if endpoint in answers:
            operation["responses"]["2XX"]["content"] = {
                "application/json": {"schema": refs[(answers[endpoint], "serialization")]}
            }
        if body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(body, "validation")]}},
            }
        if upload is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": [upload],
                            "properties": {upload: {"type": "string", "contentMediaType": "application/octet-stream"}},
                        }
                    }
                },
            }
        paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Tradewind API", "version": "1"},
        "servers": [{"url": PREFIX}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {**defs.get("$defs", {}), "Error": _ERROR},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
