package redrive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambdabridge/lambdabridge/handlers/envelope"
	"github.com/lambdabridge/lambdabridge/handlers/event"
	"github.com/lambdabridge/lambdabridge/internal/lambdaasync"
	"github.com/lambdabridge/lambdabridge/internal/s3local"
	"github.com/lambdabridge/lambdabridge/internal/sqslocal"
)

var at = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

const scheduleEvent = `{"version":"0","id":"e-1","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-25T10:00:00Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:123456789012:rule/fetch"],"detail":{}}`

func mustEnvelope(t *testing.T, body string) []byte {
	t.Helper()
	e, err := envelope.Encode([]byte(body), envelope.Meta{Source: "https://example.test/data", FetchedAt: at, Status: 200, ContentType: "application/json"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// successRecord is what the fetcher's onSuccess destination handed the writer.
func successRecord(t *testing.T, body string) []byte {
	t.Helper()
	b, err := event.NewSuccessRecord("fetch-1", "arn:aws:lambda:us-east-1:123456789012:function:fetcher", at, []byte(scheduleEvent), mustEnvelope(t, body)).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// failureRecord is what the onFailure (SQS) destination receives after the writer failed 3 times.
func failureRecord(t *testing.T, fn string, request []byte) []byte {
	t.Helper()
	b, err := lambdaasync.Record("w-1", "arn:aws:lambda:us-east-1:123456789012:function:"+fn, at, event.ConditionRetriesExhausted, 3, request,
		lambdaasync.Response{Payload: []byte(`{"errorMessage":"store: connection refused","errorType":"wrapError"}`), FunctionError: "Unhandled"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// schedulerInput is what the deployed schedule sends (infra sets event.SchedulerInput).
var schedulerInput = event.NewSchedulerEvent("arn:aws:scheduler:us-east-1:123456789012:schedule/default/lb", at, "d32c5kddcf5bb8c3", 1)

func TestClassify(t *testing.T) {
	rec := successRecord(t, `{"a":1}`)
	env := mustEnvelope(t, `{"a":2}`)
	tests := []struct {
		name    string
		body    []byte
		kind    Kind
		payload []byte // what the writer must get
	}{
		{"writer failure record -> the success record it failed on", failureRecord(t, "writer", rec), WriterInput, rec},
		{"writer failure record of a bare envelope", failureRecord(t, "writer", env), WriterInput, env},
		{"fetcher failure record -> schedule event, nothing to write", failureRecord(t, "fetcher", []byte(scheduleEvent)), FetchFailure, []byte(scheduleEvent)},
		{"fetcher failure record of the stack schedule's own Input", failureRecord(t, "fetcher", schedulerInput), FetchFailure, schedulerInput},
		{"the schedule's own dead letter: a run it could not start", schedulerInput, MissedRun, schedulerInput},
		{"success record put on the queue directly", rec, WriterInput, rec},
		{"bare envelope put on the queue directly", env, WriterInput, env},
		{"not JSON", []byte("hello"), Unreadable, nil},
		{"failure record of something unknown", failureRecord(t, "writer", []byte(`{"x":1}`)), Unreadable, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kind, payload, err := Classify(tc.body)
			if kind != tc.kind {
				t.Fatalf("kind %s (err %v), want %s", kind, err, tc.kind)
			}
			if (err != nil) != (tc.kind == Unreadable) {
				t.Errorf("err = %v", err)
			}
			if string(payload) != string(tc.payload) {
				t.Errorf("payload %s, want %s", payload, tc.payload)
			}
		})
	}
}

// TestRunDeletesOnlyWhatWasStored puts five messages in a real SQS-API queue: two the writer
// stores, one it fails on, one failed fetch and one unreadable. Only the two stored are
// deleted; the other three are still in the queue afterwards.
func TestRunDeletesOnlyWhatWasStored(t *testing.T) {
	srv, url := sqslocal.NewQueue(t, "dlq")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	good1, good2, bad := successRecord(t, `{"n":1}`), mustEnvelope(t, `{"n":2}`), successRecord(t, `{"n":"poison"}`)
	bodies := [][]byte{
		failureRecord(t, "writer", good1), failureRecord(t, "writer", good2), failureRecord(t, "writer", bad),
		failureRecord(t, "fetcher", []byte(scheduleEvent)), []byte("garbage"),
	}
	for _, b := range bodies {
		if _, err := srv.Client().SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(string(b))}); err != nil {
			t.Fatal(err)
		}
	}
	var written []string
	writer := lambdaasync.FunctionFunc(func(_ context.Context, _ string, p []byte) (lambdaasync.Response, error) {
		if string(p) == string(bad) {
			return lambdaasync.Response{Payload: []byte(`{"errorMessage":"db down"}`), FunctionError: "Unhandled"}, nil
		}
		written = append(written, string(p))
		return lambdaasync.Response{Payload: []byte(`{"stored":true}`)}, nil
	})
	var log strings.Builder
	r := &Redriver{Queue: srv.Client(), QueueURL: url, Writer: writer, Wait: time.Second, Visibility: time.Second, Log: &log}
	c, err := r.Run(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	// 5 received = 2 redriven + 1 writer failure + 1 fetch failure + 1 unreadable.
	want := Counts{Received: 5, Redriven: 2, WriterFailed: 1, FetchFailures: 1, Unreadable: 1}
	if c != want {
		t.Fatalf("counts %+v, want %+v\n%s", c, want, log.String())
	}
	if len(written) != 2 || !(written[0] == string(good1) && written[1] == string(good2) || written[0] == string(good2) && written[1] == string(good1)) {
		t.Errorf("writer got %d payloads, want the two good ones", len(written))
	}
	// After the 1 s visibility timeout the 3 left-behind messages are back; nothing else is.
	time.Sleep(1500 * time.Millisecond)
	left := map[string]bool{}
	for range 5 {
		out, err := srv.Client().ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 30})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			left[aws.ToString(m.Body)] = true
		}
		if len(left) >= 3 {
			break
		}
	}
	if len(left) != 3 || !left[string(bodies[2])] || !left[string(bodies[3])] || !left["garbage"] {
		t.Errorf("left in queue: %d messages, want the writer failure, the fetch failure and the garbage", len(left))
	}
}

// TestRunBoundedByMax: --max stops after that many messages.
func TestRunBoundedByMax(t *testing.T) {
	srv, url := sqslocal.NewQueue(t, "dlq")
	ctx := context.Background()
	for i := 0; i < 4; i++ {
		if _, err := srv.Client().SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(string(failureRecord(t, "writer", mustEnvelope(t, `{"i":`+string(rune('0'+i))+`}`))))}); err != nil {
			t.Fatal(err)
		}
	}
	ok := lambdaasync.FunctionFunc(func(context.Context, string, []byte) (lambdaasync.Response, error) {
		return lambdaasync.Response{Payload: []byte(`{}`)}, nil
	})
	r := &Redriver{Queue: srv.Client(), QueueURL: url, Writer: ok}
	c, err := r.Run(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if c.Received != 3 || c.Redriven != 3 {
		t.Fatalf("counts %+v, want 3 received and redriven of 4", c)
	}
	c, err = r.Run(ctx, 0)
	if err != nil || c.Received != 1 || c.Redriven != 1 {
		t.Fatalf("second run %+v %v, want the 4th message", c, err)
	}
}

type brokenQueue struct{ Queue }

func (brokenQueue) ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	return nil, errors.New("connection refused")
}

func TestRunReportsUnreadableQueue(t *testing.T) {
	r := &Redriver{Queue: brokenQueue{}, QueueURL: "http://q"}
	if _, err := r.Run(context.Background(), 0); err == nil || !strings.Contains(err.Error(), "receive from http://q") {
		t.Fatalf("err = %v", err)
	}
}

// TestRunRerunsRelayEvents: with Rerun (the relay), a failed schedule event is run again and
// deleted when that run succeeds; one whose re-run fails stays.
func TestRunRerunsRelayEvents(t *testing.T) {
	srv, url := sqslocal.NewQueue(t, "dlq")
	ctx := context.Background()
	failing := strings.Replace(scheduleEvent, `"e-1"`, `"e-2"`, 1)
	for _, ev := range []string{scheduleEvent, failing} {
		body := failureRecord(t, "relay", []byte(ev))
		if _, err := srv.Client().SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(string(body))}); err != nil {
			t.Fatal(err)
		}
	}
	var reruns []string
	relay := lambdaasync.FunctionFunc(func(_ context.Context, _ string, p []byte) (lambdaasync.Response, error) {
		reruns = append(reruns, string(p))
		if string(p) == failing {
			return lambdaasync.Response{Payload: []byte(`{"errorMessage":"source down"}`), FunctionError: "Unhandled"}, nil
		}
		return lambdaasync.Response{Payload: []byte(`{"id":1}`)}, nil
	})
	r := &Redriver{Queue: srv.Client(), QueueURL: url, Rerun: relay, Visibility: time.Second}
	c, err := r.Run(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	// 2 received: 1 re-run and deleted, 1 re-run that failed and is left.
	if want := (Counts{Received: 2, Rerun: 1, FetchFailures: 1}); c != want || len(reruns) != 2 {
		t.Fatalf("counts %+v (re-runs %d), want %+v and 2 re-runs", c, len(reruns), want)
	}
}

// put sends each body to the queue.
func put(t *testing.T, srv *sqslocal.Server, url string, bodies ...[]byte) {
	t.Helper()
	for _, b := range bodies {
		if _, err := srv.Client().SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(string(b))}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRunDrainsTheFailureBucket: failure records too large for the queue wait in the failure
// bucket under Lambda's keys; redrive hands each one's requestPayload to the writer and
// deletes only the objects whose input was stored, with the queue's messages alongside.
func TestRunDrainsTheFailureBucket(t *testing.T) {
	const bucket = "failures"
	s3srv := s3local.New(t, bucket)
	srv, url := sqslocal.NewQueue(t, "dlq")
	ctx := context.Background()
	big := successRecord(t, `{"blob":"`+strings.Repeat("x", 700_000)+`"}`) // a 700 KB body: a record over 256 KiB
	poison := successRecord(t, `{"n":"poison"}`)
	objects := map[string][]byte{
		lambdaasync.FailureKey("lambdabridge-dev-writer", at, "a"): failureRecord(t, "writer", big),
		lambdaasync.FailureKey("lambdabridge-dev-writer", at, "b"): failureRecord(t, "writer", poison),
		"elsewhere/not-a-failure-record":                           []byte("ignored: not under aws/lambda/async/"),
	}
	for k, b := range objects {
		if _, err := s3srv.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}
	small := mustEnvelope(t, `{"n":1}`)
	put(t, srv, url, failureRecord(t, "fetcher", small))
	var written [][]byte
	writer := lambdaasync.FunctionFunc(func(_ context.Context, _ string, p []byte) (lambdaasync.Response, error) {
		if bytes.Equal(p, poison) {
			return lambdaasync.Response{Payload: []byte(`{"errorMessage":"db down"}`), FunctionError: "Unhandled"}, nil
		}
		written = append(written, p)
		return lambdaasync.Response{Payload: []byte(`{}`)}, nil
	})
	r := &Redriver{Queue: srv.Client(), QueueURL: url, Objects: s3srv.Client(), Bucket: bucket, Writer: writer, Visibility: time.Second}
	c, err := r.Run(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	// 3 read: the queue's message and the bucket's 2 records; 2 stored, the poison left.
	if want := (Counts{Received: 3, Redriven: 2, WriterFailed: 1}); c != want {
		t.Fatalf("counts %+v, want %+v", c, want)
	}
	if len(written) != 2 || !bytes.Equal(written[0], small) || !bytes.Equal(written[1], big) {
		t.Errorf("writer got %d inputs, want the queue's then the big record", len(written))
	}
	left, err := s3srv.Client().ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range left.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	sort.Strings(keys)
	if want := []string{lambdaasync.FailureKey("lambdabridge-dev-writer", at, "b"), "elsewhere/not-a-failure-record"}; !slices.Equal(keys, want) {
		t.Errorf("left in the bucket %v, want %v", keys, want)
	}
}

// TestRunStartsMissedRunsAgain: the schedule's dead letters (runs it could not start) and the
// fetcher's failed runs are left in the queue without a function to start them; with Replay
// (the fetcher, asynchronously) each is started again with its own event and deleted.
func TestRunStartsMissedRunsAgain(t *testing.T) {
	missed := event.NewSchedulerEvent("arn:aws:scheduler:us-east-1:123456789012:schedule/default/lb", at.Add(10*time.Minute), "e2", 3)
	failed := failureRecord(t, "fetcher", schedulerInput)
	for _, tc := range []struct {
		name   string
		replay bool
		want   Counts
	}{
		{"no function to start them", false, Counts{Received: 2, FetchFailures: 1, MissedRuns: 1}},
		{"replayed through the fetcher", true, Counts{Received: 2, Rerun: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, url := sqslocal.NewQueue(t, "dlq")
			put(t, srv, url, missed, failed)
			var replayed []string
			r := &Redriver{Queue: srv.Client(), QueueURL: url, Visibility: time.Second}
			if tc.replay {
				r.Replay = lambdaasync.FunctionFunc(func(_ context.Context, _ string, p []byte) (lambdaasync.Response, error) {
					replayed = append(replayed, string(p))
					return lambdaasync.Response{}, nil // 202: queued
				})
			}
			c, err := r.Run(context.Background(), 0)
			if err != nil {
				t.Fatal(err)
			}
			if c != tc.want {
				t.Fatalf("counts %+v, want %+v", c, tc.want)
			}
			sort.Strings(replayed)
			want := []string{string(missed), string(schedulerInput)}
			sort.Strings(want)
			if tc.replay && !slices.Equal(replayed, want) {
				t.Errorf("replayed %q, want each run's own schedule event", replayed)
			}
		})
	}
}
