package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lambdabridge/lambdabridge/internal/exitcode"
)

// defaultDatabase is the database every PostgreSQL server has; cmd/local never creates its
// tables there unless --allow-postgres-db asks it to.
const defaultDatabase = "postgres"

// sqlStateNoDatabase is PostgreSQL's invalid_catalog_name: the database does not exist.
const sqlStateNoDatabase = "3D000"

// database finds the PostgreSQL to store into, refuses the server's default database unless
// asked, creates the database when it is missing, and counts its rows.
func (s *session) database(ctx context.Context) error {
	s.dbURL = s.o.databaseURL
	if s.dbURL == "" {
		s.dbURL = os.Getenv("DATABASE_URL")
	}
	if s.dbURL == "" {
		return errors.New("no PostgreSQL: set DATABASE_URL or --database-url (e.g. postgres://postgres@127.0.0.1:5432/lambdabridge_local?sslmode=disable; a missing database is created); " +
			"to start one: `pg_ctlcluster 15 main start` (Debian), or run scripts/test, which starts a throwaway cluster")
	}
	pc, err := pgx.ParseConfig(s.dbURL)
	if err != nil {
		return &exitcode.UsageError{Err: fmt.Errorf("the database URL %s: %w", redact(s.dbURL), err)}
	}
	name := pc.Database
	if name == "" {
		name = pc.User // libpq's and the server's default database
	}
	if name == defaultDatabase && !s.o.allowPostgresDB {
		return &exitcode.UsageError{Err: fmt.Errorf("the database URL %s names the server's default database %q: cmd/local creates its tables (fetches, schema_version) in the database it is given, so give it one of its own, e.g. %s (created if missing), or pass --allow-postgres-db",
			redact(s.dbURL), defaultDatabase, redact(withDatabase(s.dbURL, "lambdabridge_local")))}
	}
	s.rowsBefore, err = countRows(ctx, s.dbURL)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == sqlStateNoDatabase {
		if err := createDatabase(ctx, pc, name); err != nil {
			return err
		}
		fmt.Fprintf(s.out, "database %s did not exist on %s:%d: created it\n", name, pc.Host, pc.Port)
		s.rowsBefore, err = countRows(ctx, s.dbURL)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(s.out, "database %s: fetches has %d rows\n", redact(s.dbURL), s.rowsBefore)
	return nil
}

// createDatabase creates name on the server of pc, connected to its default database; when
// it cannot, the error gives the exact command to run.
func createDatabase(ctx context.Context, pc *pgx.ConnConfig, name string) error {
	admin := pc.Copy()
	admin.Database = defaultDatabase
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, admin)
	if err == nil {
		defer conn.Close(ctx)
		_, err = conn.Exec(cctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	}
	if err != nil {
		return fmt.Errorf("database %s does not exist on %s:%d, and creating it failed (%v): create it with `createdb -h %s -p %d -U %s %s`, or point DATABASE_URL at a database that exists",
			name, pc.Host, pc.Port, err, pc.Host, pc.Port, pc.User, name)
	}
	return nil
}

// withDatabase is dbURL naming database name instead.
func withDatabase(dbURL, name string) string {
	pc, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return dbURL
	}
	u := fmt.Sprintf("postgres://%s@%s:%d/%s", pc.User, pc.Host, pc.Port, name)
	if pc.TLSConfig == nil {
		u += "?sslmode=disable"
	}
	return u
}
