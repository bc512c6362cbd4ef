"""The risk runs' schemas: options, progress, a run and the list."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class RiskOptions(BaseModel):
    runs: int
    seed: int
    breakdowns: bool
    replan_breakdowns: bool
    closures: str | None = Field(
        None, description="history: the closures on record replayed instead of the Monte Carlo"
    )
    replan_iterations: int | None = Field(None, description="Iterations of each re-plan")


class RiskProgress(BaseModel):
    runs_done: int = Field(..., description="Runs done (re-plans, replaying closures)")
    runs: int


class RiskRun(BaseModel):
    """A risk run: its phase, options, progress and links; once completed, its report. A key
    that does not apply is left out."""

    id: str
    plan_id: str
    phase: str
    options: RiskOptions
    progress: RiskProgress
    cancel_requested: bool
    attempts: int
    created_at: str = Field(..., description="RFC 3339")
    updated_at: str = Field(..., description="RFC 3339")
    links: dict[str, str] = Field(..., description="self, plan, cancel")
    errors: list[dict[str, Any]] | None = Field(None, description="Why a run failed")
    result: dict[str, Any] | None = Field(None, description="The report, once completed")


class RiskRuns(BaseModel):
    risk_runs: list[RiskRun]
