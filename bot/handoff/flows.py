"""The flows the handoff service starts itself (they live in content/flows/handoff.yml)."""

from __future__ import annotations

FLOW_CANCELLED = "handoff_cancelled"
FLOW_ENDED = "handoff_ended"
FLOW_FEEDBACK = "handoff_feedback"
HANDOFF_FLOWS = (FLOW_CANCELLED, FLOW_ENDED, FLOW_FEEDBACK)
