// Package redrive hands the records in the dead-letter queue back to the writer. Each SQS
// message is a Lambda onFailure record (its body is the record, as Lambda's SQS destination
// sends it); its requestPayload is what the failed function was invoked with — for the
// writer, the onSuccess record (or S3 pointer, S3 event, envelope) it could not store. A
// message is deleted only after the writer stored it; anything else stays in the queue.
package redrive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambdabridge/lambdabridge/handlers/event"
	"github.com/lambdabridge/lambdabridge/internal/lambdaasync"
)

// Queue is the part of the SQS client redrive needs.
type Queue interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// Kind says what a dead-letter message holds.
type Kind string

// Kinds of dead-letter message.
const (
	// WriterInput: data the writer failed to store; redriven.
	WriterInput Kind = "writer-input"
	// FetchFailure: the fetcher (or relay) failed on a schedule event, so nothing was stored
	// and there is nothing to write. With Redriver.Rerun set (the relay), the event is run
	// again; otherwise it is left in the queue (a missed run: the next scheduled run fetches
	// the source anew).
	FetchFailure Kind = "fetch-failure"
	// Unreadable: neither; left in the queue.
	Unreadable Kind = "unreadable"
)

// Classify extracts from a dead-letter message body what the writer should be invoked
// with. A failure record yields its requestPayload; a success record, S3 pointer, S3 event
// or bare envelope put on the queue directly yields itself.
func Classify(body []byte) (Kind, []byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return Unreadable, nil, fmt.Errorf("message is not a JSON object: %w", err)
	}
	payload := body
	if _, ok := top["requestContext"]; ok {
		var rec event.Record
		if err := json.Unmarshal(body, &rec); err != nil {
			return Unreadable, nil, fmt.Errorf("invocation record: %w", err)
		}
		if rec.RequestContext.Condition != event.ConditionSuccess {
			payload = rec.RequestPayload
		}
	}
	_, err := event.Route(payload)
	if err == nil {
		return WriterInput, payload, nil
	}
	if isScheduleEvent(payload) {
		return FetchFailure, payload, nil
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

// Counts are what one redrive did.
type Counts struct {
	Received      int // messages received (a message received twice counts twice)
	Redriven      int // written by the writer and deleted from the queue
	WriterFailed  int // the writer failed; left in the queue
	DeleteFailed  int // written, but the delete failed; left in the queue (a re-run rewrites it idempotently)
	FetchFailures int // schedule events of failed fetches left in the queue (no Rerun, or it failed)
	Rerun         int // schedule events run again by Rerun, and deleted
	Unreadable    int // left in the queue
}

// Left is how many received messages are still in the queue.
func (c Counts) Left() int { return c.WriterFailed + c.DeleteFailed + c.FetchFailures + c.Unreadable }

// Redriver moves dead-letter messages back to the writer.
type Redriver struct {
	Queue    Queue
	QueueURL string
	// Writer is the writer function, invoked synchronously (RequestResponse).
	Writer lambdaasync.Function
	// Rerun, when set, is invoked synchronously with a failed schedule event: the relay,
	// which fetches and stores in one invocation. (Not the fetcher: a synchronous invoke
	// triggers no destination, so its fetch would go nowhere.)
	Rerun lambdaasync.Function
	// Wait is the long-poll wait of each receive (whole seconds, at most 20).
	Wait time.Duration
	// Visibility hides a received message from other consumers while it is being written;
	// a message left in the queue reappears after it. Zero means 60 s.
	Visibility time.Duration
	// Log receives one line per message; nil discards.
	Log io.Writer
}

// Run receives up to max messages (0 = until a receive brings nothing new) and redrives
// them. A message left in the queue that reappears during the run (its visibility timeout
// ran out) is not tried again in this run. Run returns an error only when the queue cannot
// be read; per-message failures are counted.
func (r *Redriver) Run(ctx context.Context, max int) (Counts, error) {
	var c Counts
	seen := map[string]bool{}
	logw := r.Log
	if logw == nil {
		logw = io.Discard
	}
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
			return c, fmt.Errorf("receive from %s: %w", r.QueueURL, err)
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
			r.one(ctx, m.MessageId, m.Body, m.ReceiptHandle, &c, logw)
		}
		if fresh == 0 {
			break
		}
	}
	return c, nil
}

func (r *Redriver) one(ctx context.Context, id, body, receipt *string, c *Counts, logw io.Writer) {
	mid := aws.ToString(id)
	kind, payload, err := Classify([]byte(aws.ToString(body)))
	switch kind {
	case FetchFailure:
		if r.Rerun == nil {
			c.FetchFailures++
			fmt.Fprintf(logw, "message %s: failed fetch of a schedule event (nothing was stored, nothing to write); left in the queue\n", mid)
			return
		}
		if err := invoke(ctx, r.Rerun, payload); err != nil {
			c.FetchFailures++
			fmt.Fprintf(logw, "message %s: schedule event run again, failed (%v); left in the queue\n", mid, err)
			return
		}
		if r.delete(ctx, mid, receipt, c, logw) {
			c.Rerun++
			fmt.Fprintf(logw, "message %s: schedule event run again and stored; deleted\n", mid)
		}
		return
	case Unreadable:
		c.Unreadable++
		fmt.Fprintf(logw, "message %s: unreadable (%v); left in the queue\n", mid, err)
		return
	}
	if err := invoke(ctx, r.Writer, payload); err != nil {
		c.WriterFailed++
		fmt.Fprintf(logw, "message %s: %d-byte writer input not stored (%v); left in the queue\n", mid, len(payload), err)
		return
	}
	if r.delete(ctx, mid, receipt, c, logw) {
		c.Redriven++
		fmt.Fprintf(logw, "message %s: %d-byte writer input stored; deleted\n", mid, len(payload))
	}
}

// invoke runs fn synchronously; a function error is an error.
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

// delete removes a message whose content is now stored; on failure it is counted and left.
func (r *Redriver) delete(ctx context.Context, mid string, receipt *string, c *Counts, logw io.Writer) bool {
	if _, err := r.Queue.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(r.QueueURL), ReceiptHandle: receipt}); err != nil {
		c.DeleteFailed++
		fmt.Fprintf(logw, "message %s: stored, but delete failed (%v); left in the queue (storing is idempotent)\n", mid, err)
		return false
	}
	return true
}
