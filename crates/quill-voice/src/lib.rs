//! Rung 5: the style linter, the voice profile and match score, the habit detector and rules learned from edits.
