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

// The schedule retry limits EventBridge Scheduler accepts (RetryPolicy,
// https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html).
const (
	// MaxSchedulerRetries is the largest MaximumRetryAttempts, 185.
	MaxSchedulerRetries = 185
	// MinSchedulerEventAge and MaxSchedulerEventAge bound MaximumEventAgeInSeconds: 60 s to 24 h.
	MinSchedulerEventAge = time.Minute
	MaxSchedulerEventAge = 24 * time.Hour
	// SchedulerFirstBackoff and SchedulerMaxBackoff shape the emulation's retry waits:
	// Scheduler documents "exponential backoff and jitter" without figures, so the waits
	// double from 1 second up to 5 minutes, like Lambda's own for throttles (no jitter).
	SchedulerFirstBackoff = time.Second
	SchedulerMaxBackoff   = 5 * time.Minute
)

// Target is what a schedule invokes asynchronously: a function's async queue (*Invoker). An
// error means Lambda did not queue the event (the Invoke call failed).
type Target interface {
	Invoke(ctx context.Context, payload []byte) ([]Result, error)
}

// SchedulerConfig is a schedule's target settings: its retry policy and dead-letter queue.
type SchedulerConfig struct {
	// ScheduleARN names the schedule in its events.
	ScheduleARN string
	// MaximumRetryAttempts (0-185) and MaximumEventAge (60 s-24 h) bound the retries of an
	// Invoke that Lambda refused.
	MaximumRetryAttempts int
	MaximumEventAge      time.Duration
	// DeadLetter receives the event of a run that could not be started within the retry
	// policy (nil: the run is dropped, silently, as a schedule without a DLQ drops it).
	DeadLetter Destination
}

// Validate checks the limits Scheduler enforces on CreateSchedule.
func (c SchedulerConfig) Validate() error {
	if c.MaximumRetryAttempts < 0 || c.MaximumRetryAttempts > MaxSchedulerRetries {
		return fmt.Errorf("MaximumRetryAttempts %d: must be 0-%d", c.MaximumRetryAttempts, MaxSchedulerRetries)
	}
	if c.MaximumEventAge < MinSchedulerEventAge || c.MaximumEventAge > MaxSchedulerEventAge {
		return fmt.Errorf("MaximumEventAge %s: must be between 60s and 24h", c.MaximumEventAge)
	}
	return nil
}

// Firing is how one scheduled run went.
type Firing struct {
	// Scheduled is the run's scheduled time; ExecutionID the id Scheduler gave it.
	Scheduled   time.Time
	ExecutionID string
	// Event is the last event sent (the attempt number changes between retries).
	Event []byte
	// Attempts counts Invoke calls, Refused those Lambda refused.
	Attempts, Refused int
	// Started says Lambda queued the event; Results are its deliveries (duplicates
	// included) as the target processed them.
	Started bool
	Results []Result
	// DeadLettered says the event went to the dead-letter queue; Dropped that it could
	// not (no queue, or the send failed: DeadLetterErr), so the run is lost.
	DeadLettered  bool
	Dropped       bool
	DeadLetterErr error
}

// SchedulerStats counts what a Scheduler did.
type SchedulerStats struct {
	Runs         int // runs fired
	Attempts     int // Invoke calls
	Refused      int // Invoke calls Lambda refused
	Started      int // runs Lambda queued
	Duplicates   int // extra deliveries of a started run
	DeadLettered int // runs sent to the dead-letter queue
	Dropped      int // runs lost: refused to the end with no dead-letter queue to take them
}

// Scheduler is one EventBridge Scheduler schedule invoking a target asynchronously: when
// Lambda refuses the Invoke (it could not queue the event: a throttle, a service error) it
// retries within its retry policy, then sends the event to its dead-letter queue. Delivery is
// at least once: a started run may be delivered again (WithSchedulerDuplicates). A retry
// never duplicates a run Lambda queued: only refused calls are retried.
type Scheduler struct {
	target Target
	cfg    SchedulerConfig
	clock  Clock
	refuse func(scheduled time.Time, attempt int) error
	dups   func(scheduled time.Time) int
	newID  func() string

	mu    sync.Mutex
	stats SchedulerStats
}

// SchedulerOption configures a Scheduler.
type SchedulerOption func(*Scheduler)

// WithSchedulerClock sets the clock (default RealClock).
func WithSchedulerClock(c Clock) SchedulerOption { return func(s *Scheduler) { s.clock = c } }

// WithRefusals makes Lambda refuse Invoke call attempt (1 = the first) of the run scheduled
// at a time when refuse returns an error: the fault of a missed scheduled invocation.
func WithRefusals(refuse func(scheduled time.Time, attempt int) error) SchedulerOption {
	return func(s *Scheduler) { s.refuse = refuse }
}

// WithSchedulerDuplicates makes a started run be delivered n(scheduled) more times.
func WithSchedulerDuplicates(n func(scheduled time.Time) int) SchedulerOption {
	return func(s *Scheduler) { s.dups = n }
}

// WithExecutionIDs replaces the random execution-id generator (tests).
func WithExecutionIDs(next func() string) SchedulerOption {
	return func(s *Scheduler) { s.newID = next }
}

// NewScheduler returns a schedule invoking target.
func NewScheduler(target Target, cfg SchedulerConfig, opts ...SchedulerOption) (*Scheduler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("schedule %s: %w", cfg.ScheduleARN, err)
	}
	if target == nil {
		return nil, errors.New("schedule: a target is required")
	}
	s := &Scheduler{target: target, cfg: cfg, clock: RealClock{}, newID: executionID}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Stats returns the counters so far.
func (s *Scheduler) Stats() SchedulerStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *Scheduler) count(f func(*SchedulerStats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

// Fire runs the schedule once for its scheduled time: it invokes the target with the
// schedule's event (event.NewSchedulerEvent), retrying a refused Invoke with backoff until it
// is queued, the retries run out or the event is too old, and then dead-letters the event. The
// error is non-nil only when ctx ends.
func (s *Scheduler) Fire(ctx context.Context, scheduled time.Time) (Firing, error) {
	f := Firing{Scheduled: scheduled, ExecutionID: s.newID()}
	s.count(func(st *SchedulerStats) { st.Runs++ })
	backoff := SchedulerFirstBackoff
	for {
		f.Attempts++
		f.Event = event.NewSchedulerEvent(s.cfg.ScheduleARN, scheduled, f.ExecutionID, f.Attempts)
		s.count(func(st *SchedulerStats) { st.Attempts++ })
		var err error
		if s.refuse != nil {
			err = s.refuse(scheduled, f.Attempts)
		}
		var res []Result
		if err == nil {
			res, err = s.target.Invoke(ctx, f.Event)
		}
		if ctx.Err() != nil {
			return f, fmt.Errorf("schedule %s: %w", s.cfg.ScheduleARN, ctx.Err())
		}
		if err == nil {
			f.Started, f.Results = true, res
			s.count(func(st *SchedulerStats) { st.Started++ })
			break
		}
		f.Refused++
		s.count(func(st *SchedulerStats) { st.Refused++ })
		// A payload Lambda refuses as too large is refused again on every retry.
		retryable := !errors.Is(err, ErrPayloadTooLarge)
		if !retryable || f.Attempts > s.cfg.MaximumRetryAttempts || s.clock.Now().Add(backoff).Sub(scheduled) > s.cfg.MaximumEventAge {
			s.deadLetter(ctx, &f)
			return f, nil
		}
		if err := s.clock.Sleep(ctx, backoff); err != nil {
			return f, fmt.Errorf("schedule %s: %w", s.cfg.ScheduleARN, err)
		}
		backoff = min(backoff*2, SchedulerMaxBackoff)
	}
	if s.dups != nil {
		for n := s.dups(scheduled); n > 0; n-- {
			s.count(func(st *SchedulerStats) { st.Duplicates++ })
			res, err := s.target.Invoke(ctx, f.Event)
			if ctx.Err() != nil {
				return f, fmt.Errorf("schedule %s: %w", s.cfg.ScheduleARN, ctx.Err())
			}
			if err == nil {
				f.Results = append(f.Results, res...)
			}
		}
	}
	return f, nil
}

// deadLetter sends the run's event to the dead-letter queue (the message body is the event,
// as Scheduler sends it), or counts the run as dropped.
func (s *Scheduler) deadLetter(ctx context.Context, f *Firing) {
	if s.cfg.DeadLetter == nil {
		f.Dropped = true
		s.count(func(st *SchedulerStats) { st.Dropped++ })
		return
	}
	if err := s.cfg.DeadLetter.Send(ctx, f.Event); err != nil {
		f.Dropped, f.DeadLetterErr = true, err
		s.count(func(st *SchedulerStats) { st.Dropped++ })
		return
	}
	f.DeadLettered = true
	s.count(func(st *SchedulerStats) { st.DeadLettered++ })
}

// executionID is a random id of the form Scheduler uses in <aws.scheduler.execution-id>.
func executionID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
