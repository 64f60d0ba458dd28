package lambdaasync

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambdabridge/lambdabridge/handlers/event"
	"github.com/lambdabridge/lambdabridge/internal/sqslocal"
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

// TestLargestRecordStillFitsTheDLQ: when the writer fails on the largest record the fetcher
// may send, Lambda's failure record (that record as requestPayload, plus the error) must
// still fit an SQS message (1 MiB = 1,048,576 bytes, enforced by the server), or the
// dead-letter copy would be lost. The fetcher keeps records under limit − 5 % (the
// planner's RecordMarginPercent): 1,048,576 − 52,428 = 996,148 bytes.
func TestLargestRecordStillFitsTheDLQ(t *testing.T) {
	srv, url := sqslocal.NewQueue(t, "dlq")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dlq := SQSDestination{Client: srv.Client(), QueueURL: url}
	errPayload := Response{Payload: []byte(`{"errorMessage":"writer: store: put fetch of https://example.test/feed.json at 2026-11-25T10:00:00Z: dial tcp 10.0.1.5:5432: connect: connection refused","errorType":"wrapError"}`), FunctionError: "Unhandled"}
	tests := []struct {
		name       string
		recordSize int
		fits       bool
	}{
		{"largest record the fetcher sends (996,148 bytes)", 996_148, true},
		{"a record at the full 1 MiB limit", 1_048_576, false},
	}
	for _, tc := range tests {
		rec := successRecordOfSize(t, tc.recordSize)
		fail, err := Record("w-1", "arn:aws:lambda:us-east-1:123456789012:function:lambdabridge-writer", t0,
			event.ConditionRetriesExhausted, 3, rec, errPayload)
		if err != nil {
			t.Fatal(err)
		}
		err = dlq.Send(ctx, fail)
		if (err == nil) != tc.fits {
			t.Errorf("%s: failure record of %d bytes: send error %v, want fits=%v", tc.name, len(fail), err, tc.fits)
		}
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
