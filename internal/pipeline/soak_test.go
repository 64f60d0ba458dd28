package pipeline

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdabridge/lambdabridge/internal/lambdaasync"
	"github.com/lambdabridge/lambdabridge/planner"
)

// The full soak (README): go test -run TestSoak -v ./internal/pipeline -soak.runs=1000
var (
	soakRuns    = flag.Int("soak.runs", 100, "scheduled runs in TestSoak")
	soakSeed    = flag.Uint64("soak.seed", 1, "seed of TestSoak's fault RNG")
	soakTopo    = flag.String("soak.topology", "all", "TestSoak topology: destination, s3, relay or all")
	soakRuntime = flag.String("soak.runtime", "rie", "TestSoak runtime: rie (real bootstraps under the emulator) or in-process")
	soakSteps   = flag.Bool("soak.steps", false, "log every step of TestSoak (with -v)")
)

// Fault rates of the soak, per scheduled run or per invocation.
const (
	pSourceFault = 0.08 // per run: the source fails (500 / garbage / hang) for a while
	pDBRestart   = 0.05 // per run: the database goes down for 10 s to 8 min
	pCrash       = 0.03 // per invocation, per kind (crash before / crash after), fetcher and writer
	pThrottle    = 0.01 // per invocation
	pDuplicate   = 0.05 // per event: delivered once or twice more
	// pOversized: per run, a ~600 KB compressed payload (source Large) while the database is
	// down for 10 minutes, longer than the writer's retries: in the destination topology a
	// failure record far over the dead-letter queue's 262,144 B.
	pOversized = 0.03
	// pMissedRun: per run, Lambda refuses every Invoke of the schedule: the run goes to the
	// dead-letter queue. pRefused: it refuses the first 1-3 only: the schedule's retries start it.
	pMissedRun = 0.02
	pRefused   = 0.03
	// pScheduleDuplicate: per run, the schedule delivers its event once or twice more.
	pScheduleDuplicate = 0.05
)

// faultPlan draws faults from a seeded RNG and counts them.
type faultPlan struct {
	mu     sync.Mutex
	rng    *rand.Rand
	counts map[string]int
}

func (f *faultPlan) note(kind string) {
	f.counts[kind]++
}

func (f *faultPlan) fault(fn, _ string) Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	x := f.rng.Float64()
	switch {
	case x < pCrash:
		f.note(fn + " crash-before")
		return CrashBefore
	case x < 2*pCrash:
		f.note(fn + " crash-after-commit")
		return CrashAfter
	case x < 2*pCrash+pThrottle:
		f.note(fn + " throttle")
		return Throttle
	}
	return NoFault
}

func (f *faultPlan) duplicates(fn, _ string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rng.Float64() >= pDuplicate {
		return 0
	}
	n := 1 + f.rng.IntN(2)
	f.counts[fn+" duplicate deliveries"] += n
	return n
}

// TestSoak runs many scheduled runs at accelerated (virtual) time with faults drawn from a
// seeded RNG — source errors/hangs/garbage, fetcher and writer crashes (before and after
// committing), throttles, database restarts through the proxy, duplicate deliveries,
// oversized failure records, schedule invocations Lambda refuses (missed runs), duplicated
// scheduled events — with a redrive every 100 runs and, at the end, redrive and replay until
// the dead-letter queue and the failure bucket are empty. It then proves: every scheduled run
// is one row (zero lost, zero duplicated scheduled runs), every run handed to the writer is
// stored once, every event succeeded or was accounted for, and no record was undeliverable.
func TestSoak(t *testing.T) {
	topos := []Topology{Destination, S3Handoff, Relay}
	if *soakTopo != "all" {
		topos = []Topology{Topology(*soakTopo)}
	}
	for _, topo := range topos {
		t.Run(string(topo), func(t *testing.T) { soak(t, topo) })
	}
}

func soak(t *testing.T, topo Topology) {
	wall := time.Now()
	h := newHarness(t)
	direct, proxy, viaProxy := proxied(t)
	h.dbURL = viaProxy
	var rt Runtime
	switch *soakRuntime {
	case "rie":
		rt = emulator(t)
	case "in-process":
		rt = InProcess{}
	default:
		t.Fatalf("-soak.runtime=%q: want rie or in-process", *soakRuntime)
	}
	if !*soakSteps {
		h.log = io.Discard
	}
	plan := &faultPlan{rng: rand.New(rand.NewPCG(*soakSeed, 0x5eed)), counts: map[string]int{}}
	o := h.options(rt, topo)
	o.Faults, o.Duplicates = plan.fault, plan.duplicates
	// Schedule faults, decided per run before it fires: refusals (all attempts: a missed run;
	// the first n: started by the schedule's retries) and extra deliveries of its event.
	refuse, dupEvents := map[time.Time]int{}, map[time.Time]int{}
	o.Refusals = func(at time.Time, attempt int) bool { return attempt <= refuse[at] }
	o.ScheduleDuplicates = func(at time.Time) int { return dupEvents[at] }
	p := start(t, o)
	ctx := context.Background()

	dbDown := false
	var redriven, reruns, redriveRounds, redriveFailures int
	doRedrive := func(replay bool) {
		redo := p.Redrive
		if replay {
			redo = p.Replay
		}
		c, err := redo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		redriveRounds++
		redriven += c.Redriven
		reruns += c.Rerun
		redriveFailures += c.WriterFailed
		if topo == Relay || replay {
			redriveFailures += c.FetchFailures + c.MissedRuns
		}
	}
	for i := 0; i < *soakRuns; i++ {
		// rate(10 minutes): each run has its own scheduled time, even when the previous
		// run's retries ran past it on the clock.
		at := t0.Add(time.Duration(i) * 10 * time.Minute)
		if now := h.clock.Now(); now.Before(at) {
			h.clock.Advance(at.Sub(now)) // fires due restores (source healthy again, database back)
		}
		plan.mu.Lock()
		switch x := plan.rng.Float64(); {
		case x < pMissedRun:
			plan.note("schedule invocation refused to the end (missed run)")
			refuse[at] = planner.SchedulerRetryAttempts + 1
		case x < pMissedRun+pRefused:
			refuse[at] = 1 + plan.rng.IntN(3)
			plan.note("schedule invocation refused, then retried")
		}
		if plan.rng.Float64() < pScheduleDuplicate {
			dupEvents[at] = 1 + plan.rng.IntN(2)
			plan.counts["scheduled event duplicates"] += dupEvents[at]
		}
		if h.source.Mode() == Healthy && !dbDown && plan.rng.Float64() < pOversized {
			plan.note("oversized failure record (~600 KB payload, database down 10 min)")
			h.source.SetMode(Large)
			h.clock.AfterFunc(30*time.Second, func() { h.source.SetMode(Healthy) })
			dbDown = true
			proxy.SetDown(true)
			h.clock.AfterFunc(10*time.Minute, func() { proxy.SetDown(false); dbDown = false })
		}
		if h.source.Mode() == Healthy && plan.rng.Float64() < pSourceFault {
			mode := []SourceMode{Error500, Error500, Garbage, Garbage, Hang}[plan.rng.IntN(5)]
			// Outage length: 30 s (the 1-minute retry succeeds), 2 min (the second retry, at
			// 3 min, succeeds) or 10 min (all three attempts fail: the fetch is lost to the DLQ).
			d := []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute}[plan.rng.IntN(3)]
			plan.note(fmt.Sprintf("source %s for %s", mode, d))
			h.source.SetMode(mode)
			h.clock.AfterFunc(d, func() { h.source.SetMode(Healthy) })
		}
		if !dbDown && plan.rng.Float64() < pDBRestart {
			d := 10*time.Second + time.Duration(plan.rng.Int64N(int64(8*time.Minute-10*time.Second)))
			plan.note("database restart")
			dbDown = true
			proxy.SetDown(true)
			h.clock.AfterFunc(d, func() { proxy.SetDown(false); dbDown = false })
		}
		plan.mu.Unlock()
		if _, err := p.Run(ctx, at); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		if (i+1)%100 == 0 && !dbDown {
			doRedrive(false) // the operator drains the DLQ and the failure bucket now and then
		}
	}
	// Settle: let every outage end, then redrive and replay until the dead-letter queue and
	// the failure bucket are empty (failed fetches and missed runs are started again through
	// the fetcher or the relay). Messages a crashing writer failed on come back after the 1 s
	// visibility timeout.
	span := h.clock.Now().Sub(t0)
	h.clock.Advance(24 * time.Hour)
	depth, objects := 0, 0
	pending := func() bool {
		var err error
		if depth, err = p.DLQDepth(ctx); err != nil {
			t.Fatal(err)
		}
		if objects, err = p.FailureObjects(ctx); err != nil {
			t.Fatal(err)
		}
		return depth+objects > 0
	}
	for round := 0; round < 10 && pending(); round++ {
		if round > 0 {
			time.Sleep(1100 * time.Millisecond)
		}
		doRedrive(true)
		h.clock.Advance(time.Hour) // let what the replays queued finish its retries
	}
	ss, ws := p.Stats()
	sched := p.ScheduleStats()
	writeDLQ := ws.RetriesExhausted + ws.EventAgeExceeded
	fetchDLQ := ss.RetriesExhausted + ss.EventAgeExceeded
	stored := rows(t, direct)
	a := Compare(p.Ledger().Expected(), stored)
	runs := AuditRuns(p.Fired(), stored)

	var b strings.Builder
	fmt.Fprintf(&b, "soak: %d scheduled runs, topology %s, runtime %s, seed %d; wall time %s; Lambda time covered %s\n",
		*soakRuns, topo, rt.Name(), *soakSeed, time.Since(wall).Round(time.Millisecond), span.Round(time.Minute))
	kinds := make([]string, 0, len(plan.counts))
	total := 0
	for k, n := range plan.counts {
		kinds = append(kinds, k)
		total += n
	}
	sort.Strings(kinds)
	fmt.Fprintf(&b, "faults injected: %d\n", total)
	for _, k := range kinds {
		fmt.Fprintf(&b, "  %-40s %d\n", k, plan.counts[k])
	}
	q := func(name string, s lambdaasync.Stats) {
		fmt.Fprintf(&b, "%-8s queue: %d events (+%d duplicates = %d deliveries), %d invocations, %d retries, %d throttles, %d succeeded, %d retries exhausted, %d too old\n",
			name, s.Events, s.Duplicates, s.Deliveries, s.Attempts, s.Retries, s.SystemErrors, s.Successes, s.RetriesExhausted, s.EventAgeExceeded)
	}
	fmt.Fprintf(&b, "schedule: %d runs fired, %d Invoke calls, %d refused, %d started, %d duplicate deliveries, %d runs dead-lettered (missed), %d dropped\n",
		sched.Runs, sched.Attempts, sched.Refused, sched.Started, sched.Duplicates, sched.DeadLettered, sched.Dropped)
	q(p.scheduledName(), ss)
	if topo != Relay {
		q("writer", ws)
	}
	failed := fmt.Sprintf("failures: %d failed runs of the %s, %d missed runs (dead-letter queue)", fetchDLQ, p.scheduledName(), sched.DeadLettered)
	if topo != Relay {
		failed += fmt.Sprintf("; %d failed writes (%s)", writeDLQ, p.shape.FailureSink(planner.Writer))
	}
	fmt.Fprintln(&b, failed)
	fmt.Fprintf(&b, "redrive: %d rounds, %d writer inputs redriven, %d runs started again, %d failures during redrive (retried next round); %d messages and %d failure records left\n",
		redriveRounds, redriven, reruns, redriveFailures, depth, objects)
	fmt.Fprintf(&b, "scheduled runs: %s\n", runs)
	fmt.Fprintf(&b, "rows: %d; distinct runs handed to the writer (or stored by the relay): %d (in %d handoffs); lost %d, unexpected %d, duplicated %d\n",
		len(stored), a.Expected, p.Ledger().Deliveries(), len(a.Lost), len(a.Unexpected), a.Duplicated)
	t.Log("\n" + b.String())

	if !a.OK() {
		t.Errorf("audit failed: %s; lost %v", a, a.Lost)
	}
	if !runs.OK() {
		t.Errorf("scheduled runs: %s; lost %v", runs, runs.Missing)
	}
	if ss.Deliveries != ss.Successes+ss.RetriesExhausted+ss.EventAgeExceeded || ws.Deliveries != ws.Successes+ws.RetriesExhausted+ws.EventAgeExceeded {
		t.Errorf("an event neither succeeded nor reached its onFailure destination: %+v / %+v", ss, ws)
	}
	if ss.DestinationFailures+ws.DestinationFailures != 0 {
		t.Errorf("%d records could not be delivered to a destination", ss.DestinationFailures+ws.DestinationFailures)
	}
	if sched.Dropped != 0 || sched.Runs != *soakRuns {
		t.Errorf("schedule: %d runs fired, %d dropped; want %d fired, none dropped", sched.Runs, sched.Dropped, *soakRuns)
	}
	if redriven != writeDLQ {
		t.Errorf("redriven %d of %d failed writes", redriven, writeDLQ)
	}
	if reruns != fetchDLQ+sched.DeadLettered {
		t.Errorf("%d runs started again, want the %d failed and %d missed", reruns, fetchDLQ, sched.DeadLettered)
	}
	if depth+objects != 0 {
		t.Errorf("%d messages and %d failure records left, want none", depth, objects)
	}
	if total == 0 {
		t.Errorf("no fault was injected: the soak proved nothing")
	}
	for _, k := range []string{"schedule invocation refused to the end (missed run)", "scheduled event duplicates"} {
		if plan.counts[k] == 0 && *soakRuns >= 100 {
			t.Errorf("the soak injected no %q", k)
		}
	}
	if topo == Destination && plan.counts["oversized failure record (~600 KB payload, database down 10 min)"] > 0 && ws.RetriesExhausted == 0 {
		t.Errorf("oversized runs injected, but no writer failure record: the fault did not bite")
	}
}
