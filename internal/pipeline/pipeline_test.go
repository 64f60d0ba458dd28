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

// TestInProcess runs the same handler packages in this process (the soak's fast mode):
// two runs with a writer crash after commit -> two rows, nothing lost or doubled.
func TestInProcess(t *testing.T) {
	for _, topo := range []Topology{Destination, S3Handoff} {
		t.Run(string(topo), func(t *testing.T) {
			for _, k := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL_S3"} {
				t.Setenv(k, "") // InProcess exports the functions' AWS_* variables; restore them after
			}
			h := newHarness(t)
			o := h.options(InProcess{}, topo)
			crashed := false
			o.Faults = func(fn, _ string) Fault {
				if fn == "writer" && !crashed {
					crashed = true
					return CrashAfter
				}
				return NoFault
			}
			p := start(t, o)
			for i := 0; i < 2; i++ {
				if _, err := p.Run(context.Background(), t0.Add(time.Duration(i)*10*time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
			_, ws := p.Stats()
			// Run 1: crash after commit, retried (2 invocations); run 2: 1 invocation.
			if ws.Attempts != 3 || ws.Successes != 2 {
				t.Errorf("writer: %d invocations, %d successes; want 3 and 2", ws.Attempts, ws.Successes)
			}
			if a := Compare(p.Ledger().Expected(), rows(t, h.dbURL)); !a.OK() || a.Rows != 2 {
				t.Fatalf("audit: %s", a)
			}
		})
	}
}
