package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/lambdabridge/lambdabridge/internal/sqslocal"
	"github.com/lambdabridge/lambdabridge/internal/testdb"
)

func TestFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--topology", "lambda"}, `--topology "lambda": want auto, destination, s3 or relay`},
		{[]string{"--sample", "a.json", "--url", "http://x"}, "--sample and --url are exclusive"},
		{[]string{"--url", "ftp://x"}, `--url "ftp://x": want an absolute http or https URL`},
		{[]string{"--url", "http://x", "--source-mode", "500"}, "--source-mode applies to the local sample source"},
		{[]string{"--source-mode", "flaky"}, `--source-mode "flaky"`},
		{[]string{"--runs", "0"}, "--runs 0: want 1 or more"},
		{[]string{"--duplicates", "-1"}, "--duplicates -1"},
		{[]string{"--time-scale", "0.5"}, "--time-scale 0.5"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--dir", "../..", "--stack", "nope"}, "stack nope"},
	}
	for _, tc := range tests {
		err := run(context.Background(), tc.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%v) = %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}

func TestNoDatabase(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	err := run(context.Background(), []string{"--dir", "../.."}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "no PostgreSQL: set DATABASE_URL or --database-url") {
		t.Fatalf("err = %v", err)
	}
}

// TestLocalRun runs the command end to end (plan, build, emulator, fauxqs, PostgreSQL) with
// 2 runs and every writer event delivered twice: 2 rows, 4 writer deliveries. The shell's
// libpq variables point elsewhere (another host and database, a search_path where no table
// is): run ignores them, so the rows are counted where the writer stored them.
func TestLocalRun(t *testing.T) {
	db := testdb.New(t)
	sqslocal.New(t) // skips, or fails under LAMBDABRIDGE_REQUIRE_DB=1, when fauxqs is not installed
	for k, v := range map[string]string{"PGHOST": "192.0.2.1", "PGDATABASE": "lb_stray", "PGOPTIONS": "-c search_path=lb_stray"} {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	err := run(ctx, []string{"--dir", "../..", "--database-url", db, "--runs", "2", "--duplicates", "1", "--time-scale", "600",
		"--out-dir", t.TempDir()}, &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(errOut.String(), "local: ignoring PGDATABASE, PGHOST, PGOPTIONS from the environment") {
		t.Errorf("stderr does not say the PG* variables are ignored:\n%s", errOut.String())
	}
	for _, want := range []string{
		"planner chose ", "build    ./lambdas/fetcher", "build    ./lambdas/writer",
		"already stored (redelivery)",
		// 2 runs, each writer event delivered 1 + 1 times = 4 deliveries, 2 distinct fetches.
		"summary  2 runs: 2 fetched, 0 failed to fetch; writer 4 deliveries, 0 failed; rows written 2 (fetches now has 2 rows)",
		// What CloudWatch would hold (metrics.go): 2 fetcher + 4 writer invocations x 3
		// AWS/Lambda metrics + the fetcher's 2 EMF lines x 5 metrics = 28 datapoints.
		"metrics  28 datapoints for stack dev's functions (6 invocations, 2 EMF lines) in a local CloudWatch at http://127.0.0.1:",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
