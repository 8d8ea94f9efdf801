"""A base for frozen dataclasses whose fields are numpy arrays with one row per sample."""

from dataclasses import fields
from typing import Self

import numpy as np


class Columns:
    """Row selection and joining for dataclasses of equal-length arrays."""

    def __len__(self) -> int:
        return len(getattr(self, fields(self)[0].name))

    def as_dict(self) -> dict[str, np.ndarray]:
        return {item.name: getattr(self, item.name) for item in fields(self)}

    def select(self, rows) -> Self:
        """The rows picked by a slice, index array or boolean mask."""
        return type(self)(**{name: values[rows] for name, values in self.as_dict().items()})

    @classmethod
    def concat(cls, parts: list[Self]) -> Self:
        """One record from several, in order."""
        names = [item.name for item in fields(cls)]
        return cls(**{name: np.concatenate([getattr(p, name) for p in parts]) for name in names})
