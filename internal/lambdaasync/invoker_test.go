package lambdaasync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lambdabridge/lambdabridge/handlers/event"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// script is a fake function: outcome i is returned on call i ("ok", "fail" = function
// error, "sys" = throttle/system error); past the end the last outcome repeats.
type script struct {
	outcomes []string
	calls    int
	clock    *VirtualClock
	at       []time.Duration // clock offset of each call
}

func (s *script) Invoke(_ context.Context, _ string, payload []byte) (Response, error) {
	o := s.outcomes[min(s.calls, len(s.outcomes)-1)]
	s.calls++
	s.at = append(s.at, s.clock.Now().Sub(t0))
	switch o {
	case "ok":
		return Response{Payload: []byte(`{"echo":` + string(payload) + `}`)}, nil
	case "fail":
		return Response{Payload: []byte(`{"errorMessage":"boom","errorType":"Boom"}`), FunctionError: "Unhandled"}, nil
	default:
		return Response{}, errors.New("429 TooManyRequestsException")
	}
}

// sink is a destination that keeps what it receives, or fails.
type sink struct {
	got [][]byte
	err error
}

func (s *sink) Send(_ context.Context, rec []byte) error {
	if s.err != nil {
		return s.err
	}
	s.got = append(s.got, rec)
	return nil
}

// decode parses a record the invoker sent, with the writer's own record type.
func decode(t *testing.T, b []byte) *event.Record {
	t.Helper()
	var r event.Record
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("record %s: %v", b, err)
	}
	return &r
}

func seqIDs() func() string {
	n := 0
	return func() string { n++; return fmt.Sprintf("req-%d", n) }
}

func TestInvokeRetriesAndEventAge(t *testing.T) {
	m := time.Minute
	tests := []struct {
		name      string
		outcomes  []string
		retries   int
		age       time.Duration
		condition string
		attempts  int
		sysErrs   int
		sleeps    []time.Duration // the waits Lambda makes, in order
		callAt    []time.Duration // when each call happens (clock offset)
		dest      string          // "success", "failure"
	}{
		{name: "success first time", outcomes: []string{"ok"}, retries: 2, age: 6 * time.Hour,
			condition: event.ConditionSuccess, attempts: 1, sleeps: nil, callAt: []time.Duration{0}, dest: "success"},
		// fail at 0, wait 1 min, fail at 1 min, wait 2 min, succeed at 1+2 = 3 min.
		{name: "two function errors then success", outcomes: []string{"fail", "fail", "ok"}, retries: 2, age: 6 * time.Hour,
			condition: event.ConditionSuccess, attempts: 3, sleeps: []time.Duration{m, 2 * m}, callAt: []time.Duration{0, m, 3 * m}, dest: "success"},
		// 1 first try + 2 retries = 3 attempts, all failing, at 0, 1 and 3 minutes.
		{name: "retries exhausted (default 2)", outcomes: []string{"fail"}, retries: 2, age: 6 * time.Hour,
			condition: event.ConditionRetriesExhausted, attempts: 3, sleeps: []time.Duration{m, 2 * m}, callAt: []time.Duration{0, m, 3 * m}, dest: "failure"},
		// 1 + 1 = 2 attempts: at 0 and 1 minute.
		{name: "retries exhausted (1 retry)", outcomes: []string{"fail"}, retries: 1, age: 6 * time.Hour,
			condition: event.ConditionRetriesExhausted, attempts: 2, sleeps: []time.Duration{m}, callAt: []time.Duration{0, m}, dest: "failure"},
		{name: "no retries", outcomes: []string{"fail", "ok"}, retries: 0, age: 6 * time.Hour,
			condition: event.ConditionRetriesExhausted, attempts: 1, sleeps: nil, callAt: []time.Duration{0}, dest: "failure"},
		// Max age 90 s: attempt 2 at 60 s (age 60 <= 90) runs; attempt 3 would be at 180 s > 90 s,
		// so the event is discarded before the function gets its third try.
		{name: "event too old for the second retry", outcomes: []string{"fail", "fail", "ok"}, retries: 2, age: 90 * time.Second,
			condition: event.ConditionEventAgeExceeded, attempts: 2, sleeps: []time.Duration{m, 2 * m}, callAt: []time.Duration{0, m}, dest: "failure"},
		// Max age 60 s: age exactly 60 s at the first retry is not older than the maximum.
		{name: "age equal to the maximum still runs", outcomes: []string{"fail", "ok"}, retries: 2, age: 60 * time.Second,
			condition: event.ConditionSuccess, attempts: 2, sleeps: []time.Duration{m}, callAt: []time.Duration{0, m}, dest: "success"},
		// Throttled 3 times: waits 1 s, 2 s, 4 s (doubling), then success at 1+2+4 = 7 s; throttles are not attempts.
		{name: "throttles back off exponentially", outcomes: []string{"sys", "sys", "sys", "ok"}, retries: 2, age: 6 * time.Hour,
			condition: event.ConditionSuccess, attempts: 1, sysErrs: 3, sleeps: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second},
			callAt: []time.Duration{0, time.Second, 3 * time.Second, 7 * time.Second}, dest: "success"},
		// Always throttled, max age 60 s: calls at 0,1,3,7,15,31 s (each wait doubles: 1,2,4,8,16,32);
		// after the 32 s wait the event is 63 s old > 60 s: discarded, never having run.
		{name: "throttled until too old", outcomes: []string{"sys"}, retries: 2, age: 60 * time.Second,
			condition: event.ConditionEventAgeExceeded, attempts: 0, sysErrs: 6,
			sleeps: []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second},
			callAt: []time.Duration{0, 1 * time.Second, 3 * time.Second, 7 * time.Second, 15 * time.Second, 31 * time.Second}, dest: "failure"},
		// A function error after a throttle: the throttle wait (1 s) then the 1-minute retry wait.
		{name: "throttle then function errors", outcomes: []string{"sys", "fail", "fail", "fail"}, retries: 2, age: 6 * time.Hour,
			condition: event.ConditionRetriesExhausted, attempts: 3, sysErrs: 1,
			sleeps: []time.Duration{time.Second, m, 2 * m},
			callAt: []time.Duration{0, time.Second, time.Second + m, time.Second + 3*m}, dest: "failure"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := NewVirtualClock(t0)
			fn := &script{outcomes: tc.outcomes, clock: clock}
			ok, fail := &sink{}, &sink{}
			cfg := Config{FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:fetcher", MaximumRetryAttempts: tc.retries,
				MaximumEventAge: tc.age, OnSuccess: ok, OnFailure: fail}
			iv, err := New(fn, cfg, WithClock(clock), WithRequestIDs(seqIDs()))
			if err != nil {
				t.Fatal(err)
			}
			res, err := iv.Invoke(context.Background(), []byte(`{"n":1}`))
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 1 {
				t.Fatalf("got %d results, want 1", len(res))
			}
			r := res[0]
			if r.Condition != tc.condition || r.Attempts != tc.attempts || r.SystemErrors != tc.sysErrs {
				t.Errorf("condition/attempts/system errors = %s/%d/%d, want %s/%d/%d", r.Condition, r.Attempts, r.SystemErrors, tc.condition, tc.attempts, tc.sysErrs)
			}
			if !slices.Equal(clock.Sleeps(), tc.sleeps) {
				t.Errorf("waits = %v, want %v", clock.Sleeps(), tc.sleeps)
			}
			if !slices.Equal(fn.at, tc.callAt) {
				t.Errorf("calls at %v, want %v", fn.at, tc.callAt)
			}
			wantOK, wantFail := 0, 0
			if tc.dest == "success" {
				wantOK = 1
			} else {
				wantFail = 1
			}
			if len(ok.got) != wantOK || len(fail.got) != wantFail {
				t.Fatalf("onSuccess got %d, onFailure got %d; want %d and %d", len(ok.got), len(fail.got), wantOK, wantFail)
			}
			raw := append(ok.got, fail.got...)[0]
			if string(raw) != string(r.Record) {
				t.Errorf("destination got %s, result says %s", raw, r.Record)
			}
			inv := decode(t, raw)
			rc := inv.RequestContext
			if inv.Version != "1.0" || rc.Condition != tc.condition || rc.ApproximateInvokeCount != tc.attempts || rc.RequestID != "req-1" ||
				rc.FunctionARN != cfg.FunctionARN || string(inv.RequestPayload) != `{"n":1}` || inv.ResponseContext.StatusCode != 200 {
				t.Errorf("record = %s", raw)
			}
			// The record is stamped when it is sent: after all the waits.
			var waited time.Duration
			for _, s := range tc.sleeps {
				waited += s
			}
			if ts, err := inv.Time(); err != nil || !ts.Equal(t0.Add(waited)) {
				t.Errorf("record timestamp %s (%v), want %s", inv.Timestamp, err, t0.Add(waited))
			}
			switch {
			case tc.attempts == 0:
				if string(inv.ResponsePayload) != "null" || inv.ResponseContext.FunctionError != "" {
					t.Errorf("never-run event has response %s / %q, want null", inv.ResponsePayload, inv.ResponseContext.FunctionError)
				}
			case tc.condition == event.ConditionSuccess:
				if string(inv.ResponsePayload) != `{"echo":{"n":1}}` || inv.ResponseContext.FunctionError != "" {
					t.Errorf("success response %s / %q", inv.ResponsePayload, inv.ResponseContext.FunctionError)
				}
			default:
				if inv.ResponseContext.FunctionError != "Unhandled" || string(inv.ResponsePayload) != `{"errorMessage":"boom","errorType":"Boom"}` {
					t.Errorf("failure response %s / %q", inv.ResponsePayload, inv.ResponseContext.FunctionError)
				}
			}
		})
	}
}

func TestSystemErrorBackoffCapsAtFiveMinutes(t *testing.T) {
	clock := NewVirtualClock(t0)
	fn := &script{outcomes: []string{"sys", "sys", "sys", "sys", "sys", "sys", "sys", "sys", "sys", "sys", "sys", "ok"}, clock: clock}
	iv, err := New(fn, DefaultConfig("f"), WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iv.Invoke(context.Background(), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	// 11 throttles: 1,2,4,8,16,32,64,128,256 s, then 512 s capped to 300 s, twice.
	s := time.Second
	want := []time.Duration{1 * s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, 64 * s, 128 * s, 256 * s, 300 * s, 300 * s}
	if !slices.Equal(clock.Sleeps(), want) {
		t.Fatalf("waits = %v, want %v", clock.Sleeps(), want)
	}
}

func TestDuplicateDeliveries(t *testing.T) {
	clock := NewVirtualClock(t0)
	fn := &script{outcomes: []string{"ok"}, clock: clock}
	ok := &sink{}
	cfg := DefaultConfig("f")
	cfg.OnSuccess = ok
	iv, err := New(fn, cfg, WithClock(clock), WithRequestIDs(seqIDs()),
		WithDuplicates(func(string) int { return 2 }))
	if err != nil {
		t.Fatal(err)
	}
	res, err := iv.Invoke(context.Background(), []byte(`{"n":7}`))
	if err != nil {
		t.Fatal(err)
	}
	// 1 delivery + 2 duplicates = 3 runs of the function, 3 success records, one request id.
	if len(res) != 3 || fn.calls != 3 || len(ok.got) != 3 {
		t.Fatalf("results %d, calls %d, records %d; want 3 each", len(res), fn.calls, len(ok.got))
	}
	for _, r := range res {
		if r.RequestID != "req-1" {
			t.Errorf("duplicate has request id %s, want req-1", r.RequestID)
		}
	}
	st := iv.Stats()
	if st.Events != 1 || st.Deliveries != 3 || st.Duplicates != 2 || st.Successes != 3 {
		t.Errorf("stats %+v, want 1 event, 3 deliveries, 2 duplicates, 3 successes", st)
	}
}

func TestDestinationFailureIsReportedNotRetried(t *testing.T) {
	clock := NewVirtualClock(t0)
	fn := &script{outcomes: []string{"ok"}, clock: clock}
	cfg := DefaultConfig("f")
	cfg.OnSuccess = PayloadLimit(&sink{}, 10)
	iv, err := New(fn, cfg, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	res, err := iv.Invoke(context.Background(), []byte(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if res[0].DestinationErr == nil || fn.calls != 1 {
		t.Fatalf("an oversized record must fail delivery once without re-running the function: err %v, calls %d", res[0].DestinationErr, fn.calls)
	}
	if st := iv.Stats(); st.DestinationFailures != 1 || st.Successes != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestPayloadLimitBoundary(t *testing.T) {
	tests := []struct {
		size    int
		limit   int64
		wantErr bool
	}{
		{size: 1000, limit: 1000, wantErr: false}, // exactly at the limit fits
		{size: 1001, limit: 1000, wantErr: true},
		{size: 262144, limit: 262144, wantErr: false}, // 256 KiB, the pre-Oct-2025 limit
		{size: 262145, limit: 262144, wantErr: true},
	}
	for _, tc := range tests {
		s := &sink{}
		err := PayloadLimit(s, tc.limit).Send(context.Background(), make([]byte, tc.size))
		if (err != nil) != tc.wantErr {
			t.Errorf("size %d limit %d: err %v, wantErr %v", tc.size, tc.limit, err, tc.wantErr)
		}
		if !tc.wantErr && len(s.got) != 1 {
			t.Errorf("size %d limit %d: not delivered", tc.size, tc.limit)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		retries int
		age     time.Duration
		ok      bool
	}{
		{0, time.Minute, true}, {2, 6 * time.Hour, true}, {-1, time.Hour, false}, {3, time.Hour, false},
		{2, 59 * time.Second, false}, {2, 6*time.Hour + time.Second, false},
	}
	for _, tc := range tests {
		_, err := New(&script{outcomes: []string{"ok"}}, Config{MaximumRetryAttempts: tc.retries, MaximumEventAge: tc.age})
		if (err == nil) != tc.ok {
			t.Errorf("retries %d age %s: err %v, want ok=%v", tc.retries, tc.age, err, tc.ok)
		}
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	clock := NewVirtualClock(t0)
	fn := FunctionFunc(func(context.Context, string, []byte) (Response, error) {
		cancel()
		return Response{FunctionError: "Unhandled", Payload: []byte(`{}`)}, nil
	})
	iv, err := New(fn, DefaultConfig("f"), WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iv.Invoke(ctx, []byte(`{}`)); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestVirtualClockAfterFunc(t *testing.T) {
	c := NewVirtualClock(t0)
	var fired []time.Duration
	c.AfterFunc(90*time.Second, func() { fired = append(fired, c.Now().Sub(t0)) })
	c.AfterFunc(30*time.Second, func() { fired = append(fired, c.Now().Sub(t0)) })
	c.Advance(time.Minute) // fires the 30 s timer, at 30 s
	c.Advance(time.Minute) // fires the 90 s timer, at 90 s; ends at 120 s
	if !slices.Equal(fired, []time.Duration{30 * time.Second, 90 * time.Second}) || c.Now().Sub(t0) != 2*time.Minute {
		t.Fatalf("fired at %v, now %v", fired, c.Now().Sub(t0))
	}
}

// TestRecordMatchesEventBuilder: a first-try success record is byte-for-byte the one
// handlers/event builds, and a failure record is refused by the writer's router.
func TestRecordMatchesEventBuilder(t *testing.T) {
	req, resp := []byte(`{"id":"e1"}`), []byte(`{"ok":true}`)
	got, err := Record("r1", "arn:f", t0, event.ConditionSuccess, 1, req, Response{Payload: resp})
	if err != nil {
		t.Fatal(err)
	}
	want, err := event.NewSuccessRecord("r1", "arn:f", t0, req, resp).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("record\n%s\nwant\n%s", got, want)
	}
	fail, err := Record("r1", "arn:f", t0, event.ConditionRetriesExhausted, 3, req,
		Response{Payload: []byte(`{"errorMessage":"db down","errorType":"StoreError"}`), FunctionError: "Unhandled"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = event.Route(fail)
	var fe *event.FailureError
	if !errors.As(err, &fe) || fe.Condition != event.ConditionRetriesExhausted || fe.InvokeCount != 3 || fe.FunctionError != "Unhandled" {
		t.Fatalf("Route(failure record) = %v, want a FailureError for RetriesExhausted after 3 attempts", err)
	}
}

// TestInvokeRefusesOversizedPayload: Lambda's Invoke refuses an event over the async payload
// limit (nothing queued, no attempt); one at the limit runs. As a Lambda destination the
// refusal is a delivery failure of the source's record.
func TestInvokeRefusesOversizedPayload(t *testing.T) {
	const limit = 1000
	for _, tc := range []struct {
		size    int
		refused bool
	}{{1000, false}, {1001, true}} {
		clock := NewVirtualClock(t0)
		fn := &script{outcomes: []string{"ok"}, clock: clock}
		cfg := DefaultConfig("arn:aws:lambda:us-east-1:123456789012:function:writer")
		cfg.MaxPayloadBytes = limit
		iv, err := New(fn, cfg, WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
		res, err := iv.Invoke(context.Background(), make([]byte, tc.size))
		if refused := errors.Is(err, ErrPayloadTooLarge); refused != tc.refused || (tc.refused && (len(res) != 0 || fn.calls != 0)) {
			t.Errorf("%d bytes (limit %d): err %v, %d results, %d calls; want refused=%v", tc.size, limit, err, len(res), fn.calls, tc.refused)
		}
		if err := iv.Send(context.Background(), make([]byte, tc.size)); (err != nil) != tc.refused {
			t.Errorf("%d bytes as a destination: %v, want refused=%v", tc.size, err, tc.refused)
		}
	}
}
