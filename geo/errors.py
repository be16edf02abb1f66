"""The project's exceptions."""

from __future__ import annotations

from dataclasses import dataclass


class ChengyuError(Exception):
    """Base class of every error this package raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field of one feature of one source file."""

    file: str
    feature_id: str
    field: str
    message: str

    def __str__(self) -> str:
        """One line naming the file, the feature and the field."""
        return f"{self.file}: feature {self.feature_id!r}, field {self.field!r}: {self.message}"


class LayerValidationError(ChengyuError):
    """A layer's source failed validation; ``problems`` lists every finding."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "\n".join(f"  - {problem}" for problem in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in the layer sources:\n{shown}{more}")


class RoutingError(ChengyuError):
    """A route leg cannot be routed on the network its mode needs."""


class ExportError(ChengyuError):
    """An output could not be written; any previous output is left as it was."""


class PopulationError(ChengyuError):
    """Population figures or a population file cannot be used.

    The message names the file, the feature and the field.
    """


class MapDefinitionError(ChengyuError):
    """A map definition (``maps/*.toml``) is invalid; ``problems`` lists every finding."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[0] if len(problems) == 1 else "\n".join(f"  - {p}" for p in problems)
        super().__init__(shown if len(problems) == 1 else f"invalid map definitions:\n{shown}")


class OptionError(ChengyuError):
    """An option (a radius, a time limit) is out of its range."""


class DamagedCacheError(ChengyuError):
    """A cache entry whose header, size or checksum does not match its payload.

    Never reaches the user: the entry is deleted and its value computed again.
    """
