package planner

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// TestMeasuredRunsPerMonth: a measured run count replaces the schedule's in every priced
// quantity and scales the peak month alike.
func TestMeasuredRunsPerMonth(t *testing.T) {
	in := seed() // rate(10 minutes): 4,380 runs in 730 hours; peak 2026-12, 44,640 min / 10 = 4,464
	in.RunsPerMonth = 8760
	r := mustPlan(t, in)
	if r.RunsPerMonth != 8760 {
		t.Errorf("RunsPerMonth = %d, want the measured 8,760", r.RunsPerMonth)
	}
	// 4,464 x 8,760 / 4,380 = 8,928 exactly.
	if r.PeakMonthRuns != 8928 || r.PeakMonth != "2026-12" {
		t.Errorf("peak %d in %s, want 8,928 in 2026-12", r.PeakMonthRuns, r.PeakMonth)
	}
	d := r.Find(Destination)
	// Two functions per run: 2 x 8,760 = 17,520 invocations; (800 + 300) ms x 128/1024 GB x
	// 8,760 runs = 1.1 s x 0.125 GB x 8,760 = 1,204.5 GB-s.
	if d.Usage.Invocations != 17520 || d.Usage.GBSeconds != 1204.5 {
		t.Errorf("destination usage %+v, want 17,520 invocations and 1,204.5 GB-s", d.Usage)
	}
	if got := r.Common[2].Quantity; r.Common[2].Item != "EventBridge Scheduler invocations" || got != 8760 {
		t.Errorf("scheduler line %q quantity %v, want 8,760", r.Common[2].Item, got)
	}
	want := "runs per month measured: 8,760 in a 730-hour month (the schedule rate(10 minutes) gives 4,380); peak month 2026-12 scaled alike to 8,928"
	if len(r.Notes) == 0 || r.Notes[0] != want {
		t.Errorf("notes %q, want first %q", r.Notes, want)
	}

	// A ratio that does not divide evenly rounds the peak up: 4,464 x 4,381 / 4,380 =
	// 4,465.02 -> 4,466.
	in.RunsPerMonth = 4381
	if r := mustPlan(t, in); r.PeakMonthRuns != 4466 {
		t.Errorf("peak %d, want 4,466", r.PeakMonthRuns)
	}

	in.RunsPerMonth = 0 // the schedule's own count, no note
	if r := mustPlan(t, in); r.RunsPerMonth != 4380 || r.PeakMonthRuns != 4464 || len(r.Notes) != 0 {
		t.Errorf("unmeasured: runs %d peak %d notes %q", r.RunsPerMonth, r.PeakMonthRuns, r.Notes)
	}

	in.RunsPerMonth = -3
	_, err := Plan(in, mustBook(t))
	var ie *InputError
	if !errors.As(err, &ie) || ie.Field != FieldRunsPerMonth || !errors.Is(err, ErrBadInput) ||
		!strings.Contains(err.Error(), "runs per month: -3 is negative") {
		t.Errorf("negative runs: %v", err)
	}
}

func TestFitTrend(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	at := func(days float64) time.Time { return t0.Add(time.Duration(days * 24 * float64(time.Hour))) }
	series := func(n int, f func(i int) float64) []Sample {
		ps := make([]Sample, n)
		for i := range ps {
			ps[i] = Sample{At: at(float64(i)), Value: f(i)}
		}
		return ps
	}
	tests := []struct {
		name    string
		points  []Sample
		growing bool
		perDay  float64
		// cross is a value whose crossing is checked against want (zero time: none).
		cross float64
		want  time.Time
	}{
		{
			// 100,000 B growing 1,000 B a day: 200,000 B is reached 100 days after t0.
			name:    "exact growth",
			points:  series(15, func(i int) float64 { return 100000 + 1000*float64(i) }),
			growing: true, perDay: 1000,
			cross: 200000, want: at(100),
		},
		{
			name:   "flat",
			points: series(15, func(int) float64 { return 50000 }),
			cross:  60000,
		},
		{
			// +-500 B of alternating noise around a flat 50,000 B: a slope of a few bytes
			// a day, well inside two standard errors.
			name: "noise without growth",
			points: series(14, func(i int) float64 {
				if i%2 == 0 {
					return 50500
				}
				return 49500
			}),
			cross: 60000,
		},
		{
			name:   "shrinking",
			points: series(10, func(i int) float64 { return 90000 - 100*float64(i) }),
			cross:  100000,
		},
		{
			// Two points fit exactly but cannot tell growth from noise.
			name:   "two points",
			points: series(2, func(i int) float64 { return 1000 + 10*float64(i) }),
			perDay: 10,
			cross:  2000,
		},
		{
			// Growth already past the value inside the window: 100,000 + 1,000 x 5 = 105,000
			// was reached on day 5.
			name:    "crossed within the window",
			points:  series(15, func(i int) float64 { return 100000 + 1000*float64(i) }),
			growing: true, perDay: 1000,
			cross: 105000, want: at(5),
		},
		{
			// 1 B a day from 1,000 B: 10^12 B is ~2.7 billion years away, beyond the horizon.
			name:    "crossing too far away",
			points:  series(10, func(i int) float64 { return 1000 + float64(i) }),
			growing: true, perDay: 1,
			cross: 1e12,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := FitTrend(tt.points)
			if err != nil {
				t.Fatal(err)
			}
			if tr.Growing != tt.growing {
				t.Errorf("growing = %v, want %v (%+v)", tr.Growing, tt.growing, tr)
			}
			if tt.perDay != 0 && math.Abs(tr.PerDay-tt.perDay) > 1e-6 {
				t.Errorf("per day %v, want %v", tr.PerDay, tt.perDay)
			}
			got, ok := tr.Crossing(tt.cross)
			if ok != !tt.want.IsZero() || (ok && got.Sub(tt.want).Abs() > time.Second) {
				t.Errorf("Crossing(%v) = %v, %v; want %v", tt.cross, got, ok, tt.want)
			}
		})
	}
}

func TestFitTrendOrderAndFit(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	// Points out of order: (day 2, 30), (day 0, 10), (day 1, 20) lie on 10 + 10x.
	tr, err := FitTrend([]Sample{{t0.Add(48 * time.Hour), 30}, {t0, 10}, {t0.Add(24 * time.Hour), 20}})
	if err != nil {
		t.Fatal(err)
	}
	if !tr.From.Equal(t0) || !tr.To.Equal(t0.Add(48*time.Hour)) || tr.Start != 10 || tr.End != 30 || tr.R2 != 1 || tr.Points != 3 {
		t.Errorf("trend %+v, want from t0 to +2d, 10 -> 30, R² 1, 3 points", tr)
	}
	if v := tr.At(t0.Add(72 * time.Hour)); v != 40 {
		t.Errorf("At(day 3) = %v, want 40", v)
	}
	for _, ps := range [][]Sample{nil, {{t0, 1}}, {{t0, 1}, {t0, 2}}} {
		if _, err := FitTrend(ps); !errors.Is(err, ErrTooFewPoints) {
			t.Errorf("FitTrend(%v) = %v, want ErrTooFewPoints", ps, err)
		}
	}
}
