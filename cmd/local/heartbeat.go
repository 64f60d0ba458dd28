package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/lambdabridge/lambdabridge/internal/lambdaasync"
	"github.com/lambdabridge/lambdabridge/internal/pipeline"
)

// heartbeat is the run's output. It passes every line through and, after `every` without
// one, writes a line saying what the run is waiting for and how long it has been, so a long
// wait (a hanging source cut by the function's timeout, Lambda's retry back-off at a low
// --time-scale, a first build) is never silent.
type heartbeat struct {
	out   io.Writer
	every time.Duration

	mu    sync.Mutex
	last  time.Time // the last line written
	what  string    // what the run waits for now ("" between steps)
	since time.Time // since when

	done     chan struct{}
	stopOnce sync.Once
}

// newHeartbeat writes to out; every 0 turns the heartbeat lines off.
func newHeartbeat(out io.Writer, every time.Duration) *heartbeat {
	h := &heartbeat{out: out, every: every, last: time.Now(), done: make(chan struct{})}
	if every > 0 {
		go h.loop()
	}
	return h
}

// Write passes p through and notes the time.
func (h *heartbeat) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last = time.Now()
	return h.out.Write(p)
}

// waiting says what the run waits for from now on; the returned func restores the previous
// state (waits nest: a retry back-off inside a run).
func (h *heartbeat) waiting(what string) (restore func()) {
	h.mu.Lock()
	prevWhat, prevSince := h.what, h.since
	h.what, h.since = what, time.Now()
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		h.what, h.since = prevWhat, prevSince
		h.mu.Unlock()
	}
}

func (h *heartbeat) loop() {
	tick := time.NewTicker(max(h.every/4, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-h.done:
			return
		case now := <-tick.C:
			h.beat(now)
		}
	}
}

// beat writes a heartbeat line when the output has been silent for `every` during a wait.
func (h *heartbeat) beat(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.what == "" || now.Sub(h.last) < h.every {
		return
	}
	fmt.Fprintf(h.out, "  waiting  %s so far: %s\n", now.Sub(h.since).Round(time.Second), h.what)
	h.last = now
}

// stop ends the heartbeat lines.
func (h *heartbeat) stop() { h.stopOnce.Do(func() { close(h.done) }) }

// watchedRuntime marks every invocation as a wait, naming the function and its timeout.
type watchedRuntime struct {
	pipeline.Runtime
	hb *heartbeat
}

// Start starts the function and wraps its invocations.
func (w watchedRuntime) Start(ctx context.Context, s pipeline.Spec) (lambdaasync.Function, func(), error) {
	fn, stop, err := w.Runtime.Start(ctx, s)
	if err != nil {
		return fn, stop, err
	}
	what := fmt.Sprintf("the %s is running (its timeout is %s, as deployed)", s.Name, s.Timeout)
	return lambdaasync.FunctionFunc(func(ctx context.Context, id string, payload []byte) (lambdaasync.Response, error) {
		defer w.hb.waiting(what)()
		return fn.Invoke(ctx, id, payload)
	}), stop, nil
}

// watchedClock marks Lambda's waits (retry back-off) on the scaled clock.
type watchedClock struct {
	lambdaasync.Clock
	hb    *heartbeat
	scale float64
}

// Sleep waits d of Lambda time, marked as a wait.
func (c watchedClock) Sleep(ctx context.Context, d time.Duration) error {
	real := time.Duration(float64(d) / c.scale).Round(time.Millisecond)
	defer c.hb.waiting(fmt.Sprintf("Lambda waits %s before the next attempt (%s real at %gx)", d, real, c.scale))()
	return c.Clock.Sleep(ctx, d)
}
