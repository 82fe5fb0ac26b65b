"""What a reader is told about an article version's review. Pure: the caller supplies facts."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from curbside.review.workflow import state_label

CAUTION = "Caution: content pending human review"
BOARD = "the Medical Advisory Board"


class PublicStatus(BaseModel):
    """The review status line shown with an article (HTML, JSON, Markdown alike)."""

    article_id: int
    version: int
    state: str = Field(description="Review state of this version.")
    approved: bool = Field(description="True only when a reviewer approved this exact version.")
    label: str = Field(description="Short badge text: Approved, Under review, ...")
    text: str = Field(description="The sentence shown to readers.")
    caution: str | None = Field(None, description="Shown whenever the version is not approved.")
    approved_at: dt.datetime | None = None
    claims_reviewed: int = Field(0, description="Claims with a recorded review on this version.")
    last_updated: dt.datetime | None = Field(None, description="Creation time of the newest "
                                                               "version.")
    latest_version: int | None = Field(None, description="Newest version of the article.")


def describe(
    *,
    article_id: int,
    version: int,
    state: str,
    approved_at: dt.datetime | None,
    claims_reviewed: int = 0,
    last_updated: dt.datetime | None = None,
    latest_version: int | None = None,
) -> PublicStatus:
    """`approved_at` must come from a recorded reviewer approval of this version, else None."""
    common = {"article_id": article_id, "version": version, "claims_reviewed": claims_reviewed,
              "last_updated": last_updated, "latest_version": latest_version}
    if state == "approved" and approved_at is not None:
        return PublicStatus(
            state=state, approved=True, label="Approved", approved_at=approved_at,
            text=f"Approved by {BOARD} on {approved_at:%Y-%m-%d} (version {version}).",
            **common,
        )
    shown = "approval not recorded" if state == "approved" else state_label(state)
    if state == "outdated":
        shown = "outdated: new evidence, awaiting re-review"
    label = {"draft": "Draft", "submitted": "Submitted", "under_review": "Under review",
             "changes_requested": "Changes requested", "rejected": "Not approved",
             "outdated": "Re-review pending"}.get(state, "Pending review")
    return PublicStatus(
        state=state, approved=False, label=label, caution=CAUTION,
        text=f"{CAUTION} (status: {shown}, version {version}).",
        **common,
    )
