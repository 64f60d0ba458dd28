package pipeline

import (
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdabridge/lambdabridge/internal/lambdaasync"
	"github.com/lambdabridge/lambdabridge/internal/sqslocal"
	"github.com/lambdabridge/lambdabridge/internal/testdb"
)

var t0 = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

// testLog adapts t.Log to io.Writer (one call per line) when -v is on.
type testLog struct {
	t  testing.TB
	mu sync.Mutex
}

func (l *testLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if testing.Verbose() {
		l.t.Log(strings.TrimRight(string(b), "\n"))
	}
	return len(b), nil
}

// harness is what every drill needs: a fresh database, fauxqs, a source, a virtual clock.
type harness struct {
	dbURL  string
	sqs    *sqslocal.Server
	source *Source
	clock  *lambdaasync.VirtualClock
	log    io.Writer
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{dbURL: testdb.New(t), sqs: sqslocal.New(t), source: NewSource(nil), clock: lambdaasync.NewVirtualClock(t0), log: &testLog{t: t}}
	t.Cleanup(h.source.Close)
	return h
}

// options are the defaults for a drill; fetch timeouts are short so a hung source fails fast.
func (h *harness) options(rt Runtime, topo Topology) Options {
	o := DefaultOptions()
	o.Topology, o.Runtime, o.DatabaseURL, o.SQSEndpoint, o.Clock, o.Log = topo, rt, h.dbURL, h.sqs.Endpoint, h.clock, h.log
	c := &o.Source.Config
	c.URL, c.Timeout, c.ConnectTimeout, c.Retries, c.ExpectJSON = h.source.URL(), 300*time.Millisecond, 300*time.Millisecond, 1, true
	return o
}

func start(t *testing.T, o Options) *Pipeline {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

var (
	emuOnce sync.Once
	emu     *Emulator
	emuErr  error
	emuDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if emuDir != "" {
		os.RemoveAll(emuDir)
	}
	os.Exit(code)
}

// emulator builds the emulator and the bootstraps once per test binary (a few seconds each,
// cached by the Go build cache).
func emulator(t *testing.T) *Emulator {
	t.Helper()
	emuOnce.Do(func() {
		ctx := context.Background()
		root, err := sqslocal.ModuleRoot(".")
		if err != nil {
			emuErr = err
			return
		}
		dir, err := os.MkdirTemp("", "lambdabridge-pipeline-")
		if err != nil {
			emuErr = err
			return
		}
		emuDir = dir
		e := &Emulator{ModuleRoot: root, OutDir: dir}
		emuErr = e.Prepare(ctx, FetchPackage, WritePackage, RelayPackage)
		emu = e
	})
	if emuErr != nil {
		t.Fatalf("build bootstraps: %v", emuErr)
	}
	return emu
}

func rows(t *testing.T, dbURL string) []Identity {
	t.Helper()
	r, err := Rows(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
