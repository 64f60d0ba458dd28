package writer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/lambdabridge/lambdabridge/handlers/blob"
	"github.com/lambdabridge/lambdabridge/handlers/envelope"
	"github.com/lambdabridge/lambdabridge/handlers/envvar/envvartest"
	"github.com/lambdabridge/lambdabridge/handlers/event"
	"github.com/lambdabridge/lambdabridge/handlers/fetcher"
	"github.com/lambdabridge/lambdabridge/handlers/store"
	"github.com/lambdabridge/lambdabridge/internal/testdb"
)

const bucket = "lb-spill"

const awsSecret = "wJalrTESTSECRETKEY"

const fetcherARN = "arn:aws:lambda:us-east-1:123456789012:function:lb-fetch"

const schedulerEvent = `{"version":"0","id":"1","detail-type":"Scheduled Event","source":"aws.events","time":"2026-11-25T09:00:00Z","detail":{}}`

// env is a test's writer environment: a fresh database, an in-process S3 server reached through
// AWS_ENDPOINT_URL_S3 (path-style), and a writer built by NewFromEnv as the bootstrap does.
type env struct {
	w     *Writer
	db    *pgx.Conn
	s3    *s3.Client
	blob  *blob.Store
	logs  *bytes.Buffer
	vars  map[string]string
	proxy *testdb.Proxy // set when newEnv was asked for DATABASE_URL "proxy"
}

func newEnv(t *testing.T, vars map[string]string) *env {
	t.Helper()
	dbURL := testdb.New(t)
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", awsSecret)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	m := map[string]string{"DATABASE_URL": dbURL, "BUCKET": bucket, "S3_FORCE_PATH_STYLE": "true"}
	for k, v := range vars {
		m[k] = v
	}
	var proxy *testdb.Proxy
	if m["DATABASE_URL"] == "proxy" {
		proxy = testdb.NewProxy(t, hostPort(t, dbURL))
		m["DATABASE_URL"] = proxy.URL(t, dbURL)
	}
	logs := &bytes.Buffer{}
	w, closeFn, err := NewFromEnv(context.Background(), func(k string) string { return m[k] }, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeFn)
	bs := w.Blobs.(*blob.Store)
	s3c := bs.Client.(*s3.Client)
	if _, err := s3c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	db, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	return &env{w: w, db: db, s3: s3c, blob: bs, logs: logs, vars: m, proxy: proxy}
}

func hostPort(t *testing.T, dbURL string) string {
	t.Helper()
	cc, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s:%d", cc.Host, cc.Port)
}

func (e *env) rows(t *testing.T, table string) int {
	t.Helper()
	var n int
	err := e.db.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n)
	var pgErr interface{ SQLState() string }
	if errors.As(err, &pgErr) && pgErr.SQLState() == "42P01" { // table not created yet: no rows
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) handle(t *testing.T, payload []byte) (Output, error) {
	t.Helper()
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "writer-req-1"})
	return e.w.Handle(ctx, payload)
}

// sourceURL starts an httptest source answering body.
func sourceURL(t *testing.T, body, contentType string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/items"
}

// newFetcher builds the fetcher logic (handlers/fetcher) for an httptest source answering body,
// in mode ("destination" or "s3", the latter writing to e's S3 server).
func newFetcher(t *testing.T, e *env, mode, body string) *fetcher.Fetcher {
	t.Helper()
	vars := map[string]string{"SOURCE_URL": sourceURL(t, body, "application/json"), "MODE": mode, "ASYNC_LIMIT_BYTES": "1048576", "BUCKET": bucket}
	cfg, err := fetcher.SettingsFromEnv(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	var s3c blob.S3API
	if e != nil {
		s3c = e.s3
	}
	f, err := fetcher.New(cfg, s3c, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// fetchResponse runs the fetcher handler once and returns what it returned (envelope or pointer).
func fetchResponse(t *testing.T, e *env, mode, body string) []byte {
	t.Helper()
	out, err := newFetcher(t, e, mode, body).Handle(context.Background(), json.RawMessage(schedulerEvent))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fetch GETs body from an httptest source through the fetcher logic and returns the envelope.
func fetch(t *testing.T, body string) *envelope.Envelope {
	t.Helper()
	e, _, err := newFetcher(t, nil, "destination", body).FetchEnvelope(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func record(t *testing.T, response []byte) []byte {
	t.Helper()
	b, err := event.NewSuccessRecord("fetch-req-7", fetcherARN, time.Now(), []byte(schedulerEvent), response).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func s3Event(bucket, key string) []byte {
	return fmt.Appendf(nil, `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2026-11-25T09:00:01.000Z",`+
		`"eventName":"ObjectCreated:Put","s3":{"s3SchemaVersion":"1.0","bucket":{"name":%q,"arn":"arn:aws:s3:::%s"},"object":{"key":%q,"size":10}}}]}`,
		bucket, bucket, url.QueryEscape(key))
}

const body = `{"data":[{"id":"a","v":1},{"id":"b","v":2}],"note":"<secret-payload-marker>"}`

// TestDeliveries sends one fetch by every route the writer accepts, each three times (Lambda
// delivers at least once), and checks one row with the fetched body.
func TestDeliveries(t *testing.T) {
	tests := []struct {
		name      string
		payload   func(t *testing.T, e *env, env *envelope.Envelope) []byte
		kind      event.Kind
		inner     event.Kind
		delivered string
	}{
		{"fetcher (destination mode) → record with envelope", func(t *testing.T, e *env, _ *envelope.Envelope) []byte {
			return record(t, fetchResponse(t, e, "destination", body))
		}, event.KindRecord, event.KindEnvelope, "destination-record/envelope"},
		{"fetcher (s3 mode) → record with s3 pointer", func(t *testing.T, e *env, _ *envelope.Envelope) []byte {
			return record(t, fetchResponse(t, e, "s3", body))
		}, event.KindRecord, event.KindPointer, "destination-record/s3-pointer"},
		{"bare s3 pointer", func(t *testing.T, e *env, en *envelope.Envelope) []byte {
			p, err := e.blob.Put(context.Background(), en)
			if err != nil {
				t.Fatal(err)
			}
			return mustJSON(t, p)
		}, event.KindPointer, event.KindPointer, "s3-pointer"},
		{"s3 event notification", func(t *testing.T, e *env, en *envelope.Envelope) []byte {
			p, err := e.blob.Put(context.Background(), en)
			if err != nil {
				t.Fatal(err)
			}
			return s3Event(p.Bucket, p.Key)
		}, event.KindS3Event, event.KindS3Event, "s3-event"},
		{"bare envelope", func(t *testing.T, _ *env, en *envelope.Envelope) []byte { return mustJSON(t, en) },
			event.KindEnvelope, event.KindEnvelope, "envelope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			en := fetch(t, body)
			payload := tc.payload(t, e, en)
			var firstID int64
			for i := range 3 {
				out, err := e.handle(t, payload)
				if err != nil {
					t.Fatalf("delivery %d: %v", i+1, err)
				}
				if out.Kind != tc.kind || out.Inner != tc.inner || len(out.Fetches) != 1 {
					t.Fatalf("delivery %d: %+v", i+1, out)
				}
				f := out.Fetches[0]
				if i == 0 {
					firstID = f.ID
				}
				if f.New != (i == 0) || f.ID != firstID || f.SHA256 != en.SHA256 || f.BodyType != "jsonb" {
					t.Fatalf("delivery %d: %+v", i+1, f)
				}
			}
			if n := e.rows(t, "fetches"); n != 1 {
				t.Fatalf("3 deliveries gave %d rows, want 1", n)
			}
			var same bool
			var delivered string
			if err := e.db.QueryRow(context.Background(), `SELECT body_json = $1::jsonb, delivered_as FROM fetches`, body).Scan(&same, &delivered); err != nil {
				t.Fatal(err)
			}
			if !same || delivered != tc.delivered {
				t.Fatalf("stored body equal = %v, delivered_as %q (want %q)", same, delivered, tc.delivered)
			}
			logs := e.logs.String()
			for _, want := range []string{`"requestId":"writer-req-1"`, `"kind":"` + string(tc.kind) + `"`, `"rawBytes":`, `"storeMs":`, `"msg":"stored"`} {
				if !strings.Contains(logs, want) {
					t.Errorf("logs lack %s:\n%s", want, logs)
				}
			}
			for _, leak := range []string{"secret-payload-marker", awsSecret, e.vars["DATABASE_URL"]} {
				if strings.Contains(logs, leak) {
					t.Errorf("logs contain %q (the payload or a secret):\n%s", leak, logs)
				}
			}
		})
	}
}

func TestRecordsModeThroughWriter(t *testing.T) {
	e := newEnv(t, map[string]string{"RECORDS_KEY": "id", "RECORDS_TABLE": "items"})
	en := fetch(t, `[{"id":"a","v":1},{"id":"b","v":2},{"id":"c","v":3}]`)
	payload := record(t, mustJSON(t, en))
	for range 3 {
		if _, err := e.handle(t, payload); err != nil {
			t.Fatal(err)
		}
	}
	if f, r := e.rows(t, "fetches"), e.rows(t, "items"); f != 1 || r != 3 {
		t.Fatalf("%d fetches and %d items rows, want 1 and 3", f, r)
	}
	// A body that is not an array of objects: an error and nothing written.
	bad := fetch(t, `{"id":"x"}`)
	if _, err := e.handle(t, record(t, mustJSON(t, bad))); err == nil || !strings.Contains(err.Error(), "not a JSON array") {
		t.Fatalf("non-array body in records mode: %v", err)
	}
	if f, r := e.rows(t, "fetches"), e.rows(t, "items"); f != 1 || r != 3 {
		t.Fatalf("after the bad body: %d fetches and %d items rows, want 1 and 3", f, r)
	}
}

func gzipOf(t *testing.T, raw []byte) []byte {
	t.Helper()
	b, err := envelope.Compress(raw)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBadInput: every bad payload gets a clear error and writes nothing.
func TestBadInput(t *testing.T) {
	good := fetch(t, body)
	zeros := make([]byte, 8<<20) // 8 MiB of zeros compress to ~8 KiB
	tests := []struct {
		name    string
		payload func(t *testing.T, e *env) []byte
		want    []string
	}{
		{"RetriesExhausted record", func(t *testing.T, _ *env) []byte {
			return []byte(`{"version":"1.0","timestamp":"2026-11-25T09:03:00.001Z","requestContext":{"requestId":"r9","functionArn":"` + fetcherARN +
				`","condition":"RetriesExhausted","approximateInvokeCount":3},"requestPayload":{},"responseContext":{"statusCode":200,` +
				`"executedVersion":"$LATEST","functionError":"Unhandled"},"responsePayload":{"errorMessage":"boom","errorType":"Error"}}`)
		}, []string{`condition "RetriesExhausted"`, `functionError "Unhandled"`}},
		{"unknown event shape", func(t *testing.T, _ *env) []byte { return []byte(schedulerEvent) },
			[]string{"unknown event shape", "destination record", "s3-pointer", "S3 event notification", "bare envelope"}},
		{"bad checksum", func(t *testing.T, _ *env) []byte {
			en := *good
			en.SHA256 = strings.Repeat("ab", 32)
			return record(t, mustJSON(t, &en))
		}, []string{"checksum mismatch"}},
		{"truncated base64", func(t *testing.T, _ *env) []byte {
			b := string(mustJSON(t, good))
			i := strings.Index(b, `"body":"`) + len(`"body":"`)
			return []byte(b[:i+5] + `"}`)
		}, []string{"illegal base64"}},
		{"gzip bomb declared honestly, over the cap", func(t *testing.T, _ *env) []byte {
			c := gzipOf(t, zeros)
			return mustJSON(t, &envelope.Envelope{Version: 1, Source: "s", FetchedAt: time.Now(), Status: 200, Codec: "gzip",
				RawLength: int64(len(zeros)), CompressedLength: int64(len(c)), SHA256: envelope.Checksum(zeros), Body: c})
		}, []string{"exceeds the decompression cap 1048576"}},
		{"gzip bomb with a lying rawLength", func(t *testing.T, _ *env) []byte {
			c := gzipOf(t, zeros)
			return mustJSON(t, &envelope.Envelope{Version: 1, Source: "s", FetchedAt: time.Now(), Status: 200, Codec: "gzip",
				RawLength: 100, CompressedLength: int64(len(c)), SHA256: envelope.Checksum(zeros[:100]), Body: c})
		}, []string{"decompressed size exceeds cap"}},
		{"pointer to a missing object", func(t *testing.T, _ *env) []byte {
			return mustJSON(t, &envelope.Pointer{Kind: "s3-pointer", Bucket: bucket, Key: "fetches/none.json", SHA256: good.SHA256})
		}, []string{"s3://lb-spill/fetches/none.json"}},
		{"pointer whose object holds another envelope", func(t *testing.T, e *env) []byte {
			p, err := e.blob.Put(context.Background(), good)
			if err != nil {
				t.Fatal(err)
			}
			p.SHA256 = strings.Repeat("cd", 32)
			return mustJSON(t, p)
		}, []string{"but the pointer says"}},
		{"s3 event for another bucket", func(t *testing.T, _ *env) []byte { return s3Event("someone-elses", "k") },
			[]string{"not the configured bucket"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, map[string]string{"MAX_RAW_BYTES": "1048576"})
			_, err := e.handle(t, tc.payload(t, e))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			if n := e.rows(t, "fetches"); n != 0 {
				t.Errorf("%d rows written", n)
			}
		})
	}
}

func TestDatabaseDown(t *testing.T) {
	e := newEnv(t, map[string]string{"DATABASE_URL": "proxy", "RECORDS_KEY": "id"})
	p := e.proxy
	en := fetch(t, `[{"id":"a"},{"id":"b"}]`)
	payload := record(t, mustJSON(t, en))
	p.SetDown(true)
	if _, err := e.handle(t, payload); err == nil {
		t.Fatal("stored with the database down")
	}
	if f, r := e.rows(t, "fetches"), e.rows(t, "records"); f != 0 || r != 0 {
		t.Fatalf("half-written: %d fetches, %d records", f, r)
	}
	p.SetDown(false) // Lambda retries the same record
	out, err := e.handle(t, payload)
	if err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if !out.Fetches[0].New || out.Fetches[0].Upserted != 2 {
		t.Fatalf("after recovery: %+v", out.Fetches[0])
	}
	if f, r := e.rows(t, "fetches"), e.rows(t, "records"); f != 1 || r != 2 {
		t.Fatalf("after recovery: %d fetches, %d records; want 1 and 2", f, r)
	}
}

// TestSettingsFromEnvMaxRaw reads MAX_RAW_BYTES (before the settings moved into Settings,
// MaxRawFromEnv did): a positive byte count, unset gives DefaultMaxRawBytes, and every bad
// value's error names the variable and the accepted form.
func TestSettingsFromEnvMaxRaw(t *testing.T) {
	tests := []struct {
		v    string
		want int64
		err  string
	}{
		{"", DefaultMaxRawBytes, ""}, {"1024", 1024, ""},
		{"0", 0, `MAX_RAW_BYTES="0": want a positive whole number of bytes`},
		{"-5", 0, `MAX_RAW_BYTES="-5": want a positive whole number of bytes`},
		{"1MB", 0, `MAX_RAW_BYTES="1MB": want a positive whole number of bytes`},
	}
	for _, tc := range tests {
		vars := map[string]string{"DATABASE_URL": "postgres://u@h/d", "MAX_RAW_BYTES": tc.v}
		s, err := SettingsFromEnv(func(k string) string { return vars[k] })
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("MAX_RAW_BYTES=%q: error %v, want %q", tc.v, err, tc.err)
			}
			continue
		}
		if err != nil || s.MaxRawBytes != tc.want {
			t.Errorf("MAX_RAW_BYTES=%q: %d, %v; want %d", tc.v, s.MaxRawBytes, err, tc.want)
		}
	}
}

// TestSettingsEnvRoundTrip: Env renders each Settings as the variables listed (the store's part
// through store.Config.Env), and SettingsFromEnv parses them back to the same Settings.
func TestSettingsEnvRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		s    Settings
		env  map[string]string
	}{
		{name: "as infra deploys it: PG* with IAM, the handoff bucket, the default body cap",
			s: Settings{Store: store.Config{Host: "db.example", Port: 5432, Name: "lambdabridge", User: "writer", Auth: store.AuthIAM,
				SSLMode: "verify-full", RecordsTable: "records"}, Bucket: "handoff", MaxRawBytes: DefaultMaxRawBytes},
			env: map[string]string{"PGHOST": "db.example", "PGPORT": "5432", "PGDATABASE": "lambdabridge", "PGUSER": "writer", "DB_AUTH": "iam",
				"PGSSLMODE": "verify-full", "RECORDS_TABLE": "records", "BUCKET": "handoff"}},
		{name: "locally: DATABASE_URL, records mode, every writer field",
			s: Settings{Store: store.Config{URL: "postgres://u@127.0.0.1:5432/d?sslmode=disable", Auth: store.AuthPassword, RecordsKey: "id",
				RecordsTable: "items"}, Bucket: "lambdabridge-local", MaxRawBytes: 1024, ForcePathStyle: true},
			env: map[string]string{"DATABASE_URL": "postgres://u@127.0.0.1:5432/d?sslmode=disable", "DB_AUTH": "password", "RECORDS_KEY": "id",
				"RECORDS_TABLE": "items", "BUCKET": "lambdabridge-local", "MAX_RAW_BYTES": "1024", "S3_FORCE_PATH_STYLE": "true"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			envvartest.RoundTrip(t, tc.s, tc.env, Settings.Env, SettingsFromEnv)
		})
	}
}

// TestSecretQueryNotLogged: a source URL's query (which may hold an API key) reaches the
// database (it is part of the fetch's identity) but never the logs or the response.
func TestSecretQueryNotLogged(t *testing.T) {
	e := newEnv(t, nil)
	vars := map[string]string{"SOURCE_URL": sourceURL(t, `{"ok":true}`, "application/json") + "?api_key=topsecret42", "ASYNC_LIMIT_BYTES": "1048576"}
	cfg, err := fetcher.SettingsFromEnv(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	f, err := fetcher.New(cfg, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.Handle(context.Background(), json.RawMessage(schedulerEvent))
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.handle(t, record(t, resp))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(e.logs.String(), "topsecret42") || strings.Contains(string(mustJSON(t, out)), "topsecret42") {
		t.Fatalf("the query string leaked:\nlogs %s\noutput %s", e.logs, mustJSON(t, out))
	}
	if !strings.HasSuffix(out.Fetches[0].Source, "/items") {
		t.Errorf("output source %q, want the URL without its query", out.Fetches[0].Source)
	}
	var src string
	if err := e.db.QueryRow(context.Background(), `SELECT source FROM fetches`).Scan(&src); err != nil || src != vars["SOURCE_URL"] {
		t.Fatalf("stored source %q, %v; want the full URL", src, err)
	}
}

// TestColdStartBootstrap: with DB_ADMIN_USER/DB_ADMIN_PASSWORD, as infra sets them, a fresh
// database whose writer role does not exist yet gets it at cold start (Warm), and the writer
// then stores as that role. The admin password appears in no log line.
func TestColdStartBootstrap(t *testing.T) {
	const adminPassword = "Master-Pa55word-never-logged"
	dbURL := testdb.New(t)
	role := testdb.Role(t, dbURL, "lbw_")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	vars := map[string]string{"DATABASE_URL": testdb.AsUser(t, dbURL, role), "DB_ADMIN_USER": "postgres", "DB_ADMIN_PASSWORD": adminPassword}
	logs := &bytes.Buffer{}
	w, closeFn, err := NewFromEnv(context.Background(), func(k string) string { return vars[k] }, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeFn)
	w.Warm(context.Background())
	if !strings.Contains(logs.String(), "schema ready") {
		t.Fatalf("cold start did not get the schema ready:\n%s", logs)
	}
	e := &env{w: w, logs: logs}
	out, err := e.handle(t, mustJSON(t, fetch(t, body)))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Fetches) != 1 || !out.Fetches[0].New {
		t.Fatalf("output %+v, want one new fetch", out)
	}
	db, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	var owner string
	var canInsert bool
	if err := db.QueryRow(context.Background(), `SELECT pg_get_userbyid(relowner), has_table_privilege($1, 'fetches', 'INSERT') FROM pg_class WHERE oid = 'fetches'::regclass`, role).Scan(&owner, &canInsert); err != nil {
		t.Fatal(err)
	}
	if owner != "postgres" || !canInsert {
		t.Errorf("fetches owned by %s, %s may insert %v; want the admin's table the writer may insert into", owner, role, canInsert)
	}
	if strings.Contains(logs.String(), adminPassword) {
		t.Errorf("the admin password is in the logs:\n%s", logs)
	}
}
