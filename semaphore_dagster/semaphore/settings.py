"""Every default of the Semaphore source, in one place.

Config keys (dlt config/secrets, `[sources.semaphore]` or `SOURCES__SEMAPHORE__<KEY>`) default to the values
below; the other constants are fixed facts of the API (page sizes, paths) or tuning knobs of the loader.
"""

from datetime import timedelta

# --- config keys and their defaults (documented in docs/source.md) ---------------------------------------
DEFAULT_AUTH_SCHEME = "Token"
AUTH_SCHEMES = ("Token", "Bearer")  # the server matches the scheme word case-sensitively
DEFAULT_START_DAYS = 30  # first load goes back this many days when `start_date` is not set
DEFAULT_LOOKBACK = "3d"  # open pipelines and known ids are re-checked within this window
DEFAULT_MAX_CONCURRENCY = 8  # parallel requests for per-pipeline / per-job / per-project fan-out
# a run that finds more pipelines newly DONE than this commits them (with their blocks, jobs, logs and test
# results) in slices of this many, newest first: a first load killed midway resumes after its last slice
DEFAULT_SLICE_PIPELINES = 1000
DEFAULT_LOG_MAX_BYTES = 8 * 1024 * 1024  # output bytes of one job log stored in job_log_events
DEFAULT_REQUEST_TIMEOUT = 60.0  # seconds: read timeout of one request (connect timeout below)
DEFAULT_MAX_ATTEMPTS = 5  # attempts per request for 429 / 5xx / resets / timeouts / unparsable bodies
DEFAULT_MAX_RETRY_DELAY = 60.0  # seconds: cap of one back-off sleep, including a server's Retry-After
DEFAULT_BACKOFF_FACTOR = 1.0  # exponential back-off: 1, 2, 4, 8 ... seconds (capped above)
# `request_deadline` (seconds: connect + every read of one request, job logs included) defaults to
# DEADLINE_FACTOR x request_timeout: 300 s by default, 10 s with request_timeout=2.
DEADLINE_FACTOR = 5.0
LOG_FETCH_RUNS = 3  # a job log that ends ERROR is fetched again by at most this many runs in all
LOG_OUTAGE_STREAK = 20  # this many job logs in a row failing with 5xx/network errors: the log service is down

# --- HTTP ------------------------------------------------------------------------------------------------
USER_AGENT = "SemaphoreCI v2.0 Client"  # what Semaphore's API docs ask clients to send
API_PREFIX = "/api/v1alpha"
CONNECT_TIMEOUT = 10.0
MAX_CONNECTIONS = 32  # keep-alive pool size per host

# --- pagination (facts of the API, see docs/api-behaviours.md) -------------------------
STYLE_A_PAGE_SIZE = 100  # workflows, pipelines, promotions, schedules: no server maximum
JOBS_PAGE_SIZE = 30  # GET /jobs: server maximum
AGENTS_PAGE_SIZE = 200  # GET /agents: server maximum
PROJECTS_MAX_PAGE = 100  # GET /projects: `page` is 1..100

# --- incremental rules -----------------------------------------------------------------------------------
CREATED_OVERLAP = timedelta(minutes=10)  # listings re-read this much before the last watermark
JOB_LIST_SLACK = timedelta(minutes=2)  # jobs list walk goes this far below the oldest needed pipeline

# --- bounded work units ----------------------------------------------------------------------------------
CHUNK_PIPELINES = 200  # pipelines newly DONE described, matched with their jobs and logged per chunk

# --- security --------------------------------------------------------------------------------------------
REDACTED = "<redacted>"
