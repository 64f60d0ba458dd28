// Package lambdaasync reproduces, locally, what AWS Lambda does with an asynchronous
// invocation (aws-facts 1.12-1.20, https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html):
//
//   - the event is queued and the function is invoked; a function error is retried up to
//     MaximumRetryAttempts times (0-2, default 2), waiting 1 minute before the first retry
//     and 2 minutes before the second;
//   - a throttle or system error (the function could not be run at all) is retried with
//     exponential backoff from 1 second up to 5 minutes, for as long as the event is young
//     enough; these do not count as attempts;
//   - an event older than MaximumEventAgeInSeconds is discarded;
//   - on success the invocation record (condition "Success") goes to the onSuccess
//     destination; when retries are exhausted or the event is too old, the record
//     (condition "RetriesExhausted" or "EventAgeExceeded") goes to onFailure;
//   - delivery is at least once: the same event can be delivered again even after success;
//   - an event larger than the async payload limit is refused by the Invoke call itself
//     (413, nothing queued), which for a Lambda destination is a delivery failure; a queue
//     destination refuses a record over its maximum message size (SQSDestination), an S3
//     destination takes any size (S3Destination).
//
// Scheduler reproduces EventBridge Scheduler in front of a queue: retries of an Invoke Lambda
// refused, its dead-letter queue, and its at-least-once delivery.
//
// Time runs on an injectable Clock, so hours of retries take microseconds in tests.
package lambdaasync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lambdabridge/lambdabridge/handlers/event"
)

// Lambda's documented async retry timing.
const (
	// FirstRetryWait is the wait after the first failed attempt.
	FirstRetryWait = time.Minute
	// SecondRetryWait is the wait after the second failed attempt.
	SecondRetryWait = 2 * time.Minute
	// SystemErrorFirstBackoff is the first wait after a throttle/system error.
	SystemErrorFirstBackoff = time.Second
	// SystemErrorMaxBackoff caps the exponential backoff after throttles/system errors.
	SystemErrorMaxBackoff = 5 * time.Minute
	// DefaultMaximumEventAge is Lambda's default (and maximum) MaximumEventAgeInSeconds, 6 hours.
	DefaultMaximumEventAge = 6 * time.Hour
	// MinimumEventAge is the smallest MaximumEventAgeInSeconds Lambda accepts, 60 seconds.
	MinimumEventAge = time.Minute
	// DefaultMaximumRetryAttempts is Lambda's default MaximumRetryAttempts.
	DefaultMaximumRetryAttempts = 2
)

// Response is what one invocation of a function returned.
type Response struct {
	// Payload is the function's response, or its error object when FunctionError is set.
	Payload []byte
	// FunctionError is "" on success, else "Unhandled" or "Handled" (the
	// X-Amz-Function-Error value); the event is then retried.
	FunctionError string
}

// Function is one Lambda function that can be invoked with a payload: a bootstrap running
// under the Runtime Interface Emulator in the real pipeline, a Go func in tests. An error
// return means the function could not be run at all (a throttle or system error), which
// Lambda retries with backoff, not as a function error.
type Function interface {
	Invoke(ctx context.Context, requestID string, payload []byte) (Response, error)
}

// FunctionFunc adapts a Go func to Function.
type FunctionFunc func(ctx context.Context, requestID string, payload []byte) (Response, error)

// Invoke calls f.
func (f FunctionFunc) Invoke(ctx context.Context, requestID string, payload []byte) (Response, error) {
	return f(ctx, requestID, payload)
}

// Destination receives invocation records: another function's async queue (a Lambda
// destination) or an SQS queue (the dead-letter queue).
type Destination interface {
	Send(ctx context.Context, record []byte) error
}

// Config is one function's asynchronous invocation configuration (its event invoke config).
type Config struct {
	// FunctionARN names the function in records.
	FunctionARN string
	// MaximumRetryAttempts is 0, 1 or 2; start from DefaultConfig for Lambda's default of 2.
	MaximumRetryAttempts int
	// MaximumEventAge is 60 s to 6 h.
	MaximumEventAge time.Duration
	// OnSuccess and OnFailure are optional destinations.
	OnSuccess, OnFailure Destination
	// MaxPayloadBytes is the async payload limit Lambda's Invoke enforces on an event (the
	// price book's lambda.asyncPayloadLimit); 0 means no limit.
	MaxPayloadBytes int64
}

// ErrPayloadTooLarge is wrapped by Invoke's error for an event over Config.MaxPayloadBytes:
// Lambda refuses it (RequestEntityTooLargeException) and queues nothing.
var ErrPayloadTooLarge = errors.New("payload too large for an asynchronous invocation")

// DefaultConfig is Lambda's default event invoke config: 2 retries, 6 hours, no destinations.
func DefaultConfig(functionARN string) Config {
	return Config{FunctionARN: functionARN, MaximumRetryAttempts: DefaultMaximumRetryAttempts, MaximumEventAge: DefaultMaximumEventAge}
}

// Validate checks the limits Lambda enforces on PutFunctionEventInvokeConfig.
func (c Config) Validate() error {
	if c.MaximumRetryAttempts < 0 || c.MaximumRetryAttempts > 2 {
		return fmt.Errorf("MaximumRetryAttempts %d: must be 0, 1 or 2", c.MaximumRetryAttempts)
	}
	if c.MaximumEventAge < MinimumEventAge || c.MaximumEventAge > DefaultMaximumEventAge {
		return fmt.Errorf("MaximumEventAge %s: must be between 60s and 6h", c.MaximumEventAge)
	}
	return nil
}

// Result describes how one queued event ended.
type Result struct {
	RequestID string
	// Condition is event.ConditionSuccess, event.ConditionRetriesExhausted or
	// event.ConditionEventAgeExceeded.
	Condition string
	// Attempts counts function invocations (the record's approximateInvokeCount).
	Attempts int
	// SystemErrors counts throttles/system errors (retried, not attempts).
	SystemErrors int
	// Response is the last response payload.
	Response []byte
	// Record is the invocation record sent to the destination (nil when none is configured).
	Record []byte
	// DestinationErr is why the record could not be delivered (Lambda would count a
	// DestinationDeliveryFailures metric and drop it); nil when delivered or no destination.
	DestinationErr error
}

// Stats counts what an Invoker did; all fields are totals since creation.
type Stats struct {
	Events              int // events queued by Invoke (not counting duplicates)
	Deliveries          int // events processed, duplicates included
	Duplicates          int // extra deliveries injected
	Attempts            int // function invocations
	FunctionErrors      int
	SystemErrors        int
	Retries             int // attempts after the first, caused by function errors
	Successes           int
	RetriesExhausted    int
	EventAgeExceeded    int
	DestinationFailures int
}

// Invoker is one function's asynchronous invocation queue.
type Invoker struct {
	fn    Function
	cfg   Config
	clock Clock
	dups  func(requestID string) int
	newID func() string

	mu    sync.Mutex
	stats Stats
}

// Option configures an Invoker.
type Option func(*Invoker)

// WithClock sets the clock (default RealClock).
func WithClock(c Clock) Option { return func(iv *Invoker) { iv.clock = c } }

// WithDuplicates makes the queue deliver an event extra times: n(requestID) is asked once
// per event and that many duplicate deliveries follow the first (at-least-once delivery).
func WithDuplicates(n func(requestID string) int) Option { return func(iv *Invoker) { iv.dups = n } }

// WithRequestIDs replaces the random request-id generator (tests).
func WithRequestIDs(next func() string) Option { return func(iv *Invoker) { iv.newID = next } }

// New returns an async queue for fn.
func New(fn Function, cfg Config, opts ...Option) (*Invoker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("async config of %s: %w", cfg.FunctionARN, err)
	}
	if fn == nil {
		return nil, errors.New("async invoker: function is required")
	}
	iv := &Invoker{fn: fn, cfg: cfg, clock: RealClock{}, newID: randomID}
	for _, o := range opts {
		o(iv)
	}
	return iv, nil
}

// Stats returns the counters so far.
func (iv *Invoker) Stats() Stats {
	iv.mu.Lock()
	defer iv.mu.Unlock()
	return iv.stats
}

func (iv *Invoker) count(f func(*Stats)) {
	iv.mu.Lock()
	f(&iv.stats)
	iv.mu.Unlock()
}

// Invoke queues payload as an asynchronous invocation (InvocationType=Event) and processes it
// to the end — retries, event age, destination — on the invoker's clock. It returns one
// Result per delivery: the first, then any injected duplicates. The error is non-nil when ctx
// ends, or when Lambda refuses the event (over MaxPayloadBytes: ErrPayloadTooLarge, nothing
// queued); every function outcome is reported in the Results.
func (iv *Invoker) Invoke(ctx context.Context, payload []byte) ([]Result, error) {
	if max := iv.cfg.MaxPayloadBytes; max > 0 && int64(len(payload)) > max {
		return nil, fmt.Errorf("invoke %s: %w: %d bytes, over the limit of %d bytes (RequestEntityTooLargeException)", iv.cfg.FunctionARN, ErrPayloadTooLarge, len(payload), max)
	}
	id := iv.newID()
	queued := iv.clock.Now()
	iv.count(func(s *Stats) { s.Events++ })
	n := 1
	if iv.dups != nil {
		extra := iv.dups(id)
		n += extra
		iv.count(func(s *Stats) { s.Duplicates += extra })
	}
	results := make([]Result, 0, n)
	for i := 0; i < n; i++ {
		r, err := iv.process(ctx, id, queued, payload)
		if err != nil {
			return results, err
		}
		results = append(results, r)
	}
	return results, nil
}

// Send makes an Invoker a Lambda destination: the record becomes this function's async event.
// Delivery fails only when Lambda refuses the record (over MaxPayloadBytes); what happens
// next is this invoker's business.
func (iv *Invoker) Send(ctx context.Context, record []byte) error {
	_, err := iv.Invoke(ctx, record)
	return err
}

func (iv *Invoker) process(ctx context.Context, id string, queued time.Time, payload []byte) (Result, error) {
	iv.count(func(s *Stats) { s.Deliveries++ })
	r := Result{RequestID: id}
	var last Response
	backoff := SystemErrorFirstBackoff
	for {
		if iv.clock.Now().Sub(queued) > iv.cfg.MaximumEventAge {
			r.Condition = event.ConditionEventAgeExceeded
			iv.count(func(s *Stats) { s.EventAgeExceeded++ })
			break
		}
		resp, err := iv.fn.Invoke(ctx, id, payload)
		if ctx.Err() != nil {
			return r, fmt.Errorf("async invoke %s: %w", id, ctx.Err())
		}
		if err != nil { // throttle or system error: back off, do not count an attempt
			r.SystemErrors++
			iv.count(func(s *Stats) { s.SystemErrors++ })
			if err := iv.clock.Sleep(ctx, backoff); err != nil {
				return r, fmt.Errorf("async invoke %s: %w", id, err)
			}
			backoff = min(backoff*2, SystemErrorMaxBackoff)
			continue
		}
		r.Attempts++
		last = resp
		iv.count(func(s *Stats) {
			s.Attempts++
			if r.Attempts > 1 {
				s.Retries++
			}
		})
		if resp.FunctionError == "" {
			r.Condition = event.ConditionSuccess
			iv.count(func(s *Stats) { s.Successes++ })
			break
		}
		iv.count(func(s *Stats) { s.FunctionErrors++ })
		if r.Attempts > iv.cfg.MaximumRetryAttempts {
			r.Condition = event.ConditionRetriesExhausted
			iv.count(func(s *Stats) { s.RetriesExhausted++ })
			break
		}
		wait := FirstRetryWait
		if r.Attempts >= 2 {
			wait = SecondRetryWait
		}
		if err := iv.clock.Sleep(ctx, wait); err != nil {
			return r, fmt.Errorf("async invoke %s: %w", id, err)
		}
	}
	r.Response = last.Payload
	dest := iv.cfg.OnFailure
	if r.Condition == event.ConditionSuccess {
		dest = iv.cfg.OnSuccess
	}
	if dest == nil {
		return r, nil
	}
	rec, err := Record(id, iv.cfg.FunctionARN, iv.clock.Now(), r.Condition, r.Attempts, payload, last)
	if err != nil {
		r.DestinationErr = fmt.Errorf("build %s record for %s: %w", r.Condition, id, err)
	} else {
		r.Record = rec
		if err := dest.Send(ctx, rec); err != nil {
			if ctx.Err() != nil {
				return r, fmt.Errorf("async invoke %s: %w", id, ctx.Err())
			}
			r.DestinationErr = fmt.Errorf("deliver %s record for %s: %w", r.Condition, id, err)
		}
	}
	if r.DestinationErr != nil {
		iv.count(func(s *Stats) { s.DestinationFailures++ })
	}
	return r, nil
}

// Record renders the invocation record Lambda sends to a destination, with handlers/event's
// record type (the one the writer parses): condition, approximateInvokeCount, the request
// payload, and the last response with its functionError ("Handled"/"Unhandled" on failure;
// JSON null when the function never ran).
func Record(requestID, functionARN string, at time.Time, condition string, attempts int, request []byte, last Response) ([]byte, error) {
	rec := event.NewSuccessRecord(requestID, functionARN, at, request, last.Payload)
	rec.RequestContext.Condition = condition
	rec.RequestContext.ApproximateInvokeCount = attempts
	rec.ResponseContext.FunctionError = last.FunctionError
	b, err := rec.Marshal()
	if err != nil {
		return nil, fmt.Errorf("%s record: %w", condition, err)
	}
	return b, nil
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
