package pipeline

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdabridge/lambdabridge/handlers/blob"
	"github.com/lambdabridge/lambdabridge/handlers/envelope"
	"github.com/lambdabridge/lambdabridge/internal/lambdaasync"
	"github.com/lambdabridge/lambdabridge/planner"
)

func TestCompare(t *testing.T) {
	a := identity("s", t0, "a")
	b := identity("s", t0.Add(time.Second), "b")
	c := identity("s", t0.Add(2*time.Second), "c")
	tests := []struct {
		name                   string
		expected, rows         []Identity
		lost, unexpected, dups int
	}{
		{"all stored once", []Identity{a, b}, []Identity{b, a}, 0, 0, 0},
		{"one lost", []Identity{a, b, c}, []Identity{a, c}, 1, 0, 0},
		{"one stored that was never handed off", []Identity{a}, []Identity{a, b}, 0, 1, 0},
		// a three times: 2 rows beyond the first.
		{"duplicated", []Identity{a}, []Identity{a, a, a}, 0, 0, 2},
	}
	for _, tc := range tests {
		got := Compare(tc.expected, tc.rows)
		if len(got.Lost) != tc.lost || len(got.Unexpected) != tc.unexpected || got.Duplicated != tc.dups {
			t.Errorf("%s: %s", tc.name, got)
		}
		if got.OK() != (tc.lost+tc.unexpected+tc.dups == 0) {
			t.Errorf("%s: OK() = %v", tc.name, got.OK())
		}
	}
	// The database keeps microseconds: a nanosecond fetch time matches its stored row.
	ns := identity("s", t0.Add(1500*time.Nanosecond), "x")
	if ns != identity("s", t0.Add(time.Microsecond), "x") {
		t.Errorf("identity does not truncate to microseconds: %v", ns.FetchedAt)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		fault     Fault
		ran       bool   // the inner function ran
		fnErr     string // FunctionError seen by Lambda
		systemErr bool
	}{
		{NoFault, true, "", false},
		{CrashBefore, false, "Unhandled", false},
		{CrashAfter, true, "Unhandled", false},
		{Throttle, false, "", true},
	}
	for _, tc := range tests {
		ran := false
		inner := lambdaasync.FunctionFunc(func(context.Context, string, []byte) (lambdaasync.Response, error) {
			ran = true
			return lambdaasync.Response{Payload: []byte(`{"ok":1}`)}, nil
		})
		fn := withFaults("writer", inner, func(string, string) Fault { return tc.fault }, io.Discard)
		resp, err := fn.Invoke(context.Background(), "r", []byte(`{}`))
		if ran != tc.ran || resp.FunctionError != tc.fnErr || (err != nil) != tc.systemErr {
			t.Errorf("%s: ran %v, function error %q, system error %v", tc.fault, ran, resp.FunctionError, err)
		}
	}
}

func TestTopologyOf(t *testing.T) {
	tests := map[planner.Topology]Topology{
		planner.Destination: Destination, planner.S3: S3Handoff,
		planner.NATGateway: Relay, planner.NATInstance: Relay, planner.IPv6: Relay,
	}
	for in, want := range tests {
		if got, err := TopologyOf(in); err != nil || got != want {
			t.Errorf("TopologyOf(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	if _, err := TopologyOf("lambda"); err == nil {
		t.Error("TopologyOf(lambda) accepted")
	}
}

// TestLocalShapes: each local topology runs the parts of a planner topology with its
// handoff, and each function runs with the timeout infra deploys for its role.
func TestLocalShapes(t *testing.T) {
	for local, want := range map[Topology][]planner.Role{
		Destination: {planner.Fetcher, planner.Writer},
		S3Handoff:   {planner.Fetcher, planner.Writer},
		Relay:       {planner.Relay},
	} {
		s, err := local.Shape()
		if err != nil || !slices.Equal(s.Functions, want) {
			t.Errorf("%s: %v (%v), want functions %v", local, s.Functions, err, want)
		}
		for _, r := range s.Functions {
			f, _ := planner.FunctionOf(r)
			if got := specOf(r, nil).Timeout; got != time.Duration(f.TimeoutSeconds)*time.Second || got == 0 {
				t.Errorf("%s: local timeout %v, infra deploys %d s", r, got, f.TimeoutSeconds)
			}
		}
	}
	if _, err := Topology("nat").Shape(); err == nil {
		t.Error(`Topology("nat").Shape() accepted`)
	}
}

func TestIsObjectPut(t *testing.T) {
	tests := map[string]bool{"": true, "x-id=PutObject": true, "partNumber=1&uploadId=u": false, "tagging": false, "acl": false}
	for q, want := range tests {
		v, _ := url.ParseQuery(q)
		if got := isObjectPut(v); got != want {
			t.Errorf("isObjectPut(%q) = %v, want %v", q, got, want)
		}
	}
}

// TestSourceModes checks each behaviour of the local source over HTTP.
func TestSourceModes(t *testing.T) {
	s := NewSource(nil)
	defer s.Close()
	client := &http.Client{Timeout: 300 * time.Millisecond}
	get := func() (int, string, error) {
		resp, err := client.Get(s.URL())
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	_, first, _ := get()
	_, second, _ := get()
	if !strings.HasPrefix(first, `{"type":"FeatureCollection"`) || first == second {
		t.Errorf("healthy documents must be JSON and differ per request: %q, %q", first, second)
	}
	s.SetMode(Error500)
	if code, _, _ := get(); code != 500 {
		t.Errorf("500 mode answered %d", code)
	}
	s.SetMode(Garbage)
	if _, body, _ := get(); !strings.HasPrefix(body, "<html>") {
		t.Errorf("garbage mode answered %q", body)
	}
	s.SetMode(Huge)
	// 1,500,000 × 3/4 = 1,125,000 random bytes, base64 = 1,125,000 × 4/3 = 1,500,000 chars,
	// inside {"blob":""} (11 bytes): 1,500,011 bytes.
	if _, body, _ := get(); len(body) != 1_500_011 {
		t.Errorf("huge mode answered %d bytes, want 1,500,011", len(body))
	}
	s.SetMode(Large)
	// 800,000 × 3/4 = 600,000 random bytes, base64 800,000 chars, + 11 bytes of JSON.
	body := func() string { _, b, _ := get(); return b }()
	if len(body) != 800_011 {
		t.Errorf("large mode answered %d bytes, want 800,011", len(body))
	}
	// It gzips to about 6/8 of that (random base64): a record over the queue's 262,144 B and
	// under the usable 996,148 B of the 1 MiB limit.
	e, err := envelope.Encode([]byte(body), envelope.Meta{Source: s.URL(), FetchedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if rec := planner.RecordBytes(e.CompressedLength); e.CompressedLength < 590_000 || e.CompressedLength > 610_000 || rec > planner.UsableRecordBytes(1<<20) || rec < 2*planner.DLQMaxMessageBytes {
		t.Errorf("large body compresses to %d bytes (record %d), want about 600,000", e.CompressedLength, rec)
	}
	s.SetMode(Hang)
	if _, _, err := get(); err == nil || !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "Timeout") {
		t.Errorf("hang mode: err = %v, want a client timeout", err)
	}
	hits := s.Hits()
	if hits[Healthy] != 2 || hits[Error500] != 1 || hits[Hang] != 1 {
		t.Errorf("hits %v", hits)
	}
}

// TestS3NotificationBound: the writer's event in an object handoff, an S3 notification of one
// handoff object under blob's key form, stays within planner.S3EventBytes, the bound on which
// the planner routes the writer's failures to the dead-letter queue.
func TestS3NotificationBound(t *testing.T) {
	s, err := NewS3(Bucket, blob.DefaultPrefix)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e, err := envelope.Encode([]byte(`{"n":1}`), envelope.Meta{Source: "https://api.example.com/v1/data.json", FetchedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	st := &blob.Store{Client: s.Client(), Bucket: Bucket}
	if _, err := st.Put(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	notes, err := s.Notifications()
	if err != nil || len(notes) != 1 {
		t.Fatalf("%d notifications (%v), want 1", len(notes), err)
	}
	if n := len(notes[0]); n > planner.S3EventBytes {
		t.Errorf("notification of %d bytes, over planner.S3EventBytes (%d)", n, planner.S3EventBytes)
	}
}
