package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/lambdabridge/lambdabridge/handlers/event"
)

// TestHappyPath runs three scheduled runs through each topology with the real bootstraps
// under the emulator: three distinct fetches -> three rows, all handed off, none lost.
func TestHappyPath(t *testing.T) {
	for _, topo := range []Topology{Destination, S3Handoff, Relay} {
		t.Run(string(topo), func(t *testing.T) {
			h := newHarness(t)
			p := start(t, h.options(emulator(t), topo))
			ctx := context.Background()
			for i := 0; i < 3; i++ {
				run, err := p.Run(ctx, t0.Add(time.Duration(i)*10*time.Minute))
				if err != nil {
					t.Fatal(err)
				}
				if len(run.Scheduled) != 1 || run.Scheduled[0].Condition != event.ConditionSuccess || run.Scheduled[0].Attempts != 1 {
					t.Fatalf("run %d: scheduled results %+v", i, run.Scheduled)
				}
				wantWrites := 1 // destination record or S3 notification -> one writer delivery
				if topo == Relay {
					wantWrites = 0
				}
				if len(run.Writes) != wantWrites {
					t.Fatalf("run %d: %d writer deliveries, want %d", i, len(run.Writes), wantWrites)
				}
			}
			a := Compare(p.Ledger().Expected(), rows(t, h.dbURL))
			// 3 runs, each one distinct fetch (the source's document differs per request).
			if !a.OK() || a.Expected != 3 || a.Rows != 3 {
				t.Fatalf("audit: %s", a)
			}
		})
	}
}

// TestInProcess runs the same handler packages in this process (the soak's fast mode): two
// runs with one crash -> two rows, nothing lost or doubled. In the split topologies the
// writer crashes after its commit and is retried (the redelivery stores nothing twice); the
// relay crashes before fetching and is retried (it fetches once it runs).
func TestInProcess(t *testing.T) {
	tests := []struct {
		topo  Topology
		crash string // the function that crashes once
		fault Fault
	}{
		{Destination, "writer", CrashAfter},
		{S3Handoff, "writer", CrashAfter},
		{Relay, "relay", CrashBefore},
	}
	for _, tc := range tests {
		t.Run(string(tc.topo), func(t *testing.T) {
			for _, k := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL_S3"} {
				t.Setenv(k, "") // InProcess exports the functions' AWS_* variables; restore them after
			}
			h := newHarness(t)
			o := h.options(InProcess{}, tc.topo)
			crashed := false
			o.Faults = func(fn, _ string) Fault {
				if fn == tc.crash && !crashed {
					crashed = true
					return tc.fault
				}
				return NoFault
			}
			p := start(t, o)
			for i := 0; i < 2; i++ {
				if _, err := p.Run(context.Background(), t0.Add(time.Duration(i)*10*time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
			ss, ws := p.Stats()
			// Run 1: crash, retried (2 invocations); run 2: 1 invocation. 2 + 1 = 3.
			crashedStats := ws
			if tc.topo == Relay {
				crashedStats = ss
			}
			if crashedStats.Attempts != 3 || crashedStats.Successes != 2 {
				t.Errorf("%s: %d invocations, %d successes; want 3 and 2", tc.crash, crashedStats.Attempts, crashedStats.Successes)
			}
			if a := Compare(p.Ledger().Expected(), rows(t, h.dbURL)); !a.OK() || a.Rows != 2 {
				t.Fatalf("audit: %s", a)
			}
		})
	}
}

// TestInheritedLibpqVariables: libpq variables inherited from the shell (another host and
// database, a search_path where no table is) do not redirect the local pipeline: the test
// clears them first (testdb.New), the in-process store would refuse any left, and the
// emulated functions get only the environment their settings render. One run stores one row
// in the test's own database.
func TestInheritedLibpqVariables(t *testing.T) {
	tests := []struct {
		name    string
		runtime func(t *testing.T) Runtime
		topo    Topology
	}{
		{"in process, destination", func(*testing.T) Runtime { return InProcess{} }, Destination},
		{"in process, relay", func(*testing.T) Runtime { return InProcess{} }, Relay},
		{"emulator, destination", func(t *testing.T) Runtime { return emulator(t) }, Destination},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL_S3"} {
				t.Setenv(k, "") // InProcess exports the functions' AWS_* variables; restore them after
			}
			for k, v := range map[string]string{"PGHOST": "192.0.2.1", "PGDATABASE": "lb_stray", "PGOPTIONS": "-c search_path=lb_stray"} {
				t.Setenv(k, v)
			}
			h := newHarness(t)
			p := start(t, h.options(tc.runtime(t), tc.topo))
			run, err := p.Run(context.Background(), t0)
			if err != nil {
				t.Fatal(err)
			}
			if len(run.Scheduled) != 1 || run.Scheduled[0].Condition != event.ConditionSuccess {
				t.Fatalf("scheduled results %+v", run.Scheduled)
			}
			if a := Compare(p.Ledger().Expected(), rows(t, h.dbURL)); !a.OK() || a.Expected != 1 || a.Rows != 1 {
				t.Fatalf("audit: %s", a)
			}
		})
	}
}
