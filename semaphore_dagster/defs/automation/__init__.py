"""Automation: the asset jobs, the schedules that remain, the new-pipeline sensor, the automation sensor."""
