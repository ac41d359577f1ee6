"""Approved mapping profiles and the vocabulary, read from the home folder.

The same files ``scnode map approve`` writes: ``HOME/mapping/profiles/<source>.ttl``
and ``HOME/mapping/vocabulary-extension.ttl``. The vocabulary is loaded once per
version of the extension file (it takes about half a second); profiles are read
on each use, so an approval takes effect at the next publish.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Final

from node.inventory._intake import MappingContext
from semantic_mapping import (
    MappingError,
    MappingProfile,
    ProfileError,
    Vocabulary,
    extension_from_turtle,
    load_vocabulary,
    new_profile,
    profile_from_turtle,
)

__all__ = ["HomeMapping"]

EXTENSION_FILE: Final = "vocabulary-extension.ttl"


class HomeMapping:
    """Vocabulary and profiles of one home folder (thread-safe, cached vocabulary)."""

    def __init__(self, home: Path) -> None:
        self.folder = home / "mapping"
        self._lock = threading.Lock()
        self._cached: tuple[float | None, Vocabulary] | None = None

    def _extension_stamp(self) -> float | None:
        try:
            return (self.folder / EXTENSION_FILE).stat().st_mtime
        except OSError:
            return None

    def vocabulary(self) -> Vocabulary:
        stamp = self._extension_stamp()
        with self._lock:
            if self._cached is not None and self._cached[0] == stamp:
                return self._cached[1]
            extensions = []
            if stamp is not None:
                text = (self.folder / EXTENSION_FILE).read_text("utf-8")
                extensions.append(extension_from_turtle(text))
            vocabulary = load_vocabulary(extensions)
            self._cached = (stamp, vocabulary)
            return vocabulary

    def profile(self, source: str) -> MappingProfile | None:
        new_profile(source)  # refuses names that are not plain source names (ProfileError)
        path = self.folder / "profiles" / f"{source}.ttl"
        try:
            text = path.read_text("utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError):
            raise ProfileError(f"the profile of {source!r} cannot be read") from None
        try:
            return profile_from_turtle(text)
        except MappingError as exc:
            raise ProfileError(f"the profile of {source!r} is malformed: {exc}") from None

    def context(self) -> MappingContext:
        return MappingContext(self.vocabulary(), self.profile)
