"""The table checks: rules derived from the table contract, SQL over the dataset, Dagster asset checks."""
