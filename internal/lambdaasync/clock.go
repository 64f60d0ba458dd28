package lambdaasync

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Clock is the time source of the async queue: retry waits and event age are measured on it,
// so tests and soaks can run hours of Lambda time in seconds.
type Clock interface {
	// Now is the current time on this clock.
	Now() time.Time
	// Sleep waits d on this clock, or returns ctx's error if ctx ends first.
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is wall-clock time.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits d of wall-clock time.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error { return sleepReal(ctx, d) }

// ScaledClock runs Factor times faster than the wall clock: with Factor 60, Lambda's
// one-minute retry wait takes one real second, and Now advances a minute per real second.
type ScaledClock struct {
	factor float64
	start  time.Time // wall time at creation
	base   time.Time // clock time at creation
}

// NewScaledClock starts a clock at base that runs factor times faster than real time.
// A factor <= 0 is treated as 1.
func NewScaledClock(base time.Time, factor float64) *ScaledClock {
	if factor <= 0 {
		factor = 1
	}
	return &ScaledClock{factor: factor, start: time.Now(), base: base}
}

// Now is base plus the wall time elapsed since creation, times the factor.
func (c *ScaledClock) Now() time.Time {
	return c.base.Add(time.Duration(float64(time.Since(c.start)) * c.factor))
}

// Sleep waits d/factor of real time.
func (c *ScaledClock) Sleep(ctx context.Context, d time.Duration) error {
	return sleepReal(ctx, time.Duration(float64(d)/c.factor))
}

func sleepReal(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// VirtualClock is simulated time: Sleep returns at once after moving Now forward, running
// any functions scheduled with AfterFunc whose time has come, in time order. It is the
// clock of unit tests and of the accelerated soak.
type VirtualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []timer
	slept  []time.Duration
}

type timer struct {
	at time.Time
	fn func()
}

// NewVirtualClock starts a simulated clock at start.
func NewVirtualClock(start time.Time) *VirtualClock { return &VirtualClock{now: start} }

// Now is the simulated time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep advances simulated time by d and records d (see Sleeps).
func (c *VirtualClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.slept = append(c.slept, d)
	c.mu.Unlock()
	c.Advance(d)
	return nil
}

// Advance moves simulated time forward by d, firing due AfterFunc callbacks (outside the lock).
func (c *VirtualClock) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	for {
		sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
		if len(c.timers) == 0 || c.timers[0].at.After(target) {
			break
		}
		t := c.timers[0]
		c.timers = c.timers[1:]
		if t.at.After(c.now) {
			c.now = t.at
		}
		c.mu.Unlock()
		t.fn()
		c.mu.Lock()
	}
	if target.After(c.now) {
		c.now = target
	}
	c.mu.Unlock()
}

// AfterFunc schedules fn to run when simulated time reaches Now()+d.
func (c *VirtualClock) AfterFunc(d time.Duration, fn func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timers = append(c.timers, timer{at: c.now.Add(d), fn: fn})
}

// Sleeps returns every duration passed to Sleep so far, in order.
func (c *VirtualClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}
