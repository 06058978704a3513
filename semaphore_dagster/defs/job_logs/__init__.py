"""Job logs: the day-partitioned `semaphore/job_logs` and `semaphore/job_log_events`."""
