"""The SDK's envelope (de)serializer, with its per-request reflection done once per type.

``DefaultSerializer`` works out, on every attribute of every request, what type a string such
as ``'dict(str, ask_sdk_model.slot.Slot)'`` names (regular expressions, a module import by
name), re-merges each class's attribute map, and parses timestamps with dateutil's general
parser: about a tenth of a turn. ``PlannedSerializer`` makes the same objects and the same
JSON, with those answers kept per type string and per class. Shapes it does not plan for
(a model given something other than a JSON object, unusual timestamps) are passed to
``DefaultSerializer`` itself, so errors and odd cases come out exactly as before.
Plugged in where the SDK looks for it: ``CustomSkill.serializer`` (``skill.alexa.builder``).
"""

from __future__ import annotations

import decimal
import json
import re
import time
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from dateutil import tz

Plan = Callable[[Any], Any]
"""Turns a parsed JSON value into the value of one declared type."""

_ALEXA_TIMESTAMP = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?Z\Z", re.ASCII)
"""The form Alexa stamps requests with; anything else goes to dateutil as before."""


def _utc_stamp(naive: datetime) -> datetime:
    """What ``dateutil.parser.parse`` makes of a time ending in ``Z``: the local zone when
    it is called UTC (with dateutil's fold and winter-GMT handling), else ``tz.UTC``."""
    if "UTC" not in time.tzname:
        return naive.replace(tzinfo=tz.UTC)
    aware = naive.replace(tzinfo=tz.tzlocal())
    if aware.tzname() != "UTC":
        folded = aware.replace(fold=1)
        if folded.tzname() == "UTC":
            return folded
        return aware.replace(tzinfo=tz.UTC)
    return aware


class PlannedSerializer(DefaultSerializer):
    """``DefaultSerializer`` with a plan per declared type, made on first use."""

    def __init__(self) -> None:
        self._plans: dict[object, Plan] = {}
        self._fields: dict[type, tuple[tuple[str, str], ...]] = {}
        self._writers: dict[type, Callable[[Any], Any]] = {}

    # -- deserializing ------------------------------------------------------------------

    def deserialize(self, payload: str | None, obj_type: object) -> Any:  # noqa: ANN401
        """As ``DefaultSerializer.deserialize``: JSON text to an instance of ``obj_type``."""
        if payload is None:
            return None
        try:
            data = json.loads(payload)
        except Exception:
            raise SerializationException(
                f"Couldn't parse response body: {payload}") from None
        return self.from_data(data, obj_type)

    def from_data(self, data: Any, obj_type: object) -> Any:  # noqa: ANN401
        """Already parsed JSON to an instance of ``obj_type``."""
        if data is None:
            return None
        return self._plan(obj_type)(data)

    def _slow(self, obj_type: object) -> Plan:
        return lambda data: self._DefaultSerializer__deserialize(data, obj_type)  # type: ignore[attr-defined]

    def _plan(self, obj_type: object) -> Plan:
        plan = self._plans.get(obj_type)
        if plan is None:
            plan = self._plans[obj_type] = self._make_plan(obj_type)
        return plan

    def _make_plan(self, obj_type: object) -> Plan:
        if isinstance(obj_type, str):
            if obj_type.startswith("list[") and "," not in obj_type:
                match = re.match(r"list\[(.*)\]", obj_type)
                if match is not None:
                    return self._list_plan(match.group(1).strip())
                return self._slow(obj_type)
            if obj_type.startswith("dict("):
                match = re.match(r"dict\(([^,]*), (.*)\)", obj_type)
                if match is not None:
                    return self._dict_plan(match.group(2))
                return self._slow(obj_type)
            if obj_type.startswith("list["):
                return self._slow(obj_type)  # tuples of types: rare, left to the SDK
            if obj_type in self.NATIVE_TYPES_MAPPING:
                obj_type = self.NATIVE_TYPES_MAPPING[obj_type]
            else:
                obj_type = self._DefaultSerializer__load_class_from_name(obj_type)  # type: ignore[attr-defined]
        if obj_type is datetime:
            return self._datetime_plan()
        if obj_type is object:
            return lambda data: data
        if obj_type in (str, bool, int, float):  # already of the type: kept as it is
            slow, kind = self._slow(obj_type), obj_type
            return lambda data: data if type(data) is kind else slow(data)
        if isinstance(obj_type, type) and not issubclass(obj_type, Enum) \
                and hasattr(obj_type, "deserialized_types"):
            return self._model_plan(obj_type)
        return self._slow(obj_type)

    def _list_plan(self, item_type: str) -> Plan:
        def plan(data: Any) -> Any:  # noqa: ANN401
            item = self._plan(item_type)
            return [None if value is None else item(value) for value in data]
        return plan

    def _dict_plan(self, value_type: str) -> Plan:
        def plan(data: Any) -> Any:  # noqa: ANN401
            value_plan = self._plan(value_type)
            return {key: None if value is None else value_plan(value)
                    for key, value in data.items()}
        return plan

    def _datetime_plan(self) -> Plan:
        slow = self._slow(datetime)

        def plan(data: Any) -> Any:  # noqa: ANN401
            match = _ALEXA_TIMESTAMP.match(data) if isinstance(data, str) else None
            if match is None:
                return slow(data)
            year, month, day, hour, minute, second, fraction = match.groups()
            try:
                naive = datetime(int(year), int(month), int(day), int(hour), int(minute),
                                 int(second), int((fraction or "0").ljust(6, "0")))
            except ValueError:
                return slow(data)  # (dateutil's own message)
            return _utc_stamp(naive)
        return plan

    def _model_plan(self, cls: type) -> Plan:
        """A model class as declared: one with a discriminator (``Request``) is resolved to
        the subclass the payload names, once, as the SDK does."""
        if not hasattr(cls, "get_real_child_model"):
            return self._fields_plan(cls)
        slow = self._slow(cls)
        children: dict[str, Plan] = {}

        def plan(data: Any) -> Any:  # noqa: ANN401
            if not isinstance(data, dict):
                return slow(data)
            try:
                name = cls.get_real_child_model(data)  # type: ignore[attr-defined]
            except Exception as exc:
                raise SerializationException(str(exc)) from None
            child = children.get(name) if name else None
            if child is None:
                if not name or not isinstance(name, str):
                    return slow(data)  # (the SDK's message)
                child = children[name] = self._fields_plan(
                    self._DefaultSerializer__load_class_from_name(name))  # type: ignore[attr-defined]
            return child(data)
        return plan

    def _fields_plan(self, cls: type) -> Plan:
        slow = self._slow(cls)
        fields = tuple(self._attribute_map(cls).items())
        known = {key for _, key in fields}
        types = cls.deserialized_types  # type: ignore[attr-defined]

        def plan(data: Any) -> Any:  # noqa: ANN401
            if not isinstance(data, dict):
                return slow(data)
            try:
                model = cls()
                for name, key in fields:
                    if key in data:
                        value = data[key]
                        setattr(model, name,
                                None if value is None else self._plan(types[name])(value))
                for key in data:
                    if key not in known:
                        setattr(model, key, data[key])
                return model
            except SerializationException:
                raise
            except Exception as exc:
                raise SerializationException(str(exc)) from None
        return plan

    @staticmethod
    def _attribute_map(cls: type) -> dict[str, str]:
        """Attribute -> JSON key, as the SDK completes it (declared names map to themselves)."""
        mapped = dict(getattr(cls, "attribute_map", {}))
        mapped.update({k: k for k in cls.deserialized_types  # type: ignore[attr-defined]
                       if k not in mapped})
        return mapped

    # -- serializing --------------------------------------------------------------------

    def serialize(self, obj: Any) -> Any:  # noqa: ANN401
        """As ``DefaultSerializer.serialize``: a model (or plain value) to JSON-ready data."""
        if obj is None:
            return None
        kind = type(obj)
        writer = self._writers.get(kind)
        if writer is None:
            writer = self._writers[kind] = self._make_writer(kind)
        return writer(obj)

    def _make_writer(self, kind: type) -> Callable[[Any], Any]:
        # The SDK's order of checks, decided once per type.
        if issubclass(kind, self.PRIMITIVE_TYPES):
            return lambda obj: obj
        if issubclass(kind, list):
            return lambda obj: [self.serialize(item) for item in obj]
        if issubclass(kind, tuple):
            return lambda obj: tuple(self.serialize(item) for item in obj)
        if issubclass(kind, (datetime, date)):
            return lambda obj: obj.isoformat()
        if issubclass(kind, Enum):
            return lambda obj: obj.value
        if issubclass(kind, decimal.Decimal):
            return lambda obj: int(obj) if obj % 1 == 0 else float(obj)
        if issubclass(kind, dict):
            return lambda obj: {key: self.serialize(value) for key, value in obj.items()}
        if not hasattr(kind, "deserialized_types"):
            return super().serialize  # (the SDK's error for an object it cannot write)
        keys = self._attribute_map(kind)
        pairs = tuple((name, keys[name]) for name in kind.deserialized_types)  # type: ignore[attr-defined]

        def write(obj: Any) -> Any:  # noqa: ANN401
            out = {}
            for name, key in pairs:
                value = getattr(obj, name)
                if value is not None:
                    out[key] = self.serialize(value)
            return out
        return write
