// Package store writes fetched bodies to PostgreSQL through pgx.
//
// Schema: a schema_version table and ordered migrations applied idempotently at cold start
// under pg_advisory_xact_lock (safe when several instances start at once). Table fetches holds
// one row per scheduled run, keyed by (source, scheduled_at), the run's scheduled time the
// fetcher copies from the schedule's event into the envelope: a duplicated scheduled event,
// a fetcher retried after a crash or a replayed run fetches again, and the first fetch stored
// wins (INSERT ... ON CONFLICT DO NOTHING; the later ones are reported as already stored and
// change nothing, records included). A run started by hand (no scheduled time) keeps the
// per-fetch identity (source, fetched_at, sha256): the same record delivered any number of
// times (Lambda's at-least-once delivery, retries, redrive) carries the same envelope and so
// inserts one row, while two fetches of identical bytes at different times stay two rows (the
// time series is kept). The checksum is part of that key so that two different bodies stamped
// with the same time can never silently collapse into one row.
//
// Bodies that are valid JSON go into body_json (jsonb; PostgreSQL normalises whitespace and
// key order, so the exact bytes are not kept — raw_length and sha256 describe the original);
// anything else, and JSON containing the escape \u0000 (which jsonb rejects), goes into
// body_bytes (bytea) unchanged.
//
// Records mode (RECORDS_KEY set): the body must be a JSON array of objects; each element is
// upserted into RECORDS_TABLE keyed by the text of its RECORDS_KEY field, in the same
// transaction as the fetches row, through COPY into a temporary table and one
// INSERT ... SELECT ... ON CONFLICT (key) DO UPDATE. The newest run wins: a row is only
// replaced by a fetch whose run time (its scheduled time; for a run started by hand its
// fetched_at) is the same or later than the run that wrote it, so a late redelivery or a
// redriven or replayed older run does not overwrite newer data, even when its fetch happened
// later; within one array the last element with a key wins.
// Keys absent from a later fetch are not deleted. A redelivered fetch (fetches row already
// present) skips the records entirely. A body that is not such an array is an error and
// nothing is written.
//
// Connections: a one-connection pgxpool reused across invocations; a broken connection is
// discarded and the next call connects again. With DB_AUTH=iam a fresh RDS IAM token is
// signed locally for every new connection (BeforeConnect).
//
// Writer-role setup (DB_ADMIN_USER + DB_ADMIN_PASSWORD set): before the first write, Ensure
// connects once as that admin (password auth, same host, database and TLS) and, under the
// schema advisory lock, creates the writer's role if missing, grants it rds_iam when that
// role exists (RDS), CONNECT and TEMPORARY on the database and USAGE on the schema, runs the
// migrations itself (the admin owns the tables) and grants the writer only the DML it uses:
// SELECT on schema_version, SELECT+INSERT on fetches, SELECT+INSERT+UPDATE on the records
// table. The admin connection is then closed; the data connection stays as configured (IAM on
// RDS). Without DB_ADMIN_* the writer migrates as itself, which needs CREATE on the schema.
//
// TLS: the PG* form defaults to sslmode verify-full against the Amazon RDS CA bundle
// embedded in the binary (RDSRootCAs), or against PGSSLROOTCERT when that names a bundle.
//
// Settings: Config is the database part of the writer's and the relay's environment
// (ConfigFromEnv parses it, Env renders it). The connection is DATABASE_URL, or libpq's own
// variables PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE and PGSSLROOTCERT (not
// both); DB_AUTH, DB_ADMIN_USER, DB_ADMIN_PASSWORD, RECORDS_KEY and RECORDS_TABLE have no
// libpq equivalent. pgx also reads the PG* variables from the process environment on its own,
// which a handler's getenv does not control (the in-process local pipeline passes a map).
// The store does not rely on that: the connection comes from Config alone. The connection
// string of the PG* form names every one of the seven settings (the password is set on the
// parsed configuration), so a PG* variable in the process environment cannot change them,
// and Open refuses a process environment that sets any other libpq variable (PGOPTIONS,
// PGSERVICE, ...), or with DATABASE_URL any libpq variable at all, since pgx would add it to
// what the settings say. In Lambda the process environment is the function's, so the seven
// agree with Config by construction; cmd/local and the tests clear inherited PG* variables
// first (envvar.UnsetLibpq).
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lambdabridge/lambdabridge/handlers/envelope"
)

// Store writes fetches to PostgreSQL. It is safe for concurrent use, though a Lambda
// instance makes one call at a time.
type Store struct {
	cfg  Config
	pool *pgxpool.Pool

	mu        sync.Mutex
	roleReady bool
	migrated  bool
}

// Open prepares a Store from cfg. It does not connect: the first Ensure or Put does.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	pc, err := cfg.poolConfig()
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("store: create connection pool: %w", err)
	}
	return &Store{cfg: cfg, pool: pool}, nil
}

// Close closes the connection.
func (s *Store) Close() { s.pool.Close() }

// Ensure connects if needed and creates or migrates the schema, once per process (again after
// a failure). With AdminUser set it first runs the writer-role setup as the admin (its own
// connection, closed afterwards): role, grants and schema. Then, over the data connection, a
// schema already current is left alone, else the writer migrates it itself (which needs
// CREATE on the schema: the existing-database mode). Call it at cold start; Put calls it too.
func (s *Store) Ensure(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.migrated {
		return nil
	}
	if s.cfg.AdminUser != "" && !s.roleReady {
		if err := provisionWriter(ctx, s.cfg); err != nil {
			return err
		}
		s.roleReady = true
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		current, err := schemaCurrent(ctx, tx, s.cfg.RecordsTable)
		if err != nil || current {
			return err
		}
		return migrate(ctx, tx, s.cfg.RecordsTable)
	})
	if err != nil {
		s.discardOnBrokenConn(err)
		return fmt.Errorf("store: schema: %w", err)
	}
	s.migrated = true
	return nil
}

// testHookAfterFetchRow, when set by a test, runs inside Put's transaction between the
// fetches row and the records (to cut the connection mid-transaction).
var testHookAfterFetchRow func()

// Fetch is one decoded fetch to store.
type Fetch struct {
	Envelope *envelope.Envelope // metadata: source, time, status, content type, lengths, sha256
	Raw      []byte             // the decoded body (Envelope.Decode)
	// DeliveredAs names how the fetch reached the writer (an event.Kind), kept for diagnosis.
	DeliveredAs string
	// FetchRequestID is the fetcher invocation's request id, when known (destination records).
	FetchRequestID string
}

// Body storage types reported in Result.BodyType.
const (
	BodyJSONB = "jsonb"
	BodyBytea = "bytea"
)

// Result reports what Put did.
type Result struct {
	ID       int64  // fetches.id of the row (new or existing)
	New      bool   // false when this fetch was already stored (a redelivery)
	BodyType string // BodyJSONB or BodyBytea
	// Elements is the number of array elements in records mode (0 otherwise or on a redelivery);
	// Upserted is how many records rows were inserted or updated (older fetches don't update).
	Elements int
	Upserted int64
}

// Put stores f in one transaction: the fetches row (INSERT ... ON CONFLICT DO NOTHING) and,
// in records mode for a new fetch, the records. On any error nothing is written.
func (s *Store) Put(ctx context.Context, f Fetch) (Result, error) {
	if err := validate(f); err != nil {
		return Result{}, err
	}
	var elems []element
	if s.cfg.RecordsKey != "" {
		var err error
		if elems, err = splitRecords(f.Raw, s.cfg.RecordsKey); err != nil {
			return Result{}, fmt.Errorf("store: records mode: %w", err)
		}
	}
	if err := s.Ensure(ctx); err != nil {
		return Result{}, err
	}
	res := Result{BodyType: bodyType(f.Raw)}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		id, isNew, err := insertFetch(ctx, tx, f, res.BodyType)
		if err != nil {
			return err
		}
		res.ID, res.New = id, isNew
		if testHookAfterFetchRow != nil {
			testHookAfterFetchRow()
		}
		if !isNew || elems == nil {
			return nil
		}
		res.Elements = len(elems)
		res.Upserted, err = upsertRecords(ctx, tx, s.cfg.RecordsTable, elems, id, f.Envelope)
		return err
	})
	if err != nil {
		s.discardOnBrokenConn(err)
		// The source URL is left out: its query string may hold a secret.
		return Result{}, fmt.Errorf("store: put fetch %.12s… fetched at %s: %w", f.Envelope.SHA256, f.Envelope.FetchedAt.Format(time.RFC3339Nano), err)
	}
	return res, nil
}

func validate(f Fetch) error {
	if f.Envelope == nil {
		return errors.New("store: fetch has no envelope")
	}
	e := f.Envelope
	if int64(len(f.Raw)) != e.RawLength {
		return fmt.Errorf("store: body is %d bytes but the envelope says rawLength %d", len(f.Raw), e.RawLength)
	}
	if e.Source == "" || e.FetchedAt.IsZero() || e.SHA256 == "" {
		return errors.New("store: envelope lacks source, fetchedAt or sha256 (the fetch's identity)")
	}
	if f.DeliveredAs == "" {
		return errors.New("store: fetch has no DeliveredAs")
	}
	return nil
}

func insertFetch(ctx context.Context, tx pgx.Tx, f Fetch, bt string) (id int64, isNew bool, err error) {
	e := f.Envelope
	var bodyJSON, bodyBytes any
	if bt == BodyJSONB {
		bodyJSON = string(f.Raw)
	} else {
		bodyBytes = f.Raw
		if f.Raw == nil {
			bodyBytes = []byte{}
		}
	}
	var reqID, execID any
	if f.FetchRequestID != "" {
		reqID = f.FetchRequestID
	}
	if e.ExecutionID != "" {
		execID = e.ExecutionID
	}
	// No conflict target: either key (the scheduled run's, or the fetch's) makes a
	// redelivery.
	err = tx.QueryRow(ctx, `INSERT INTO fetches
		(source, fetched_at, sha256, status, content_type, raw_length, compressed_length, body_json, body_bytes, delivered_as, fetch_request_id,
		 scheduled_at, execution_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13)
		ON CONFLICT DO NOTHING
		RETURNING id`,
		e.Source, e.FetchedAt, e.SHA256, e.Status, e.ContentType, e.RawLength, e.CompressedLength,
		bodyJSON, bodyBytes, f.DeliveredAs, reqID, e.ScheduledAt, execID).Scan(&id)
	if err == nil {
		return id, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, false, fmt.Errorf("insert fetches row: %w", err)
	}
	// Already stored: a redelivery, or another fetch of the same scheduled run. Report the
	// existing row.
	err = tx.QueryRow(ctx, `SELECT id FROM fetches WHERE source = $1 AND scheduled_at = $2
		UNION ALL SELECT id FROM fetches WHERE source = $1 AND fetched_at = $3 AND sha256 = $4
		LIMIT 1`, e.Source, e.ScheduledAt, e.FetchedAt, e.SHA256).Scan(&id)
	if err != nil {
		return 0, false, fmt.Errorf("find existing fetches row: %w", err)
	}
	return id, false, nil
}

// discardOnBrokenConn drops pooled connections after an error that is not a server-side SQL
// error (a network failure, a timeout), so the next call connects afresh.
func (s *Store) discardOnBrokenConn(err error) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return
	}
	s.pool.Reset()
}

// ident quotes a table name of the form table or schema.table.
func ident(name string) string {
	return pgx.Identifier(strings.Split(name, ".")).Sanitize()
}
