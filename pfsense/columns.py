"""A base for frozen dataclasses whose fields are numpy arrays with one row per sample."""

from dataclasses import fields
from functools import cache
from typing import Self

import numpy as np


class Columns:
    """Row selection and joining for dataclasses of equal-length arrays."""

    def __len__(self) -> int:
        return len(getattr(self, _names(type(self))[0]))

    def as_dict(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in _names(type(self))}

    def select(self, rows) -> Self:
        """The rows picked by a slice, index array or boolean mask."""
        return type(self)(*(getattr(self, name)[rows] for name in _names(type(self))))

    @classmethod
    def concat(cls, parts: list[Self]) -> Self:
        """One record from several, in order."""
        return cls(*(np.concatenate([getattr(p, name) for p in parts]) for name in _names(cls)))


@cache
def _names(cls: type) -> tuple[str, ...]:
    """The field names, in order: dataclasses.fields() is slow for a call on every live batch."""
    return tuple(item.name for item in fields(cls))
