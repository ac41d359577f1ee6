"""Commands of this area are attached to ``scnode`` here."""

from __future__ import annotations
