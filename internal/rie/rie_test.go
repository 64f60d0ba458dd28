package rie_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/lambdabridge/lambdabridge/handlers/envelope"
	"github.com/lambdabridge/lambdabridge/handlers/event"
	"github.com/lambdabridge/lambdabridge/handlers/fetcher"
	"github.com/lambdabridge/lambdabridge/handlers/relay"
	"github.com/lambdabridge/lambdabridge/handlers/store"
	"github.com/lambdabridge/lambdabridge/handlers/writer"
	"github.com/lambdabridge/lambdabridge/internal/rie"
	"github.com/lambdabridge/lambdabridge/internal/sqslocal"
	"github.com/lambdabridge/lambdabridge/internal/testdb"
)

// binaries are built once per test process into buildDir: the emulator and the three bootstraps.
var (
	buildOnce sync.Once
	buildDir  string
	bins      map[string]string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

func binaries(t *testing.T) map[string]string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs real bootstrap binaries under the Lambda emulator; skipped with -short")
	}
	buildOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		dir, err := os.MkdirTemp("", "lb-rie-")
		if err != nil {
			buildErr = err
			return
		}
		buildDir = dir
		root, err := sqslocal.ModuleRoot(".")
		if err != nil {
			buildErr = err
			return
		}
		bins = map[string]string{}
		if bins["rie"], buildErr = rie.BuildEmulator(ctx, root, dir); buildErr != nil {
			return
		}
		for _, name := range []string{"fetcher", "writer", "relay"} {
			if bins[name], buildErr = rie.BuildFunction(ctx, root, "./lambdas/"+name, dir); buildErr != nil {
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatalf("build: %v", buildErr)
	}
	return bins
}

func start(t *testing.T, bootstrap, name string, env ...string) *rie.Function {
	t.Helper()
	b := binaries(t)
	f, err := rie.Start(context.Background(), rie.Options{Emulator: b["rie"], Bootstrap: b[bootstrap], FunctionName: name, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("%s logs:\n%s", name, f.Logs())
		}
	})
	return f
}

// vars lists a rendered environment as KEY=VALUE, sorted.
func vars(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func invoke(t *testing.T, f *rie.Function, payload []byte) *rie.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := f.Invoke(ctx, payload)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const schedulerEvent = `{"version":"0","id":"1","detail-type":"Scheduled Event","source":"aws.events","time":"2026-11-25T09:00:00Z","detail":{}}`

const body = `[{"id":"a","v":1},{"id":"b","v":2},{"id":"c","v":3}]`

func sourceServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func database(t *testing.T) (string, *pgx.Conn) {
	t.Helper()
	url := testdb.New(t)
	db, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	return url, db
}

func count(t *testing.T, db *pgx.Conn, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFetcherThenWriterUnderEmulator runs the real fetch and write bootstraps under the
// emulator: the fetcher GETs an httptest source and returns the envelope; the test wraps it in
// the record Lambda would hand the onSuccess destination (event.NewSuccessRecord) and invokes
// the writer with it three times (at-least-once delivery); one row, with the records upserted.
func TestFetcherThenWriterUnderEmulator(t *testing.T) {
	binaries(t) // skips under -short before anything starts
	src := sourceServer(t)
	dbURL, db := database(t)
	fs := fetcher.NewSettings(src.URL+"/items", 1_048_576)
	fs.Source.Config.ExpectJSON = true
	fetch := start(t, "fetcher", "lb-fetch", vars(fs.Env())...)
	ws := writer.Settings{Store: store.Config{URL: dbURL, RecordsKey: "id", RecordsTable: "items", Region: "us-east-1"}}
	write := start(t, "writer", "lb-write", vars(ws.Env())...)

	r := invoke(t, fetch, []byte(schedulerEvent))
	if r.Error != nil {
		t.Fatalf("fetcher error: %v", r.Error)
	}
	env, err := envelope.DecodeJSON(r.Payload)
	if err != nil {
		t.Fatalf("fetcher response is not an envelope: %v\n%s", err, r.Payload)
	}
	if raw, err := env.Decode(1 << 20); err != nil || string(raw) != body {
		t.Fatalf("envelope body %q, %v", raw, err)
	}
	if !strings.Contains(fetch.Logs(), `"_aws"`) {
		t.Errorf("fetcher wrote no EMF line:\n%s", fetch.Logs())
	}

	rec, err := event.NewSuccessRecord("0f3c-fetch-req", "arn:aws:lambda:us-east-1:123456789012:function:lb-fetch:$LATEST",
		time.Now(), []byte(schedulerEvent), r.Payload).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		w := invoke(t, write, rec)
		if w.Error != nil {
			t.Fatalf("writer delivery %d: %v", i+1, w.Error)
		}
		var out struct {
			Kind    string `json:"kind"`
			Fetches []struct {
				New      bool  `json:"new"`
				Upserted int64 `json:"upserted"`
			} `json:"fetches"`
		}
		if err := json.Unmarshal(w.Payload, &out); err != nil || out.Kind != "destination-record" || len(out.Fetches) != 1 {
			t.Fatalf("writer delivery %d answered %s (%v)", i+1, w.Payload, err)
		}
		// First delivery: a new row and 3 records; redeliveries: nothing new.
		if out.Fetches[0].New != (i == 0) || out.Fetches[0].Upserted != map[bool]int64{true: 3, false: 0}[i == 0] {
			t.Fatalf("writer delivery %d: %s", i+1, w.Payload)
		}
	}
	if f, n := count(t, db, "fetches"), count(t, db, "items"); f != 1 || n != 3 {
		t.Fatalf("%d fetches rows and %d items rows, want 1 and 3", f, n)
	}
	var reqID string
	if err := db.QueryRow(context.Background(), `SELECT fetch_request_id FROM fetches`).Scan(&reqID); err != nil || reqID != "0f3c-fetch-req" {
		t.Fatalf("fetch_request_id %q, %v", reqID, err)
	}
	if !strings.Contains(write.Logs(), `"msg":"stored"`) || strings.Contains(write.Logs(), `"v":1`) {
		t.Errorf("writer logs lack the stored line or carry the body:\n%s", write.Logs())
	}
}

// TestWriterRefusalsUnderEmulator: refusals come back as Lambda function errors (HTTP 200 with
// an error document) and write nothing.
func TestWriterRefusalsUnderEmulator(t *testing.T) {
	binaries(t) // skips under -short before anything starts
	dbURL, db := database(t)
	write := start(t, "writer", "lb-write", vars(writer.Settings{Store: store.Config{URL: dbURL}}.Env())...)
	failed := fmt.Sprintf(`{"version":"1.0","timestamp":"2026-11-25T09:03:00.001Z","requestContext":{"requestId":"r9","functionArn":"arn:aws:lambda:us-east-1:1:function:f:$LATEST",`+
		`"condition":%q,"approximateInvokeCount":3},"requestPayload":{},"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},`+
		`"responsePayload":{"errorMessage":"boom","errorType":"Error"}}`, "RetriesExhausted")
	tests := []struct {
		name    string
		payload string
		want    string
	}{
		{"RetriesExhausted record", failed, `condition "RetriesExhausted"`},
		{"unknown shape", schedulerEvent, "unknown event shape"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := invoke(t, write, []byte(tc.payload))
			if r.Status != 200 || r.Error == nil || !strings.Contains(r.Error.ErrorMessage, tc.want) {
				t.Fatalf("HTTP %d, error %v; want a function error mentioning %q (payload %s)", r.Status, r.Error, tc.want, r.Payload)
			}
		})
	}
	if n := count(t, db, "fetches"); n != 0 { // the cold start created the schema
		t.Fatalf("%d rows", n)
	}
	// A misconfigured writer fails every invocation with its configuration error.
	bad := start(t, "writer", "lb-write-bad", vars(writer.Settings{Store: store.Config{Host: "db.example", Auth: "kerberos"}}.Env())...)
	r := invoke(t, bad, []byte(schedulerEvent))
	if r.Error == nil || !strings.Contains(r.Error.ErrorMessage, `DB_AUTH "kerberos"`) {
		t.Fatalf("misconfigured writer answered %s", r.Payload)
	}
}

// TestS3PathUnderEmulator: the fetcher in s3 mode PUTs the envelope to an in-process S3
// server (gofakes3, reached through AWS_ENDPOINT_URL_S3, path-style) and returns a pointer;
// the writer gets it first inside a destination record, then as an S3 event notification.
func TestS3PathUnderEmulator(t *testing.T) {
	binaries(t)
	src := sourceServer(t)
	dbURL, db := database(t)
	s3srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(s3srv.Close)
	// The AWS SDK's own variables; the handlers' come from their settings.
	awsEnv := []string{"AWS_ENDPOINT_URL_S3=" + s3srv.URL, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret"}
	if _, err := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(s3srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")}).
		CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("lb-spill")}); err != nil {
		t.Fatal(err)
	}
	fs := fetcher.NewSettings(src.URL+"/items", 0)
	fs.Mode, fs.Bucket, fs.ForcePathStyle = fetcher.ModeS3, "lb-spill", true
	fetch := start(t, "fetcher", "lb-fetch", append(awsEnv, vars(fs.Env())...)...)
	ws := writer.Settings{Store: store.Config{URL: dbURL}, Bucket: "lb-spill", ForcePathStyle: true}
	write := start(t, "writer", "lb-write", append(awsEnv, vars(ws.Env())...)...)

	r := invoke(t, fetch, []byte(schedulerEvent))
	if r.Error != nil {
		t.Fatalf("fetcher error: %v", r.Error)
	}
	var p envelope.Pointer
	if err := json.Unmarshal(r.Payload, &p); err != nil || p.Kind != envelope.PointerKind || p.Bucket != "lb-spill" {
		t.Fatalf("fetcher answered %s (%v), want an s3-pointer", r.Payload, err)
	}
	rec, err := event.NewSuccessRecord("req-s3", "arn:aws:lambda:us-east-1:123456789012:function:lb-fetch:$LATEST", time.Now(), []byte(schedulerEvent), r.Payload).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	notification := fmt.Sprintf(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventName":"ObjectCreated:Put",`+
		`"s3":{"s3SchemaVersion":"1.0","bucket":{"name":"lb-spill"},"object":{"key":%q,"size":1}}}]}`, p.Key)
	for i, payload := range [][]byte{rec, []byte(notification)} {
		w := invoke(t, write, payload)
		if w.Error != nil {
			t.Fatalf("writer delivery %d: %v", i+1, w.Error)
		}
	}
	// The same fetch by two routes: one row.
	var n int
	var sameBody bool
	if err := db.QueryRow(context.Background(), `SELECT count(*), bool_and(body_json = $1::jsonb) FROM fetches`, body).Scan(&n, &sameBody); err != nil {
		t.Fatal(err)
	}
	if n != 1 || !sameBody {
		t.Fatalf("%d rows (same body: %v), want 1", n, sameBody)
	}
}

// TestRelayUnderEmulator: the relay bootstrap fetches and stores in one invocation.
func TestRelayUnderEmulator(t *testing.T) {
	binaries(t) // skips under -short before anything starts
	src := sourceServer(t)
	dbURL, db := database(t)
	rs := relay.Settings{Source: fetcher.NewSourceSettings(src.URL + "/items"), AsyncLimitBytes: 1_048_576,
		Store: store.Config{URL: dbURL, RecordsKey: "id"}}
	relayFn := start(t, "relay", "lb-relay", vars(rs.Env())...)
	for i := range 2 {
		r := invoke(t, relayFn, []byte(schedulerEvent))
		if r.Error != nil {
			t.Fatalf("relay run %d: %v", i+1, r.Error)
		}
	}
	// Two scheduled runs are two fetches; the 3 records are upserted, not duplicated.
	if f, n := count(t, db, "fetches"), count(t, db, "records"); f != 2 || n != 3 {
		t.Fatalf("%d fetches rows and %d records rows, want 2 and 3", f, n)
	}
	if !strings.Contains(relayFn.Logs(), `"RecordPercentOfLimit"`) {
		t.Errorf("relay wrote no EMF line:\n%s", relayFn.Logs())
	}
}
