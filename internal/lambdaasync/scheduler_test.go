package lambdaasync

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"
)

// queueOf is a target that queues (records) every event it is given.
type queueOf struct {
	got [][]byte
}

func (q *queueOf) Invoke(_ context.Context, payload []byte) ([]Result, error) {
	q.got = append(q.got, payload)
	return []Result{{Condition: "Success"}}, nil
}

// TestSchedulerRetriesAndDeadLetters: a refused Invoke is retried with backoff (1 s, 2 s,
// 4 s, ...) within the retry policy, then the event goes to the dead-letter queue; a run
// Lambda queued is never retried. Without retries or a queue (the old schedule) a refused run
// is dropped: nothing records it.
func TestSchedulerRetriesAndDeadLetters(t *testing.T) {
	s := time.Second
	tests := []struct {
		name      string
		refusals  int // the first n Invoke calls are refused
		retries   int
		age       time.Duration
		dlq       bool
		started   bool
		attempts  int
		sleeps    []time.Duration
		dead      bool
		dropped   bool
		delivered int
	}{
		{name: "accepted at once", refusals: 0, retries: 185, age: 24 * time.Hour, dlq: true, started: true, attempts: 1, delivered: 1},
		// Refused twice, then queued: waits 1 s and 2 s; one event reaches the queue.
		{name: "a transient refusal", refusals: 2, retries: 185, age: 24 * time.Hour, dlq: true, started: true, attempts: 3, sleeps: []time.Duration{s, 2 * s}, delivered: 1},
		// 3 retries, all refused: 1 + 3 = 4 attempts, waits 1, 2, 4 s, then the DLQ.
		{name: "refused past the retries", refusals: 100, retries: 3, age: 24 * time.Hour, dlq: true, attempts: 4, sleeps: []time.Duration{s, 2 * s, 4 * s}, dead: true},
		// Event age 60 s: waits 1+2+4+8+16 = 31 s; the next wait of 32 s would reach 63 s > 60 s.
		{name: "refused past the event age", refusals: 1000, retries: 185, age: time.Minute, dlq: true, attempts: 6,
			sleeps: []time.Duration{s, 2 * s, 4 * s, 8 * s, 16 * s}, dead: true},
		// The old schedule: 0 retries, no dead-letter queue: one refusal loses the run.
		{name: "no retries, no queue", refusals: 1, retries: 0, age: time.Hour, attempts: 1, dropped: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := NewVirtualClock(t0)
			q := &queueOf{}
			dlq := &sink{}
			cfg := SchedulerConfig{ScheduleARN: "arn:aws:scheduler:us-east-1:123456789012:schedule/default/lb", MaximumRetryAttempts: tc.retries, MaximumEventAge: tc.age}
			if tc.dlq {
				cfg.DeadLetter = dlq
			}
			sc, err := NewScheduler(q, cfg, WithSchedulerClock(clock), WithExecutionIDs(func() string { return "exec-1" }),
				WithRefusals(func(_ time.Time, attempt int) error {
					if attempt <= tc.refusals {
						return errors.New("TooManyRequestsException")
					}
					return nil
				}))
			if err != nil {
				t.Fatal(err)
			}
			f, err := sc.Fire(context.Background(), t0)
			if err != nil {
				t.Fatal(err)
			}
			if f.Started != tc.started || f.Attempts != tc.attempts || f.DeadLettered != tc.dead || f.Dropped != tc.dropped || len(q.got) != tc.delivered {
				t.Errorf("firing %+v, %d delivered; want started %v, %d attempts, dead-lettered %v, dropped %v, %d delivered",
					f, len(q.got), tc.started, tc.attempts, tc.dead, tc.dropped, tc.delivered)
			}
			if got := clock.Sleeps(); !slices.Equal(got, tc.sleeps) {
				t.Errorf("waits %v, want %v", got, tc.sleeps)
			}
			if tc.dead {
				if len(dlq.got) != 1 {
					t.Fatalf("dead-letter queue holds %d, want the event", len(dlq.got))
				}
				var ev struct{ ScheduledTime, ExecutionID string }
				if err := json.Unmarshal(dlq.got[0], &ev); err != nil || ev.ScheduledTime != "2026-11-25T09:00:00Z" || ev.ExecutionID != "exec-1" {
					t.Errorf("dead letter %s: %v; want the run's event (scheduled time and execution id)", dlq.got[0], err)
				}
			}
			st := sc.Stats()
			if st.Runs != 1 || st.Attempts != tc.attempts || st.Refused != min(tc.refusals, tc.attempts) || st.DeadLettered != btoi(tc.dead) || st.Dropped != btoi(tc.dropped) {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestSchedulerDuplicates: a started run may be delivered again, with the same execution id
// and scheduled time (at-least-once delivery).
func TestSchedulerDuplicates(t *testing.T) {
	q := &queueOf{}
	sc, err := NewScheduler(q, SchedulerConfig{MaximumRetryAttempts: 185, MaximumEventAge: time.Hour},
		WithSchedulerClock(NewVirtualClock(t0)), WithSchedulerDuplicates(func(time.Time) int { return 2 }))
	if err != nil {
		t.Fatal(err)
	}
	f, err := sc.Fire(context.Background(), t0)
	if err != nil {
		t.Fatal(err)
	}
	// 1 delivery + 2 duplicates.
	if len(q.got) != 3 || len(f.Results) != 3 || sc.Stats().Duplicates != 2 {
		t.Fatalf("%d deliveries, %d results, stats %+v; want 3", len(q.got), len(f.Results), sc.Stats())
	}
	for _, ev := range q.got[1:] {
		if string(ev) != string(q.got[0]) {
			t.Errorf("duplicate %s differs from %s", ev, q.got[0])
		}
	}
}

func TestSchedulerConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg SchedulerConfig
		ok  bool
	}{
		{SchedulerConfig{MaximumRetryAttempts: 185, MaximumEventAge: 24 * time.Hour}, true},
		{SchedulerConfig{MaximumRetryAttempts: 186, MaximumEventAge: time.Hour}, false},
		{SchedulerConfig{MaximumRetryAttempts: 0, MaximumEventAge: 59 * time.Second}, false},
		{SchedulerConfig{MaximumRetryAttempts: 0, MaximumEventAge: 25 * time.Hour}, false},
	} {
		if err := tc.cfg.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: %v, want ok=%v", tc.cfg, err, tc.ok)
		}
	}
}
