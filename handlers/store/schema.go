package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// schemaLockID is the pg_advisory_xact_lock key that serialises migrations between
// concurrent cold starts ("lbschema" in ASCII).
const schemaLockID int64 = 0x6c62736368656d61

// migrations are applied in order, each once; migrations[i] brings the schema to version i+1.
// Never edit a released migration: append a new one.
var migrations = []string{
	// 1: one row per distinct fetch.
	`CREATE TABLE fetches (
		id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		source            text        NOT NULL,
		fetched_at        timestamptz NOT NULL,
		sha256            text        NOT NULL,
		status            integer     NOT NULL,
		content_type      text        NOT NULL,
		raw_length        bigint      NOT NULL,
		compressed_length bigint      NOT NULL,
		body_json         jsonb,
		body_bytes        bytea,
		delivered_as      text        NOT NULL,
		fetch_request_id  text,
		stored_at         timestamptz NOT NULL DEFAULT now(),
		CONSTRAINT fetches_identity UNIQUE (source, fetched_at, sha256),
		CONSTRAINT fetches_one_body CHECK ((body_json IS NULL) <> (body_bytes IS NULL))
	)`,
	`CREATE INDEX fetches_source_fetched_at ON fetches (source, fetched_at DESC)`,
	// 3: the scheduled run a fetch served (its scheduled time and the schedule's execution
	// id), null for a run started by hand.
	`ALTER TABLE fetches ADD COLUMN scheduled_at timestamptz, ADD COLUMN execution_id text`,
	// 4: one row per scheduled run: a duplicated scheduled event, a fetcher retried after a
	// crash, a replayed run all fetch again, and only the first fetch stored is kept.
	`CREATE UNIQUE INDEX fetches_scheduled_run ON fetches (source, scheduled_at) WHERE scheduled_at IS NOT NULL`,
}

// SchemaVersion is the schema version this package migrates to.
var SchemaVersion = len(migrations)

// migrate brings the schema up to SchemaVersion and creates the records table (when
// recordsTable is set), idempotently, in one transaction holding an advisory lock so that
// concurrent cold starts apply each migration exactly once.
func migrate(ctx context.Context, tx pgx.Tx, recordsTable string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, schemaLockID); err != nil {
		return fmt.Errorf("migrate: advisory lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    integer PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: create schema_version: %w", err)
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: read schema_version: %w", err)
	}
	// A database newer than this binary (current > SchemaVersion) is left alone: migrations
	// only add, so an older writer keeps working during a rolling deploy.
	for v := current + 1; v <= len(migrations); v++ {
		if _, err := tx.Exec(ctx, migrations[v-1]); err != nil {
			return fmt.Errorf("migrate: apply migration %d: %w", v, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES ($1)`, v); err != nil {
			return fmt.Errorf("migrate: record migration %d: %w", v, err)
		}
	}
	if recordsTable != "" {
		// The records table's name is configuration, not schema history, so it is created
		// here rather than by a numbered migration.
		t := ident(recordsTable)
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+t+` (
			key        text        PRIMARY KEY,
			doc        jsonb       NOT NULL,
			fetch_id   bigint      NOT NULL REFERENCES fetches (id),
			source     text        NOT NULL,
			fetched_at timestamptz NOT NULL,
			updated_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("migrate: create records table %s: %w", recordsTable, err)
		}
	}
	return nil
}

// querier is what schemaCurrent reads through (a pool, a connection or a transaction).
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// schemaCurrent reports, without DDL or locks, whether the schema is at SchemaVersion or
// newer and the records table (when recordsTable is set) exists. A writer that the
// setup left with DML grants only (no CREATE on the schema) then never needs to run
// migrate, whose CREATE TABLE IF NOT EXISTS PostgreSQL refuses without CREATE even when
// the table is there.
func schemaCurrent(ctx context.Context, q querier, recordsTable string) (bool, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass('schema_version') IS NOT NULL`).Scan(&exists); err != nil {
		return false, fmt.Errorf("look up schema_version: %w", err)
	}
	if !exists {
		return false, nil
	}
	var version int
	if err := q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&version); err != nil {
		return false, fmt.Errorf("read schema_version: %w", err)
	}
	if version < SchemaVersion {
		return false, nil
	}
	if recordsTable == "" {
		return true, nil
	}
	if err := q.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, ident(recordsTable)).Scan(&exists); err != nil {
		return false, fmt.Errorf("look up records table %s: %w", recordsTable, err)
	}
	return exists, nil
}
