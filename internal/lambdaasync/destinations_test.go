package lambdaasync

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambdabridge/lambdabridge/handlers/event"
	"github.com/lambdabridge/lambdabridge/internal/s3local"
	"github.com/lambdabridge/lambdabridge/internal/sqslocal"
	"github.com/lambdabridge/lambdabridge/planner"
)

// TestFailureRecordReachesSQS runs a function that always fails with the SQS dead-letter
// queue as onFailure, on a real SQS-API server: exactly one message arrives, whose body is
// the RetriesExhausted record (1 try + 2 retries = 3 invocations).
func TestFailureRecordReachesSQS(t *testing.T) {
	srv, url := sqslocal.NewQueue(t, "dlq")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	clock := NewVirtualClock(t0)
	cfg := DefaultConfig("arn:aws:lambda:us-east-1:123456789012:function:writer")
	cfg.OnFailure = SQSDestination{Client: srv.Client(), QueueURL: url}
	iv, err := New(&script{outcomes: []string{"fail"}, clock: clock}, cfg, WithClock(clock), WithRequestIDs(seqIDs()))
	if err != nil {
		t.Fatal(err)
	}
	res, err := iv.Invoke(ctx, []byte(`{"k":"v"}`))
	if err != nil {
		t.Fatal(err)
	}
	if res[0].DestinationErr != nil {
		t.Fatal(res[0].DestinationErr)
	}
	out, err := srv.Client().ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("DLQ holds %d messages, want 1", len(out.Messages))
	}
	if got, want := aws.ToString(out.Messages[0].Body), string(res[0].Record); got != want {
		t.Errorf("message body %s, want the record %s", got, want)
	}
	if rc := decode(t, res[0].Record).RequestContext; rc.Condition != event.ConditionRetriesExhausted || rc.ApproximateInvokeCount != 3 {
		t.Errorf("record %s", res[0].Record)
	}
}

// writerErr is the error object a writer returns with the database down.
var writerErr = Response{Payload: []byte(`{"errorMessage":"writer: store: put fetch of https://example.test/feed.json at 2026-11-25T10:00:00Z: dial tcp 10.0.1.5:5432: connect: connection refused","errorType":"wrapError"}`), FunctionError: "Unhandled"}

// TestFailureRecordSinks: when the writer fails on a destination record, Lambda's failure
// record carries that record as requestPayload. The deployed dead-letter queue takes at most
// planner.DLQMaxMessageBytes (262,144 B): the failure record of a large record (the fetcher
// keeps records up to 1,048,576 - 5% = 996,148 B) does not fit it — on the SQS-API server,
// created with that maximum, as in the emulation's own check — so it would be lost
// (DestinationDeliveryFailures); the failure bucket keeps it. A small one fits both.
func TestFailureRecordSinks(t *testing.T) {
	srv := sqslocal.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := srv.Client().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("dlq"),
		Attributes: map[string]string{"MaximumMessageSize": strconv.Itoa(planner.DLQMaxMessageBytes)}})
	if err != nil {
		t.Fatal(err)
	}
	url := aws.ToString(out.QueueUrl)
	checked := SQSDestination{Client: srv.Client(), QueueURL: url, MaxMessageBytes: planner.DLQMaxMessageBytes}
	serverOnly := SQSDestination{Client: srv.Client(), QueueURL: url} // the server's own limit
	bucket := s3local.New(t, "failures").Client()
	s3dest := S3Destination{Client: bucket, Bucket: "failures", NewID: func() string { return "0000-uuid" }}

	tests := []struct {
		name       string
		recordSize int
		queueTakes bool
	}{
		{"a small record (20,000 bytes)", 20_000, true},
		{"the largest record the fetcher sends (996,148 bytes)", 996_148, false},
		// The failure record adds its fields and the error (550 bytes here) to the record: a
		// record 344 bytes under the queue's maximum makes a failure record over it.
		{"a record of 261,800 bytes", 261_800, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := successRecordOfSize(t, tc.recordSize)
			fail, err := Record("w-1", "arn:aws:lambda:us-east-1:123456789012:function:lambdabridge-writer:$LATEST", t0,
				event.ConditionRetriesExhausted, 3, rec, writerErr)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range []SQSDestination{checked, serverOnly} {
				err = d.Send(ctx, fail)
				if (err == nil) != tc.queueTakes {
					t.Errorf("queue (check %d): failure record of %d bytes: send error %v, want taken=%v", d.MaxMessageBytes, len(fail), err, tc.queueTakes)
				}
			}
			if err := checked.Send(ctx, fail); err != nil && !errors.Is(err, ErrMessageTooLarge) {
				t.Errorf("the emulation's refusal %v does not wrap ErrMessageTooLarge", err)
			}
			if err := s3dest.Send(ctx, fail); err != nil {
				t.Fatalf("failure bucket refused %d bytes: %v", len(fail), err)
			}
			// t0 is 2026-11-25 09:00:00 UTC.
			key := "aws/lambda/async/lambdabridge-writer/2026/11/25/2026-11-25T09.00.00-0000-uuid"
			got, err := bucket.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("failures"), Key: aws.String(key)})
			if err != nil {
				t.Fatalf("failure record not at %s: %v", key, err)
			}
			defer got.Body.Close()
			body, _ := io.ReadAll(got.Body)
			if !bytes.Equal(body, fail) {
				t.Errorf("object holds %d bytes, want the %d-byte failure record", len(body), len(fail))
			}
		})
	}
}

// TestFailureKey: Lambda's S3 destination names a record's object after the function and the
// record's time.
func TestFailureKey(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:lambda:us-east-1:123456789012:function:lambdabridge-dev-writer:$LATEST": "lambdabridge-dev-writer",
		"arn:aws:lambda:us-east-1:123456789012:function:lambdabridge-dev-writer":         "lambdabridge-dev-writer",
		"writer": "writer",
	} {
		if got := FunctionName(arn); got != want {
			t.Errorf("FunctionName(%s) = %s, want %s", arn, got, want)
		}
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.FixedZone("JST", 9*3600)) // 2026-01-01 18:04:05.6 UTC
	if got, want := FailureKey("fn", at, "u"), "aws/lambda/async/fn/2026/01/01/2026-01-01T18.04.05-u"; got != want {
		t.Errorf("FailureKey = %s, want %s", got, want)
	}
}

// successRecordOfSize builds a destination record of exactly n bytes (padding a string).
func successRecordOfSize(t *testing.T, n int) []byte {
	t.Helper()
	build := func(pad int) []byte {
		b, err := event.NewSuccessRecord("4a5b6c7d-0000-0000-0000-000000000000", "arn:aws:lambda:us-east-1:123456789012:function:lambdabridge-fetcher",
			t0, []byte(`{"source":"aws.events"}`), []byte(`{"pad":"`+strings.Repeat("x", pad)+`"}`)).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	base := len(build(0))
	b := build(n - base)
	if len(b) != n {
		t.Fatalf("record of %d bytes, want %d", len(b), n)
	}
	return b
}
