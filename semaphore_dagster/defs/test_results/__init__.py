"""Test results (`semaphore/test_reports`, `test_suites`, `test_cases`), partitioned by UTC day of job finish."""
