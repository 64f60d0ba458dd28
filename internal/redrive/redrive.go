// Package redrive hands failed work back to where it should have gone. It drains the two
// places failures end up (planner.FailureSink): the dead-letter queue (SQS) and the failure
// bucket (S3, the records too large for the queue). Each holds Lambda onFailure records (the
// message body, or the object, is the record) whose requestPayload is what the failed function
// was invoked with — for the writer, the onSuccess record (or S3 pointer, S3 event, envelope)
// it could not store — and the queue also holds the schedule's dead letters: runs EventBridge
// Scheduler could not start (the body is the schedule's event). A message or object is deleted
// only after its content was stored (or its run started again); anything else stays.
package redrive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambdabridge/lambdabridge/handlers/event"
	"github.com/lambdabridge/lambdabridge/internal/lambdaasync"
	"github.com/lambdabridge/lambdabridge/planner"
)

// Queue is the part of the SQS client redrive needs.
type Queue interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// Objects is the part of the S3 client redrive needs to drain the failure bucket.
type Objects interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// MaxObjectBytes caps a failure record read from the bucket: Lambda's records are at most the
// async payload limit (1 MiB) plus the error, so 8 MiB is far beyond any real one.
const MaxObjectBytes = 8 << 20

// Kind says what a dead-letter message holds.
type Kind string

// Kinds of dead-letter message.
const (
	// WriterInput: data the writer failed to store; redriven.
	WriterInput Kind = "writer-input"
	// FetchFailure: the fetcher (or relay) failed on a schedule event, so nothing was stored
	// and there is nothing to write. With Redriver.Rerun (the relay) or Redriver.Replay (the
	// fetcher) the run is started again; otherwise it is left in the queue.
	FetchFailure Kind = "fetch-failure"
	// MissedRun: the schedule's own dead letter, a run EventBridge Scheduler could not start
	// (Lambda refused the Invoke past the schedule's retries). Started again like a
	// FetchFailure; otherwise left in the queue.
	MissedRun Kind = "missed-run"
	// Unreadable: neither; left in the queue.
	Unreadable Kind = "unreadable"
)

// Classify extracts from a dead-letter message body (or failure-bucket object) what to invoke
// again and with what. A failure record yields its requestPayload: the writer's input, or the
// schedule event of a failed fetch; a bare schedule event is a missed run; a success record,
// S3 pointer, S3 event or bare envelope put on the queue directly yields itself.
func Classify(body []byte) (Kind, []byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return Unreadable, nil, fmt.Errorf("message is not a JSON object: %w", err)
	}
	payload, wrapped := body, false
	if _, ok := top["requestContext"]; ok {
		var rec event.Record
		if err := json.Unmarshal(body, &rec); err != nil {
			return Unreadable, nil, fmt.Errorf("invocation record: %w", err)
		}
		if rec.RequestContext.Condition != event.ConditionSuccess {
			payload, wrapped = rec.RequestPayload, true
		}
	}
	_, err := event.Route(payload)
	if err == nil {
		return WriterInput, payload, nil
	}
	if isScheduleEvent(payload) {
		if wrapped {
			return FetchFailure, payload, nil
		}
		return MissedRun, payload, nil
	}
	return Unreadable, nil, fmt.Errorf("not a writer input: %w", err)
}

// isScheduleEvent recognises the fetcher's input: the stack schedule's own Input
// (event.SchedulerInput), or an EventBridge rule or Scheduler event.
func isScheduleEvent(b []byte) bool {
	var e struct {
		Source     string `json:"source"`
		DetailType string `json:"detail-type"`
	}
	if json.Unmarshal(b, &e) != nil {
		return false
	}
	return e.Source == event.SchedulerSource ||
		(e.DetailType != "" && (e.Source == "aws.events" || e.Source == "aws.scheduler"))
}

// Counts are what one redrive did, over the queue and the bucket together.
type Counts struct {
	Received      int // messages and objects read (a message received twice counts twice)
	Redriven      int // written by the writer and deleted
	WriterFailed  int // the writer failed; left
	DeleteFailed  int // written (or started again), but the delete failed; left (a re-run rewrites it idempotently)
	FetchFailures int // schedule events of failed fetches left (no Rerun or Replay, or it failed)
	MissedRuns    int // runs the schedule could not start, left (no Rerun or Replay, or it failed)
	Rerun         int // failed fetches and missed runs started again (Rerun or Replay), and deleted
	Unreadable    int // left
}

// Left is how many read messages and objects are still where they were.
func (c Counts) Left() int {
	return c.WriterFailed + c.DeleteFailed + c.FetchFailures + c.MissedRuns + c.Unreadable
}

// Redriver moves failures back: from the dead-letter queue and from the failure bucket (either
// may be left unset).
type Redriver struct {
	// Queue and QueueURL are the dead-letter queue.
	Queue    Queue
	QueueURL string
	// Objects and Bucket are the failure bucket (records under planner.FailureKeyPrefix).
	Objects Objects
	Bucket  string
	// Writer is the writer function, invoked synchronously (RequestResponse).
	Writer lambdaasync.Function
	// Rerun, when set, is invoked synchronously with a failed or missed schedule event: the
	// relay, which fetches and stores in one invocation.
	Rerun lambdaasync.Function
	// Replay, when set (and Rerun not), is invoked with a failed or missed schedule event
	// asynchronously (InvocationType Event), as the schedule would have: the fetcher, whose
	// onSuccess destination or S3 notification then hands the fetch to the writer. (A
	// synchronous invoke would trigger no destination.) The event keeps its scheduled time, so
	// the run is stored under it, once.
	Replay lambdaasync.Function
	// Wait is the long-poll wait of each receive (whole seconds, at most 20).
	Wait time.Duration
	// Visibility hides a received message from other consumers while it is being written;
	// a message left in the queue reappears after it. Zero means 60 s.
	Visibility time.Duration
	// Log receives one line per message or object; nil discards.
	Log io.Writer
}

// Run reads up to max messages and objects (0 = all: the queue until a receive brings nothing
// new, then every object in the bucket) and redrives them. A message left in the queue that
// reappears during the run (its visibility timeout ran out) is not tried again in this run.
// Run returns an error only when the queue or the bucket cannot be read; per-item failures are
// counted.
func (r *Redriver) Run(ctx context.Context, max int) (Counts, error) {
	var c Counts
	logw := r.Log
	if logw == nil {
		logw = io.Discard
	}
	if r.Queue == nil && r.Objects == nil {
		return c, errors.New("redrive: neither a dead-letter queue nor a failure bucket to read")
	}
	if r.Queue != nil {
		if err := r.drainQueue(ctx, max, &c, logw); err != nil {
			return c, err
		}
	}
	if r.Objects != nil && (max <= 0 || c.Received < max) {
		if err := r.drainBucket(ctx, max, &c, logw); err != nil {
			return c, err
		}
	}
	return c, nil
}

func (r *Redriver) drainQueue(ctx context.Context, max int, c *Counts, logw io.Writer) error {
	seen := map[string]bool{}
	vis := r.Visibility
	if vis <= 0 {
		vis = time.Minute
	}
	for max <= 0 || c.Received < max {
		n := int32(10)
		if max > 0 {
			n = int32(min(10, max-c.Received))
		}
		out, err := r.Queue.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            aws.String(r.QueueURL),
			MaxNumberOfMessages: n,
			WaitTimeSeconds:     int32(min(r.Wait, 20*time.Second) / time.Second),
			VisibilityTimeout:   int32(vis / time.Second),
		})
		if err != nil {
			return fmt.Errorf("receive from %s: %w", r.QueueURL, err)
		}
		fresh := 0
		for _, m := range out.Messages {
			if id := aws.ToString(m.MessageId); id != "" {
				if seen[id] {
					continue
				}
				seen[id] = true
			}
			fresh++
			c.Received++
			receipt := m.ReceiptHandle
			r.one(ctx, "message "+aws.ToString(m.MessageId), []byte(aws.ToString(m.Body)), func() error {
				_, err := r.Queue.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(r.QueueURL), ReceiptHandle: receipt})
				return err
			}, c, logw)
		}
		if fresh == 0 {
			break
		}
	}
	return nil
}

func (r *Redriver) drainBucket(ctx context.Context, max int, c *Counts, logw io.Writer) error {
	var token *string
	for {
		out, err := r.Objects.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(r.Bucket), Prefix: aws.String(planner.FailureKeyPrefix), ContinuationToken: token})
		if err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", r.Bucket, planner.FailureKeyPrefix, err)
		}
		for _, o := range out.Contents {
			if max > 0 && c.Received >= max {
				return nil
			}
			key := aws.ToString(o.Key)
			c.Received++
			name := "object s3://" + r.Bucket + "/" + key
			body, err := r.read(ctx, key)
			if err != nil {
				c.Unreadable++
				fmt.Fprintf(logw, "%s: unreadable (%v); left in the bucket\n", name, err)
				continue
			}
			r.one(ctx, name, body, func() error {
				_, err := r.Objects.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(r.Bucket), Key: aws.String(key)})
				return err
			}, c, logw)
		}
		if !aws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
			return nil
		}
		token = out.NextContinuationToken
	}
}

// read gets one failure record from the bucket, at most MaxObjectBytes.
func (r *Redriver) read(ctx context.Context, key string) ([]byte, error) {
	out, err := r.Objects.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(r.Bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get: %w", err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, MaxObjectBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(b) > MaxObjectBytes {
		return nil, fmt.Errorf("over %d bytes", MaxObjectBytes)
	}
	return b, nil
}

// one handles one message or object named name; remove deletes it.
func (r *Redriver) one(ctx context.Context, name string, body []byte, remove func() error, c *Counts, logw io.Writer) {
	kind, payload, err := Classify(body)
	switch kind {
	case FetchFailure, MissedRun:
		what, left := "failed fetch of a schedule event (nothing was stored, nothing to write)", &c.FetchFailures
		if kind == MissedRun {
			what, left = "run the schedule could not start", &c.MissedRuns
		}
		fn, how := r.Rerun, "run again"
		if fn == nil {
			fn, how = r.Replay, "replayed (asynchronously)"
		}
		if fn == nil {
			*left++
			fmt.Fprintf(logw, "%s: %s; left\n", name, what)
			return
		}
		if err := invoke(ctx, fn, payload); err != nil {
			*left++
			fmt.Fprintf(logw, "%s: %s %s, failed (%v); left\n", name, what, how, err)
			return
		}
		if r.remove(name, remove, c, logw) {
			c.Rerun++
			fmt.Fprintf(logw, "%s: %s %s; deleted\n", name, what, how)
		}
		return
	case Unreadable:
		c.Unreadable++
		fmt.Fprintf(logw, "%s: unreadable (%v); left\n", name, err)
		return
	}
	if err := invoke(ctx, r.Writer, payload); err != nil {
		c.WriterFailed++
		fmt.Fprintf(logw, "%s: %d-byte writer input not stored (%v); left\n", name, len(payload), err)
		return
	}
	if r.remove(name, remove, c, logw) {
		c.Redriven++
		fmt.Fprintf(logw, "%s: %d-byte writer input stored; deleted\n", name, len(payload))
	}
}

// invoke runs fn; a function error is an error.
func invoke(ctx context.Context, fn lambdaasync.Function, payload []byte) error {
	if fn == nil {
		return errors.New("no function to invoke")
	}
	resp, err := fn.Invoke(ctx, "", payload)
	if err == nil && resp.FunctionError != "" {
		err = fmt.Errorf("%s error: %s", resp.FunctionError, resp.Payload)
	}
	return err
}

// remove deletes an item whose content is now stored; on failure it is counted and left.
func (r *Redriver) remove(name string, remove func() error, c *Counts, logw io.Writer) bool {
	if err := remove(); err != nil {
		c.DeleteFailed++
		fmt.Fprintf(logw, "%s: stored, but delete failed (%v); left (storing is idempotent)\n", name, err)
		return false
	}
	return true
}
