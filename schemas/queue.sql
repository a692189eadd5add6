-- reelq's queue database (SQLite). Documented in docs/queue.md.
--
-- The schema is the sequence of sections below. Each "-- version N" section takes a database at
-- version N-1 to version N inside one transaction; a new database runs them all in order.
-- PRAGMA user_version holds the version reached. Sections are never edited once released: a
-- change is a new section at the end. Times are Unix milliseconds (UTC).

-- version 1
CREATE TABLE batches (
  name          TEXT PRIMARY KEY,          -- [A-Za-z0-9._-]{1,64}, from the manifest
  model         TEXT NOT NULL,             -- last path segment of the API endpoints
  manifest_path TEXT NOT NULL,             -- absolute path of the manifest last enqueued
  settings_json TEXT NOT NULL DEFAULT '{}',-- the manifest's settings: block
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
) STRICT;

-- One row per take of a job. The row holds everything needed to (re)submit it exactly.
CREATE TABLE jobs (
  id                INTEGER PRIMARY KEY,
  batch             TEXT NOT NULL REFERENCES batches(name),
  job_id            TEXT NOT NULL,
  take              INTEGER NOT NULL CHECK (take >= 1),
  position          INTEGER NOT NULL,      -- the job's index in the manifest, for stable order
  input_json        TEXT NOT NULL,         -- the API request's "input" object for this job
  state             TEXT NOT NULL DEFAULT 'queued' CHECK (state IN
                      ('queued','submitting','running','downloading','succeeded','failed','cancelled')),
  task_id           TEXT,                  -- set the moment generateTask answers with one
  attempts          INTEGER NOT NULL DEFAULT 0,  -- submit attempts that counted (429s do not)
  request_body      TEXT,                  -- the exact generateTask body last sent (no key)
  fail_code         TEXT,                  -- the API's failCode (open set) or reelq's own
  fail_msg          TEXT,
  next_at           INTEGER,               -- do nothing with this row before then (backoff, polling)
  submitted_at      INTEGER,
  completed_at      INTEGER,               -- when the job reached an end state
  api_create_time   INTEGER,               -- createTime / completeTime / costTime as the API said
  api_complete_time INTEGER,
  cost_time_ms      INTEGER,
  result_urls       TEXT,                  -- JSON array of resultUrls
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  UNIQUE (batch, job_id, take)
) STRICT;
CREATE INDEX jobs_by_state ON jobs (batch, state);

-- Every exchange with the API, for the reports' per-job history. job is NULL for batch-level
-- requests (balance).
CREATE TABLE events (
  id          INTEGER PRIMARY KEY,
  job         INTEGER REFERENCES jobs(id),
  at          INTEGER NOT NULL,
  endpoint    TEXT NOT NULL,               -- generateTask | statusTask | balance | download | recovery | retry | cancel | enqueue | image_check (docs/queue.md)
  http_status INTEGER,                     -- NULL when no answer came
  body_code   INTEGER,                     -- the envelope's "code", when there was one
  message     TEXT,                        -- the envelope's message or reelq's account of the failure
  task_id     TEXT,
  outcome     TEXT NOT NULL                -- reelq's classification (ok, rate_limited, transient, ...)
) STRICT;
CREATE INDEX events_by_job ON events (job, at);

-- version 2
-- Results on disk, and a note for what the report must flag (e.g. a possible duplicate charge).
ALTER TABLE jobs ADD COLUMN note TEXT;
ALTER TABLE jobs ADD COLUMN ambiguous INTEGER NOT NULL DEFAULT 0;  -- a submit whose fate is unknown happened
CREATE TABLE files (
  job         INTEGER NOT NULL REFERENCES jobs(id),
  idx         INTEGER NOT NULL,            -- position in resultUrls
  url         TEXT NOT NULL,
  path        TEXT,                        -- relative to the batch's output directory, once on disk
  bytes       INTEGER,
  sha256      TEXT,
  attempts    INTEGER NOT NULL DEFAULT 0,
  last_error  TEXT,
  PRIMARY KEY (job, idx)
) STRICT;

-- version 3
-- The batch's output folder, resolved when `reelq run` starts, so `reelq resume` needs no manifest.
ALTER TABLE batches ADD COLUMN output_dir TEXT;

-- version 4
-- Where each batch's tasks live and at what time scale it ran, written when a run starts, so
-- `resume` goes back to the same API (and its caps, render times and time constants stay that
-- API's). NULL for batches no run of version 4 or later has started.
ALTER TABLE batches ADD COLUMN api_base TEXT;    -- the API base URL, without a trailing '/'
ALTER TABLE batches ADD COLUMN time_scale REAL;  -- the runner's time scale (1 = real time)
-- Facts about the database as a whole. key 'rehearsal' = '1': made by `reelq run --rehearse`,
-- whose built-in simulator is gone once that command ends; such a database refuses any API base
-- that is not on this machine (the real, paid API).
CREATE TABLE database_info (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- version 5
-- Which queue this database is, so an output folder can say which queue's results it holds
-- (the .reelq-queue file reelq writes there names this id and the database's path).
CREATE TABLE queue_identity (
  id TEXT NOT NULL                         -- 32 hex digits, random, made once with the database
) STRICT;
INSERT INTO queue_identity (id) VALUES (lower(hex(randomblob(16))));
-- The folder each result file was written to. A batch's output folder can change (`resume
-- --output-dir); files already downloaded stay recorded where they are. Older rows were written
-- to their batch's folder.
ALTER TABLE files ADD COLUMN dir TEXT;     -- absolute; path is the file's name inside it
UPDATE files SET dir = (SELECT b.output_dir FROM jobs j JOIN batches b ON b.name = j.batch
                        WHERE j.id = files.job)
  WHERE path IS NOT NULL;

-- version 6
-- The batch's listener token (src/listen/): 32 random bytes as hex, made once, so a resumed run
-- accepts callbacks for tasks an earlier run submitted and serves images at the same URLs.
ALTER TABLE batches ADD COLUMN listen_token TEXT;

-- version 7
-- The setting flags (--on-ambiguous, --mode, --listen, --public-url, ...) the batch's last run or
-- resume was given, as a JSON object of setting key to value, paths absolute: a resume keeps
-- running the batch the way it was started unless a flag says otherwise. The API base, time scale
-- and output folder have columns of their own and are not in it; the API key is never a setting.
-- NULL until a run of version 7 or later.
ALTER TABLE batches ADD COLUMN run_flags_json TEXT;

-- version 8
-- One row per run or resume of a batch (reelq run, resume, run --rehearse), with the key's
-- balance read as it started and as it ended: the difference settles what reelq cannot know from
-- the API's answers (whether a failed task was charged, whether a submit whose answer was lost
-- created a task). docs/queue.md says how it is read.
CREATE TABLE runs (
  id             INTEGER PRIMARY KEY,
  batch          TEXT NOT NULL REFERENCES batches(name),
  started_at     INTEGER NOT NULL,
  ended_at       INTEGER,                  -- NULL while running, or a run that was killed
  balance_before REAL,                     -- the API's balance (its currency) as the run started;
  balance_after  REAL                      -- as it ended; NULL when it could not be read
) STRICT;
CREATE INDEX runs_by_batch ON runs (batch, started_at);

-- version 9
-- The key each take was submitted with (issue 20): its name (a keys file's `name`, "default" for
-- the key of APIXO_API_KEY / --api-key-file) and its fingerprint (12 hex digits of a SHA-256 of
-- the key, never enough to recover it: src/api/key_identity.h), written with the submit intent.
-- Every poll of the task uses the key that created it, across restarts; a run given no key of that
-- fingerprint refuses to start. NULL for submits made before version 9: taken as the key given now.
ALTER TABLE jobs ADD COLUMN key_name TEXT;
ALTER TABLE jobs ADD COLUMN key_fp TEXT;
