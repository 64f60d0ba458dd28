package planner

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
)

// Render writes r in format "text" (a readable table), "json" (the indented
// Report, the stable contract documented on the Report type and its fields) or
// "markdown" (for a pull-request comment). Text and markdown open with the headline (the
// chosen topology and the stack's total, common costs included) and list the topologies
// by cost, invalid ones last; JSON keeps the tie-break order (AllTopologies).
//
// JSON contract (field by field; all USD amounts rounded to micro-dollars):
//
//	chosen            name of the chosen topology
//	region, asOf      region priced and the day (YYYY-MM-DD) whose prices/limits apply
//	freeTier          always-free | legacy-12-month | none (as asked; see notes)
//	schedule          the schedule expression
//	runsPerMonth      runs in a 730-hour month, rounded half up to a whole run
//	runsPerMonthExact the same with its fraction (6 decimals): the figure cost is priced on
//	peakMonthRuns     runs in the busiest calendar month of the 12 from asOf (free-tier fit)
//	peakMonth         that month, YYYY-MM
//	assumptions       memoryMB, architecture, fetchMillis, writeMillis, logBytesPerInvocation,
//	                  natInstanceDiskGB, databaseStorageGB, hoursPerMonth
//	payload           rawBytes, compressedBytes, recordBytes, limitBytes, usableBytes,
//	                  percentOfLimit, maxRawBytes, maxCompressedBytes, marginBytes, fits,
//	                  limitSource, limitEffectiveFrom, billedRequests
//	topologies[]      name, valid, reasons[] (first = one-line verdict), monthlyUSD,
//	                  totalMonthlyUSD (with common and its guardrails), fitsFreeTier, usage{invocations,
//	                  asyncChunkRequests, gbSeconds, s3Puts, s3Gets, natHours, natGB}, lines[],
//	                  parts{topology, functions[], handoff, egress}
//	lines[] (also common[], guardrails[])
//	                  item, quantity, unit, freeQuantity, unitUSD, monthlyUSD, source,
//	                  effectiveFrom, confidence
//	common[], commonMonthlyUSD         the database and scheduler, paid by every topology
//	guardrails[], guardrailsMonthlyUSD alarms, metrics, SNS, DLQ, budget of the chosen topology
//	guardrailCounts   alarms, customMetrics, budgets, emailsPerMonth, dlqRequestsPerMonth,
//	                  failureRecordsPerMonth
//	failures[]        the chosen topology's failure records, per function: function, sink
//	                  ("dead-letter queue" | "failure bucket"), maxRecordBytes, limitBytes
//	                  (the queue's 262,144; 0 for the bucket)
//	totalMonthlyUSD   chosen topology + common + guardrails
//	creditsUSD, creditMonths  credit balance and months it lasts (omitted when none)
//	notes[]           report-wide remarks
func Render(w io.Writer, r *Report, format string) error {
	if r == nil {
		return errors.New("render: nil report")
	}
	switch format {
	case "text":
		return renderText(w, r)
	case "json":
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return fmt.Errorf("render json: %w", err)
		}
		b = append(b, '\n')
		_, err = w.Write(b)
		return err
	case "markdown":
		return renderMarkdown(w, r)
	}
	return fmt.Errorf("%w: format %q: want text, json or markdown", ErrBadInput, format)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func fitText(e Estimate) string {
	if !e.Valid {
		return "-"
	}
	if e.FitsFreeTier {
		return "fits"
	}
	return "no"
}

func verdict(e Estimate) string {
	if len(e.Reasons) == 0 {
		return ""
	}
	return e.Reasons[0]
}

func qty(x float64) string {
	if x == float64(int64(x)) {
		return groupInt(int64(x))
	}
	s := fmt.Sprintf("%.6f", x)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// FormatRuns renders a count of runs for people: whole counts with thousands separators,
// a fraction to two decimals ("30.42 runs", "0.33 runs", "1.00 runs" for 0.999), and
// "1 run" for exactly one.
func FormatRuns(x float64) string {
	if x == 1 {
		return "1 run"
	}
	if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
		return groupInt(int64(x)) + " runs"
	}
	cents := int64(math.Round(x * 100)) // a fraction keeps two decimals, even "1.00"
	return fmt.Sprintf("%s.%02d runs", groupInt(cents/100), cents%100)
}

// Runs is the report's runs in a 730-hour month with their fraction: RunsPerMonthExact, or
// RunsPerMonth for a report made before the exact figure existed (a --baseline file).
func (r *Report) Runs() float64 {
	if r.RunsPerMonthExact == 0 {
		return float64(r.RunsPerMonth)
	}
	return r.RunsPerMonthExact
}

// Ranked returns the estimates as the text and markdown reports list them: the valid ones
// by cost (own monthly cost; ties in AllTopologies order), then the invalid ones.
func (r *Report) Ranked() []Estimate {
	out := slices.Clone(r.Topologies)
	order := map[Topology]int{}
	for i, t := range AllTopologies {
		order[t] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Valid != b.Valid {
			return a.Valid
		}
		if a.Valid && a.MonthlyUSD != b.MonthlyUSD {
			return a.MonthlyUSD < b.MonthlyUSD
		}
		return order[a.Name] < order[b.Name]
	})
	return out
}

// Headline is the report in a few words: the chosen topology and what the stack costs a
// month with it, common costs and guardrails included, e.g. "destination, $21.01/month in
// total".
func (r *Report) Headline() string {
	if r.Chosen == "" {
		return "no topology chosen"
	}
	return fmt.Sprintf("%s, %s/month in total", r.Chosen, Money(r.TotalMonthlyUSD))
}

// Context is what was planned, in one line: "ap-northeast-1, as of 2026-11-25, free tier
// always-free".
func (r *Report) Context() string {
	return fmt.Sprintf("%s, as of %s, free tier %s", r.Region, r.AsOf, r.FreeTier)
}

// ratio is the measured compression ratio, raw over compressed (0 when unmeasured).
func (p Payload) ratio() float64 {
	if p.CompressedBytes <= 0 {
		return 0
	}
	return float64(p.RawBytes) / float64(p.CompressedBytes)
}

func headline(r *Report) []string {
	return append([]string{fmt.Sprintf("lambdabridge plan: %s (%s)", r.Headline(), r.Context())}, r.Workload()...)
}

// Workload is what was planned in two lines: the schedule with its runs (cost) and peak
// month (free-tier fit); the payload and the functions' settings.
func (r *Report) Workload() []string {
	p := r.Payload
	return []string{
		fmt.Sprintf("schedule %s: %s in a %d-hour month (cost); peak %s in %s (free-tier fit)",
			r.Schedule, FormatRuns(r.Runs()), HoursPerMonth, FormatRuns(float64(r.PeakMonthRuns)), r.PeakMonth),
		fmt.Sprintf("payload %s raw, %s compressed (%.1f:1); functions %d MB %s, fetch %d ms, write %d ms",
			FormatSize(p.RawBytes), FormatSize(p.CompressedBytes), p.ratio(), r.Assumptions.MemoryMB, r.Assumptions.Architecture,
			r.Assumptions.FetchMillis, r.Assumptions.WriteMillis),
	}
}

// destinationValid says whether the report's destination estimate is valid (false when the
// report has none).
func (r *Report) destinationValid() bool {
	e := r.Find(Destination)
	return e != nil && e.Valid
}

// RecordLines are the destination record check in two lines: the record against the limit,
// and the largest payload that still fits. They are nil when destination is invalid: the
// topology table already says why, and the figures would describe a topology not on offer.
func (r *Report) RecordLines() []string {
	if !r.destinationValid() {
		return nil
	}
	p := r.Payload
	fit := "fits"
	if !p.Fits {
		fit = "does NOT fit"
	}
	out := []string{
		fmt.Sprintf("destination record %s B = %.2f%% of the %s B async limit (in force since %s); usable %s B after a %d%% margin: %s",
			groupInt(p.RecordBytes), p.HeadroomPercent, groupInt(p.LimitBytes), p.LimitEffectiveFrom, groupInt(p.UsableBytes), RecordMarginPercent, fit),
		fmt.Sprintf("largest payload that still fits at this compression ratio: %s raw (%s B compressed)",
			FormatSize(p.MaxRawBytes), groupInt(p.MaxCompressedBytes)),
	}
	if p.BilledRequests > 1 {
		out = append(out, fmt.Sprintf("the writer's invocation with that record is billed as %d requests (one for the first 256 KiB, one per further 64 KiB)", p.BilledRequests))
	}
	return out
}

// failureLine says where each function's failure records go, against the limit applied.
func failureLine(r *Report) string {
	parts := make([]string, 0, len(r.Failures))
	for _, f := range r.Failures {
		switch {
		case f.LimitBytes == 0:
			parts = append(parts, fmt.Sprintf("%s -> %s (up to %s B, any size)", f.Function, f.Sink, groupInt(f.MaxRecordBytes)))
		default:
			parts = append(parts, fmt.Sprintf("%s -> %s (up to %s B of %s B)", f.Function, f.Sink, groupInt(f.MaxRecordBytes), groupInt(f.LimitBytes)))
		}
	}
	return "failure records: " + strings.Join(parts, "; ")
}

// Sources lists, per priced item of every topology, common and guardrails, its source, and
// the async payload limit's, sorted.
func (r *Report) Sources() []string {
	seen := map[string]bool{}
	var out []string
	add := func(ls []CostLine) {
		for _, l := range ls {
			s := fmt.Sprintf("%s: %s (effective %s, %s)", l.Item, l.Source, l.EffectiveFrom, l.Confidence)
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	for _, e := range r.Topologies {
		add(e.Lines)
	}
	add(r.Common)
	add(r.Guardrails)
	lim := fmt.Sprintf("Async invocation payload limit: %s (effective %s)", r.Payload.LimitSource, r.Payload.LimitEffectiveFrom)
	out = append(out, lim)
	sort.Strings(out)
	return out
}

// others is the short form's line on the topologies not chosen: the valid ones with their
// totals and the difference to the chosen one's, by cost, then the invalid ones by name.
func others(r *Report) string {
	var valid, invalid []string
	for _, e := range r.Ranked() {
		switch {
		case e.Name == r.Chosen:
		case e.Valid:
			valid = append(valid, fmt.Sprintf("%s %s (%s)", e.Name, Money(e.TotalMonthlyUSD), SignedMoney(e.TotalMonthlyUSD-r.TotalMonthlyUSD)))
		default:
			invalid = append(invalid, string(e.Name))
		}
	}
	parts := []string{}
	if len(valid) > 0 {
		parts = append(parts, "others: "+strings.Join(valid, ", "))
	}
	if len(invalid) > 0 {
		parts = append(parts, "invalid: "+strings.Join(invalid, ", "))
	}
	return strings.Join(parts, "; ")
}

// shortLines is the report in three lines: headline and context, schedule and payload
// (with the record's share of the limit when destination is valid), the other topologies.
func shortLines(r *Report) []string {
	p := r.Payload
	second := fmt.Sprintf("%s: %s a month; payload %s raw, %s compressed", r.Schedule, FormatRuns(r.Runs()), FormatSize(p.RawBytes), FormatSize(p.CompressedBytes))
	if r.destinationValid() {
		second += fmt.Sprintf("; record %.2f%% of the %s limit, fits up to %s raw", p.HeadroomPercent, FormatSize(p.LimitBytes), FormatSize(p.MaxRawBytes))
	}
	out := []string{fmt.Sprintf("lambdabridge plan: %s (%s)", r.Headline(), r.Context()), second}
	if o := others(r); o != "" {
		out = append(out, o)
	}
	return out
}

// RenderShort writes the report in a few lines, for terminals and CI logs: the headline,
// the schedule and payload, the other topologies' totals. format is "text" or "markdown".
func RenderShort(w io.Writer, r *Report, format string) error {
	if r == nil {
		return errors.New("render: nil report")
	}
	lines := shortLines(r)
	var b strings.Builder
	switch format {
	case "text":
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
	case "markdown":
		fmt.Fprintf(&b, "**lambdabridge plan: %s** (%s)\n\n", r.Headline(), r.Context())
		for _, l := range lines[1:] {
			fmt.Fprintf(&b, "- %s\n", mdEscape(l))
		}
	default:
		return fmt.Errorf("%w: short format %q: want text or markdown", ErrBadInput, format)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Cells are the line as the reports print it: item, quantity with its unit, free allowance
// ("" when none), unit price (exact), monthly (Money).
func (l CostLine) Cells() [5]string {
	free := ""
	if l.FreeQuantity > 0 {
		free = qty(l.FreeQuantity)
	}
	return [5]string{l.Item, qty(l.Quantity) + " " + l.Unit, free, unitPrice(l.UnitUSD), Money(l.MonthlyUSD)}
}

func writeLines(tw io.Writer, indent string, ls []CostLine) {
	for _, l := range ls {
		free := ""
		if l.FreeQuantity > 0 {
			free = "free " + qty(l.FreeQuantity)
		}
		fmt.Fprintf(tw, "%s%s\t%s %s\t%s\t@ %s\t%s\n", indent, l.Item, qty(l.Quantity), l.Unit, free, unitPrice(l.UnitUSD), Money(l.MonthlyUSD))
	}
}

func unitPrice(x float64) string {
	if x == 0 {
		return "$0"
	}
	s := fmt.Sprintf("%.10f", x)
	return "$" + strings.TrimRight(strings.TrimRight(s, "0"), ".")
}

// CostNote explains the two cost columns of the topology table.
func (r *Report) CostNote() string {
	return fmt.Sprintf("own = the topology's own monthly cost; total = own + common %s + the guardrails it deploys", Money(r.CommonMonthlyUSD))
}

func renderText(w io.Writer, r *Report) error {
	var b strings.Builder
	for _, l := range headline(r) {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n")
	ranked := r.Ranked()
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPOLOGY\tVALID\tFREE TIER\tOWN\tTOTAL\tWHY")
	for _, e := range ranked {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, yesNo(e.Valid), fitText(e), Money(e.MonthlyUSD), Money(e.TotalMonthlyUSD), verdict(e))
	}
	tw.Flush()
	b.WriteString(r.CostNote() + "\n\n")
	for _, e := range ranked {
		for _, x := range e.Reasons[min(1, len(e.Reasons)):] {
			fmt.Fprintf(&b, "%s: %s\n", e.Name, x)
		}
	}
	for _, l := range r.RecordLines() {
		b.WriteString(l + "\n")
	}
	if chosen := r.Find(r.Chosen); chosen != nil {
		fmt.Fprintf(&b, "\nchosen: %s, %s/month\n", r.Chosen, Money(chosen.MonthlyUSD))
		fmt.Fprintf(&b, "  parts: %s\n", chosen.Parts.Describe())
		if len(r.Failures) > 0 {
			fmt.Fprintf(&b, "  %s\n", failureLine(r))
		}
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		writeLines(tw, "  ", chosen.Lines)
		tw.Flush()
	}
	fmt.Fprintf(&b, "common (every topology, shown once): %s/month\n", Money(r.CommonMonthlyUSD))
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	writeLines(tw, "  ", r.Common)
	tw.Flush()
	fmt.Fprintf(&b, "guardrails (%d alarms, %d custom metrics, %d budget): %s/month\n",
		r.Guardrail.Alarms, r.Guardrail.CustomMetrics, r.Guardrail.Budgets, Money(r.GuardrailsMonthlyUSD))
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	writeLines(tw, "  ", r.Guardrails)
	tw.Flush()
	fmt.Fprintf(&b, "total: %s/month (%s + common %s + guardrails %s)\n",
		Money(r.TotalMonthlyUSD), r.Chosen, Money(r.CommonMonthlyUSD), Money(r.GuardrailsMonthlyUSD))
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	b.WriteString("\nsources:\n")
	for _, s := range r.Sources() {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func mdLines(b *strings.Builder, ls []CostLine) {
	b.WriteString("| item | quantity | free | unit price | monthly |\n|---|---:|---:|---:|---:|\n")
	for _, l := range ls {
		fmt.Fprintf(b, "| %s | %s %s | %s | %s | %s |\n", mdEscape(l.Item), qty(l.Quantity), l.Unit, qty(l.FreeQuantity), unitPrice(l.UnitUSD), Money(l.MonthlyUSD))
	}
}

func renderMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	h := headline(r)
	fmt.Fprintf(&b, "### lambdabridge plan: %s\n\n", r.Headline())
	fmt.Fprintf(&b, "%s  \n%s  \n%s\n\n", r.Context(), h[1], h[2])
	b.WriteString("| topology | valid | free tier | own | total | why |\n|---|---|---|---:|---:|---|\n")
	for _, e := range r.Ranked() {
		name := string(e.Name)
		if e.Name == r.Chosen {
			name = "**" + name + "**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", name, yesNo(e.Valid), fitText(e), Money(e.MonthlyUSD), Money(e.TotalMonthlyUSD), mdEscape(strings.Join(e.Reasons, "; ")))
	}
	fmt.Fprintf(&b, "\n%s\n", r.CostNote())
	if rl := r.RecordLines(); len(rl) > 0 {
		b.WriteString("\n")
		for _, l := range rl {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	if chosen := r.Find(r.Chosen); chosen != nil {
		fmt.Fprintf(&b, "\n#### Chosen: %s, %s/month\n\n", r.Chosen, Money(chosen.MonthlyUSD))
		fmt.Fprintf(&b, "Parts: %s\n\n", chosen.Parts.Describe())
		if len(r.Failures) > 0 {
			fmt.Fprintf(&b, "%s\n\n", mdEscape(failureLine(r)))
		}
		mdLines(&b, chosen.Lines)
	}
	fmt.Fprintf(&b, "\n#### Common (every topology): %s/month\n\n", Money(r.CommonMonthlyUSD))
	mdLines(&b, r.Common)
	fmt.Fprintf(&b, "\n#### Guardrails: %s/month\n\n", Money(r.GuardrailsMonthlyUSD))
	mdLines(&b, r.Guardrails)
	fmt.Fprintf(&b, "\n**Total: %s/month** (%s + common %s + guardrails %s)\n", Money(r.TotalMonthlyUSD), r.Chosen, Money(r.CommonMonthlyUSD), Money(r.GuardrailsMonthlyUSD))
	if len(r.Notes) > 0 {
		b.WriteString("\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "> %s\n", n)
		}
	}
	b.WriteString("\n<details><summary>Sources</summary>\n\n")
	for _, s := range r.Sources() {
		fmt.Fprintf(&b, "- %s\n", s)
	}
	b.WriteString("\n</details>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
