package fetcher

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdabridge/lambdabridge/handlers/blob/blobtest"
	"github.com/lambdabridge/lambdabridge/handlers/envelope"
	"github.com/lambdabridge/lambdabridge/handlers/event"
	"github.com/lambdabridge/lambdabridge/handlers/source"
	"github.com/lambdabridge/lambdabridge/planner"
)

const (
	testRequestID = "c0ffee00-1234-4abc-8def-0123456789ab"
	testARN       = "arn:aws:lambda:ap-northeast-1:123456789012:function:lb-fetcher"
	testSecret    = "tok-9f8e7d6c5b4a"
	// An EventBridge scheduled event, as the fetcher receives it.
	testEvent = `{"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-25T09:30:00Z","region":"ap-northeast-1","resources":["arn:aws:events:ap-northeast-1:123456789012:rule/lb-schedule"],"detail":{}}`
)

var clock = time.Date(2026, 11, 25, 9, 30, 1, 250_000_000, time.UTC)

func loadSample(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../envelope/testdata/sample.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// world is one test setup: a source server, a fake S3, and captured logs and EMF output.
type world struct {
	f       *Fetcher
	logs    bytes.Buffer
	emf     bytes.Buffer
	s3URL   string
	auth    chan string
	payload []byte
}

func newWorld(t *testing.T, env map[string]string, body []byte, status int) *world {
	t.Helper()
	w := &world{auth: make(chan string, 8), payload: body}
	src := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		select {
		case w.auth <- r.Header.Get("Authorization"):
		default:
		}
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(status)
		rw.Write(body)
	}))
	t.Cleanup(src.Close)
	client, s3URL := blobtest.New(t, "lb-spill")
	w.s3URL = s3URL
	base := map[string]string{
		"SOURCE_URL":     src.URL + "/v1/orders?page=1",
		"SOURCE_HEADERS": `{"Authorization":"API_TOKEN"}`,
		"API_TOKEN":      "Bearer " + testSecret,
		"FETCH_RETRIES":  "0",
	}
	for k, v := range env {
		base[k] = v
	}
	cfg, err := SettingsFromEnv(func(k string) string { return base[k] })
	if err != nil {
		t.Fatalf("SettingsFromEnv: %v", err)
	}
	f, err := New(cfg, client, NewLogger(&w.logs, slog.LevelDebug), &w.emf)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.Now = func() time.Time { return clock }
	f.source.Now = f.Now
	f.FunctionName = "lb-fetcher"
	w.f = f
	return w
}

func (w *world) invoke() (json.RawMessage, error) {
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: testRequestID, InvokedFunctionArn: testARN})
	return w.f.Handle(ctx, json.RawMessage(testEvent))
}

// emfDoc is the part of the EMF line the tests check.
type emfDoc struct {
	AWS struct {
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
		}
	} `json:"_aws"`
	FunctionName                                       string
	RawBytes, CompressedBytes, RecordBytes, LimitBytes int64
	RecordPercentOfLimit                               float64
	Outcome, Mode, RequestId                           string
}

func (w *world) emfLine(t *testing.T) emfDoc {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(w.emf.String(), "\n"), "\n")
	if len(lines) != 1 || lines[0] == "" {
		t.Fatalf("want one EMF line, got %q", w.emf.String())
	}
	var d emfDoc
	if err := json.Unmarshal([]byte(lines[0]), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.AWS.CloudWatchMetrics) != 1 || d.AWS.CloudWatchMetrics[0].Namespace != "lambdabridge" || d.FunctionName != "lb-fetcher" {
		t.Fatalf("EMF directive %+v", d)
	}
	return d
}

// handRecord writes the destination record the way the AWS documentation shows it, independently
// of handlers/event, so its length checks RecordSize.
func handRecord(response []byte) string {
	return `{"version":"1.0","timestamp":"2026-11-25T09:30:01.250Z","requestContext":{"requestId":"` + testRequestID +
		`","functionArn":"` + testARN + `:$LATEST","condition":"Success","approximateInvokeCount":1},"requestPayload":` + testEvent +
		`,"responseContext":{"statusCode":200,"executedVersion":"$LATEST"},"responsePayload":` + string(response) + `}`
}

// checkLogs asserts the run's logs carry the request id and never the secret or the payload.
func (w *world) checkLogs(t *testing.T) {
	t.Helper()
	logs := w.logs.String()
	if !strings.Contains(logs, `"requestId":"`+testRequestID+`"`) {
		t.Errorf("logs lack the request id:\n%s", logs)
	}
	if strings.Contains(logs, testSecret) || strings.Contains(logs, "page=1") {
		t.Errorf("logs leak the header secret or the query:\n%s", logs)
	}
	if len(w.payload) > 40 && strings.Contains(logs, string(w.payload[8:40])) {
		t.Errorf("logs contain the payload:\n%s", logs)
	}
	if got := <-w.auth; got != "Bearer "+testSecret {
		t.Errorf("source saw Authorization %q", got)
	}
}

func TestDestinationFits(t *testing.T) {
	sample := loadSample(t)
	// The 2019-era limit, 262,144 bytes, with the planner's default margin (5% → 13,108 bytes).
	w := newWorld(t, map[string]string{"ASYNC_LIMIT_BYTES": "262144", "EXPECT_JSON": "true"}, sample, 200)
	out, err := w.invoke()
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	e, err := envelope.DecodeJSON(out)
	if err != nil {
		t.Fatalf("response is not an envelope: %v", err)
	}
	raw, err := e.Decode(1 << 20)
	if err != nil || !bytes.Equal(raw, sample) {
		t.Fatalf("envelope body differs from the source body: %v", err)
	}
	if e.Source != w.f.cfg.Source.Config.URL || e.Status != 200 || e.ContentType != "application/json" || !e.FetchedAt.Equal(clock) {
		t.Fatalf("envelope metadata %+v", e)
	}
	d := w.emfLine(t)
	wantRecord := int64(len(handRecord(out)))
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: testRequestID, InvokedFunctionArn: testARN})
	if n, err := InlineRecordSize(ctx, clock, []byte(testEvent), e); err != nil || n != wantRecord {
		t.Fatalf("InlineRecordSize = %d, %v; want %d", n, err, wantRecord)
	}
	if d.RecordBytes != wantRecord || d.RawBytes != int64(len(sample)) || d.CompressedBytes != e.CompressedLength || d.LimitBytes != 262144 {
		t.Fatalf("EMF sizes %+v; want record %d raw %d compressed %d", d, wantRecord, len(sample), e.CompressedLength)
	}
	// The envelope's JSON is the base64 body (4/3 of the compressed bytes) plus ~400 bytes of
	// fields; the record adds the event (~330 bytes) and ~300 bytes of context.
	if base64 := (e.CompressedLength + 2) / 3 * 4; wantRecord < base64 || wantRecord > base64+2000 {
		t.Fatalf("record %d bytes is implausible for a %d-byte base64 body", wantRecord, base64)
	}
	wantPct := float64(int64(float64(wantRecord)*10000/262144+0.5)) / 100
	if d.RecordPercentOfLimit != wantPct || d.Outcome != "destination" || d.Mode != "destination" || d.RequestId != testRequestID {
		t.Fatalf("EMF %+v, want percent %v", d, wantPct)
	}
	w.checkLogs(t)
}

func TestDestinationTooLarge(t *testing.T) {
	sample := loadSample(t)
	// 40,000 bytes cannot hold the sample's ~62.5 KB base64 body.
	w := newWorld(t, map[string]string{"ASYNC_LIMIT_BYTES": "40000", "RECORD_MARGIN_BYTES": "1000"}, sample, 200)
	out, err := w.invoke()
	if err == nil {
		t.Fatalf("Handle returned %d bytes, want an error", len(out))
	}
	d := w.emfLine(t)
	if !errors.Is(err, ErrRecordTooLarge) || !strings.Contains(err.Error(), fmt.Sprintf("the record would be %d bytes", d.RecordBytes)) ||
		!strings.Contains(err.Error(), "1000-byte margin") || !strings.Contains(err.Error(), "over the limit of 40000 bytes") ||
		!strings.Contains(err.Error(), "SPILL=true") {
		t.Fatalf("error %q", err)
	}
	// RecordBytes / 40,000 × 100, rounded to 2 decimals: over 100 since the record does not fit.
	wantPct := math.Round(float64(d.RecordBytes)*10000/40000) / 100
	if d.Outcome != "too-large" || d.RecordPercentOfLimit != wantPct || wantPct <= 100 || d.LimitBytes != 40000 {
		t.Fatalf("EMF %+v, want percent %v", d, wantPct)
	}
	w.checkLogs(t)
}

func TestDestinationBoundary(t *testing.T) {
	body := []byte(`{"k":"v"}`)
	// Measure the inline record once, then set the limit to exactly record + margin (fits)
	// and one byte less (does not fit).
	probe := newWorld(t, map[string]string{"ASYNC_LIMIT_BYTES": "1000000", "RECORD_MARGIN_BYTES": "0"}, body, 200)
	out, err := probe.invoke()
	if err != nil {
		t.Fatal(err)
	}
	rec := int64(len(handRecord(out)))
	for _, tc := range []struct {
		limit int64
		fits  bool
	}{{rec + 100, true}, {rec + 99, false}} {
		w := newWorld(t, map[string]string{"ASYNC_LIMIT_BYTES": fmt.Sprint(tc.limit), "RECORD_MARGIN_BYTES": "100"}, body, 200)
		_, err := w.invoke()
		if (err == nil) != tc.fits {
			t.Errorf("record %d + margin 100 vs limit %d: err = %v, want fits=%v", rec, tc.limit, err, tc.fits)
		}
	}
}

func TestSpillAndS3Mode(t *testing.T) {
	sample := loadSample(t)
	for _, tc := range []struct {
		name    string
		env     map[string]string
		outcome string
	}{
		{"spill", map[string]string{"ASYNC_LIMIT_BYTES": "40000", "SPILL": "true", "BUCKET": "lb-spill"}, "spilled"},
		{"s3 mode", map[string]string{"MODE": "s3", "BUCKET": "lb-spill", "KEY_PREFIX": "s3mode/"}, "s3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.env, sample, 200)
			out, err := w.invoke()
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			var p envelope.Pointer
			if err := json.Unmarshal(out, &p); err != nil || p.Kind != "s3-pointer" || p.Bucket != "lb-spill" {
				t.Fatalf("response %s is not a pointer: %v", out, err)
			}
			if !strings.HasPrefix(p.Key, w.f.cfg.KeyPrefix) || p.RawLength != int64(len(sample)) || p.SHA256 != envelope.Checksum(sample) {
				t.Fatalf("pointer %+v", p)
			}
			e, err := w.f.Blob.Get(context.Background(), &p)
			if err != nil {
				t.Fatalf("object behind the pointer: %v", err)
			}
			if raw, err := e.Decode(1 << 20); err != nil || !bytes.Equal(raw, sample) {
				t.Fatalf("stored body differs: %v", err)
			}
			d := w.emfLine(t)
			if d.Outcome != tc.outcome || d.RecordBytes != int64(len(handRecord(out))) || d.RawBytes != int64(len(sample)) {
				t.Fatalf("EMF %+v", d)
			}
			if tc.outcome == "spilled" && !strings.Contains(w.logs.String(), `"inlineRecordBytes"`) {
				t.Errorf("spill log lacks the inline record size:\n%s", w.logs.String())
			}
			w.checkLogs(t)
		})
	}
}

func TestFetchFailureWritesNoMetrics(t *testing.T) {
	w := newWorld(t, map[string]string{"ASYNC_LIMIT_BYTES": "262144"}, []byte("upstream down"), 503)
	_, err := w.invoke()
	if err == nil || !strings.Contains(err.Error(), "status 503") {
		t.Fatalf("err = %v", err)
	}
	if w.emf.Len() != 0 {
		t.Fatalf("EMF written for a failed fetch: %s", w.emf.String())
	}
	if !strings.Contains(w.logs.String(), `"msg":"fetch failed"`) {
		t.Fatalf("logs:\n%s", w.logs.String())
	}
	w.checkLogs(t)
}

func TestSettingsFromEnv(t *testing.T) {
	ok := map[string]string{"SOURCE_URL": "https://api.example.com/x", "ASYNC_LIMIT_BYTES": "1048576"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range ok {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	t.Run("defaults", func(t *testing.T) {
		c, err := SettingsFromEnv(func(k string) string { return ok[k] })
		if err != nil {
			t.Fatal(err)
		}
		// The planner keeps 5% of the limit free: usable = 1,048,576 − ⌊1,048,576 × 5 / 100⌋
		// = 1,048,576 − 52,428 = 996,148, so the margin is 52,428 bytes.
		if c.Mode != "destination" || c.KeyPrefix != "fetches/" || c.Source.Config.Retries != 2 || c.Spill || c.Source.Config.ExpectJSON || c.RecordMarginBytes != 52_428 {
			t.Fatalf("defaults %+v", c)
		}
	})
	t.Run("all set", func(t *testing.T) {
		env := with("MODE", "s3", "BUCKET", "b", "KEY_PREFIX", "p/", "SPILL", "false", "RECORD_MARGIN_BYTES", "2048",
			"MAX_BODY_BYTES", "1000", "CONNECT_TIMEOUT", "2s", "FETCH_TIMEOUT", "1m", "FETCH_RETRIES", "4", "EXPECT_JSON", "true",
			"S3_FORCE_PATH_STYLE", "true", "SOURCE_HEADERS", `{"X-Api-Key":"K"}`, "K", "v")
		c, err := SettingsFromEnv(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		want := Settings{Mode: "s3", Bucket: "b", KeyPrefix: "p/", AsyncLimitBytes: 1048576, RecordMarginBytes: 2048, ForcePathStyle: true,
			Source: SourceSettings{Config: source.Config{URL: "https://api.example.com/x", MaxBodyBytes: 1000, ConnectTimeout: 2 * time.Second,
				Timeout: time.Minute, Retries: 4, ExpectJSON: true, Headers: map[string]string{"X-Api-Key": "v"}},
				HeaderVars: map[string]string{"X-Api-Key": "K"}}}
		if !reflect.DeepEqual(c, want) {
			t.Fatalf("got %+v\nwant %+v", c, want)
		}
	})
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no url", with("SOURCE_URL", ""), "SOURCE_URL is required"},
		{"bad mode", with("MODE", "sqs"), `MODE="sqs": want "destination" or "s3"`},
		{"no limit", with("ASYNC_LIMIT_BYTES", ""), "ASYNC_LIMIT_BYTES is required in MODE=destination"},
		{"bad limit", with("ASYNC_LIMIT_BYTES", "1MB"), `ASYNC_LIMIT_BYTES="1MB": want a whole number of bytes`},
		{"margin too big", with("RECORD_MARGIN_BYTES", "1048576"), "leaves no room"},
		{"s3 without bucket", with("MODE", "s3"), "BUCKET is required in MODE=s3"},
		{"spill without bucket", with("SPILL", "true"), "BUCKET is required when SPILL=true"},
		{"bad bool", with("SPILL", "si"), `SPILL="si": want true or false`},
		{"bad duration", with("FETCH_TIMEOUT", "30"), `FETCH_TIMEOUT="30": want a positive Go duration`},
		{"too many retries", with("FETCH_RETRIES", "50"), "FETCH_RETRIES=50: want 0 to 10"},
		{"missing header secret", with("SOURCE_HEADERS", `{"Authorization":"NOPE"}`), "environment variable NOPE is unset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SettingsFromEnv(func(k string) string { return tc.env[k] })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSourceSettingsFromEnv(t *testing.T) {
	env := map[string]string{"SOURCE_URL": "https://x/", "FETCH_RETRIES": "0", "EXPECT_JSON": "yes"}
	s, err := SourceSettingsFromEnv(func(k string) string { return env[k] })
	if c := s.Config; err != nil || c.URL != "https://x/" || c.Retries != 0 || !c.ExpectJSON {
		t.Fatalf("%+v, %v", c, err)
	}
	// Two bad variables, both named in one error; MODE and ASYNC_LIMIT_BYTES are not the
	// source's business.
	env = map[string]string{"CONNECT_TIMEOUT": "fast", "MODE": "bogus"}
	_, err = SourceSettingsFromEnv(func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "SOURCE_URL is required") || !strings.Contains(err.Error(), `CONNECT_TIMEOUT="fast"`) ||
		strings.Contains(err.Error(), "MODE") || strings.Contains(err.Error(), "ASYNC_LIMIT_BYTES") {
		t.Fatalf("err = %v", err)
	}
}

// TestDefaultMarginMatchesPlanner holds the fetcher's default margin to the planner's, for the
// limits the price book has used (256 KiB, 1 MiB) and an odd one.
func TestDefaultMarginMatchesPlanner(t *testing.T) {
	for _, limit := range []int64{262_144, 1_048_576, 999_999} {
		env := map[string]string{"SOURCE_URL": "https://x/", "ASYNC_LIMIT_BYTES": fmt.Sprint(limit)}
		c, err := SettingsFromEnv(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		if want := limit - planner.UsableRecordBytes(limit); c.RecordMarginBytes != want {
			t.Errorf("limit %d: margin %d, planner's %d", limit, c.RecordMarginBytes, want)
		}
	}
}

func TestLambdaIdentity(t *testing.T) {
	for _, tc := range []struct {
		arn, want string
	}{
		{testARN, testARN + ":$LATEST"},
		{testARN + ":live", testARN + ":live"},
	} {
		ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "r", InvokedFunctionArn: tc.arn})
		if id, arn := lambdaIdentity(ctx); id != "r" || arn != tc.want {
			t.Errorf("lambdaIdentity(%s) = %s, %s", tc.arn, id, arn)
		}
	}
	if id, arn := lambdaIdentity(context.Background()); len(id) != 36 || !strings.HasSuffix(arn, ":$LATEST") {
		t.Errorf("placeholders %s %s", id, arn)
	}
}

// TestScheduledRunCopied: the fetcher copies the schedule's scheduled time and execution id
// into the envelope (destination mode), the pointer and the S3 object's metadata (s3 mode,
// whose writer never sees the schedule's event); an invocation by hand carries neither.
func TestScheduledRunCopied(t *testing.T) {
	scheduled := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	schedEvent := event.NewSchedulerEvent("arn:aws:scheduler:ap-northeast-1:123456789012:schedule/default/lb", scheduled, "exec-7", 2)
	for _, tc := range []struct {
		name      string
		env       map[string]string
		ev        string
		scheduled bool
	}{
		{"destination, scheduled", map[string]string{"ASYNC_LIMIT_BYTES": "1048576"}, string(schedEvent), true},
		{"destination, by hand", map[string]string{"ASYNC_LIMIT_BYTES": "1048576"}, testEvent, false},
		{"s3 mode, scheduled", map[string]string{"MODE": "s3", "BUCKET": "lb-spill"}, string(schedEvent), true},
		{"s3 mode, by hand", map[string]string{"MODE": "s3", "BUCKET": "lb-spill"}, `{}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.env, []byte(`{"n":1}`), 200)
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: testRequestID, InvokedFunctionArn: testARN})
			out, err := w.f.Handle(ctx, json.RawMessage(tc.ev))
			if err != nil {
				t.Fatal(err)
			}
			var e *envelope.Envelope
			if w.f.cfg.Mode == ModeS3 {
				var p envelope.Pointer
				if err := json.Unmarshal(out, &p); err != nil {
					t.Fatal(err)
				}
				if (p.ScheduledAt != nil) != tc.scheduled || p.ExecutionID != map[bool]string{true: "exec-7"}[tc.scheduled] {
					t.Errorf("pointer run %v %q", p.ScheduledAt, p.ExecutionID)
				}
				head, err := w.f.Blob.Client.(*s3.Client).HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(p.Bucket), Key: aws.String(p.Key)})
				if err != nil {
					t.Fatal(err)
				}
				wantMeta := map[string]string{}
				if tc.scheduled {
					wantMeta = map[string]string{"scheduled-time": "2026-11-25T09:30:00Z", "execution-id": "exec-7"}
				}
				for _, k := range []string{"scheduled-time", "execution-id"} {
					if head.Metadata[k] != wantMeta[k] {
						t.Errorf("object metadata %s = %q, want %q", k, head.Metadata[k], wantMeta[k])
					}
				}
				if e, err = w.f.Blob.Get(ctx, &p); err != nil {
					t.Fatal(err)
				}
			} else if e, err = envelope.DecodeJSON(out); err != nil {
				t.Fatal(err)
			}
			if !tc.scheduled {
				if e.ScheduledAt != nil || e.ExecutionID != "" {
					t.Errorf("a run by hand carries run %v %q", e.ScheduledAt, e.ExecutionID)
				}
				return
			}
			if e.ScheduledAt == nil || !e.ScheduledAt.Equal(scheduled) || e.ExecutionID != "exec-7" || !e.RunTime().Equal(scheduled) {
				t.Errorf("envelope run %v %q, want %s exec-7", e.ScheduledAt, e.ExecutionID, scheduled)
			}
		})
	}
}
