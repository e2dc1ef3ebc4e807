"""Database plumbing shared by the selectors: functions both backends answer alike."""
