package relay

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/jackc/pgx/v5"

	"github.com/lambdabridge/lambdabridge/handlers/envelope"
	"github.com/lambdabridge/lambdabridge/handlers/envvar/envvartest"
	"github.com/lambdabridge/lambdabridge/handlers/event"
	"github.com/lambdabridge/lambdabridge/handlers/fetcher"
	"github.com/lambdabridge/lambdabridge/handlers/store"
	"github.com/lambdabridge/lambdabridge/internal/testdb"
)

const schedulerEvent = `{"version":"0","id":"1","detail-type":"Scheduled Event","source":"aws.events","time":"2026-11-25T09:00:00Z","detail":{}}`

const arn = "arn:aws:lambda:us-east-1:123456789012:function:lb-relay:$LATEST"

func lambdaCtx(id string) context.Context {
	return lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: id, InvokedFunctionArn: arn})
}

type fixture struct {
	r      *Relay
	db     *pgx.Conn
	stdout *bytes.Buffer
	proxy  *testdb.Proxy
}

// newFixture starts an httptest source answering with status and body, a fresh database
// behind a cuttable proxy, and a relay built by NewFromEnv as the bootstrap does.
func newFixture(t *testing.T, status int, body string, extra map[string]string) *fixture {
	t.Helper()
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(src.Close)
	dbURL := testdb.New(t)
	cc, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := testdb.NewProxy(t, fmt.Sprintf("%s:%d", cc.Host, cc.Port))
	vars := map[string]string{"SOURCE_URL": src.URL + "/v1/items", "ASYNC_LIMIT_BYTES": "1048576", "DATABASE_URL": proxy.URL(t, dbURL),
		"FETCH_RETRIES": "1", "MODE": "s3", "BUCKET": "ignored-by-the-relay"}
	for k, v := range extra {
		vars[k] = v
	}
	stdout := &bytes.Buffer{}
	r, closeFn, err := NewFromEnv(context.Background(), func(k string) string { return vars[k] }, stdout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeFn)
	r.functionName = "lb-relay"
	db, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	return &fixture{r: r, db: db, stdout: stdout, proxy: proxy}
}

func (f *fixture) rows(t *testing.T) int {
	t.Helper()
	var n int
	err := f.db.QueryRow(context.Background(), `SELECT count(*) FROM fetches`).Scan(&n)
	if err != nil && strings.Contains(err.Error(), "does not exist") {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// emf returns the EMF lines written to stdout.
func (f *fixture) emf(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(f.stdout.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["_aws"] != nil {
			out = append(out, m)
		}
	}
	return out
}

func TestRelayFetchesAndStores(t *testing.T) {
	body := `[{"id":"a","v":1},{"id":"b","v":2}]`
	f := newFixture(t, 200, body, map[string]string{"RECORDS_KEY": "id"})
	out, err := f.r.Handle(lambdaCtx("relay-req-1"), json.RawMessage(schedulerEvent))
	if err != nil {
		t.Fatal(err)
	}
	if !out.New || out.BodyType != "jsonb" || out.RawLength != int64(len(body)) || out.Elements != 2 || out.Upserted != 2 {
		t.Fatalf("output %+v", out)
	}
	var same bool
	var delivered, reqID string
	if err := f.db.QueryRow(context.Background(), `SELECT body_json = $1::jsonb, delivered_as, fetch_request_id FROM fetches`, body).Scan(&same, &delivered, &reqID); err != nil {
		t.Fatal(err)
	}
	if !same || delivered != "relay" || reqID != "relay-req-1" {
		t.Fatalf("row: same body %v, delivered_as %q, request %q", same, delivered, reqID)
	}
	// The EMF line: the fetcher's metrics. RecordBytes is the record that would carry the
	// envelope inline: event.NewSuccessRecord over the scheduler event and the envelope JSON.
	lines := f.emf(t)
	if len(lines) != 1 {
		t.Fatalf("%d EMF lines, want 1:\n%s", len(lines), f.stdout)
	}
	m := lines[0]
	compressed, err := envelope.Compress([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	env, err := envelope.Encode([]byte(body), envelope.Meta{Source: out.Source, FetchedAt: out.FetchedAt, Status: 200, ContentType: "application/json"})
	if err != nil {
		t.Fatal(err)
	}
	envJSON, _ := json.Marshal(env)
	rec, err := event.NewSuccessRecord("relay-req-1", arn, time.Now(), []byte(schedulerEvent), envJSON).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"RawBytes": float64(len(body)), "CompressedBytes": float64(len(compressed)),
		"RecordBytes": float64(len(rec)), "LimitBytes": 1048576}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("EMF %s = %v, want %v", k, m[k], v)
		}
	}
	// percent = RecordBytes / 1,048,576 × 100, rounded to 2 decimals: the record is a few
	// hundred bytes, so well under 1 %; the exact figure is worked from len(rec) below.
	wantPct := math.Round(float64(len(rec))*10000/1048576) / 100
	if p := m["RecordPercentOfLimit"]; p != wantPct || wantPct <= 0 || wantPct >= 1 {
		t.Errorf("RecordPercentOfLimit %v, want %v (%d / 1,048,576 × 100)", p, wantPct, len(rec))
	}
	if m["FunctionName"] != "lb-relay" || m["Outcome"] != "relay" {
		t.Errorf("EMF FunctionName %v Outcome %v", m["FunctionName"], m["Outcome"])
	}
	if strings.Contains(f.stdout.String(), `"v":1`) {
		t.Errorf("stdout carries the body:\n%s", f.stdout)
	}
	// Each invocation is a new fetch: a second run adds a row.
	if _, err := f.r.Handle(lambdaCtx("relay-req-2"), json.RawMessage(schedulerEvent)); err != nil {
		t.Fatal(err)
	}
	if n := f.rows(t); n != 2 {
		t.Fatalf("%d rows after two runs, want 2", n)
	}
}

func TestRelayFailures(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		extra  map[string]string
		cut    bool
		want   string
	}{
		{name: "source keeps failing", status: 503, body: `busy`, want: "503"},
		{name: "non-JSON when JSON is expected", status: 200, body: `<html>`, extra: map[string]string{"EXPECT_JSON": "true"}, want: "not valid JSON"},
		{name: "body over the cap", status: 200, body: strings.Repeat("x", 2000), extra: map[string]string{"MAX_BODY_BYTES": "1000"}, want: "size cap"},
		{name: "database down", status: 200, body: `{}`, cut: true, want: "store"},
		{name: "records mode, not an array", status: 200, body: `{"id":1}`, extra: map[string]string{"RECORDS_KEY": "id"}, want: "not a JSON array"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.status, tc.body, tc.extra)
			f.r.fetch.Source().Sleep = func(context.Context, time.Duration) error { return nil }
			f.proxy.SetDown(tc.cut)
			_, err := f.r.Handle(lambdaCtx("r"), json.RawMessage(schedulerEvent))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
			if n := f.rows(t); n != 0 {
				t.Fatalf("%d rows written", n)
			}
		})
	}
}

func TestRelayConfig(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"no limit", map[string]string{"SOURCE_URL": "https://x", "DATABASE_URL": "postgres://u@h/d"}, "ASYNC_LIMIT_BYTES is required"},
		{"no source", map[string]string{"ASYNC_LIMIT_BYTES": "1048576", "DATABASE_URL": "postgres://u@h/d"}, "SOURCE_URL"},
		{"no database", map[string]string{"ASYNC_LIMIT_BYTES": "1048576", "SOURCE_URL": "https://x"}, "DATABASE_URL"},
		{"bad limit", map[string]string{"ASYNC_LIMIT_BYTES": "1MB", "SOURCE_URL": "https://x", "DATABASE_URL": "postgres://u@h/d"},
			`ASYNC_LIMIT_BYTES="1MB": want a whole number of bytes`},
		{"bad port", map[string]string{"ASYNC_LIMIT_BYTES": "1048576", "SOURCE_URL": "https://x", "PGHOST": "h", "PGUSER": "u", "PGPORT": "x"},
			`PGPORT="x": want a port number`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := NewFromEnv(context.Background(), func(k string) string { return tc.vars[k] }, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// TestSettingsEnvRoundTrip: the relay's environment is the fetcher's source part, the async
// limit and the store part, and parses back to the same Settings. The fetcher's MODE, SPILL,
// BUCKET and KEY_PREFIX are not in it.
func TestSettingsEnvRoundTrip(t *testing.T) {
	const url = "https://api.example.com/v1/data.json"
	tuned := fetcher.NewSourceSettings(url)
	tuned.Config.Timeout, tuned.Config.ConnectTimeout, tuned.Config.Retries, tuned.Config.ExpectJSON = 10*time.Second, time.Second, 1, true
	tests := []struct {
		name string
		s    Settings
		env  map[string]string
	}{
		{name: "as infra deploys it: PG* with IAM and the writer-role setup",
			s: Settings{Source: fetcher.NewSourceSettings(url), AsyncLimitBytes: 1_048_576, Store: store.Config{Host: "db.example", Port: 5432,
				Name: "lambdabridge", User: "writer", Auth: store.AuthIAM, SSLMode: "verify-full", RecordsTable: "records",
				AdminUser: "lbadmin", AdminPassword: "hunter2"}},
			env: map[string]string{"SOURCE_URL": url, "ASYNC_LIMIT_BYTES": "1048576", "PGHOST": "db.example", "PGPORT": "5432",
				"PGDATABASE": "lambdabridge", "PGUSER": "writer", "DB_AUTH": "iam", "PGSSLMODE": "verify-full", "RECORDS_TABLE": "records",
				"DB_ADMIN_USER": "lbadmin", "DB_ADMIN_PASSWORD": "hunter2"}},
		{name: "locally: a tuned source, DATABASE_URL, records mode",
			s: Settings{Source: tuned, AsyncLimitBytes: 262_144, Store: store.Config{URL: "postgres://u@127.0.0.1/d?sslmode=disable",
				Auth: store.AuthPassword, RecordsKey: "id", RecordsTable: "records"}},
			env: map[string]string{"SOURCE_URL": url, "FETCH_TIMEOUT": "10s", "CONNECT_TIMEOUT": "1s", "FETCH_RETRIES": "1", "EXPECT_JSON": "true",
				"ASYNC_LIMIT_BYTES": "262144", "DATABASE_URL": "postgres://u@127.0.0.1/d?sslmode=disable", "DB_AUTH": "password",
				"RECORDS_KEY": "id", "RECORDS_TABLE": "records"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			envvartest.RoundTrip(t, tc.s, tc.env, Settings.Env, SettingsFromEnv)
		})
	}
}

// TestRelayDuplicateScheduledEvent: the relay copies the scheduled run into the envelope, so
// a duplicated scheduled event (or a retry after a crash) fetches twice but stores once;
// the next run is a row of its own.
func TestRelayDuplicateScheduledEvent(t *testing.T) {
	f := newFixture(t, 200, `{"n":1}`, nil)
	run := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	ev := event.NewSchedulerEvent("arn:aws:scheduler:us-east-1:123456789012:schedule/default/lb", run, "exec-1", 1)
	for i, want := range []bool{true, false} {
		out, err := f.r.Handle(lambdaCtx(fmt.Sprintf("relay-req-%d", i)), json.RawMessage(ev))
		if err != nil {
			t.Fatal(err)
		}
		if out.New != want || out.ScheduledAt == nil || !out.ScheduledAt.Equal(run) {
			t.Fatalf("delivery %d: new %v run %v, want new %v run %s", i+1, out.New, out.ScheduledAt, want, run)
		}
	}
	if n := f.rows(t); n != 1 {
		t.Fatalf("%d rows after a duplicated scheduled event, want 1", n)
	}
	next := event.NewSchedulerEvent("arn:aws:scheduler:us-east-1:123456789012:schedule/default/lb", run.Add(10*time.Minute), "exec-2", 1)
	if _, err := f.r.Handle(lambdaCtx("relay-req-next"), json.RawMessage(next)); err != nil {
		t.Fatal(err)
	}
	if n := f.rows(t); n != 2 {
		t.Fatalf("%d rows after the next run, want 2", n)
	}
}
