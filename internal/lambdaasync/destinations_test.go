package lambdaasync

import (
	"context"
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
	srv := sqslocal.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url, err := srv.CreateQueue(ctx, "dlq")
	if err != nil {
		t.Fatal(err)
	}
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
