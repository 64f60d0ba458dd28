package planner

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// RenderWhatIf writes the what-if in format "text" or "markdown": per axis, where it starts,
// every point where the choice, its free-tier fit or destination's validity changes (with the
// total on each side), where it ends, and the topologies never chosen on the way.
func RenderWhatIf(w io.Writer, wi WhatIf, format string) error {
	var b strings.Builder
	intro := "what-if: " + wi.Intro()
	switch format {
	case "text":
		b.WriteString(intro + "\n")
		for _, a := range []Axis{wi.Payload, wi.Schedule} {
			b.WriteString(a.Title() + ":\n")
			for _, l := range axisLines(a) {
				b.WriteString("  " + l + "\n")
			}
		}
	case "markdown":
		fmt.Fprintf(&b, "#### What if\n\n%s.\n", wi.Intro())
		for _, a := range []Axis{wi.Payload, wi.Schedule} {
			fmt.Fprintf(&b, "\n**%s**\n\n| from | what changes | total before | total after |\n|---|---|---:|---:|\n", mdEscape(a.Title()))
			fmt.Fprintf(&b, "| %s | start: %s | | %s |\n", mdEscape(a.Label(a.Start)), mdEscape(a.Start.Verdict()), Money(a.Start.TotalMonthlyUSD))
			for _, c := range a.Changes {
				fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdEscape(a.Label(c.After)), mdEscape(c.Text()), Money(c.Before.TotalMonthlyUSD), Money(c.After.TotalMonthlyUSD))
			}
			fmt.Fprintf(&b, "| %s | end: %s | | %s |\n", mdEscape(a.Label(a.End)), mdEscape(a.End.Verdict()), Money(a.End.TotalMonthlyUSD))
			if n := a.NeverChosen(); n != "" {
				fmt.Fprintf(&b, "\n%s\n", mdEscape(n))
			}
		}
	default:
		return fmt.Errorf("%w: what-if format %q: want text or markdown", ErrBadInput, format)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Intro says what the what-if shows: "the planner's choice (the cheapest valid topology) as
// one input changes, the others as planned", and that it is not the requested topology when
// the stack asks for one.
func (wi WhatIf) Intro() string {
	s := "the planner's choice (the cheapest valid topology) as one input changes, the others as planned"
	if wi.Requested != "" {
		s += fmt.Sprintf(" (the stack asks for %s; the what-if follows the planner's choice)", wi.Requested)
	}
	return s
}

// Title names the axis and its range: "payload x1 to x100 at the measured 14.7:1 (279 KB to
// 27.90 MB raw)", "schedule rate(1 day) to rate(1 minute) (30.42 to 43,800 runs a month)".
func (a Axis) Title() string {
	if a.Name == "payload" {
		ratio := 0.0
		if a.Start.CompressedBytes > 0 {
			ratio = float64(a.Start.RawBytes) / float64(a.Start.CompressedBytes)
		}
		return fmt.Sprintf("payload x1 to x%d at the measured %.1f:1 (%s to %s raw)", WhatIfMaxMultiplier, ratio, FormatSize(a.Start.RawBytes), FormatSize(a.End.RawBytes))
	}
	return fmt.Sprintf("schedule %s to %s (%s to %s a month)", a.Start.Schedule, a.End.Schedule,
		strings.TrimSuffix(FormatRuns(a.Start.RunsPerMonth), " runs"), FormatRuns(a.End.RunsPerMonth))
}

// Label names a point of the axis: "x39.24 (745,576 B compressed, 10.95 MB raw)" or
// "rate(7 minutes) (6,257.14 runs a month)".
func (a Axis) Label(p Point) string {
	if a.Name == "payload" {
		return fmt.Sprintf("%s (%s B compressed, %s raw)", multiplier(p.Multiplier), groupInt(p.CompressedBytes), FormatSize(p.RawBytes))
	}
	return fmt.Sprintf("%s (%s a month)", p.Schedule, FormatRuns(p.RunsPerMonth))
}

// multiplier renders a payload multiplier: "x2", "x39.24".
func multiplier(m float64) string {
	if m == float64(int64(m)) {
		return fmt.Sprintf("x%d", int64(m))
	}
	return fmt.Sprintf("x%.2f", m)
}

// Verdict is the choice at the point: "destination, $21.01/month, fits the free tier".
func (p Point) Verdict() string {
	fit := "does not fit the free tier"
	if p.FitsFreeTier {
		fit = "fits the free tier"
	}
	return fmt.Sprintf("%s, %s/month, %s", p.Chosen, Money(p.TotalMonthlyUSD), fit)
}

// Text says what changes, e.g. "destination stops fitting (record 996,152 B); s3 is chosen
// instead of destination; s3 does not fit the free tier".
func (c Change) Text() string {
	var parts []string
	if c.Has(ChangeDestinationInvalid) {
		parts = append(parts, fmt.Sprintf("destination stops fitting (record %s B)", groupInt(c.After.RecordBytes)))
	}
	if c.Has(ChangeChoice) {
		s := fmt.Sprintf("%s is chosen instead of %s", c.After.Chosen, c.Before.Chosen)
		if old, ok := c.After.Total(c.Before.Chosen); ok && old.Valid {
			s += fmt.Sprintf(" (which would cost %s)", Money(old.TotalMonthlyUSD))
		}
		parts = append(parts, s)
	}
	switch {
	case c.Has(ChangeFreeTierExceeded) && c.Has(ChangeChoice):
		parts = append(parts, fmt.Sprintf("%s does not fit the free tier", c.After.Chosen))
	case c.Has(ChangeFreeTierExceeded):
		parts = append(parts, fmt.Sprintf("%s no longer fits the free tier", c.After.Chosen))
	case c.Has(ChangeFreeTierFits):
		parts = append(parts, fmt.Sprintf("%s fits the free tier", c.After.Chosen))
	}
	return strings.Join(parts, "; ")
}

// NeverChosen names the topologies valid somewhere on the axis but never the cheapest, in a
// sentence, or "" when there are none.
func (a Axis) NeverChosen() string {
	winners := a.Winners()
	var never []string
	for _, t := range AllTopologies {
		if slices.Contains(winners, t) {
			continue
		}
		s, okS := a.Start.Total(t)
		e, okE := a.End.Total(t)
		if (okS && s.Valid) || (okE && e.Valid) {
			never = append(never, string(t))
		}
	}
	if len(never) == 0 {
		return ""
	}
	return "never the cheapest valid in this range: " + strings.Join(never, ", ")
}

// axisLines are the text lines of one axis.
func axisLines(a Axis) []string {
	out := []string{fmt.Sprintf("%s: %s", a.Label(a.Start), a.Start.Verdict())}
	for _, c := range a.Changes {
		out = append(out, fmt.Sprintf("from %s: %s: %s -> %s/month", a.Label(c.After), c.Text(), Money(c.Before.TotalMonthlyUSD), Money(c.After.TotalMonthlyUSD)))
	}
	if len(a.Changes) == 0 {
		out = append(out, "no change on the way")
	}
	out = append(out, fmt.Sprintf("%s: %s", a.Label(a.End), a.End.Verdict()))
	if n := a.NeverChosen(); n != "" {
		out = append(out, n)
	}
	return out
}
