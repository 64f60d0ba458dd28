package planner

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// Diff is what changed from a baseline report (an earlier plan's JSON) to the current one:
// the total, the chosen topology, each topology's own cost and validity, the destination
// record's headroom, and the inputs that moved. Every figure is one of the two reports';
// the deltas are their differences, in micro-dollars.
type Diff struct {
	// BaseTotalMonthlyUSD and TotalMonthlyUSD are the two totals; DeltaMonthlyUSD their
	// difference (current less baseline).
	BaseTotalMonthlyUSD float64 `json:"baseTotalMonthlyUSD"`
	TotalMonthlyUSD     float64 `json:"totalMonthlyUSD"`
	DeltaMonthlyUSD     float64 `json:"deltaMonthlyUSD"`
	// BaseChosen and Chosen are the two chosen topologies.
	BaseChosen Topology `json:"baseChosen"`
	Chosen     Topology `json:"chosen"`
	// Topologies are the topologies whose own cost or validity changed, in AllTopologies order.
	Topologies []TopologyDiff `json:"topologies"`
	// Record is the destination record check, before and after.
	Record RecordDiff `json:"record"`
	// Inputs are the planned inputs that differ (region, as-of day, free tier, schedule,
	// runs, payload sizes, memory, architecture).
	Inputs []InputChange `json:"inputs"`
}

// TopologyDiff is one topology's own monthly cost and validity, before and after.
type TopologyDiff struct {
	Name            Topology `json:"name"`
	BaseValid       bool     `json:"baseValid"`
	Valid           bool     `json:"valid"`
	BaseMonthlyUSD  float64  `json:"baseMonthlyUSD"`
	MonthlyUSD      float64  `json:"monthlyUSD"`
	DeltaMonthlyUSD float64  `json:"deltaMonthlyUSD"`
}

// RecordDiff is the destination record against the limit, before and after.
type RecordDiff struct {
	BasePercentOfLimit float64 `json:"basePercentOfLimit"`
	PercentOfLimit     float64 `json:"percentOfLimit"`
	BaseFits           bool    `json:"baseFits"`
	Fits               bool    `json:"fits"`
	BaseMaxRawBytes    int64   `json:"baseMaxRawBytes"`
	MaxRawBytes        int64   `json:"maxRawBytes"`
}

// InputChange is one planned input that differs: its name and both values as the reports
// print them.
type InputChange struct {
	Input string `json:"input"`
	Base  string `json:"base"`
	Value string `json:"value"`
}

// Compare is the Diff from base to cur.
func Compare(base, cur *Report) Diff {
	d := Diff{
		BaseTotalMonthlyUSD: base.TotalMonthlyUSD, TotalMonthlyUSD: cur.TotalMonthlyUSD,
		DeltaMonthlyUSD: micro(cur.TotalMonthlyUSD - base.TotalMonthlyUSD),
		BaseChosen:      base.Chosen, Chosen: cur.Chosen,
		Topologies: []TopologyDiff{},
		Record: RecordDiff{
			BasePercentOfLimit: base.Payload.HeadroomPercent, PercentOfLimit: cur.Payload.HeadroomPercent,
			BaseFits: base.Payload.Fits, Fits: cur.Payload.Fits,
			BaseMaxRawBytes: base.Payload.MaxRawBytes, MaxRawBytes: cur.Payload.MaxRawBytes,
		},
		Inputs: []InputChange{},
	}
	for _, t := range AllTopologies {
		b, c := base.Find(t), cur.Find(t)
		if b == nil || c == nil {
			continue
		}
		if b.Valid != c.Valid || b.MonthlyUSD != c.MonthlyUSD {
			d.Topologies = append(d.Topologies, TopologyDiff{
				Name: t, BaseValid: b.Valid, Valid: c.Valid, BaseMonthlyUSD: b.MonthlyUSD, MonthlyUSD: c.MonthlyUSD,
				DeltaMonthlyUSD: micro(c.MonthlyUSD - b.MonthlyUSD),
			})
		}
	}
	for _, in := range []struct{ name, base, cur string }{
		{"region", base.Region, cur.Region},
		{"as of", base.AsOf, cur.AsOf},
		{"free tier", string(base.FreeTier), string(cur.FreeTier)},
		{"schedule", base.Schedule, cur.Schedule},
		{"runs a month", FormatRuns(base.Runs()), FormatRuns(cur.Runs())},
		{"payload raw", FormatSize(base.Payload.RawBytes), FormatSize(cur.Payload.RawBytes)},
		{"payload compressed", FormatSize(base.Payload.CompressedBytes), FormatSize(cur.Payload.CompressedBytes)},
		{"memory", fmt.Sprintf("%d MB", base.Assumptions.MemoryMB), fmt.Sprintf("%d MB", cur.Assumptions.MemoryMB)},
		{"architecture", base.Assumptions.Architecture, cur.Assumptions.Architecture},
	} {
		if in.base != in.cur {
			d.Inputs = append(d.Inputs, InputChange{Input: in.name, Base: in.base, Value: in.cur})
		}
	}
	return d
}

// Headline is the diff in one line: "+$8.36/month ($21.01 -> $29.37), topology destination
// -> nat-instance", or "no change: $21.01/month, topology destination".
func (d Diff) Headline() string {
	topo := fmt.Sprintf("topology %s", d.Chosen)
	if d.BaseChosen != d.Chosen {
		topo = fmt.Sprintf("topology %s -> %s", d.BaseChosen, d.Chosen)
	}
	if d.DeltaMonthlyUSD == 0 {
		if d.BaseChosen == d.Chosen {
			return fmt.Sprintf("no change: %s/month, %s", Money(d.TotalMonthlyUSD), topo)
		}
		return fmt.Sprintf("same total %s/month, %s", Money(d.TotalMonthlyUSD), topo)
	}
	return fmt.Sprintf("%s/month (%s -> %s), %s", SignedMoney(d.DeltaMonthlyUSD), Money(d.BaseTotalMonthlyUSD), Money(d.TotalMonthlyUSD), topo)
}

// costOrInvalid is an own cost, or "invalid".
func costOrInvalid(valid bool, usd float64) string {
	if !valid {
		return "invalid"
	}
	return Money(usd)
}

// recordText is the record check: "2.61% of the limit (fits)".
func recordText(pct float64, fits bool) string {
	if fits {
		return fmt.Sprintf("%.2f%% of the limit (fits)", pct)
	}
	return fmt.Sprintf("%.2f%% of the limit (does not fit)", pct)
}

// Rows are the diff as (what, baseline, this plan, change) rows: the total and the chosen
// topology first, then the topologies, the record and the inputs that changed.
func (d Diff) Rows() [][4]string {
	rows := [][4]string{
		{"total", Money(d.BaseTotalMonthlyUSD) + "/month", Money(d.TotalMonthlyUSD) + "/month", SignedMoney(d.DeltaMonthlyUSD)},
		{"chosen", string(d.BaseChosen), string(d.Chosen), changed(d.BaseChosen != d.Chosen)},
	}
	for _, t := range d.Topologies {
		delta := SignedMoney(t.DeltaMonthlyUSD)
		if !t.BaseValid || !t.Valid {
			delta = changed(t.BaseValid != t.Valid)
		}
		rows = append(rows, [4]string{string(t.Name) + " (own cost)", costOrInvalid(t.BaseValid, t.BaseMonthlyUSD), costOrInvalid(t.Valid, t.MonthlyUSD), delta})
	}
	r := d.Record
	if r.BasePercentOfLimit != r.PercentOfLimit || r.BaseFits != r.Fits {
		rows = append(rows, [4]string{"destination record", recordText(r.BasePercentOfLimit, r.BaseFits), recordText(r.PercentOfLimit, r.Fits),
			fmt.Sprintf("%+.2f points", r.PercentOfLimit-r.BasePercentOfLimit)})
	}
	if r.BaseMaxRawBytes != r.MaxRawBytes {
		rows = append(rows, [4]string{"largest payload that fits", FormatSize(r.BaseMaxRawBytes) + " raw", FormatSize(r.MaxRawBytes) + " raw", "changed"})
	}
	for _, in := range d.Inputs {
		rows = append(rows, [4]string{in.Input, in.Base, in.Value, "changed"})
	}
	return rows
}

func changed(b bool) string {
	if b {
		return "changed"
	}
	return ""
}

// RenderDiff writes the diff from the baseline named base in format "text" (the headline and
// an aligned table) or "markdown" (a heading and a table, for the top of a pull-request
// comment).
func RenderDiff(w io.Writer, d Diff, base, format string) error {
	var b strings.Builder
	rows := d.Rows()
	switch format {
	case "text":
		fmt.Fprintf(&b, "against %s: %s\n", base, d.Headline())
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  \tBASELINE\tTHIS PLAN\tCHANGE")
		for _, r := range rows {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r[0], r[1], r[2], r[3])
		}
		tw.Flush()
	case "markdown":
		fmt.Fprintf(&b, "### Plan diff: %s\n\nAgainst `%s`.\n\n| | baseline | this plan | change |\n|---|---:|---:|---:|\n", d.Headline(), strings.ReplaceAll(base, "`", "'"))
		for _, r := range rows {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdEscape(r[0]), mdEscape(r[1]), mdEscape(r[2]), mdEscape(r[3]))
		}
	default:
		return fmt.Errorf("%w: diff format %q: want text or markdown", ErrBadInput, format)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// StackReport is one stack's plan, for the side-by-side comparison.
type StackReport struct {
	Stack  string  `json:"stack"`
	Report *Report `json:"report"`
}

// headroom is the record check for the comparison: "2.61% of the limit, fits up to 10.95 MB raw".
func headroom(r *Report) string {
	p := r.Payload
	if !p.Fits {
		return fmt.Sprintf("%.2f%% of the limit: does not fit", p.HeadroomPercent)
	}
	return fmt.Sprintf("%.2f%% of the limit, fits up to %s raw", p.HeadroomPercent, FormatSize(p.MaxRawBytes))
}

// RenderStacks writes the stacks side by side in format "text" or "markdown": one row per
// stack with its region, schedule and runs, payload, chosen topology, total and record
// headroom.
func RenderStacks(w io.Writer, stacks []StackReport, format string) error {
	head := []string{"stack", "region", "schedule", "runs a month", "payload raw / compressed", "chosen", "total", "record headroom"}
	var rows [][]string
	for _, s := range stacks {
		r := s.Report
		rows = append(rows, []string{
			s.Stack, r.Region, r.Schedule, strings.TrimSuffix(strings.TrimSuffix(FormatRuns(r.Runs()), " runs"), " run"),
			FormatSize(r.Payload.RawBytes) + " / " + FormatSize(r.Payload.CompressedBytes),
			string(r.Chosen), Money(r.TotalMonthlyUSD) + "/month", headroom(r),
		})
	}
	var b strings.Builder
	switch format {
	case "text":
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		upper := slices.Clone(head)
		for i := range upper {
			upper[i] = strings.ToUpper(upper[i])
		}
		fmt.Fprintln(tw, strings.Join(upper, "\t"))
		for _, r := range rows {
			fmt.Fprintln(tw, strings.Join(r, "\t"))
		}
		tw.Flush()
	case "markdown":
		b.WriteString("### lambdabridge plan: stacks side by side\n\n| " + strings.Join(head, " | ") + " |\n|---|---|---|---:|---|---|---:|---|\n")
		for _, r := range rows {
			for i := range r {
				r[i] = mdEscape(r[i])
			}
			b.WriteString("| " + strings.Join(r, " | ") + " |\n")
		}
	default:
		return fmt.Errorf("%w: stacks format %q: want text or markdown", ErrBadInput, format)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
