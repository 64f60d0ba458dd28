package planner

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Sample is one observation of a quantity (a record size in bytes, for cmd/plan
// --from-metrics) at a time.
type Sample struct {
	At    time.Time
	Value float64
}

// MinTrendPoints is the fewest points a trend can call growth on: with two, a line fits
// exactly and says nothing about noise.
const MinTrendPoints = 3

// maxForecast bounds how far Crossing looks ahead: a crossing later than this is no
// crossing in sight.
const maxForecast = 100 * 365 * 24 * time.Hour

// ErrTooFewPoints is FitTrend's error when fewer than two points at distinct times are given.
var ErrTooFewPoints = errors.New("too few points for a trend")

// Trend is the least-squares line through a series of points, value = a + b x with x the
// days since From.
type Trend struct {
	// Points counts the points fitted; From and To are the first and last point's times.
	Points int       `json:"points"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	// PerDay is the fitted slope, in the points' unit per day.
	PerDay float64 `json:"perDay"`
	// StdErrPerDay is the slope's standard error (0 with fewer than MinTrendPoints points or
	// when the points lie exactly on the line).
	StdErrPerDay float64 `json:"stdErrPerDay"`
	// Start and End are the fitted values at From and To.
	Start float64 `json:"fittedAtFrom"`
	End   float64 `json:"fittedAtTo"`
	// R2 is the coefficient of determination (1 when every point is on the line; 0 for
	// points with no spread).
	R2 float64 `json:"r2"`
	// Growing says the series grows: at least MinTrendPoints points and a positive slope at
	// least twice its standard error (about 95% confidence that it is not noise). Crossing
	// forecasts only a growing trend; anything else is "no growth".
	Growing bool `json:"growing"`
}

// FitTrend fits the least-squares line through points (in any order). It needs at least
// two points at distinct times, else it returns ErrTooFewPoints.
func FitTrend(points []Sample) (Trend, error) {
	if len(points) < 2 {
		return Trend{}, fmt.Errorf("%w: %d point(s), want 2 or more", ErrTooFewPoints, len(points))
	}
	from, to := points[0].At, points[0].At
	for _, p := range points[1:] {
		if p.At.Before(from) {
			from = p.At
		}
		if p.At.After(to) {
			to = p.At
		}
	}
	if !to.After(from) {
		return Trend{}, fmt.Errorf("%w: every point is at %s", ErrTooFewPoints, from.Format(time.RFC3339))
	}
	n := float64(len(points))
	days := func(t time.Time) float64 { return t.Sub(from).Hours() / 24 }
	var mx, my float64
	for _, p := range points {
		mx += days(p.At)
		my += p.Value
	}
	mx, my = mx/n, my/n
	var sxx, sxy, syy float64
	for _, p := range points {
		dx, dy := days(p.At)-mx, p.Value-my
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	b := sxy / sxx
	a := my - b*mx
	t := Trend{Points: len(points), From: from, To: to, PerDay: b, Start: a, End: a + b*days(to)}
	ssr := 0.0
	for _, p := range points {
		r := p.Value - (a + b*days(p.At))
		ssr += r * r
	}
	if syy > 0 {
		t.R2 = math.Max(0, 1-ssr/syy)
	}
	if len(points) >= MinTrendPoints {
		t.StdErrPerDay = math.Sqrt(ssr / (n - 2) / sxx)
		t.Growing = b > 0 && b >= 2*t.StdErrPerDay
	}
	return t, nil
}

// At is the fitted value at time at.
func (t Trend) At(at time.Time) float64 {
	return t.Start + t.PerDay*at.Sub(t.From).Hours()/24
}

// Crossing is when the fitted line reaches v: ok is false when the trend is not Growing or
// the crossing lies more than 100 years after To. A time at or before To means the line
// had reached v within the fitted window already.
func (t Trend) Crossing(v float64) (at time.Time, ok bool) {
	if !t.Growing || t.PerDay <= 0 {
		return time.Time{}, false
	}
	ns := (v - t.Start) / t.PerDay * 24 * float64(time.Hour)
	if ns > float64(t.To.Sub(t.From)+maxForecast) {
		return time.Time{}, false
	}
	return t.From.Add(time.Duration(math.Max(ns, -float64(maxForecast)))), true
}
