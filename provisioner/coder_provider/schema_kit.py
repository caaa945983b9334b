"""Small building blocks on top of the `tf` framework for the coder provider's schemas.

Owns: list-nested and size-limited set-nested blocks, an object type, terse attribute
constructors, and the base classes every coder resource / data source derives from
(uniform create/read/update/delete, schema-normalising state upgrades, full-object
results so Terraform never sees a half-filled value).
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Optional

from tf.blocks import SetNestedBlock
from tf.gen import tfplugin_pb2 as pb
from tf.iface import DataSource, Resource
from tf.schema import Attribute, Block, NestedBlock, NestMode, Schema
from tf.types import Bool, List, Map, Number, String, TfType, Unknown

__all__ = [
    "Unknown", "Block", "Schema", "ListBlock", "SetBlock", "Object",
    "string", "number", "boolean", "string_map", "string_list", "computed",
    "CoderResource", "CoderDataSource", "known", "complete_state",
]


class ListBlock(SetNestedBlock):
    """Repeated block whose order matters (Terraform "list" nesting), e.g. parameter options."""

    def __init__(self, type_name: str, block: Block, min_items: Optional[int] = None,
                 max_items: Optional[int] = None):
        # SetNestedBlock's constructor takes no size limits, so go to the base directly.
        NestedBlock.__init__(self, type_name, NestMode.Set, block, min_items, max_items)

    def to_pb(self) -> pb.Schema.NestedBlock:
        return pb.Schema.NestedBlock(
            type_name=self.type_name, block=self.block.to_pb(), min_items=self.min_items,
            max_items=self.max_items, nesting=pb.Schema.NestedBlock.NestingMode.LIST)

    def semantically_equal(self, a_decoded, b_decoded) -> bool:
        return a_decoded == b_decoded


class SetBlock(SetNestedBlock):
    """Set-nested block with an optional `max_items` (Coder uses `MaxItems: 1` sets)."""

    def __init__(self, type_name: str, block: Block, max_items: Optional[int] = None):
        NestedBlock.__init__(self, type_name, NestMode.Set, block, None, max_items)


class Object(TfType):
    """An object type (used for computed lists of objects such as owner RBAC roles)."""

    def __init__(self, attribute_types: dict[str, TfType]):
        self.attribute_types = attribute_types

    def encode(self, value: Any) -> Any:
        return value

    def decode(self, value: Any) -> Any:
        return value

    def tf_type(self) -> bytes:
        inner = {k: json.loads(t.tf_type()) for k, t in self.attribute_types.items()}
        return json.dumps(["object", inner], separators=(",", ":")).encode()


def _attr(name: str, typ: TfType, description: str, *, required=False, default=Unknown,
          sensitive=False, replace=True, computed=False) -> Attribute:
    # An optional attribute with a default must be optional+computed under protocol v6:
    # the provider may only fill a null config value if the attribute is computed.
    has_default = default is not Unknown
    return Attribute(name, typ, description=description, required=required,
                     optional=not required, computed=computed or has_default,
                     sensitive=sensitive, requires_replace=replace and not computed,
                     default=default)


def string(name, description="", **kw) -> Attribute:
    return _attr(name, String(), description, **kw)


def number(name, description="", **kw) -> Attribute:
    return _attr(name, Number(), description, **kw)


def boolean(name, description="", **kw) -> Attribute:
    return _attr(name, Bool(), description, **kw)


def string_map(name, description="", **kw) -> Attribute:
    return _attr(name, Map(String()), description, **kw)


def string_list(name, description="", **kw) -> Attribute:
    return _attr(name, List(String()), description, **kw)


def computed(name, typ: TfType | None = None, description="", sensitive=False) -> Attribute:
    """A read-only attribute the provider fills in."""
    return Attribute(name, typ or String(), description=description, computed=True,
                     sensitive=sensitive)


def known(value: Any) -> bool:
    """True when a config value is neither null nor still unknown at this stage."""
    return value is not None and value is not Unknown


def complete_state(schema_block: Block | Schema, state: dict) -> dict:
    """Return `state` with every attribute and block of the schema present.

    Terraform decodes results against the full object type, so missing keys must be sent
    as null (attributes) or as empty collections (repeated blocks).
    """
    attributes = schema_block.attributes
    blocks = schema_block.block_types
    out = {a.name: state.get(a.name) for a in attributes}
    for a in attributes:
        if out[a.name] is Unknown:
            out[a.name] = None
    for b in blocks:
        items = state.get(b.type_name) or []
        out[b.type_name] = [complete_state(b.block, item) for item in items if item is not None]
    return out


class CoderResource(Resource):
    """Base for coder_* resources: they only record configuration, so CRUD is uniform.

    Subclasses set `name` and `schema`, and may override `check` (extra validation) and
    `fill` (computed attributes at create and refresh).
    """

    name: str = ""
    schema: Schema = Schema()

    def __init__(self, provider):
        self.provider = provider

    @classmethod
    def get_name(cls) -> str:
        return cls.name

    @classmethod
    def get_schema(cls) -> Schema:
        return cls.schema

    def validate(self, diags, type_name, config):
        super().validate(diags, type_name, config)
        if not diags.has_errors():
            self.check(diags, config)

    def check(self, diags, config: dict) -> None:
        """Extra configuration checks; report problems on `diags`."""

    def fill(self, state: dict, creating: bool) -> None:
        """Set computed attributes on `state` (in place) at create and refresh."""

    def create(self, ctx, planned):
        state = dict(planned)
        state["id"] = str(uuid.uuid4())
        self.fill(state, creating=True)
        return complete_state(self.schema, state)

    def read(self, ctx, current):
        state = dict(current)
        self.fill(state, creating=False)
        return complete_state(self.schema, state)

    def update(self, ctx, current, planned):
        # Terraform insists that apply returns exactly the planned known values, so an
        # in-place update (only nested blocks can change without replacement) must not
        # re-mint computed attributes such as the agent token.
        return complete_state(self.schema, dict(planned))

    def delete(self, ctx, current):
        return None

    def upgrade(self, ctx, version, old):
        # State written by another build of the provider (e.g. Coder's own) may carry
        # attributes this schema lacks; keep what we know, null the rest.
        return complete_state(self.schema, old or {})


class CoderDataSource(DataSource):
    """Base for coder_* data sources: subclasses implement `compute(ctx, config)`."""

    name: str = ""
    schema: Schema = Schema()

    def __init__(self, provider):
        self.provider = provider

    @classmethod
    def get_name(cls) -> str:
        return cls.name

    @classmethod
    def get_schema(cls) -> Schema:
        return cls.schema

    def compute(self, ctx, config: dict) -> Optional[dict]:
        raise NotImplementedError

    def read(self, ctx, config):
        state = self.compute(ctx, dict(config))
        if state is None:
            return None
        return complete_state(self.schema, state)
