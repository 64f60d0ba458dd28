package store

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/jackc/pgx/v5"

	"github.com/lambdabridge/lambdabridge/handlers/envelope"
	"github.com/lambdabridge/lambdabridge/internal/testdb"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 123456000, time.UTC) // microseconds: what timestamptz keeps

func fetchOf(t testing.TB, raw []byte, at time.Time) Fetch {
	t.Helper()
	e, err := envelope.Encode(raw, envelope.Meta{Source: "https://api.example.com/items", FetchedAt: at, Status: 200, ContentType: "application/json"})
	if err != nil {
		t.Fatal(err)
	}
	return Fetch{Envelope: e, Raw: raw, DeliveredAs: "envelope", FetchRequestID: "req-1"}
}

func openStore(t testing.TB, url string, mutate func(*Config)) *Store {
	t.Helper()
	c := Config{URL: url}
	if mutate != nil {
		mutate(&c)
	}
	s, err := Open(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func adminConn(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func count(t testing.TB, c *pgx.Conn, table string) int {
	t.Helper()
	var n int
	if err := c.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestPutBodyTypes(t *testing.T) {
	url := testdb.New(t)
	s := openStore(t, url, nil)
	db := adminConn(t, url)
	ctx := context.Background()
	tests := []struct {
		name string
		raw  []byte
		want string
	}{
		{"JSON object", []byte(`{"b": 2, "a": [1, 2]}`), BodyJSONB},
		{"JSON array", []byte(`[{"id":1}]`), BodyJSONB},
		{"CSV", []byte("id,name\n1,x\n"), BodyBytea},
		{"binary", []byte{0x00, 0xff, 0x10}, BodyBytea},
		{"empty body", []byte{}, BodyBytea},
		{`JSON with \u0000 (jsonb refuses it)`, []byte(`{"s":"a\u0000b"}`), BodyBytea},
		{"truncated JSON", []byte(`{"a":`), BodyBytea},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := fetchOf(t, tc.raw, t0.Add(time.Duration(i)*time.Minute))
			res, err := s.Put(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if !res.New || res.BodyType != tc.want {
				t.Fatalf("result %+v, want new %s", res, tc.want)
			}
			var sameJSON, sameBytes *bool
			var sha, src, delivered, reqID string
			var rawLen int64
			var at time.Time
			err = db.QueryRow(ctx, `SELECT body_json = $2::jsonb, body_bytes = $3, sha256, source, raw_length, fetched_at, delivered_as, fetch_request_id
				FROM fetches WHERE id = $1`, res.ID, jsonOrNil(tc.raw, tc.want), tc.raw).Scan(&sameJSON, &sameBytes, &sha, &src, &rawLen, &at, &delivered, &reqID)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == BodyJSONB && (sameJSON == nil || !*sameJSON || sameBytes != nil) {
				t.Errorf("jsonb body not stored as given (json=%v bytes=%v)", sameJSON, sameBytes)
			}
			if tc.want == BodyBytea && (sameBytes == nil || !*sameBytes || sameJSON != nil) {
				t.Errorf("bytea body not stored as given (json=%v bytes=%v)", sameJSON, sameBytes)
			}
			if sha != envelope.Checksum(tc.raw) || src != f.Envelope.Source || rawLen != int64(len(tc.raw)) ||
				!at.Equal(f.Envelope.FetchedAt) || delivered != "envelope" || reqID != "req-1" {
				t.Errorf("metadata sha %s src %s len %d at %v delivered %s req %s", sha, src, rawLen, at, delivered, reqID)
			}
		})
	}
}

func jsonOrNil(raw []byte, bt string) any {
	if bt == BodyJSONB {
		return string(raw)
	}
	return nil
}

func TestPutIdempotent(t *testing.T) {
	url := testdb.New(t)
	s := openStore(t, url, nil)
	db := adminConn(t, url)
	ctx := context.Background()
	raw := []byte(`{"v":1}`)
	f := fetchOf(t, raw, t0)
	var first Result
	for i := range 3 { // the same record delivered 3 times
		res, err := s.Put(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = res
		}
		if res.New != (i == 0) || res.ID != first.ID {
			t.Fatalf("delivery %d: %+v (first %+v)", i+1, res, first)
		}
	}
	if n := count(t, db, "fetches"); n != 1 {
		t.Fatalf("3 deliveries of one fetch gave %d rows, want 1", n)
	}
	// The same bytes fetched an hour later are a second fetch.
	res, err := s.Put(ctx, fetchOf(t, raw, t0.Add(time.Hour)))
	if err != nil || !res.New {
		t.Fatalf("later fetch: %+v %v", res, err)
	}
	if n := count(t, db, "fetches"); n != 2 {
		t.Fatalf("two fetches gave %d rows, want 2", n)
	}
}

func TestPutRejectsInconsistentFetch(t *testing.T) {
	s := &Store{} // validation happens before any database access
	f := fetchOf(t, []byte(`{}`), t0)
	tests := []struct {
		name string
		f    Fetch
		want string
	}{
		{"no envelope", Fetch{Raw: []byte("x"), DeliveredAs: "envelope"}, "no envelope"},
		{"length mismatch", Fetch{Envelope: f.Envelope, Raw: []byte(`{"x":1}`), DeliveredAs: "envelope"}, "rawLength 2"},
		{"no delivery kind", Fetch{Envelope: f.Envelope, Raw: f.Raw}, "DeliveredAs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.Put(context.Background(), tc.f); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestConcurrentColdStarts(t *testing.T) {
	url := testdb.New(t)
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		s := openStore(t, url, func(c *Config) { c.RecordsKey, c.RecordsTable = "id", "items" })
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.Ensure(context.Background()) }()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("cold start %d: %v", i, err)
		}
	}
	db := adminConn(t, url)
	var versions, maxV int
	if err := db.QueryRow(context.Background(), `SELECT count(*), max(version) FROM schema_version`).Scan(&versions, &maxV); err != nil {
		t.Fatal(err)
	}
	if versions != len(migrations) || maxV != SchemaVersion {
		t.Fatalf("schema_version has %d rows up to %d; want %d rows up to %d", versions, maxV, len(migrations), SchemaVersion)
	}
	// A later cold start is a no-op.
	if err := openStore(t, url, nil).Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	if count(t, db, "schema_version") != len(migrations) {
		t.Fatal("re-running migrations added versions")
	}
}

func recordsStore(t testing.TB, url string) *Store {
	return openStore(t, url, func(c *Config) { c.RecordsKey, c.RecordsTable = "id", "public.items" })
}

func TestRecordsMode(t *testing.T) {
	url := testdb.New(t)
	s := recordsStore(t, url)
	db := adminConn(t, url)
	ctx := context.Background()

	docOf := func(key string) string {
		var doc string
		if err := db.QueryRow(ctx, `SELECT doc::text FROM items WHERE key = $1`, key).Scan(&doc); err != nil {
			t.Fatalf("record %s: %v", key, err)
		}
		return doc
	}
	// Fetch 1 at t0: keys "a", "1" (a number, stored as its text), "b" twice — the later element wins.
	res, err := s.Put(ctx, fetchOf(t, []byte(`[{"id":"a","v":1},{"id":1,"v":2},{"id":"b","v":3},{"id":"b","v":4}]`), t0))
	if err != nil {
		t.Fatal(err)
	}
	// 4 elements, 3 distinct keys → 3 rows inserted.
	if !res.New || res.Elements != 4 || res.Upserted != 3 {
		t.Fatalf("first fetch %+v, want new, 4 elements, 3 upserted", res)
	}
	if got := docOf("b"); got != `{"v": 4, "id": "b"}` {
		t.Errorf("b = %s, want the last element", got)
	}
	if got := docOf("1"); got != `{"v": 2, "id": 1}` {
		t.Errorf("1 = %s", got)
	}
	// Redelivery: fetches row exists → records skipped.
	res, err = s.Put(ctx, fetchOf(t, []byte(`[{"id":"a","v":1},{"id":1,"v":2},{"id":"b","v":3},{"id":"b","v":4}]`), t0))
	if err != nil || res.New || res.Upserted != 0 {
		t.Fatalf("redelivery %+v %v", res, err)
	}
	// Fetch 2 at t0+2h: updates "a", adds "c"; "1" and "b" stay (not deleted).
	if res, err = s.Put(ctx, fetchOf(t, []byte(`[{"id":"a","v":10},{"id":"c","v":5}]`), t0.Add(2*time.Hour))); err != nil || res.Upserted != 2 {
		t.Fatalf("second fetch %+v %v", res, err)
	}
	// Fetch 3 at t0+1h delivered late: older than fetch 2 → "a" is not overwritten; "d" is new.
	if res, err = s.Put(ctx, fetchOf(t, []byte(`[{"id":"a","v":99},{"id":"d","v":6}]`), t0.Add(time.Hour))); err != nil || res.Upserted != 1 {
		t.Fatalf("late older fetch %+v %v (want 1 upserted: only d)", res, err)
	}
	if got := docOf("a"); got != `{"v": 10, "id": "a"}` {
		t.Errorf("a = %s, want the newest fetch's {v:10}", got)
	}
	if n := count(t, db, "items"); n != 5 { // a, 1, b, c, d
		t.Errorf("items has %d rows, want 5", n)
	}
	if n := count(t, db, "fetches"); n != 3 {
		t.Errorf("fetches has %d rows, want 3", n)
	}
}

func TestRecordsModeBadBodies(t *testing.T) {
	url := testdb.New(t)
	s := recordsStore(t, url)
	db := adminConn(t, url)
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"object, not array", `{"data":[]}`, "not a JSON array"},
		{"not JSON", `id,v`, "not a JSON array"},
		{"element not object", `[{"id":1},2]`, "element 1 is not a JSON object"},
		{"missing key", `[{"id":1},{"name":"x"}]`, `element 1 has no field "id"`},
		{"null key", `[{"id":null}]`, `element 0 field "id": is null`},
		{"object key", `[{"id":{"x":1}}]`, "is an object or array"},
		{`\u0000 in element`, `[{"id":1,"s":"\u0000"}]`, `\u0000`},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Put(context.Background(), fetchOf(t, []byte(tc.raw), t0.Add(time.Duration(i)*time.Second)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	if err := s.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "fetches") + count(t, db, "items"); n != 0 {
		t.Fatalf("bad bodies left %d rows", n)
	}
}

func TestDatabaseDownThenBack(t *testing.T) {
	url := testdb.New(t)
	proxy := testdb.NewProxy(t, hostOf(t, url))
	s := recordsStore(t, proxy.URL(t, url))
	db := adminConn(t, url) // direct, not through the proxy
	ctx := context.Background()
	body := []byte(`[{"id":"a"},{"id":"b"},{"id":"c"}]`)

	if _, err := s.Put(ctx, fetchOf(t, body, t0)); err != nil {
		t.Fatal(err)
	}
	// Down before the call: an error, nothing written.
	proxy.SetDown(true)
	if _, err := s.Put(ctx, fetchOf(t, body, t0.Add(time.Hour))); err == nil {
		t.Fatal("Put succeeded with the database down")
	}
	// Down in the middle of the transaction: the fetches row was inserted, the records not yet.
	proxy.SetDown(false)
	testHookAfterFetchRow = func() { proxy.SetDown(true) }
	_, err := s.Put(ctx, fetchOf(t, body, t0.Add(2*time.Hour)))
	testHookAfterFetchRow = nil
	if err == nil {
		t.Fatal("Put succeeded although the connection was cut mid-transaction")
	}
	if f, r := count(t, db, "fetches"), count(t, db, "items"); f != 1 || r != 3 {
		t.Fatalf("after failures: %d fetches rows and %d items rows, want only the first fetch's 1 and 3", f, r)
	}
	// Back up: the store reconnects and the retried delivery succeeds.
	proxy.SetDown(false)
	res, err := s.Put(ctx, fetchOf(t, body, t0.Add(2*time.Hour)))
	if err != nil || !res.New || res.Upserted != 3 {
		t.Fatalf("after recovery: %+v %v", res, err)
	}
	if f := count(t, db, "fetches"); f != 2 {
		t.Fatalf("%d fetches rows, want 2", f)
	}
}

func hostOf(t testing.TB, url string) string {
	t.Helper()
	cc, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s:%d", cc.Host, cc.Port)
}

// countingCreds counts credential look-ups: one per IAM token, so one per new connection.
type countingCreds struct {
	aws.CredentialsProvider
	n atomic.Int32
}

func (c *countingCreds) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c.n.Add(1)
	return c.CredentialsProvider.Retrieve(ctx)
}

// TestIAMFreshTokenPerConnection connects with DB_AUTH=iam to the (trust-auth) test server:
// the token is signed for every new connection, and the connection works.
func TestIAMFreshTokenPerConnection(t *testing.T) {
	url := testdb.New(t)
	proxy := testdb.NewProxy(t, hostOf(t, url))
	creds := &countingCreds{CredentialsProvider: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}
	s := openStore(t, proxy.URL(t, url), func(c *Config) { c.Auth, c.Region, c.Credentials = AuthIAM, "us-east-1", creds })
	ctx := context.Background()
	if _, err := s.Put(ctx, fetchOf(t, []byte(`{}`), t0)); err != nil {
		t.Fatal(err)
	}
	if got := creds.n.Load(); got != 1 {
		t.Fatalf("%d tokens for the first connection, want 1", got)
	}
	if _, err := s.Put(ctx, fetchOf(t, []byte(`{}`), t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	if got := creds.n.Load(); got != 1 {
		t.Fatalf("connection not reused: %d tokens", got)
	}
	proxy.SetDown(true)
	if _, err := s.Put(ctx, fetchOf(t, []byte(`{}`), t0.Add(2*time.Hour))); err == nil {
		t.Fatal("Put succeeded while down")
	}
	proxy.SetDown(false)
	if _, err := s.Put(ctx, fetchOf(t, []byte(`{}`), t0.Add(2*time.Hour))); err != nil {
		t.Fatal(err)
	}
	// 1 (first connection) + attempts while down + 1 (reconnection): at least 2.
	if got := creds.n.Load(); got < 2 {
		t.Fatalf("%d tokens after a reconnection, want a fresh one (≥ 2)", got)
	}
}

func TestOpenRefusesBadConfig(t *testing.T) {
	_, err := Open(context.Background(), Config{URL: "postgres://u@h/d", Auth: AuthIAM, Region: "us-east-1"})
	if err == nil || !strings.Contains(err.Error(), "no AWS credentials") {
		t.Fatalf("Open without credentials: %v", err)
	}
}

// BenchmarkStore stores one ~279 KB JSON document (the envelope package's sample) per
// iteration, each as a new fetch (distinct fetched_at), as jsonb; and in records mode its
// "data" array.
func BenchmarkStore(b *testing.B) {
	raw, err := os.ReadFile("../envelope/testdata/sample.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("jsonb", func(b *testing.B) {
		s := openStore(b, testdb.New(b), nil)
		benchPut(b, s, raw)
	})
	b.Run("records", func(b *testing.B) {
		s := openStore(b, testdb.New(b), func(c *Config) { c.RecordsKey = "id" })
		benchPut(b, s, dataArray(b, raw))
	})
}

func benchPut(b *testing.B, s *Store, raw []byte) {
	ctx := context.Background()
	if err := s.Ensure(ctx); err != nil {
		b.Fatal(err)
	}
	f := fetchOf(b, raw, t0)
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		e := *f.Envelope
		e.FetchedAt = t0.Add(time.Duration(i) * time.Second)
		if _, err := s.Put(ctx, Fetch{Envelope: &e, Raw: raw, DeliveredAs: "envelope"}); err != nil {
			b.Fatal(err)
		}
	}
}

// dataArray returns the sample's "data" array (its records) as JSON.
func dataArray(b testing.TB, raw []byte) []byte {
	var doc struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || len(doc.Data) == 0 {
		b.Fatalf("sample has no data array: %v", err)
	}
	return doc.Data
}

// scheduledFetch is a fetch of the scheduled run at scheduled, fetched at fetched.
func scheduledFetch(t testing.TB, raw []byte, scheduled, fetched time.Time, exec string) Fetch {
	t.Helper()
	e, err := envelope.Encode(raw, envelope.Meta{Source: "https://api.example.com/items", FetchedAt: fetched, Status: 200,
		ContentType: "application/json", ScheduledAt: scheduled, ExecutionID: exec})
	if err != nil {
		t.Fatal(err)
	}
	return Fetch{Envelope: e, Raw: raw, DeliveredAs: "envelope"}
}

// TestOneRowPerScheduledRun: every fetch of one scheduled run (a duplicated scheduled event,
// a fetcher retried after a crash, a replay) is one row, the first stored; runs started by
// hand keep one row per distinct fetch.
func TestOneRowPerScheduledRun(t *testing.T) {
	run1, run2 := t0.Truncate(time.Minute), t0.Truncate(time.Minute).Add(10*time.Minute)
	type put struct {
		f   Fetch
		new bool
	}
	tests := []struct {
		name string
		puts []put
		rows int
	}{
		{"one run fetched twice (a duplicated scheduled event)", []put{
			{scheduledFetch(t, []byte(`{"v":1}`), run1, run1.Add(time.Second), "e1"), true},
			// The second fetch, a second later, got newer data: still the same run.
			{scheduledFetch(t, []byte(`{"v":2}`), run1, run1.Add(2*time.Second), "e1"), false},
		}, 1},
		{"a replay of the run hours later, from the dead-letter queue", []put{
			{scheduledFetch(t, []byte(`{"v":1}`), run1, run1.Add(time.Second), "e1"), true},
			{scheduledFetch(t, []byte(`{"v":3}`), run1, run1.Add(3*time.Hour), "e1"), false},
		}, 1},
		{"the same delivery twice", []put{
			{scheduledFetch(t, []byte(`{"v":1}`), run1, run1.Add(time.Second), "e1"), true},
			{scheduledFetch(t, []byte(`{"v":1}`), run1, run1.Add(time.Second), "e1"), false},
		}, 1},
		{"two runs with identical bodies", []put{
			{scheduledFetch(t, []byte(`{"v":1}`), run1, run1.Add(time.Second), "e1"), true},
			{scheduledFetch(t, []byte(`{"v":1}`), run2, run2.Add(time.Second), "e2"), true},
		}, 2},
		{"two runs by hand of the same bytes at different times", []put{
			{fetchOf(t, []byte(`{"v":1}`), t0), true},
			{fetchOf(t, []byte(`{"v":1}`), t0.Add(time.Second)), true},
		}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := testdb.New(t)
			s := openStore(t, url, nil)
			db := adminConn(t, url)
			var firstID int64
			for i, p := range tc.puts {
				res, err := s.Put(context.Background(), p.f)
				if err != nil {
					t.Fatal(err)
				}
				if res.New != p.new {
					t.Errorf("put %d: new = %v, want %v", i+1, res.New, p.new)
				}
				if i == 0 {
					firstID = res.ID
				} else if !p.new && res.ID != firstID {
					t.Errorf("put %d reports row %d, want the first row %d", i+1, res.ID, firstID)
				}
			}
			if n := count(t, db, "fetches"); n != tc.rows {
				t.Fatalf("%d rows, want %d", n, tc.rows)
			}
			// The first fetch stored wins: its body, its run and execution id.
			first := tc.puts[0].f.Envelope
			var sha, exec *string
			var scheduled *time.Time
			if err := db.QueryRow(context.Background(), `SELECT sha256, scheduled_at, execution_id FROM fetches WHERE id = $1`, firstID).Scan(&sha, &scheduled, &exec); err != nil {
				t.Fatal(err)
			}
			if *sha != first.SHA256 || (scheduled == nil) != (first.ScheduledAt == nil) || (scheduled != nil && !scheduled.Equal(*first.ScheduledAt)) ||
				(exec != nil && *exec != first.ExecutionID) {
				t.Errorf("row %s %v %v, want the first fetch's %s %v %q", *sha, scheduled, exec, first.SHA256, first.ScheduledAt, first.ExecutionID)
			}
		})
	}
}

// TestRecordsNewestRunWins: in records mode a run replaces a record only when it is at least
// as new as the run that wrote it, by scheduled time: a redriven or replayed older run never
// overwrites a newer run's record, even when its own fetch happened later.
func TestRecordsNewestRunWins(t *testing.T) {
	url := testdb.New(t)
	s := recordsStore(t, url)
	db := adminConn(t, url)
	ctx := context.Background()
	run1, run2 := t0.Truncate(time.Minute), t0.Truncate(time.Minute).Add(10*time.Minute)
	// Run 2 is stored first (run 1's write failed and waits in the failure bucket).
	if res, err := s.Put(ctx, scheduledFetch(t, []byte(`[{"id":"a","v":2}]`), run2, run2.Add(time.Second), "e2")); err != nil || res.Upserted != 1 {
		t.Fatalf("run 2: %+v %v", res, err)
	}
	// Run 1 arrives an hour later (redriven, or replayed: fetched later than run 2): a new
	// fetches row, but "a" keeps run 2's record; "b" is new.
	res, err := s.Put(ctx, scheduledFetch(t, []byte(`[{"id":"a","v":1},{"id":"b","v":1}]`), run1, run2.Add(time.Hour), "e1"))
	if err != nil || !res.New || res.Upserted != 1 {
		t.Fatalf("run 1, late: %+v %v; want a new row and 1 upserted (only b)", res, err)
	}
	var doc string
	if err := db.QueryRow(ctx, `SELECT doc::text FROM items WHERE key = 'a'`).Scan(&doc); err != nil || doc != `{"v": 2, "id": "a"}` {
		t.Fatalf("a = %s (%v), want run 2's", doc, err)
	}
	// A later run replaces it.
	if res, err := s.Put(ctx, scheduledFetch(t, []byte(`[{"id":"a","v":3}]`), run2.Add(10*time.Minute), run2.Add(2*time.Hour), "e3")); err != nil || res.Upserted != 1 {
		t.Fatalf("run 3: %+v %v", res, err)
	}
}
