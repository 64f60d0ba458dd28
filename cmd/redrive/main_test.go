package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambdabridge/lambdabridge/handlers/envelope"
	"github.com/lambdabridge/lambdabridge/handlers/event"
	"github.com/lambdabridge/lambdabridge/internal/exitcode"
	"github.com/lambdabridge/lambdabridge/internal/lambdaasync"
	"github.com/lambdabridge/lambdabridge/internal/s3local"
	"github.com/lambdabridge/lambdabridge/internal/sqslocal"
)

func TestFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{}, "--queue-url is required"},
		{[]string{"--queue-url", "q"}, "--writer FUNCTION"},
		{[]string{"--queue-url", "q", "--writer", "w", "--max", "-1"}, "--max -1"},
		{[]string{"--queue-url", "q", "--writer", "w", "--wait", "21s"}, "--wait 21s"},
		{[]string{"--queue-url", "q", "--writer", "w", "--visibility", "0s"}, "--visibility 0s"},
		{[]string{"--queue-url", "q", "--writer", "w", "extra"}, `unexpected argument "extra"`},
		{[]string{"--queue-url", "q", "--writer", "w", "--fetcher", "f", "--relay", "r"}, "--fetcher and --relay"},
		{[]string{"--queue-url", "q", "--writer", "w", "--s3-endpoint", "http://127.0.0.1:1"}, "--s3-endpoint needs --bucket"},
		{[]string{"--no-such-flag"}, "no-such-flag"},
	}
	for _, tc := range tests {
		err := run(context.Background(), tc.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%v) = %v, want an error containing %q", tc.args, err, tc.want)
		}
		if got := exitcode.Of(err); got != exitcode.Usage {
			t.Errorf("run(%v): exit status %d, want %d (bad input)", tc.args, got, exitcode.Usage)
		}
	}
}

// TestRedriveFailureBucket: with --bucket (and a local --s3-endpoint) the command drains the
// failure bucket, where the writer's failure records too large for the queue wait; a stored
// one is deleted and the command exits 0.
func TestRedriveFailureBucket(t *testing.T) {
	const bucket = "failures"
	s3srv := s3local.New(t, bucket)
	ctx := context.Background()
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	e, err := envelope.Encode([]byte(`{"blob":"`+strings.Repeat("x", 400_000)+`"}`), envelope.Meta{Source: "https://example.test/", FetchedAt: at, Status: 200, ContentType: "application/json"})
	if err != nil {
		t.Fatal(err)
	}
	env, _ := json.Marshal(e)
	rec, err := event.NewSuccessRecord("f-1", "arn:fetcher", at, []byte(`{}`), env).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	fail, err := lambdaasync.Record("w-1", "arn:aws:lambda:us-east-1:123456789012:function:lb-writer", at, event.ConditionRetriesExhausted, 3, rec,
		lambdaasync.Response{Payload: []byte(`{"errorMessage":"db down"}`), FunctionError: "Unhandled"})
	if err != nil {
		t.Fatal(err)
	}
	dest := lambdaasync.S3Destination{Client: s3srv.Client(), Bucket: bucket}
	if err := dest.Send(ctx, fail); err != nil {
		t.Fatal(err)
	}
	var stored [][]byte
	writer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		stored = append(stored, b)
		io.WriteString(w, `{"stored":1}`)
	}))
	defer writer.Close()
	var out bytes.Buffer
	err = run(ctx, []string{"--bucket", bucket, "--s3-endpoint", s3srv.URL(), "--writer-endpoint", writer.URL}, &out, io.Discard)
	if err != nil || exitcode.Of(err) != exitcode.OK {
		t.Fatalf("err = %v\n%s", err, out.String())
	}
	if len(stored) != 1 || !bytes.Equal(stored[0], rec) || !strings.Contains(out.String(), "received 1, redriven 1") {
		t.Fatalf("writer got %d inputs; output:\n%s", len(stored), out.String())
	}
	left, err := s3srv.Client().ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil || len(left.Contents) != 0 {
		t.Fatalf("bucket holds %d objects (%v), want none", len(left.Contents), err)
	}
}

// TestRedriveCommand runs the command against a real SQS-API server and a writer reached
// over the Lambda Invoke REST path (the emulator's), with two dead-letter records: the writer
// stores one and fails on the other. The command prints the counts, fails, and deletes only
// the stored one.
func TestRedriveCommand(t *testing.T) {
	srv, url := sqslocal.NewQueue(t, "dlq")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	input := func(body string) []byte {
		e, err := envelope.Encode([]byte(body), envelope.Meta{Source: "https://example.test/", FetchedAt: at, Status: 200, ContentType: "application/json"})
		if err != nil {
			t.Fatal(err)
		}
		env, _ := json.Marshal(e)
		rec, err := event.NewSuccessRecord("f-1", "arn:fetcher", at, []byte(`{}`), env).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	good, poison := input(`{"ok":1}`), input(`{"poison":1}`)
	for _, in := range [][]byte{good, poison} {
		fail, err := lambdaasync.Record("w-1", "arn:writer", at, event.ConditionRetriesExhausted, 3, in,
			lambdaasync.Response{Payload: []byte(`{"errorMessage":"db down"}`), FunctionError: "Unhandled"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Client().SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(string(fail))}); err != nil {
			t.Fatal(err)
		}
	}
	var stored [][]byte
	writer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if bytes.Equal(b, poison) { // the emulator's way of reporting a function error
			io.WriteString(w, `{"errorMessage":"store: still down","errorType":"wrapError"}`)
			return
		}
		stored = append(stored, b)
		io.WriteString(w, `{"stored":1}`)
	}))
	defer writer.Close()

	var out bytes.Buffer
	err := run(ctx, []string{"--queue-url", url, "--endpoint", srv.Endpoint, "--writer-endpoint", writer.URL, "--wait", "1s"}, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "1 message(s) or object(s) could not be redriven") || exitcode.Of(err) != exitcode.Failure {
		t.Fatalf("err = %v, want 1 message not redriven\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "received 2, redriven 1 (stored and deleted), writer failed 1") {
		t.Errorf("output lacks the counts:\n%s", out.String())
	}
	if len(stored) != 1 || !bytes.Equal(stored[0], good) {
		t.Fatalf("writer stored %d inputs, want exactly the good success record", len(stored))
	}
}
