package planner

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// This file answers "what if": how the planner's choice changes as the payload grows or the
// schedule tightens, and the figures the chart draws. Every figure comes from Plan itself,
// run on the stack's input with one value changed; nothing here prices anything.
//
// The boundaries are searched exactly, on the whole-unit domain of each axis (a byte of
// compressed payload; a minute of period), without sampling. Along an axis every priced
// quantity only grows, so each of these facts flips at most once: a topology is valid, it
// fits the free tier, each of its priced lines is above its free allowance, the line exists
// (S3 lines appear when destination spills). Between two flips every topology's cost is an
// affine function of the runs (schedule axis), so the cheapest valid topology holds on an
// interval of the axis. Hence if the choice and all those facts are equal at both ends of an
// interval, nothing changes inside it, and bisection finds every point where something does.
// Exact up to the planner's rounding (micro-dollars, whole bytes).

// Axis ranges.
const (
	// WhatIfMaxMultiplier is the largest payload the what-if tries, as a multiple of the
	// measured one (both sizes, at the measured ratio).
	WhatIfMaxMultiplier = 100
	// WhatIfLongestPeriod and WhatIfShortestPeriod bound the schedules the what-if tries:
	// rate(1 day) down to rate(1 minute), EventBridge's shortest.
	WhatIfLongestPeriod  = 24 * 60
	WhatIfShortestPeriod = 1
)

// ChangeKind names what changes at a point of a what-if axis.
type ChangeKind string

// The kinds of change.
const (
	// ChangeChoice: another topology becomes the cheapest valid one.
	ChangeChoice ChangeKind = "choice"
	// ChangeDestinationInvalid: the destination record stops fitting the async payload limit.
	ChangeDestinationInvalid ChangeKind = "destination-invalid"
	// ChangeFreeTierExceeded: the chosen topology stops fitting the free tier.
	ChangeFreeTierExceeded ChangeKind = "free-tier-exceeded"
	// ChangeFreeTierFits: the chosen topology fits the free tier where the one before did not.
	ChangeFreeTierFits ChangeKind = "free-tier-fits"
)

// TopologyTotal is one topology's verdict at a point of an axis.
type TopologyTotal struct {
	Name            Topology `json:"name"`
	Valid           bool     `json:"valid"`
	FitsFreeTier    bool     `json:"fitsFreeTier"`
	TotalMonthlyUSD float64  `json:"totalMonthlyUSD"`
}

// Point is the plan at one point of an axis: the input that moved and the planner's verdict.
type Point struct {
	// Multiplier is the payload as a multiple of the measured one (1 on the schedule axis).
	Multiplier float64 `json:"multiplier"`
	// RawBytes and CompressedBytes are the payload planned; RecordBytes its destination record.
	RawBytes        int64 `json:"rawBytes"`
	CompressedBytes int64 `json:"compressedBytes"`
	RecordBytes     int64 `json:"recordBytes"`
	// Schedule is the schedule planned, and RunsPerMonth its exact runs in a 730-hour month.
	Schedule     string  `json:"schedule"`
	RunsPerMonth float64 `json:"runsPerMonth"`
	// Chosen is the cheapest valid topology there; TotalMonthlyUSD and FitsFreeTier are its.
	Chosen          Topology `json:"chosen"`
	TotalMonthlyUSD float64  `json:"totalMonthlyUSD"`
	FitsFreeTier    bool     `json:"fitsFreeTier"`
	// DestinationValid says whether destination can carry the payload there.
	DestinationValid bool `json:"destinationValid"`
	// Topologies is every topology's verdict there, in AllTopologies order.
	Topologies []TopologyTotal `json:"topologies"`
}

// Total returns topology t's verdict at the point.
func (p Point) Total(t Topology) (TopologyTotal, bool) {
	for _, x := range p.Topologies {
		if x.Name == t {
			return x, true
		}
	}
	return TopologyTotal{}, false
}

// Change is a point of an axis where the choice, its free-tier fit or destination's validity
// changes: Before is the last point with the old verdict, After the first with the new one
// (one byte or one minute apart).
type Change struct {
	Kinds  []ChangeKind `json:"kinds"`
	Before Point        `json:"before"`
	After  Point        `json:"after"`
}

// Has says whether the change is of kind k.
func (c Change) Has(k ChangeKind) bool {
	for _, x := range c.Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Axis is one what-if: an input moved from Start to End, and the changes met on the way.
type Axis struct {
	// Name is "payload" or "schedule".
	Name    string   `json:"name"`
	Start   Point    `json:"start"`
	End     Point    `json:"end"`
	Changes []Change `json:"changes"`
}

// Winners lists the topologies chosen somewhere on the axis, in the order met.
func (a Axis) Winners() []Topology {
	out := []Topology{a.Start.Chosen}
	for _, c := range a.Changes {
		if c.Has(ChangeChoice) {
			out = append(out, c.After.Chosen)
		}
	}
	return out
}

// WhatIf is how the planner's choice changes as the payload grows (x1 to x100 of the
// measured sizes, at the measured ratio) and as the schedule tightens (rate(1 day) to
// rate(1 minute)), every other input as planned. It follows the planner's own choice, the
// cheapest valid topology, whatever topology the stack asks for (Requested).
type WhatIf struct {
	// Requested is the topology the stack asks for, or "" when it leaves the choice to the planner.
	Requested Topology `json:"requested,omitempty"`
	Payload   Axis     `json:"payload"`
	Schedule  Axis     `json:"schedule"`
}

// CostPoint is one topology's plan at one schedule, for the chart.
type CostPoint struct {
	Schedule        string  `json:"schedule"`
	RunsPerMonth    float64 `json:"runsPerMonth"`
	TotalMonthlyUSD float64 `json:"totalMonthlyUSD"`
	Valid           bool    `json:"valid"`
	FitsFreeTier    bool    `json:"fitsFreeTier"`
}

// CostSeries is one topology's total monthly cost against runs per month, by increasing runs.
type CostSeries struct {
	Topology Topology    `json:"topology"`
	Points   []CostPoint `json:"points"`
}

// RecordPoint is the destination record of one payload, for the chart.
type RecordPoint struct {
	Multiplier      float64 `json:"multiplier"`
	RawBytes        int64   `json:"rawBytes"`
	CompressedBytes int64   `json:"compressedBytes"`
	RecordBytes     int64   `json:"recordBytes"`
	Fits            bool    `json:"fits"`
}

// Exploration is one Explore call: the report and, from the same planner on the same input,
// the what-if and the series the chart draws.
type Exploration struct {
	// Report is Plan's report of the input as given.
	Report *Report
	// WhatIf is the what-if of the input.
	WhatIf WhatIf
	// Costs is every topology's total against runs per month (AllTopologies order), from the
	// fewer of the stack's own runs and rate(1 day)'s to rate(1 minute)'s, through every
	// point where a cost changes slope (a free allowance runs out) or the choice changes.
	Costs []CostSeries
	// Records is the destination record against the payload from x1 to x100, through the
	// point where it stops fitting.
	Records []RecordPoint
	// AlarmRecordBytes is the record size the record-size alarm fires at
	// (DefaultRecordAlarmPercent of the limit in force).
	AlarmRecordBytes int64
	// Spill is the input's Spill: a record too big for the limit goes to S3 instead of
	// making destination invalid.
	Spill bool
}

// Explore plans in with book (Plan) and explores around it: the what-if and the chart's
// series. It fails as Plan does on in; a failure at a what-if point names the point.
func Explore(in Input, book *Book) (*Exploration, error) {
	r, err := Plan(in, book)
	if err != nil {
		return nil, err
	}
	in = Defaults(in)
	auto := in
	auto.Topology = Auto
	x := &Exploration{Report: r, AlarmRecordBytes: r.Payload.LimitBytes * DefaultRecordAlarmPercent / 100, Spill: in.Spill}
	if in.Topology != "" && in.Topology != Auto {
		x.WhatIf.Requested = in.Topology
	}

	pay := newPayloadAxis(auto, book)
	if x.WhatIf.Payload, err = pay.walk(); err != nil {
		return nil, err
	}
	sch := newScheduleAxis(auto, book)
	if x.WhatIf.Schedule, err = sch.walk(); err != nil {
		return nil, err
	}
	if x.Costs, err = costSeries(r, sch); err != nil {
		return nil, err
	}
	if x.Records, err = recordSeries(pay); err != nil {
		return nil, err
	}
	return x, nil
}

// axis is one what-if axis: a whole-number domain [0, n) and the plan at each of its points.
type axis struct {
	name  string
	n     int64
	input func(i int64) Input // the input at point i
	point func(i int64, r *Report) Point
	book  *Book
	cache map[int64]*Report
	flips []int64 // every i where signature(i) != signature(i+1), after walk
}

// at plans point i (once).
func (a *axis) at(i int64) (*Report, error) {
	if r, ok := a.cache[i]; ok {
		return r, nil
	}
	in := a.input(i)
	r, err := Plan(in, a.book)
	if err != nil {
		return nil, fmt.Errorf("what-if %s at %s: %w", a.name, describeInput(in), err)
	}
	a.cache[i] = r
	return r, nil
}

func describeInput(in Input) string {
	return fmt.Sprintf("%s, %s B raw, %s B compressed", in.Schedule, groupInt(in.PayloadBytes), groupInt(in.CompressedBytes))
}

// signature is everything that flips at most once along an axis, and the choice.
func signature(r *Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|fits=%t", r.Chosen, r.Payload.Fits)
	over := func(ls []CostLine) {
		for _, l := range ls {
			fmt.Fprintf(&b, ";%s=%t", l.Item, l.Quantity > l.FreeQuantity)
		}
	}
	for _, e := range r.Topologies {
		fmt.Fprintf(&b, "|%s:%t:%t", e.Name, e.Valid, e.FitsFreeTier)
		over(e.Lines)
	}
	b.WriteString("|common")
	over(r.Common)
	return b.String()
}

// visible is what a Change reports: the choice, its free-tier fit, destination's validity.
func visible(p Point) [3]string {
	return [3]string{string(p.Chosen), fmt.Sprint(p.FitsFreeTier), fmt.Sprint(p.DestinationValid)}
}

// search appends to a.flips every i in [lo, hi) where the signature changes between i and
// i+1, given the signatures at lo and hi.
func (a *axis) search(lo, hi int64, slo, shi string) error {
	if slo == shi {
		return nil
	}
	if hi == lo+1 {
		a.flips = append(a.flips, lo)
		return nil
	}
	mid := lo + (hi-lo)/2
	r, err := a.at(mid)
	if err != nil {
		return err
	}
	smid := signature(r)
	if err := a.search(lo, mid, slo, smid); err != nil {
		return err
	}
	return a.search(mid, hi, smid, shi)
}

// walk finds every flip of the axis and reports the visible changes.
func (a *axis) walk() (Axis, error) {
	first, err := a.at(0)
	if err != nil {
		return Axis{}, err
	}
	last, err := a.at(a.n - 1)
	if err != nil {
		return Axis{}, err
	}
	if err := a.search(0, a.n-1, signature(first), signature(last)); err != nil {
		return Axis{}, err
	}
	out := Axis{Name: a.name, Start: a.point(0, first), End: a.point(a.n-1, last), Changes: []Change{}}
	for _, i := range a.flips {
		rb, err := a.at(i)
		if err != nil {
			return Axis{}, err
		}
		ra, err := a.at(i + 1)
		if err != nil {
			return Axis{}, err
		}
		before, after := a.point(i, rb), a.point(i+1, ra)
		if visible(before) == visible(after) {
			continue
		}
		c := Change{Before: before, After: after}
		if before.Chosen != after.Chosen {
			c.Kinds = append(c.Kinds, ChangeChoice)
		}
		if before.DestinationValid && !after.DestinationValid {
			c.Kinds = append(c.Kinds, ChangeDestinationInvalid)
		}
		switch {
		case before.FitsFreeTier && !after.FitsFreeTier:
			c.Kinds = append(c.Kinds, ChangeFreeTierExceeded)
		case !before.FitsFreeTier && after.FitsFreeTier:
			c.Kinds = append(c.Kinds, ChangeFreeTierFits)
		}
		if len(c.Kinds) > 0 {
			out.Changes = append(out.Changes, c)
		}
	}
	return out, nil
}

// pointOf fills a Point from a report of the axis.
func pointOf(r *Report, multiplier float64) Point {
	p := Point{
		Multiplier: multiplier, RawBytes: r.Payload.RawBytes, CompressedBytes: r.Payload.CompressedBytes,
		RecordBytes: r.Payload.RecordBytes, Schedule: r.Schedule, RunsPerMonth: r.RunsPerMonthExact,
		Chosen: r.Chosen, TotalMonthlyUSD: r.TotalMonthlyUSD,
	}
	for _, e := range r.Topologies {
		p.Topologies = append(p.Topologies, TopologyTotal{Name: e.Name, Valid: e.Valid, FitsFreeTier: e.FitsFreeTier, TotalMonthlyUSD: e.TotalMonthlyUSD})
		if e.Name == r.Chosen {
			p.FitsFreeTier = e.FitsFreeTier
		}
		if e.Parts.RecordLimited() { // the topology whose fetch travels in the async record
			p.DestinationValid = e.Valid
		}
	}
	return p
}

// newPayloadAxis is the payload growing from the measured sizes to WhatIfMaxMultiplier
// times them, one compressed byte at a time, the raw size at the measured ratio
// (floor(compressed x raw / compressed measured)). gzip's overhead does not grow with the
// payload, so for an incompressible one the compressed size is capped at MaxGzipBytes(raw).
func newPayloadAxis(in Input, book *Book) *axis {
	c0, r0 := in.CompressedBytes, in.PayloadBytes
	sizes := func(i int64) (raw, compressed int64) {
		c := c0 + i
		raw = floorMulDiv(c, r0, c0)
		return raw, min(c, MaxGzipBytes(raw))
	}
	return &axis{
		name: "payload", n: (WhatIfMaxMultiplier-1)*c0 + 1, book: book, cache: map[int64]*Report{},
		input: func(i int64) Input {
			x := in
			x.PayloadBytes, x.CompressedBytes = sizes(i)
			return x
		},
		point: func(i int64, r *Report) Point {
			return pointOf(r, math.Round(float64(c0+i)/float64(c0)*1e4)/1e4)
		},
	}
}

// RateExpression is the rate() expression of a period of whole minutes, in the unit AWS
// would show: rate(1 day), rate(2 hours), rate(7 minutes).
func RateExpression(minutes int64) string {
	unit, v := "minute", minutes
	switch {
	case minutes%minutesPerDay == 0:
		unit, v = "day", minutes/minutesPerDay
	case minutes%60 == 0:
		unit, v = "hour", minutes/60
	}
	if v != 1 {
		unit += "s"
	}
	return fmt.Sprintf("rate(%d %s)", v, unit)
}

// newScheduleAxis is the schedule tightening from rate(1 day) to rate(1 minute), one minute
// of period at a time: point i is a period of WhatIfLongestPeriod - i minutes.
func newScheduleAxis(in Input, book *Book) *axis {
	return &axis{
		name: "schedule", n: WhatIfLongestPeriod - WhatIfShortestPeriod + 1, book: book, cache: map[int64]*Report{},
		input: func(i int64) Input {
			x := in
			x.Schedule = RateExpression(WhatIfLongestPeriod - i)
			return x
		},
		point: func(_ int64, r *Report) Point { return pointOf(r, 1) },
	}
}

// chartPeriods are the schedules the cost series pass through besides the flips: round
// periods from a day to a minute.
var chartPeriods = []int64{1440, 720, 480, 360, 240, 180, 120, 90, 60, 45, 30, 20, 15, 10, 6, 5, 4, 3, 2, 1}

// costSeries plans every topology along the schedule axis at the round periods, at both
// sides of every flip (so a slope change or a change of choice is drawn where it is), and
// at the stack's own schedule (the report). When the stack runs less often than daily, the
// series start at its runs, through the decades of runs between.
func costSeries(r *Report, sch *axis) ([]CostSeries, error) {
	type at struct {
		runs float64
		rep  *Report
	}
	var pts []at
	add := func(i int64) error {
		rep, err := sch.at(i)
		if err != nil {
			return err
		}
		pts = append(pts, at{rep.RunsPerMonthExact, rep})
		return nil
	}
	for _, p := range chartPeriods {
		if err := add(WhatIfLongestPeriod - p); err != nil {
			return nil, err
		}
	}
	for _, i := range sch.flips {
		if err := add(i); err != nil {
			return nil, err
		}
		if err := add(i + 1); err != nil {
			return nil, err
		}
	}
	pts = append(pts, at{r.Runs(), r})
	if daily := float64(HoursPerMonth*60) / WhatIfLongestPeriod; r.Runs() < daily {
		// Decades of runs between the stack's and rate(1 day)'s, as whole-minute periods.
		for x := math.Pow(10, math.Ceil(math.Log10(r.Runs()))); x < daily; x *= 10 {
			in := sch.input(0)
			in.Schedule = RateExpression(int64(math.Round(HoursPerMonth * 60 / x)))
			rep, err := Plan(in, sch.book)
			if err != nil {
				return nil, fmt.Errorf("chart at %s: %w", in.Schedule, err)
			}
			pts = append(pts, at{rep.RunsPerMonthExact, rep})
		}
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].runs < pts[j].runs })
	out := make([]CostSeries, len(AllTopologies))
	for k, t := range AllTopologies {
		out[k].Topology = t
		for i, p := range pts {
			if i > 0 && p.runs == pts[i-1].runs {
				continue
			}
			e := p.rep.Find(t)
			out[k].Points = append(out[k].Points, CostPoint{
				Schedule: p.rep.Schedule, RunsPerMonth: p.runs, TotalMonthlyUSD: e.TotalMonthlyUSD, Valid: e.Valid, FitsFreeTier: e.FitsFreeTier,
			})
		}
	}
	return out, nil
}

// recordMultipliers are the payloads the record series passes through besides the flips.
var recordMultipliers = []int64{1, 2, 3, 5, 10, 20, 30, 50, 100}

// recordSeries plans the destination record along the payload axis at round multipliers and
// at both sides of every flip.
func recordSeries(pay *axis) ([]RecordPoint, error) {
	idx := map[int64]bool{}
	c0 := pay.input(0).CompressedBytes
	for _, m := range recordMultipliers {
		idx[(m-1)*c0] = true
	}
	for _, i := range pay.flips {
		idx[i], idx[i+1] = true, true
	}
	keys := make([]int64, 0, len(idx))
	for i := range idx {
		keys = append(keys, i)
	}
	sort.Slice(keys, func(a, b int) bool { return keys[a] < keys[b] })
	var out []RecordPoint
	for _, i := range keys {
		r, err := pay.at(i)
		if err != nil {
			return nil, err
		}
		p := pay.point(i, r)
		out = append(out, RecordPoint{Multiplier: p.Multiplier, RawBytes: p.RawBytes, CompressedBytes: p.CompressedBytes, RecordBytes: p.RecordBytes, Fits: r.Payload.Fits})
	}
	return out, nil
}
