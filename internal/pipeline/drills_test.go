package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambdabridge/lambdabridge/handlers/event"
	"github.com/lambdabridge/lambdabridge/internal/lambdaasync"
	"github.com/lambdabridge/lambdabridge/internal/testdb"
)

// The drills run the real bootstraps under the Runtime Interface Emulator, a real
// PostgreSQL (testdb, cut with testdb.Proxy), and a real SQS-API server (fauxqs) as the
// dead-letter queue. Time runs on a virtual clock, so Lambda's 1- and 2-minute retry waits
// take no wall time.

// TestDrillRedeliveries: the same record delivered many times gives one row.
func TestDrillRedeliveries(t *testing.T) {
	tests := []struct {
		name       string
		dups       int     // extra deliveries of the writer's event
		writerHits []Fault // faults of successive writer invocations
		deliveries int     // writer queue deliveries
		attempts   int     // writer invocations
	}{
		// 1 delivery + 4 duplicates = 5 deliveries, each one invocation.
		{name: "record delivered 5 times", dups: 4, deliveries: 5, attempts: 5},
		// The writer commits, then dies before answering: Lambda retries (attempt 2) and the
		// retry finds the row already there.
		{name: "writer crashes after commit", writerHits: []Fault{CrashAfter}, deliveries: 1, attempts: 2},
		// 3 deliveries; the first crashes before doing anything and is retried: 3 + 1 = 4 invocations.
		{name: "duplicates and a crash", dups: 2, writerHits: []Fault{CrashBefore}, deliveries: 3, attempts: 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			o := h.options(emulator(t), Destination)
			o.Duplicates = func(fn, _ string) int {
				if fn == "writer" {
					return tc.dups
				}
				return 0
			}
			n := 0
			o.Faults = func(fn, _ string) Fault {
				if fn != "writer" {
					return NoFault
				}
				n++
				if n <= len(tc.writerHits) {
					return tc.writerHits[n-1]
				}
				return NoFault
			}
			p := start(t, o)
			if _, err := p.Run(context.Background(), t0); err != nil {
				t.Fatal(err)
			}
			_, ws := p.Stats()
			if ws.Deliveries != tc.deliveries || ws.Attempts != tc.attempts || ws.Successes != tc.deliveries {
				t.Errorf("writer queue: %d deliveries, %d attempts, %d successes; want %d, %d, %d", ws.Deliveries, ws.Attempts, ws.Successes, tc.deliveries, tc.attempts, tc.deliveries)
			}
			a := Compare(p.Ledger().Expected(), rows(t, h.dbURL))
			if !a.OK() || a.Rows != 1 {
				t.Fatalf("audit: %s; want exactly 1 row", a)
			}
		})
	}
}

// proxied returns a fresh database reached through a proxy that can be cut.
func proxied(t *testing.T) (direct string, proxy *testdb.Proxy, viaProxy string) {
	t.Helper()
	direct = testdb.New(t)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	proxy = testdb.NewProxy(t, u.Host)
	return direct, proxy, proxy.URL(t, direct)
}

// TestDrillDatabaseDown: while the database is down the writer fails, is retried (1 + 2
// retries, 1 and 2 minutes apart) and its failure records land in the failure bucket (the
// writer's onFailure destination behind a record handoff); the fetches keep working. When the
// database is back, redrive restores every row, none twice.
func TestDrillDatabaseDown(t *testing.T) {
	h := newHarness(t)
	direct, proxy, viaProxy := proxied(t)
	h.dbURL = viaProxy
	o := h.options(emulator(t), Destination)
	downRuns := 4
	o.Duplicates = func(fn, _ string) int { // one record reaches the queue twice while down
		if fn == "writer" && downRuns == 3 {
			return 1
		}
		return 0
	}
	p := start(t, o)
	ctx := context.Background()
	at := t0

	// 2 runs with the database up: 2 rows.
	for i := 0; i < 2; i++ {
		if _, err := p.Run(ctx, at); err != nil {
			t.Fatal(err)
		}
		at = at.Add(10 * time.Minute)
	}
	proxy.SetDown(true)
	before := h.clock.Sleeps()
	for ; downRuns > 0; downRuns-- {
		run, err := p.Run(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		at = at.Add(10 * time.Minute)
		if run.Scheduled[0].Condition != event.ConditionSuccess {
			t.Fatalf("the fetcher must not care about the database: %+v", run.Scheduled[0])
		}
		for _, w := range run.Writes {
			if w.Condition != event.ConditionRetriesExhausted || w.Attempts != 3 || w.DestinationErr != nil {
				t.Fatalf("writer with the database down: %s after %d attempts (delivery error %v); want RetriesExhausted after 3", w.Condition, w.Attempts, w.DestinationErr)
			}
			_, err := event.Route(w.Record)
			if err == nil || !strings.Contains(err.Error(), "RetriesExhausted") {
				t.Fatalf("failure record routes as %v", err)
			}
		}
	}
	// Each failed write waited 1 min then 2 min: 4 runs + 1 duplicate = 5 failed deliveries,
	// so 5 × [1m, 2m] = 10 waits, alternating.
	waits := h.clock.Sleeps()[len(before):]
	if len(waits) != 10 {
		t.Fatalf("retry waits while down: %v, want 5 × [1m 2m]", waits)
	}
	for i, w := range waits {
		if want := time.Duration(1+i%2) * time.Minute; w != want {
			t.Fatalf("wait %d = %s, want %s", i, w, want)
		}
	}
	depth, err := p.DLQDepth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	objects, err := p.FailureObjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if depth != 0 || objects != 5 {
		t.Fatalf("dead-letter queue holds %d, failure bucket %d; want 0 and 5 (4 records, one twice)", depth, objects)
	}
	if got := len(rows(t, direct)); got != 2 {
		t.Fatalf("%d rows while down, want the 2 from before", got)
	}

	// A redrive while the database is still down deletes nothing.
	c, err := p.Redrive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Redriven != 0 || c.WriterFailed != 5 {
		t.Fatalf("redrive while down: %+v, want 5 writer failures, none redriven", c)
	}

	proxy.SetDown(false)
	time.Sleep(1100 * time.Millisecond) // the failed redrive's messages become visible again (1 s visibility)
	c, err = p.Redrive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Received != 5 || c.Redriven != 5 || c.Left() != 0 {
		t.Fatalf("redrive after recovery: %+v, want 5 received and redriven", c)
	}
	if objects, _ := p.FailureObjects(ctx); objects != 0 {
		t.Fatalf("failure bucket holds %d after redrive, want 0", objects)
	}
	// 2 before + 4 restored = 6 rows; the record queued twice is stored once.
	a := Compare(p.Ledger().Expected(), rows(t, direct))
	if !a.OK() || a.Rows != 6 {
		t.Fatalf("audit: %s; want 6 rows", a)
	}
	// A second redrive finds nothing to do.
	if c, err := p.Redrive(ctx); err != nil || c.Received != 0 {
		t.Fatalf("second redrive: %+v %v", c, err)
	}
}

// TestDrillDatabaseBackBeforeRetry: a database restart shorter than the first retry wait
// costs one failed attempt and nothing else.
func TestDrillDatabaseBackBeforeRetry(t *testing.T) {
	h := newHarness(t)
	direct, proxy, viaProxy := proxied(t)
	h.dbURL = viaProxy
	p := start(t, h.options(emulator(t), Destination))
	proxy.SetDown(true)
	h.clock.AfterFunc(30*time.Second, func() { proxy.SetDown(false) }) // back 30 s later, before the 1-minute retry
	run, err := p.Run(context.Background(), t0)
	if err != nil {
		t.Fatal(err)
	}
	if w := run.Writes[0]; w.Condition != event.ConditionSuccess || w.Attempts != 2 {
		t.Fatalf("writer: %s after %d attempts, want Success after 2", w.Condition, w.Attempts)
	}
	if depth, _ := p.DLQDepth(context.Background()); depth != 0 {
		t.Fatalf("dead-letter queue holds %d, want 0", depth)
	}
	if a := Compare(p.Ledger().Expected(), rows(t, direct)); !a.OK() || a.Rows != 1 {
		t.Fatalf("audit: %s", a)
	}
}

// TestDrillBadSource: a source that errors, hangs, sends garbage or grows past the
// destination limit makes the fetcher fail with an error naming the cause, every attempt;
// after the retries the failure record (with that error) is in the dead-letter queue, no row
// is written, and redrive leaves it there (nothing was fetched). With spill on, the
// oversized fetch goes through S3 instead.
func TestDrillBadSource(t *testing.T) {
	tests := []struct {
		mode  SourceMode
		spill bool
		cause string // in the failure record's errorMessage
		rows  int
	}{
		{mode: Error500, cause: "status 500"},
		{mode: Hang, cause: "Client.Timeout"},
		{mode: Garbage, cause: "body is not valid JSON"},
		{mode: Huge, cause: "destination record would exceed the async payload limit"},
		{mode: Huge, spill: true, rows: 1},
	}
	for _, tc := range tests {
		name := tc.mode.String()
		if tc.spill {
			name += "-spill"
		}
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			o := h.options(emulator(t), Destination)
			o.Spill = tc.spill
			p := start(t, o)
			h.source.SetMode(tc.mode)
			ctx := context.Background()
			run, err := p.Run(ctx, t0)
			if err != nil {
				t.Fatal(err)
			}
			f := run.Scheduled[0]
			got := rows(t, h.dbURL)
			if len(got) != tc.rows {
				t.Fatalf("%d rows, want %d", len(got), tc.rows)
			}
			if tc.rows > 0 {
				if f.Condition != event.ConditionSuccess || len(run.Writes) != 1 || run.Writes[0].Condition != event.ConditionSuccess {
					t.Fatalf("spill: fetcher %s, writes %+v", f.Condition, run.Writes)
				}
				if p.S3().Puts() != 1 {
					t.Fatalf("spill: %d S3 PUTs, want 1", p.S3().Puts())
				}
				if a := Compare(p.Ledger().Expected(), got); !a.OK() {
					t.Fatalf("audit: %s", a)
				}
				return
			}
			// 1 try + 2 retries, each failing the same way.
			if f.Condition != event.ConditionRetriesExhausted || f.Attempts != 3 || len(run.Writes) != 0 {
				t.Fatalf("fetcher: %s after %d attempts, %d writes; want RetriesExhausted after 3, none", f.Condition, f.Attempts, len(run.Writes))
			}
			var rec event.Record
			if err := json.Unmarshal(f.Record, &rec); err != nil {
				t.Fatal(err)
			}
			if msg := ErrorMessage(rec.ResponsePayload); !strings.Contains(msg, tc.cause) {
				t.Fatalf("failure record's error %q does not name the cause %q", msg, tc.cause)
			}
			out, err := h.sqs.Client().ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(p.DLQURL), WaitTimeSeconds: 1, VisibilityTimeout: 1})
			if err != nil || len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != string(f.Record) {
				t.Fatalf("dead-letter queue: %v, %d messages; want the failure record", err, len(out.Messages))
			}
			time.Sleep(1100 * time.Millisecond)
			c, err := p.Redrive(ctx)
			if err != nil || c.FetchFailures != 1 || c.Redriven != 0 {
				t.Fatalf("redrive: %+v %v; want the failed fetch left alone", c, err)
			}
		})
	}
}

// TestDrillOversizedFailureRecord: a ~600 KB compressed record (source Large: a destination
// record of about 802 KB, inside the 1 MiB limit), the writer's database down for longer
// than its retries (1 + 2 attempts over 3 minutes). The writer's failure record carries the
// whole record, far over the dead-letter queue's 262,144 B: it lands in the failure bucket,
// and redrive stores the row once. Routed to the queue as before the failure bucket, the
// record is refused (DestinationDeliveryFailures) and the run is lost: the emulation enforces
// the queue's size as SQS does.
func TestDrillOversizedFailureRecord(t *testing.T) {
	for _, tc := range []struct {
		name    string
		toQueue bool
	}{{"failure bucket", false}, {"dead-letter queue only (the old design)", true}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			direct, proxy, viaProxy := proxied(t)
			h.dbURL = viaProxy
			o := h.options(emulator(t), Destination)
			o.FailuresToQueue = tc.toQueue
			p := start(t, o)
			ctx := context.Background()
			h.source.SetMode(Large)
			proxy.SetDown(true)
			h.clock.AfterFunc(10*time.Minute, func() { proxy.SetDown(false) }) // back after the 3 minutes of retries
			run, err := p.Run(ctx, t0)
			if err != nil {
				t.Fatal(err)
			}
			if len(run.Writes) != 1 {
				t.Fatalf("%d writer deliveries, want 1", len(run.Writes))
			}
			w := run.Writes[0]
			// The failure record: the ~802 KB destination record plus the error.
			if w.Condition != event.ConditionRetriesExhausted || w.Attempts != 3 || len(w.Record) < 700_000 || len(w.Record) > 1_000_000 {
				t.Fatalf("writer: %s after %d attempts, failure record %d bytes; want RetriesExhausted after 3, a record of about 803 KB", w.Condition, w.Attempts, len(w.Record))
			}
			h.clock.Advance(10 * time.Minute)
			if tc.toQueue {
				if !errors.Is(w.DestinationErr, lambdaasync.ErrMessageTooLarge) {
					t.Fatalf("delivery to the queue: %v, want the queue's size refusal", w.DestinationErr)
				}
				c, err := p.Redrive(ctx)
				if err != nil || c.Received != 0 {
					t.Fatalf("redrive %+v %v: nothing to restore", c, err)
				}
				if a := Compare(p.Ledger().Expected(), rows(t, direct)); len(a.Lost) != 1 {
					t.Fatalf("audit %s: want the run lost", a)
				}
				return
			}
			if w.DestinationErr != nil {
				t.Fatalf("failure record not delivered: %v", w.DestinationErr)
			}
			if n, err := p.FailureObjects(ctx); err != nil || n != 1 {
				t.Fatalf("failure bucket holds %d (%v), want the record", n, err)
			}
			if n := len(rows(t, direct)); n != 0 {
				t.Fatalf("%d rows before redrive, want 0", n)
			}
			c, err := p.Redrive(ctx)
			if err != nil || c.Received != 1 || c.Redriven != 1 || c.Left() != 0 {
				t.Fatalf("redrive %+v %v, want the record redriven", c, err)
			}
			stored := rows(t, direct)
			if a := Compare(p.Ledger().Expected(), stored); !a.OK() || a.Rows != 1 {
				t.Fatalf("audit: %s; want the row once", a)
			}
			if a := AuditRuns(p.Fired(), stored); !a.OK() {
				t.Fatalf("runs: %s", a)
			}
			if c, err := p.Redrive(ctx); err != nil || c.Received != 0 {
				t.Fatalf("second redrive %+v %v, want nothing left", c, err)
			}
		})
	}
}

// TestDrillMissedScheduledRun: Lambda refuses the schedule's Invoke. Refused a few times, the
// schedule's retries start the run; refused past its retries, the run's event goes to the
// dead-letter queue (no longer dropped silently), where redrive leaves it for the fetcher
// topologies (cmd/redrive without --fetcher) and Replay starts it again through the fetcher
// (the relay re-runs it); it is then stored under its own scheduled time, once. Every
// topology.
func TestDrillMissedScheduledRun(t *testing.T) {
	for _, topo := range []Topology{Destination, S3Handoff, Relay} {
		t.Run(string(topo), func(t *testing.T) {
			h := newHarness(t)
			o := h.options(emulator(t), topo)
			missed, transient := t0.Add(10*time.Minute), t0.Add(20*time.Minute)
			o.Refusals = func(at time.Time, attempt int) bool {
				return at.Equal(missed) || (at.Equal(transient) && attempt <= 2)
			}
			p := start(t, o)
			ctx := context.Background()
			for i := 0; i < 3; i++ {
				run, err := p.Run(ctx, t0.Add(time.Duration(i)*10*time.Minute))
				if err != nil {
					t.Fatal(err)
				}
				f := run.Firing
				switch run.At {
				case missed:
					// 1 + 185 retries, all refused: the event goes to the dead-letter queue.
					if f.Started || !f.DeadLettered || f.Attempts != 186 {
						t.Fatalf("missed run: %+v, want dead-lettered after 186 attempts", f)
					}
				case transient:
					if !f.Started || f.Attempts != 3 {
						t.Fatalf("transient refusal: %+v, want started on attempt 3", f)
					}
				}
			}
			if got := len(rows(t, h.dbURL)); got != 2 {
				t.Fatalf("%d rows, want 2 (the missed run is in the dead-letter queue)", got)
			}
			c, err := p.Redrive(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if topo != Relay {
				if c.MissedRuns != 1 || c.Rerun != 0 {
					t.Fatalf("redrive without the fetcher: %+v, want the missed run left", c)
				}
				time.Sleep(1100 * time.Millisecond) // visible again after the 1 s visibility
				if c, err = p.Replay(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if c.Rerun != 1 || c.Left() != 0 {
				t.Fatalf("redrive: %+v, want the missed run started again", c)
			}
			stored := rows(t, h.dbURL)
			if a := AuditRuns(p.Fired(), stored); !a.OK() || a.Fired != 3 {
				t.Fatalf("runs: %s; want all 3 stored once", a)
			}
			if a := Compare(p.Ledger().Expected(), stored); !a.OK() {
				t.Fatalf("audit: %s", a)
			}
			if depth, _ := p.DLQDepth(ctx); depth != 0 {
				t.Fatalf("dead-letter queue holds %d, want 0", depth)
			}
			if st := p.ScheduleStats(); st.Dropped != 0 || st.DeadLettered != 1 {
				t.Errorf("schedule %+v, want 1 dead-lettered, 0 dropped", st)
			}
		})
	}
}

// TestDrillDuplicatedScheduledEvent: the schedule delivers a run's event twice, or the
// scheduled function crashes after doing its work and Lambda retries it: the run is fetched
// twice, and stored once, in every topology. The next run is a row of its own.
func TestDrillDuplicatedScheduledEvent(t *testing.T) {
	for _, topo := range []Topology{Destination, S3Handoff, Relay} {
		for _, fault := range []string{"duplicated event", "crash after the work"} {
			t.Run(string(topo)+"/"+fault, func(t *testing.T) {
				h := newHarness(t)
				o := h.options(emulator(t), topo)
				if fault == "duplicated event" {
					o.ScheduleDuplicates = func(at time.Time) int { return btoi(at.Equal(t0)) }
				} else {
					crashed := false
					o.Faults = func(fn, _ string) Fault {
						if fn == scheduledName(t, o.Topology) && !crashed {
							crashed = true
							return CrashAfter
						}
						return NoFault
					}
				}
				p := start(t, o)
				ctx := context.Background()
				for i := 0; i < 2; i++ {
					if _, err := p.Run(ctx, t0.Add(time.Duration(i)*10*time.Minute)); err != nil {
						t.Fatal(err)
					}
				}
				// The first run's event ran twice (2 fetches), the second once: 3 fetches.
				if hits := h.source.Hits()[Healthy]; hits != 3 {
					t.Fatalf("%d fetches, want 3", hits)
				}
				stored := rows(t, h.dbURL)
				if a := AuditRuns(p.Fired(), stored); !a.OK() || a.Fired != 2 || len(stored) != 2 {
					t.Fatalf("runs: %s, %d rows; want 2 runs, 2 rows", a, len(stored))
				}
				if a := Compare(p.Ledger().Expected(), stored); !a.OK() {
					t.Fatalf("audit: %s", a)
				}
			})
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// scheduledName is the name of topo's scheduled function (fetcher or relay).
func scheduledName(t *testing.T, topo Topology) string {
	t.Helper()
	s, err := topo.Shape()
	if err != nil {
		t.Fatal(err)
	}
	return string(s.Scheduled())
}
