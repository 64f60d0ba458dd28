// Package chart draws a plan as a self-contained SVG (no script, no external font, image or
// style sheet): the monthly cost of every topology against runs per month on a log scale,
// with the stack's own point, the free-tier boundary and the region no schedule reaches; and
// the destination record's size against the payload's, with the limits that apply. Every
// figure it draws comes from one planner.Explore call; the chart computes only positions.
package chart

import (
	"errors"
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/lambdabridge/lambdabridge/planner"
)

// Size of the drawing, in CSS pixels.
const (
	Width  = 900
	Height = 900
)

// palette is a colorblind-safe palette (Okabe-Ito, without the blue the record line uses and
// the black of the text), given to the topologies in their tie-break order.
var palette = []string{"#009E73", "#56B4E9", "#E69F00", "#CC79A7", "#D55E00", "#F0E442", "#999999"}

// colors gives each topology a color that stays the same from chart to chart: its place in
// planner.AllTopologies picks it from the palette, so a new topology gets one too.
var colors = func() map[planner.Topology]string {
	m := map[planner.Topology]string{}
	for i, t := range planner.AllTopologies {
		m[t] = palette[i%len(palette)]
	}
	return m
}()

// recordTopology is the estimate of the topology whose fetch travels in an async record (the
// one the record panel is about), or nil.
func recordTopology(r *planner.Report) *planner.Estimate {
	for i := range r.Topologies {
		if r.Topologies[i].Parts.RecordLimited() {
			return &r.Topologies[i]
		}
	}
	return nil
}

// svg accumulates the drawing's elements.
type svg struct{ b strings.Builder }

func esc(s string) string { return html.EscapeString(s) }

func f1(x float64) string { return fmt.Sprintf("%.1f", x) }

func (s *svg) printf(format string, a ...any) { fmt.Fprintf(&s.b, format, a...) }

func (s *svg) text(x, y float64, anchor, class, txt string) {
	s.printf(`<text x="%s" y="%s" text-anchor="%s" class="%s">%s</text>`+"\n", f1(x), f1(y), anchor, class, esc(txt))
}

func (s *svg) line(x1, y1, x2, y2 float64, class string) {
	s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" class="%s"/>`+"\n", f1(x1), f1(y1), f1(x2), f1(y2), class)
}

// frame is one panel's plot area and its scales.
type frame struct {
	x0, x1, y0, y1 float64 // plot area: left, right, top, bottom
	lx0, lx1       float64 // x range as log10
	ylog           bool
	ly0, ly1       float64 // y range (log10 when ylog)
}

func (f frame) sx(v float64) float64 {
	return f.x0 + (math.Log10(v)-f.lx0)/(f.lx1-f.lx0)*(f.x1-f.x0)
}

func (f frame) sy(v float64) float64 {
	if f.ylog {
		v = math.Log10(v)
	}
	return f.y1 - (v-f.ly0)/(f.ly1-f.ly0)*(f.y1-f.y0)
}

// decades returns the powers of ten from 10^a to 10^b.
func decades(a, b float64) []float64 {
	var out []float64
	for e := a; e <= b+1e-9; e++ {
		out = append(out, math.Pow(10, e))
	}
	return out
}

// niceCeil is the smallest of 1, 2, 2.5, 5 x 10^k at or above x (x > 0).
func niceCeil(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= x-1e-9 {
			return m * p
		}
	}
	return 10 * p
}

// countLabel renders a tick of runs: "0.1", "10", "1,000".
func countLabel(v float64) string {
	if v < 1 {
		return fmt.Sprintf("%g", v)
	}
	return planner.GroupInt(int64(math.Round(v)))
}

// spread moves labels apart vertically so that none is closer than gap to the one above,
// keeping their order; ys are the wanted positions, top to bottom.
func spread(ys []float64, gap float64) []float64 {
	out := append([]float64(nil), ys...)
	for i := 1; i < len(out); i++ {
		if out[i] < out[i-1]+gap {
			out[i] = out[i-1] + gap
		}
	}
	return out
}

const style = `<style>
text { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 12px; fill: #222; }
.title { font-size: 17px; font-weight: bold; }
.sub { font-size: 12px; fill: #444; }
.heading { font-size: 14px; font-weight: bold; }
.tick { font-size: 11px; fill: #555; }
.small { font-size: 11px; }
.axis { stroke: #333; stroke-width: 1; }
.grid { stroke: #ddd; stroke-width: 1; }
.boundary { stroke: #333; stroke-width: 1.2; stroke-dasharray: 5 4; }
.choice { stroke: #777; stroke-width: 1.2; stroke-dasharray: 2 3; }
.limit { stroke: #C00; stroke-width: 1.6; }
.usable { stroke: #C00; stroke-width: 1.2; stroke-dasharray: 6 4; }
.alarm { stroke: #E69F00; stroke-width: 1.2; stroke-dasharray: 2 3; }
.record { stroke: #0072B2; stroke-width: 2.5; fill: none; }
.invalid-region { fill: #C00; fill-opacity: 0.08; }
.unschedulable { fill: #888; fill-opacity: 0.18; }
.self { fill: #000; stroke: #fff; stroke-width: 1.5; }
</style>
`

// SVG writes x as a self-contained SVG document of Width x Height pixels.
func SVG(w io.Writer, x *planner.Exploration) error {
	if x == nil || x.Report == nil || len(x.Costs) == 0 || len(x.Records) == 0 {
		return errors.New("chart: an exploration with a report and series is needed")
	}
	r := x.Report
	var s svg
	s.printf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title">`+"\n", Width, Height, Width, Height)
	s.printf(`<title id="chart-title">lambdabridge plan: %s</title>`+"\n", esc(r.Headline()))
	s.b.WriteString(style)
	s.printf(`<rect width="%d" height="%d" fill="#fff"/>`+"\n", Width, Height)
	s.text(20, 28, "start", "title", "lambdabridge plan: "+r.Headline())
	s.text(20, 48, "start", "sub", fmt.Sprintf("%s; %s, %s a month; payload %s raw, %s compressed",
		r.Context(), r.Schedule, planner.FormatRuns(r.Runs()), planner.FormatSize(r.Payload.RawBytes), planner.FormatSize(r.Payload.CompressedBytes)))
	costPanel(&s, x)
	recordPanel(&s, x)
	s.b.WriteString("</svg>\n")
	_, err := io.WriteString(w, s.b.String())
	return err
}

// costPanel draws the monthly totals of every topology against runs per month.
func costPanel(s *svg, x *planner.Exploration) {
	r := x.Report
	minRuns, maxUSD := math.Inf(1), 0.0
	for _, c := range x.Costs {
		for _, p := range c.Points {
			minRuns = math.Min(minRuns, p.RunsPerMonth)
			maxUSD = math.Max(maxUSD, p.TotalMonthlyUSD)
		}
	}
	shortest := x.WhatIf.Schedule.End // rate(1 minute): the most runs a schedule can make
	f := frame{x0: 80, x1: 660, y0: 110, y1: 420, lx0: math.Floor(math.Log10(minRuns)), lx1: math.Ceil(math.Log10(shortest.RunsPerMonth) + 0.05)}
	f.ly1 = niceCeil(math.Max(maxUSD*1.08, 1))
	s.text(f.x0, 90, "start", "heading", fmt.Sprintf("Monthly cost per topology, common %s and guardrails included, by runs per month", planner.Money(r.CommonMonthlyUSD)))

	// The region no schedule reaches: more often than rate(1 minute).
	xs := f.sx(shortest.RunsPerMonth)
	s.printf(`<rect x="%s" y="%s" width="%s" height="%s" class="unschedulable"/>`+"\n", f1(xs), f1(f.y0), f1(f.x1-xs), f1(f.y1-f.y0))
	lx, ly := xs+(f.x1-xs)/2+4, f.y0+8
	s.printf(`<text x="%s" y="%s" text-anchor="end" class="small" transform="rotate(-90 %s %s)">%s</text>`+"\n",
		f1(lx), f1(ly), f1(lx), f1(ly), esc("faster than "+shortest.Schedule+": not schedulable"))

	// Axes, grid and ticks.
	for _, v := range decades(f.lx0, f.lx1) {
		s.line(f.sx(v), f.y0, f.sx(v), f.y1, "grid")
		s.text(f.sx(v), f.y1+16, "middle", "tick", countLabel(v))
	}
	step := f.ly1 / 5
	for i := 0; i <= 5; i++ {
		v := step * float64(i)
		s.line(f.x0, f.sy(v), f.x1, f.sy(v), "grid")
		s.text(f.x0-6, f.sy(v)+4, "end", "tick", planner.Money(v))
	}
	s.line(f.x0, f.y1, f.x1, f.y1, "axis")
	s.line(f.x0, f.y0, f.x0, f.y1, "axis")
	s.text((f.x0+f.x1)/2, f.y1+34, "middle", "small", "runs per month (log scale; a 730-hour month)")

	// The series, invalid ones dashed and faint underneath, then the valid ones from the
	// dearest up, so the chosen one is drawn on top.
	series := map[planner.Topology]planner.CostSeries{}
	for _, c := range x.Costs {
		series[c.Topology] = c
	}
	ranked := r.Ranked()
	slices.Reverse(ranked)
	slices.SortStableFunc(ranked, func(a, b planner.Estimate) int {
		switch {
		case a.Valid == b.Valid:
			return 0
		case !a.Valid:
			return -1
		}
		return 1
	})
	for _, e := range ranked {
		c, ok := series[e.Name]
		if !ok {
			continue
		}
		var pts []string
		valid := false
		for _, p := range c.Points {
			pts = append(pts, f1(f.sx(p.RunsPerMonth))+","+f1(f.sy(p.TotalMonthlyUSD)))
			valid = valid || p.Valid
		}
		dash := ""
		if !valid {
			dash = ` stroke-dasharray="6 4" stroke-opacity="0.55"`
		}
		s.printf(`<polyline points="%s" fill="none" stroke="%s" stroke-width="2.5"%s/>`+"\n", strings.Join(pts, " "), colors[c.Topology], dash)
	}

	// Where the choice changes, and where the free tier ends, as the schedule tightens.
	ax := x.WhatIf.Schedule
	freeEnds := ""
	for _, c := range ax.Changes {
		xv := f.sx(c.After.RunsPerMonth)
		if c.Has(planner.ChangeChoice) {
			s.line(xv, f.y0, xv, f.y1, "choice")
			s.text(xv-4, f.y1-8, "end", "small", fmt.Sprintf("%s chosen from %s", c.After.Chosen, c.After.Schedule))
		}
		if c.Has(planner.ChangeFreeTierExceeded) && freeEnds == "" {
			s.line(xv, f.y0, xv, f.y1, "boundary")
			freeEnds = fmt.Sprintf("free tier ends: %s no longer fits from %s (%s a month)", c.After.Chosen, c.After.Schedule, planner.FormatRuns(c.After.RunsPerMonth))
		}
	}
	if freeEnds == "" {
		switch {
		case ax.Start.FitsFreeTier && ax.End.FitsFreeTier:
			freeEnds = fmt.Sprintf("free tier: %s fits it up to %s", ax.End.Chosen, ax.End.Schedule)
		case !ax.Start.FitsFreeTier:
			freeEnds = fmt.Sprintf("free tier: %s does not fit it even at %s", ax.Start.Chosen, ax.Start.Schedule)
		}
	}
	s.text(f.x0+8, f.y0+16, "start", "small", freeEnds)

	// The stack's own point, on the chosen topology's curve.
	own := r.Find(r.Chosen)
	if own != nil {
		cx, cy := f.sx(r.Runs()), f.sy(own.TotalMonthlyUSD)
		s.printf(`<circle cx="%s" cy="%s" r="6" class="self"/>`+"\n", f1(cx), f1(cy))
		anchor, dx := "start", 10.0
		if cx > (f.x0+f.x1)/2 {
			anchor, dx = "end", -10
		}
		s.text(cx+dx, cy-10, anchor, "small", fmt.Sprintf("this stack: %s, %s/month", r.Schedule, planner.Money(own.TotalMonthlyUSD)))
	}

	// Legend: the topologies by cost at the stack's own runs, invalid last.
	ly = f.y0 + 6
	s.text(f.x1+20, ly, "start", "small", "at this stack's runs:")
	for _, e := range r.Ranked() {
		ly += 22
		dash := ""
		label := fmt.Sprintf("%s %s", e.Name, planner.Money(e.TotalMonthlyUSD))
		if !e.Valid {
			dash = ` stroke-dasharray="6 4" stroke-opacity="0.55"`
			label = fmt.Sprintf("%s (invalid)", e.Name)
		}
		if e.Name == r.Chosen {
			label += " chosen"
		}
		s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="3"%s/>`+"\n", f1(f.x1+20), f1(ly-4), f1(f.x1+44), f1(ly-4), colors[e.Name], dash)
		s.text(f.x1+50, ly, "start", "small", label)
	}
}

// recordPanel draws the destination record against the payload, with the limits.
func recordPanel(s *svg, x *planner.Exploration) {
	r := x.Report
	p := r.Payload
	recs := x.Records
	minRec, maxRec := float64(recs[0].RecordBytes), float64(recs[len(recs)-1].RecordBytes)
	f := frame{
		x0: 80, x1: 660, y0: 520, y1: 830, ylog: true,
		lx0: math.Floor(math.Log10(float64(recs[0].RawBytes))), lx1: math.Ceil(math.Log10(float64(recs[len(recs)-1].RawBytes))),
		ly0: math.Floor(math.Log10(minRec)), ly1: math.Ceil(math.Log10(math.Max(maxRec, float64(p.LimitBytes)) * 1.05)),
	}
	ratio := float64(p.RawBytes) / float64(p.CompressedBytes)
	s.text(f.x0, 490, "start", "heading", fmt.Sprintf("Destination record size by payload size (x1 to x%d at the measured %.1f:1)", planner.WhatIfMaxMultiplier, ratio))
	if d := recordTopology(r); d != nil && !d.Valid && len(d.Reasons) > 0 && p.Fits {
		why, _, _ := strings.Cut(d.Reasons[0], ":")
		s.text(f.x0, 506, "start", "sub", string(d.Name)+" is invalid for this stack whatever the size: "+why)
	}

	// Invalid region: a record above the usable part of the limit.
	yu := f.sy(float64(p.UsableBytes))
	s.printf(`<rect x="%s" y="%s" width="%s" height="%s" class="invalid-region"/>`+"\n", f1(f.x0), f1(f.y0), f1(f.x1-f.x0), f1(yu-f.y0))
	d := recordTopology(r)
	above := "record too big: invalid"
	if d != nil {
		above = "record too big: " + string(d.Name) + " invalid"
		if d.Parts.Spills(x.Spill) {
			above = "record too big: spilled to S3"
		}
	}
	s.text(f.x0+8, f.y0+16, "start", "small", above)

	for _, v := range decades(f.lx0, f.lx1) {
		s.line(f.sx(v), f.y0, f.sx(v), f.y1, "grid")
		s.text(f.sx(v), f.y1+16, "middle", "tick", planner.FormatSize(int64(v)))
	}
	for _, v := range decades(f.ly0, f.ly1) {
		s.line(f.x0, f.sy(v), f.x1, f.sy(v), "grid")
		s.text(f.x0-6, f.sy(v)+4, "end", "tick", planner.FormatSize(int64(v)))
	}
	s.line(f.x0, f.y1, f.x1, f.y1, "axis")
	s.line(f.x0, f.y0, f.x0, f.y1, "axis")
	s.text((f.x0+f.x1)/2, f.y1+34, "middle", "small", "raw payload per run (log scale)")

	// The limits in force on the as-of day, labelled in the margin (moved apart to be read).
	limits := []struct {
		v     int64
		class string
		label string
	}{
		{p.LimitBytes, "limit", fmt.Sprintf("async limit %s B", planner.GroupInt(p.LimitBytes))},
		{p.UsableBytes, "usable", fmt.Sprintf("usable %s B (%d%% margin)", planner.GroupInt(p.UsableBytes), planner.RecordMarginPercent)},
		{x.AlarmRecordBytes, "alarm", fmt.Sprintf("alarm %s B (%d%%)", planner.GroupInt(x.AlarmRecordBytes), planner.DefaultRecordAlarmPercent)},
	}
	var ys []float64
	for _, l := range limits {
		y := f.sy(float64(l.v))
		s.line(f.x0, y, f.x1, y, l.class)
		ys = append(ys, y+4)
	}
	for i, y := range spread(ys, 14) {
		s.text(f.x1+8, y, "start", "small", limits[i].label)
	}
	s.text(f.x1+8, spread(ys, 14)[len(ys)-1]+14, "start", "tick", "limit in force since "+p.LimitEffectiveFrom)

	var pts []string
	for _, rp := range recs {
		pts = append(pts, f1(f.sx(float64(rp.RawBytes)))+","+f1(f.sy(float64(rp.RecordBytes))))
	}
	s.printf(`<polyline points="%s" class="record"/>`+"\n", strings.Join(pts, " "))

	// Where the record stops fitting, when it does within the range.
	for i := 1; i < len(recs); i++ {
		if last := recs[i-1]; last.Fits && !recs[i].Fits {
			xv := f.sx(float64(last.RawBytes))
			s.line(xv, f.y0, xv, f.y1, "boundary")
			s.text(xv-6, f.y0+34, "end", "small", fmt.Sprintf("fits up to %s raw (x%.2f)", planner.FormatSize(last.RawBytes), last.Multiplier))
		}
	}

	cx, cy := f.sx(float64(p.RawBytes)), f.sy(float64(p.RecordBytes))
	s.printf(`<circle cx="%s" cy="%s" r="6" class="self"/>`+"\n", f1(cx), f1(cy))
	s.text(cx+10, cy-10, "start", "small", fmt.Sprintf("this stack: %s raw, record %s B (%.2f%% of the limit)", planner.FormatSize(p.RawBytes), planner.GroupInt(p.RecordBytes), p.HeadroomPercent))
}
