package testdb

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestInheritedLibpqVariables: PG* variables inherited from the shell do not redirect the
// tests: New clears them, so the database a test connects to is the one in its URL, with the
// server's default search_path (a PGOPTIONS would otherwise set it for every connection).
func TestInheritedLibpqVariables(t *testing.T) {
	for k, v := range map[string]string{"PGHOST": "192.0.2.1", "PGDATABASE": "lb_stray", "PGOPTIONS": "-c search_path=lb_stray"} {
		t.Setenv(k, v)
	}
	dbURL := New(t)
	for _, k := range []string{"PGHOST", "PGDATABASE", "PGOPTIONS"} {
		if v, ok := os.LookupEnv(k); ok {
			t.Errorf("%s=%q is still set", k, v)
		}
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var db, path string
	if err := conn.QueryRow(ctx, `SELECT current_database(), current_setting('search_path')`).Scan(&db, &path); err != nil {
		t.Fatal(err)
	}
	if db != strings.TrimPrefix(u.Path, "/") || strings.Contains(path, "lb_stray") {
		t.Fatalf("connected to %s with search_path %q; want %s and the default search_path", db, path, u.Path)
	}
}
