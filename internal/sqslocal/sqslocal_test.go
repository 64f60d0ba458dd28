package sqslocal

import (
	"context"
	"github.com/lambdabridge/lambdabridge/internal/tbtest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// TestSQSRoundTrip checks that the SQS calls the pipeline uses work against fauxqs with
// aws-sdk-go-v2: create, send, receive (with visibility timeout), delete, attributes.
func TestSQSRoundTrip(t *testing.T) {
	s := New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := s.Client()
	url, err := s.CreateQueue(ctx, "roundtrip-dlq")
	if err != nil {
		t.Fatal(err)
	}
	bodies := []string{`{"n":1}`, `{"n":2}`, `{"n":3}`}
	for _, b := range bodies {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b)}); err != nil {
			t.Fatalf("send %s: %v", b, err)
		}
	}
	if n := visible(ctx, t, c, url); n != 3 {
		t.Fatalf("ApproximateNumberOfMessages = %d, want 3 (three sent, none received)", n)
	}
	got := map[string]string{} // body -> receipt handle
	for len(got) < 3 {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60,
		})
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		if len(out.Messages) == 0 {
			t.Fatalf("receive returned nothing after %d of 3 messages", len(got))
		}
		for _, m := range out.Messages {
			got[aws.ToString(m.Body)] = aws.ToString(m.ReceiptHandle)
		}
	}
	for _, b := range bodies {
		if _, ok := got[b]; !ok {
			t.Errorf("message %s not received", b)
		}
	}
	// Received but not deleted: invisible for 60 s, so the queue shows 0 visible, 3 in flight.
	if n := visible(ctx, t, c, url); n != 0 {
		t.Errorf("visible after receive = %d, want 0 (all three in flight)", n)
	}
	// Delete two; make the third visible again (what redrive relies on when the writer fails).
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(got[bodies[0]])}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(got[bodies[1]])}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl: aws.String(url), ReceiptHandle: aws.String(got[bodies[2]]), VisibilityTimeout: 0,
	}); err != nil {
		t.Fatalf("change visibility: %v", err)
	}
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatalf("receive again: %v", err)
	}
	if len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != bodies[2] {
		t.Fatalf("after deleting 2 of 3, receive gave %d messages, want exactly %s", len(out.Messages), bodies[2])
	}
}

func visible(ctx context.Context, t *testing.T, c *sqs.Client, url string) int {
	t.Helper()
	a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages},
	})
	if err != nil {
		t.Fatalf("attributes: %v", err)
	}
	n, err := strconv.Atoi(a.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	if err != nil {
		t.Fatalf("ApproximateNumberOfMessages: %v", err)
	}
	return n
}

func TestStopIsIdempotent(t *testing.T) {
	s := New(t)
	s.Stop()
	s.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.ping(ctx); err == nil {
		t.Fatal("fauxqs still answers after Stop")
	}
}

func TestMissingInstall(t *testing.T) {
	for _, require := range []string{"", "1"} {
		t.Setenv("LAMBDABRIDGE_REQUIRE_DB", require)
		tb := tbtest.Run(t, func(tb testing.TB) { newAt(tb, t.TempDir()) })
		switch {
		case require == "1" && !strings.Contains(tb.Fatal, "run npm ci"):
			t.Errorf("with LAMBDABRIDGE_REQUIRE_DB=1: fatal %q, want it to ask for npm ci", tb.Fatal)
		case require == "" && (tb.Skip == "" || tb.Fatal != ""):
			t.Errorf("without LAMBDABRIDGE_REQUIRE_DB: skip %q, fatal %q; want a skip", tb.Skip, tb.Fatal)
		}
	}
}
