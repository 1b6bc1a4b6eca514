"""Validate LINE Messaging API traffic against LINE's own OpenAPI documents.

The spec lives *beside* the project, in ``../shared/contracts/line-openapi``
(``messaging-api.yml`` and ``webhook.yml``, unmodified copies of
github.com/line/line-openapi).  It is never copied into the repository; when it
is absent :func:`load_line_spec` returns ``None`` and :func:`require_line_spec`
skips the calling test.

What this adds on top of plain JSON-schema validation:

* **Discriminator dispatch.**  ``Message``, ``Action``, ``FlexComponent``,
  ``FlexContainer``, webhook ``Event``/``Source``... declare
  ``discriminator: {propertyName: type, mapping: ...}``.  JSON-schema
  validators ignore that keyword, so a flex message would only be checked
  against the common ``Message`` properties.  Here an object validated against
  a schema with a discriminator is also validated against the subschema its
  ``type`` maps to.  Subschemas ``allOf`` their parent (``TextMessage`` ->
  ``Message``), so re-entering the same discriminator for the same object is
  skipped to avoid infinite recursion.  Unknown ``type`` values are errors in
  messaging-api.yml (what we send) and tolerated in webhook.yml (LINE adds
  event types without notice; line-bot-sdk must ignore them too).
* **Documented limits the spec omits** (:data:`DOCUMENTED_LIMITS`,
  :data:`DOCUMENTED_REQUIRED`, :data:`DOCUMENTED_CONTENT_TYPES`), merged into
  the in-memory schemas only where the spec has no constraint of its own.
* **Request checks**: path templates, methods, the ``Bearer`` security scheme,
  header/path/query parameters and request bodies
  (:meth:`LineSpec.validate_request`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml
from jsonschema import FormatChecker, ValidationError
from jsonschema.validators import extend
from openapi_schema_validator import OAS30Validator
from openapi_schema_validator._format import oas30_format_checker
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT4

REPO_ROOT = Path(__file__).resolve().parents[2]
#: ``<repo>/../shared/contracts``; module attribute so tests can monkeypatch it.
CONTRACTS_DIR = REPO_ROOT / ".." / "shared" / "contracts"
SKIP_REASON = (
    "../shared/contracts is absent: LINE contract tests need LINE's OpenAPI spec "
    "beside the project"
)

MESSAGING = "messaging-api.yml"
WEBHOOK = "webhook.yml"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

#: Limits in LINE's reference docs that messaging-api.yml does not express.
#: (schema, property, keyword, value); applied only if the spec has no value.
DOCUMENTED_LIMITS: tuple[tuple[str, str, str, int], ...] = (
    ("TextMessage", "text", "maxLength", 5000),
    ("TextMessageV2", "text", "maxLength", 5000),
    ("FlexMessage", "altText", "maxLength", 1500),
    ("ImagemapMessage", "altText", "maxLength", 1500),
    ("TemplateMessage", "altText", "maxLength", 400),
    ("ReplyMessageRequest", "messages", "maxItems", 5),
    ("PushMessageRequest", "messages", "maxItems", 5),
    ("MulticastRequest", "messages", "maxItems", 5),
    ("QuickReply", "items", "maxItems", 13),
    ("PostbackAction", "data", "maxLength", 300),
    ("PostbackAction", "displayText", "maxLength", 300),
    ("MessageAction", "text", "maxLength", 300),
    ("URIAction", "uri", "maxLength", 1000),
    ("RichMenuRequest", "areas", "maxItems", 20),
)

#: Properties LINE documents as required but the spec leaves optional.
DOCUMENTED_REQUIRED: dict[str, tuple[str, ...]] = {
    "RichMenuRequest": ("size", "selected", "name", "chatBarText", "areas"),
    "RichMenuArea": ("bounds", "action"),
    "PostbackAction": ("data",),
    "MessageAction": ("text",),
    "URIAction": ("uri",),
    "DatetimePickerAction": ("data", "mode"),
}

#: operationId -> accepted Content-Types where the spec just says ``*/*``.
DOCUMENTED_CONTENT_TYPES: dict[str, tuple[str, ...]] = {
    "setRichMenuImage": ("image/jpeg", "image/png"),
}

_DOC_MARK = "x-documented-by-line"

# (id(instance), id(discriminator)) pairs currently being dispatched.
_DISPATCHING: ContextVar[frozenset[tuple[int, int]]] = ContextVar(
    "_DISPATCHING", default=frozenset()
)


@dataclass(frozen=True)
class Violation:
    """One contract violation; ``property`` is LINE-style (``messages[0].text``)."""

    where: str
    message: str
    property: str | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


# --------------------------------------------------------------------------- #
# schema machinery
# --------------------------------------------------------------------------- #


def _discriminator(
    validator: Any,
    discriminator: Mapping[str, Any],
    instance: Any,
    schema: Mapping[str, Any],
    *,
    strict: bool,
) -> Iterator[ValidationError]:
    """``discriminator`` keyword: also validate against the mapped subschema."""
    if not isinstance(instance, dict):
        return
    key = (id(instance), id(discriminator))
    active = _DISPATCHING.get()
    if key in active:  # re-entered via the subschema's allOf -> parent
        return
    prop = discriminator.get("propertyName", "type")
    value = instance.get(prop)
    if value is None:
        if prop not in schema.get("required", ()):
            yield ValidationError(
                f"{prop!r} is a required property (it selects the object's kind)",
                validator="discriminator",
                validator_value=discriminator,
                instance=instance,
                schema=schema,
            )
        return
    if not isinstance(value, str):  # the property's own `type: string` reports it
        return
    mapping: Mapping[str, str] = discriminator.get("mapping") or {}
    ref = mapping.get(value) if mapping else f"#/components/schemas/{value}"
    if ref is None:
        if strict:
            yield ValidationError(
                f"{value!r} is not a known {prop}; expected one of {sorted(mapping)}",
                validator="discriminator",
                validator_value=discriminator,
                instance=value,
                schema=schema,
                path=(prop,),
            )
        return
    token = _DISPATCHING.set(active | {key})
    try:
        errors = list(validator.descend(instance, {"$ref": ref}))
    except Unresolvable:
        errors = (
            [ValidationError(f"{value!r} is not a known {prop}", path=(prop,))]
            if strict
            else []
        )
    finally:
        _DISPATCHING.reset(token)
    yield from errors


def _format_checker() -> FormatChecker:
    """OAS 3.0 formats plus a lenient ``uri`` check (rfc3987 isn't installed)."""
    checker = FormatChecker(formats=())
    checker.checkers = dict(oas30_format_checker.checkers)

    @checker.checks("uri")
    def _is_uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme) and (bool(parts.netloc) or bool(parts.path))

    return checker


def _find_property(schema: dict[str, Any], prop: str) -> dict[str, Any] | None:
    """The inline definition of ``prop`` in ``schema`` or its inline allOf parts."""
    props = schema.get("properties") or {}
    if isinstance(props.get(prop), dict):
        return props[prop]
    for part in schema.get("allOf") or ():
        if isinstance(part, dict) and "$ref" not in part:
            found = _find_property(part, prop)
            if found is not None:
                return found
    return None


def _location(prefix: str, path: Iterable[Any]) -> tuple[str, str | None]:
    """(``prefix.messages[0].text``, ``messages[0].text``) for an error path."""
    prop = ""
    for part in path:
        prop += f"[{part}]" if isinstance(part, int) else (f".{part}" if prop else str(part))
    if not prop:
        return prefix, None
    return (f"{prefix}{prop}" if prop.startswith("[") else f"{prefix}.{prop}"), prop


def _describe(error: ValidationError) -> str:
    """A short message (never dumps a 5,000-character string back)."""
    kind, value, inst = error.validator, error.validator_value, error.instance
    if kind in ("maxLength", "minLength") and isinstance(inst, str):
        bound = "maximum" if kind == "maxLength" else "minimum"
        msg = f"is {len(inst)} characters long; the {bound} is {value}"
    elif kind in ("maxItems", "minItems") and isinstance(inst, list):
        bound = "maximum" if kind == "maxItems" else "minimum"
        msg = f"has {len(inst)} items; the {bound} is {value}"
    else:
        msg = error.message
        if len(msg) > 240:
            msg = msg[:237] + "..."
    if isinstance(error.schema, dict) and kind in (error.schema.get(_DOC_MARK) or ()):
        msg += " (rule from LINE's docs; not in the OpenAPI spec)"
    return msg


class _Document:
    """One OpenAPI file: its patched contents and a validator factory."""

    def __init__(self, path: Path, registry: Registry, strict_types: bool) -> None:
        self.name = path.name
        self.uri = path.resolve().as_uri()
        self.contents: dict[str, Any] = registry.contents(self.uri)
        self.registry = registry
        self.validator_class = extend(
            OAS30Validator,
            {"discriminator": partial(_discriminator, strict=strict_types)},
        )
        self.format_checker = _format_checker()

    @property
    def schemas(self) -> dict[str, Any]:
        return self.contents.get("components", {}).get("schemas", {})

    def errors(self, schema: Mapping[str, Any], instance: Any, prefix: str) -> list[Violation]:
        """Validate ``instance`` against ``schema`` (may be a local ``$ref``)."""
        if "$ref" in schema and str(schema["$ref"]).startswith("#"):
            schema = {"$ref": self.uri + schema["$ref"]}
        validator = self.validator_class(
            schema, registry=self.registry, format_checker=self.format_checker
        )
        out: list[Violation] = []
        seen: set[str] = set()
        for error in validator.iter_errors(instance):
            where, prop = _location(prefix, error.absolute_path)
            violation = Violation(where, _describe(error), prop)
            if str(violation) not in seen:
                seen.add(str(violation))
                out.append(violation)
        return out


def _build_registry(openapi_dir: Path) -> tuple[Registry, dict[str, list[str]]]:
    """All YAML files of the directory, so cross-file ``$ref``s resolve too.

    Returns the registry and, per file, notes on the documented rules applied.
    """

    def retrieve(uri: str) -> Resource[Any]:
        target = Path(urlsplit(uri).path)
        if target.parent != openapi_dir.resolve() or not target.is_file():
            raise Unresolvable(uri)
        return DRAFT4.create_resource(yaml.safe_load(target.read_text("utf-8")))

    resources = []
    notes: dict[str, list[str]] = {}
    for path in sorted(openapi_dir.glob("*.y*ml")):
        contents = yaml.safe_load(path.read_text("utf-8"))
        notes[path.name] = _apply_documented_rules(contents)
        resources.append((path.resolve().as_uri(), DRAFT4.create_resource(contents)))
    registry = Registry(retrieve=retrieve).with_resources(resources)  # type: ignore[call-arg]
    return registry, notes


def _apply_documented_rules(contents: dict[str, Any]) -> list[str]:
    """Merge :data:`DOCUMENTED_LIMITS`/:data:`DOCUMENTED_REQUIRED` into a spec."""
    schemas = contents.get("components", {}).get("schemas", {})
    notes: list[str] = []
    for name, prop, keyword, value in DOCUMENTED_LIMITS:
        schema = schemas.get(name)
        target = _find_property(schema, prop) if isinstance(schema, dict) else None
        if target is None:
            continue
        if keyword in target:
            notes.append(f"{name}.{prop} {keyword}={target[keyword]} (already in spec)")
            continue
        target[keyword] = value
        target.setdefault(_DOC_MARK, []).append(keyword)
        notes.append(f"{name}.{prop} {keyword}={value} (added from LINE docs)")
    for name, props in DOCUMENTED_REQUIRED.items():
        schema = schemas.get(name)
        if isinstance(schema, dict):
            missing = [p for p in props if p not in schema.get("required", [])]
            if missing:
                schema["required"] = list(schema.get("required", [])) + missing
                schema.setdefault(_DOC_MARK, []).append("required")
                notes.append(f"{name} required+={missing} (added from LINE docs)")
    return notes


# --------------------------------------------------------------------------- #
# public API
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class Operation:
    """A matched spec operation."""

    method: str
    template: str
    operation_id: str
    path_params: dict[str, str]
    spec: dict[str, Any]
    path_item: dict[str, Any]


class LineSpec:
    """LINE's Messaging API + webhook OpenAPI documents, ready to validate."""

    def __init__(self, openapi_dir: Path) -> None:
        self.openapi_dir = openapi_dir
        registry, notes = _build_registry(openapi_dir)
        self.messaging = _Document(openapi_dir / MESSAGING, registry, strict_types=True)
        self.webhook = _Document(openapi_dir / WEBHOOK, registry, strict_types=False)
        #: which documented limits were added vs. already present in the spec
        self.documented_rules: list[str] = notes.get(MESSAGING, [])
        self._routes: list[tuple[re.Pattern[str], str, dict[str, Any]]] = []
        for template, item in self.messaging.contents.get("paths", {}).items():
            pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
            self._routes.append((re.compile(f"^{pattern}$"), template, item))
        # literal paths (/v2/bot/richmenu/list) win over templates ({richMenuId})
        self._routes.sort(key=lambda r: (r[1].count("{"), r[1]))

    # -- lookups ------------------------------------------------------------ #

    def match(self, method: str, path: str) -> Operation | None:
        """The operation for ``METHOD /concrete/path`` (query string ignored)."""
        raw_path = urlsplit(path).path
        for regex, template, item in self._routes:
            m = regex.match(raw_path)
            if m and method.lower() in item:
                op = item[method.lower()]
                return Operation(
                    method.upper(), template, op.get("operationId", ""), m.groupdict(), op, item
                )
        return None

    def _document(self, name: str, document: str | None) -> _Document:
        docs = [self.messaging, self.webhook]
        if document is not None:
            docs = [d for d in docs if d.name.startswith(document)]
        for doc in docs:
            if name in doc.schemas:
                return doc
        raise KeyError(f"no schema named {name!r} in {[d.name for d in docs]}")

    def schema(self, name: str, document: str | None = None) -> dict[str, Any]:
        """The (documented-limits-patched) component schema ``name``."""
        return self._document(name, document).schemas[name]

    # -- validation ---------------------------------------------------------- #

    def schema_errors(
        self, schema_name: str, instance: Any, document: str | None = None
    ) -> list[str]:
        """Violations of ``components/schemas/<schema_name>`` (messaging first).

        ``document`` ("messaging-api" or "webhook") picks the file when a name
        exists in both (only ``Emoji`` does).
        """
        doc = self._document(schema_name, document)
        ref = {"$ref": f"#/components/schemas/{schema_name}"}
        return [str(v) for v in doc.errors(ref, instance, "$")]

    def webhook_errors(self, body: Any) -> list[str]:
        """Violations of webhook.yml's ``CallbackRequest`` for a webhook body."""
        return self.schema_errors("CallbackRequest", body, document="webhook")

    def validate_request(
        self, method: str, path: str, body: Any, headers: Mapping[str, str]
    ) -> list[str]:
        """Human-readable violations of a request to the Messaging API.

        ``body`` is the parsed JSON, raw ``bytes`` for blob uploads, or None.
        """
        return [str(v) for v in self.request_violations(method, path, body, headers)]

    def request_violations(
        self, method: str, path: str, body: Any, headers: Mapping[str, str]
    ) -> list[Violation]:
        """Like :meth:`validate_request` but structured (used by the fake)."""
        method = method.upper()
        parts = urlsplit(path)
        op = self.match(method, parts.path)
        if op is None:
            items = [item for regex, _, item in self._routes if regex.match(parts.path)]
            if items:
                allowed = sorted(m.upper() for m in items[0] if m in HTTP_METHODS)
                return [Violation(f"{method} {parts.path}", f"method not allowed; the spec has {allowed}")]
            return [Violation(f"{method} {parts.path}", "unknown path (not in messaging-api.yml)")]
        where = f"{method} {op.template}"
        hdrs = {k.lower(): v for k, v in headers.items()}
        out = self._security_violations(op, hdrs, where)
        out += self._parameter_violations(op, hdrs, dict(parse_qsl(parts.query)), where)
        out += self._body_violations(op, hdrs, body, where)
        return out

    def response_errors(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """Violations of a JSON response against the operation's response schema."""
        op = self.match(method, path)
        if op is None:
            return [f"{method.upper()} {path}: unknown operation"]
        response = op.spec.get("responses", {}).get(str(status))
        if response is None:
            return [f"{method.upper()} {op.template}: status {status} is not documented"]
        media = (response.get("content") or {}).get("application/json")
        if media is None or "schema" not in media:
            return []
        return [str(v) for v in self.messaging.errors(media["schema"], body, "response")]

    # -- request parts ------------------------------------------------------- #

    def _security_violations(
        self, op: Operation, hdrs: dict[str, str], where: str
    ) -> list[Violation]:
        requirements = op.spec.get("security", self.messaging.contents.get("security", []))
        if not requirements or any(not req for req in requirements):
            return []  # no security, or an empty (anonymous) alternative
        auth = hdrs.get("authorization")
        if auth is None:
            return [Violation(where, "missing Authorization header (Bearer channel access token)")]
        if not re.fullmatch(r"Bearer [^\s]+", auth):
            return [Violation(where, "Authorization header must be 'Bearer <channel access token>'")]
        return []

    def _parameter_violations(
        self, op: Operation, hdrs: dict[str, str], query: dict[str, str], where: str
    ) -> list[Violation]:
        params: dict[tuple[str, str], dict[str, Any]] = {}
        for p in list(op.path_item.get("parameters", [])) + list(op.spec.get("parameters", [])):
            params[(p["name"], p["in"])] = p  # operation-level overrides path-level
        out: list[Violation] = []
        for (name, location), param in params.items():
            if location == "path":
                value = op.path_params.get(name)
            elif location == "header":
                value = hdrs.get(name.lower())
            elif location == "query":
                value = query.get(name)
            else:
                continue
            if value is None:
                if param.get("required"):
                    out.append(Violation(where, f"missing required {location} parameter {name!r}"))
                continue
            schema = param.get("schema") or {}
            for v in self.messaging.errors(schema, _coerce(value, schema), f"{location}:{name}"):
                out.append(Violation(where, f"{v.where}: {v.message}"))
        return out

    def _body_violations(
        self, op: Operation, hdrs: dict[str, str], body: Any, where: str
    ) -> list[Violation]:
        request_body = op.spec.get("requestBody")
        if request_body is None:
            return []
        if body is None or body == b"":
            if request_body.get("required"):
                return [Violation(where, "request body is required")]
            return []
        content: dict[str, Any] = request_body.get("content", {})
        ctype = hdrs.get("content-type", "").split(";")[0].strip().lower()
        documented = DOCUMENTED_CONTENT_TYPES.get(op.operation_id)
        if documented and ctype not in documented:
            return [Violation(where, f"Content-Type {ctype or None!r} not accepted; LINE documents {list(documented)}")]
        if ctype and ctype in content:
            media_type = ctype
        elif not ctype and "application/json" in content:
            media_type = "application/json"
        elif "*/*" in content:
            media_type = "*/*"
        else:
            return [Violation(where, f"Content-Type {ctype or None!r} not accepted; the spec has {sorted(content)}")]
        schema = content[media_type].get("schema") or {}
        if media_type == "application/json":
            if isinstance(body, (bytes, bytearray, str)):
                return [Violation(where, "request body is not JSON")]
            return [
                Violation(f"{where}: {v.where}", v.message, v.property)
                for v in self.messaging.errors(schema, body, "body")
            ]
        if schema.get("format") == "binary" and not isinstance(body, (bytes, bytearray)):
            return [Violation(where, "expected a binary request body")]
        return []


def _coerce(value: str, schema: Mapping[str, Any]) -> Any:
    """Parameters arrive as strings; convert for integer/number/boolean schemas."""
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


_CACHE: dict[Path, LineSpec] = {}


def load_line_spec(contracts_dir: Path | None = None) -> LineSpec | None:
    """LINE's spec from ``<repo>/../shared/contracts/line-openapi``, or None if absent.

    Parsed once per process (the YAML is ~7,000 lines).
    """
    base = CONTRACTS_DIR if contracts_dir is None else contracts_dir
    openapi_dir = base / "line-openapi"
    if not (openapi_dir / MESSAGING).is_file() or not (openapi_dir / WEBHOOK).is_file():
        return None
    key = openapi_dir.resolve()
    if key not in _CACHE:
        _CACHE[key] = LineSpec(openapi_dir)
    return _CACHE[key]


def require_line_spec() -> LineSpec:
    """:func:`load_line_spec`, or skip the calling test when ../shared is absent."""
    spec = load_line_spec()
    if spec is None:
        import pytest

        pytest.skip(SKIP_REASON)
    return spec


def webhook_samples_dir() -> Path | None:
    """``../shared/contracts/line-webhook-samples`` if present."""
    path = CONTRACTS_DIR / "line-webhook-samples"
    return path if path.is_dir() else None
