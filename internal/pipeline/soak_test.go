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
// committing), throttles, database restarts through the proxy, duplicate deliveries — with
// a redrive every 100 runs and at the end. It then proves: rows equal successful fetches,
// zero lost, zero duplicated, and every event either succeeded or is accounted for in the
// dead-letter queue.
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
	p := start(t, o)
	ctx := context.Background()

	dbDown := false
	var redriven, reruns, redriveRounds, redriveFailures int
	doRedrive := func() {
		c, err := p.Redrive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		redriveRounds++
		redriven += c.Redriven
		reruns += c.Rerun
		redriveFailures += c.WriterFailed
		if topo == Relay {
			redriveFailures += c.FetchFailures
		}
	}
	for i := 0; i < *soakRuns; i++ {
		at := t0.Add(time.Duration(i) * 10 * time.Minute) // rate(10 minutes)
		if now := h.clock.Now(); now.Before(at) {
			h.clock.Advance(at.Sub(now)) // fires due restores (source healthy again, database back)
		} else {
			at = now // the previous run's retries ran past this run's slot
		}
		plan.mu.Lock()
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
			doRedrive() // the operator drains the DLQ now and then
		}
	}
	// Settle: let every outage end, then redrive until only failed fetches remain. Messages
	// a crashing writer failed on come back after the 1 s visibility timeout.
	span := h.clock.Now().Sub(t0)
	h.clock.Advance(24 * time.Hour)
	ss, ws := p.Stats()
	writeDLQ := ws.RetriesExhausted + ws.EventAgeExceeded
	fetchDLQ := ss.RetriesExhausted + ss.EventAgeExceeded
	pending := func() bool {
		if topo == Relay {
			return reruns < fetchDLQ
		}
		return redriven < writeDLQ
	}
	for round := 0; round < 10 && pending(); round++ {
		if round > 0 {
			time.Sleep(1100 * time.Millisecond)
		}
		doRedrive()
	}
	depth, err := p.DLQDepth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stored := rows(t, direct)
	a := Compare(p.Ledger().Expected(), stored)

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
	q(p.scheduledName(), ss)
	if topo != Relay {
		q("writer", ws)
	}
	if topo == Relay {
		fmt.Fprintf(&b, "dead-letter queue: %d failed relay runs\n", fetchDLQ)
		fmt.Fprintf(&b, "redrive: %d rounds, %d schedule events run again through the relay, %d re-runs failed (retried next round); %d messages left\n",
			redriveRounds, reruns, redriveFailures, depth)
	} else {
		fmt.Fprintf(&b, "dead-letter queue: %d failed fetches (nothing fetched, left in the queue), %d failed writes\n", fetchDLQ, writeDLQ)
		fmt.Fprintf(&b, "redrive: %d rounds, %d records redriven, %d writer failures during redrive (retried next round); %d messages left (the failed fetches)\n",
			redriveRounds, redriven, redriveFailures, depth)
	}
	what := "distinct fetches handed to the writer"
	if topo == Relay {
		what = "distinct fetches the relay stored"
	}
	fmt.Fprintf(&b, "rows: %d; %s: %d (in %d handoffs); lost %d, unexpected %d, duplicated %d\n",
		len(stored), what, a.Expected, p.Ledger().Deliveries(), len(a.Lost), len(a.Unexpected), a.Duplicated)
	t.Log("\n" + b.String())

	if !a.OK() {
		t.Errorf("audit failed: %s; lost %v", a, a.Lost)
	}
	if ss.Deliveries != ss.Successes+ss.RetriesExhausted+ss.EventAgeExceeded || ws.Deliveries != ws.Successes+ws.RetriesExhausted+ws.EventAgeExceeded {
		t.Errorf("an event neither succeeded nor reached the dead-letter queue: %+v / %+v", ss, ws)
	}
	if ss.DestinationFailures+ws.DestinationFailures != 0 {
		t.Errorf("%d records could not be delivered to a destination", ss.DestinationFailures+ws.DestinationFailures)
	}
	if redriven != writeDLQ {
		t.Errorf("redriven %d of %d failed writes", redriven, writeDLQ)
	}
	switch {
	case topo == Relay && (reruns != fetchDLQ || depth != 0):
		t.Errorf("relay: %d of %d failed runs re-run, %d left in the queue; want all re-run, none left", reruns, fetchDLQ, depth)
	case topo != Relay && depth != fetchDLQ:
		t.Errorf("dead-letter queue holds %d, want exactly the %d failed fetches", depth, fetchDLQ)
	}
	if topo == Destination && len(stored) != ss.Successes {
		// Each fetch Lambda counts as a success hands exactly one record to the writer.
		t.Errorf("rows %d != successful fetches %d", len(stored), ss.Successes)
	}
	if total == 0 {
		t.Errorf("no fault was injected: the soak proved nothing")
	}
}
