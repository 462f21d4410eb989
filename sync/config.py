"""Typed configuration of online stores, discriminated on ``type``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class SQLiteStoreConfig(BaseModel):
    """The embedded default store: one SQLite file, zero setup."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["sqlite"] = "sqlite"
    path: Path | None = Field(
        default=None,
        description="SQLite file; defaults to `<state_dir>/online.db`.",
    )


StoreConfig = Annotated[SQLiteStoreConfig, Field(discriminator="type")]
