package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lambdabridge/lambdabridge/internal/exitcode"
	"github.com/lambdabridge/lambdabridge/internal/sqslocal"
	"github.com/lambdabridge/lambdabridge/internal/testdb"
)

// TestExitStatuses: the one convention of internal/exitcode: -h is a success that prints the
// flags on stdout, bad flags are 2, a run that cannot start (no PostgreSQL) is 1.
func TestExitStatuses(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-h"}, exitcode.OK, ""},
		{[]string{"--help"}, exitcode.OK, ""},
		{[]string{"--nope"}, exitcode.Usage, "flag provided but not defined: -nope (run local -h for the flags)"},
		{[]string{"--runs", "0"}, exitcode.Usage, "--runs 0: want 1 or more"},
		{[]string{"--heartbeat", "-1s"}, exitcode.Usage, "--heartbeat -1s"},
		{[]string{"--stack-url", "--url", "http://x"}, exitcode.Usage, "--stack-url fetches the stack's sourceUrl"},
		{[]string{"--dir", "../..", "--stack", "nope"}, exitcode.Usage, "stack nope"},
		{[]string{"--dir", "../.."}, exitcode.Failure, "no PostgreSQL"},
	}
	for _, tc := range tests {
		var out bytes.Buffer
		err := run(context.Background(), tc.args, &out, io.Discard)
		if got := exitcode.Of(err); got != tc.code || (tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want))) {
			t.Errorf("run(%v): status %d, %v; want %d and %q", tc.args, got, err, tc.code, tc.want)
		}
		if tc.code == exitcode.OK {
			if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "Usage: local [flags]") || !strings.Contains(out.String(), "-stack-url") {
				t.Errorf("run(%v) printed %q", tc.args, out.String())
			}
		}
	}
}

// lockedBuffer is an output several goroutines write.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestHeartbeat: during a wait, a line says what the run waits for once the output has been
// silent for the interval; between waits, or while lines keep coming, nothing is added.
func TestHeartbeat(t *testing.T) {
	var out lockedBuffer
	hb := newHeartbeat(&out, 40*time.Millisecond)
	defer hb.stop()
	time.Sleep(120 * time.Millisecond) // silent, but not waiting on anything
	if out.String() != "" {
		t.Fatalf("a heartbeat between waits: %q", out.String())
	}
	done := hb.waiting("the fetcher is running (its timeout is 1m0s, as deployed)")
	time.Sleep(150 * time.Millisecond)
	done()
	got := out.String()
	if !regexp.MustCompile(`^(  waiting  \d+s so far: the fetcher is running \(its timeout is 1m0s, as deployed\)\n)+$`).MatchString(got) {
		t.Errorf("heartbeat lines %q", got)
	}
	n := strings.Count(got, "\n")
	time.Sleep(120 * time.Millisecond)
	if strings.Count(out.String(), "\n") != n {
		t.Errorf("a heartbeat after the wait ended: %q", out.String())
	}
	// Output during a wait holds the heartbeat back.
	done = hb.waiting("Lambda waits 1m0s before the next attempt (1s real at 60x)")
	for range 6 {
		hb.Write([]byte("line\n"))
		time.Sleep(20 * time.Millisecond)
	}
	done()
	if strings.Contains(strings.TrimPrefix(out.String(), got), "waiting") {
		t.Errorf("a heartbeat while lines kept coming: %q", out.String())
	}
}

// randomName is a database name no test has used.
func randomName(t *testing.T, prefix string) string {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b[:])
}

// withDB returns dbURL naming database name.
func withDB(t *testing.T, dbURL, name string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// dropDatabase drops name when the test ends.
func dropDatabase(t *testing.T, admin, name string) {
	t.Cleanup(func() {
		ctx := context.Background()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop %s: %v", name, err)
		}
	})
}

// TestDatabaseStep: a missing database is created (and said so); the server's default
// database is refused unless --allow-postgres-db; a user who may not create databases gets
// the exact createdb command.
func TestDatabaseStep(t *testing.T) {
	db := testdb.New(t) // skips without DATABASE_URL (fails under LAMBDABRIDGE_REQUIRE_DB=1)
	admin := os.Getenv("DATABASE_URL")
	ctx := context.Background()

	name := randomName(t, "lblocal_")
	dropDatabase(t, admin, name)
	var out bytes.Buffer
	s := &session{o: options{databaseURL: withDB(t, db, name)}, out: &out}
	if err := s.database(ctx); err != nil {
		t.Fatalf("missing database: %v", err)
	}
	if !strings.Contains(out.String(), "database "+name+" did not exist on ") || !strings.Contains(out.String(), "fetches has 0 rows") {
		t.Errorf("output %q", out.String())
	}
	out.Reset()
	if err := s.database(ctx); err != nil || strings.Contains(out.String(), "did not exist") {
		t.Errorf("existing database: %v %q", err, out.String())
	}

	s = &session{o: options{databaseURL: withDB(t, db, "postgres")}, out: io.Discard}
	err := s.database(ctx)
	if exitcode.Of(err) != exitcode.Usage || !strings.Contains(err.Error(), `names the server's default database "postgres"`) || !strings.Contains(err.Error(), "--allow-postgres-db") {
		t.Errorf("default database: %v", err)
	}
	s.o.allowPostgresDB = true
	if err := s.database(ctx); err != nil {
		t.Errorf("default database with --allow-postgres-db: %v", err)
	}

	role := testdb.Role(t, db, "lbnocreate_")
	c, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "CREATE ROLE "+role+" LOGIN NOCREATEDB"); err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
	other := randomName(t, "lblocal_")
	s = &session{o: options{databaseURL: testdb.AsUser(t, withDB(t, db, other), role)}, out: io.Discard}
	err = s.database(ctx)
	if exitcode.Of(err) != exitcode.Failure || err == nil || !regexp.MustCompile(`create it with `+"`"+`createdb -h \S+ -p \d+ -U `+role+` `+other+"`").MatchString(err.Error()) {
		t.Errorf("no right to create: %v", err)
	}
}

// localRun runs the command with args against a fresh database and fauxqs, and returns its
// output, the functions' log and the error.
func localRun(t *testing.T, ctx context.Context, args ...string) (out, logs string, err error) {
	t.Helper()
	db := testdb.New(t)
	sqslocal.New(t) // skips, or fails under LAMBDABRIDGE_REQUIRE_DB=1, when fauxqs is not installed
	dir := t.TempDir()
	var buf lockedBuffer
	err = run(ctx, append([]string{"--dir", "../..", "--database-url", db, "--out-dir", dir}, args...), &buf, io.Discard)
	b, _ := os.ReadFile(filepath.Join(dir, "functions.log"))
	return buf.String(), string(b), err
}

// TestLocalRunOwnAPIWithHeaders: with --url and LAMBDABRIDGE_SOURCE_HEADERS, the real
// bootstraps fetch the user's API, which demands the key, and the rows land in PostgreSQL,
// through the fetcher and writer or through the relay. The fetching function reads the key
// from a local Parameter Store once per cold start, as deployed; it is in no output line and
// no function log line.
func TestLocalRunOwnAPIWithHeaders(t *testing.T) {
	const key = "local-key-4f3e2d1c"
	for _, tc := range []struct{ topology, summary string }{
		{"destination", "summary  2 runs: 2 fetched, 0 failed to fetch; writer 2 deliveries, 0 failed; rows written 2"},
		{"relay", "summary  2 runs: relay fetched and stored 2, 0 failed; rows written 2"},
	} {
		t.Run(tc.topology, func(t *testing.T) {
			var served, refused int
			var mu sync.Mutex
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				if r.Header.Get("X-Api-Key") != key {
					refused++
					http.Error(w, "unauthorized", http.StatusUnauthorized)
					return
				}
				served++
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"orders":[{"id":1},{"id":2}]}`)
			}))
			defer api.Close()
			t.Setenv("LAMBDABRIDGE_SOURCE_HEADERS", `{"X-Api-Key":"`+key+`"}`)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			out, logs, err := localRun(t, ctx, "--topology", tc.topology, "--url", api.URL+"/orders?page=1", "--runs", "2", "--time-scale", "600")
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			for _, want := range []string{
				"source   " + api.URL + "/orders with headers X-Api-Key (values not shown; the functions read them from a local Parameter Store)",
				"source   headers from LAMBDABRIDGE_SOURCE_HEADERS (values not shown)",
				// The fetching function's one cold start reads the parameter once: one KMS
				// Decrypt when deployed.
				"headers  read 1 time(s) from the local Parameter Store at cold start (deployed: 1 GetParameter, 1 KMS Decrypt)",
				tc.summary,
			} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if served != 2 || refused != 0 {
				t.Errorf("the API served %d and refused %d requests; want 2 and 0", served, refused)
			}
			if strings.Contains(out, key) || strings.Contains(logs, key) || strings.Contains(out, "page=1") {
				t.Errorf("the key (or the URL's query) is shown:\n%s\n%s", out, logs)
			}
		})
	}
}

// TestLocalRunFailsWhenARunDoesNotReachTheDatabase: a source that answers 500 is retried and
// lands in the dead-letter queue; the command then exits 1, saying how many runs did not
// reach the database.
func TestLocalRunFailsWhenARunDoesNotReachTheDatabase(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, _, err := localRun(t, ctx, "--runs", "1", "--source-mode", "500", "--time-scale", "6000")
	if exitcode.Of(err) != exitcode.Failure || err == nil || !strings.Contains(err.Error(), "1 of 1 runs did not reach the database") {
		t.Fatalf("err = %v (status %d), want status 1\n%s", err, exitcode.Of(err), out)
	}
	if !strings.Contains(out, "summary  1 runs: 0 fetched, 1 failed to fetch") || !strings.Contains(out, "dead-letter queue holds 1") {
		t.Errorf("summary:\n%s", out)
	}
}

// TestLocalKeepThenRedrive: with --keep the servers stay up after the summary and the command
// prints the cmd/redrive line for the local dead-letter queue; running that line (the real
// command) reads the failed fetch and leaves it, as it would in AWS.
func TestLocalKeepThenRedrive(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "redrive")
	if b, err := exec.Command("go", "build", "-o", bin, "../redrive").CombinedOutput(); err != nil {
		t.Fatalf("build cmd/redrive: %v\n%s", err, b)
	}
	db := testdb.New(t)
	sqslocal.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out lockedBuffer
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"--dir", "../..", "--database-url", db, "--out-dir", t.TempDir(), "--runs", "1", "--source-mode", "500", "--time-scale", "6000", "--keep"}, &out, io.Discard)
	}()
	line := regexp.MustCompile(`keep     go run ./cmd/redrive (.+)\n`)
	var args []string
	for args == nil {
		select {
		case err := <-errc:
			t.Fatalf("run ended before keeping the servers: %v\n%s", err, out.String())
		case <-time.After(200 * time.Millisecond):
		}
		if m := line.FindStringSubmatch(out.String()); m != nil {
			args = strings.Fields(m[1])
		}
	}
	rd, err := exec.CommandContext(ctx, bin, append(args, "--wait", "0s")...).CombinedOutput()
	if err != nil {
		t.Fatalf("redrive %v: %v\n%s", args, err, rd)
	}
	if !strings.Contains(string(rd), "received 1, redriven 0") || !strings.Contains(string(rd), "failed fetches left 1, missed runs left 0, unreadable 0; 1 left") {
		t.Errorf("redrive output:\n%s", rd)
	}
	if strings.Contains(out.String(), "redrive  ") {
		t.Errorf("--keep redrove by itself:\n%s", out.String())
	}
	cancel()
	if err := <-errc; exitcode.Of(err) != exitcode.Failure {
		t.Errorf("after Ctrl-C: %v, want status 1 (the run did not reach the database)", err)
	}
}
