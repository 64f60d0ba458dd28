package planner

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// Render writes r in format "text" (a readable table), "json" (the indented
// Report, the stable contract documented on the Report type and its fields) or
// "markdown" (for a pull-request comment).
//
// JSON contract (field by field; all USD amounts rounded to micro-dollars):
//
//	chosen            name of the chosen topology
//	region, asOf      region priced and the day (YYYY-MM-DD) whose prices/limits apply
//	freeTier          always-free | legacy-12-month | none (as asked; see notes)
//	schedule          the schedule expression
//	runsPerMonth      runs in a 730-hour month (cost)
//	peakMonthRuns     runs in the busiest calendar month of the 12 from asOf (free-tier fit)
//	peakMonth         that month, YYYY-MM
//	assumptions       memoryMB, architecture, fetchMillis, writeMillis, logBytesPerInvocation,
//	                  natInstanceDiskGB, databaseStorageGB, hoursPerMonth
//	payload           rawBytes, compressedBytes, recordBytes, limitBytes, usableBytes,
//	                  percentOfLimit, maxRawBytes, maxCompressedBytes, marginBytes, fits,
//	                  limitSource, limitEffectiveFrom, billedRequests
//	topologies[]      name, valid, reasons[] (first = one-line verdict), monthlyUSD,
//	                  fitsFreeTier, usage{invocations, asyncChunkRequests, gbSeconds, s3Puts,
//	                  s3Gets, natHours, natGB}, lines[], parts{topology, functions[], handoff,
//	                  egress}
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

func headline(r *Report) []string {
	p := r.Payload
	ratio := 0.0
	if p.CompressedBytes > 0 {
		ratio = float64(p.RawBytes) / float64(p.CompressedBytes)
	}
	return []string{
		fmt.Sprintf("lambdabridge plan: %s, as of %s, free tier %s", r.Region, r.AsOf, r.FreeTier),
		fmt.Sprintf("schedule %s: %s runs in a %d-hour month (cost); peak %s runs in %s (free-tier fit)",
			r.Schedule, groupInt(r.RunsPerMonth), HoursPerMonth, groupInt(r.PeakMonthRuns), r.PeakMonth),
		fmt.Sprintf("payload %s raw, %s compressed (%.1f:1); functions %d MB %s, fetch %d ms, write %d ms",
			FormatSize(p.RawBytes), FormatSize(p.CompressedBytes), ratio, r.Assumptions.MemoryMB, r.Assumptions.Architecture,
			r.Assumptions.FetchMillis, r.Assumptions.WriteMillis),
	}
}

func payloadLines(r *Report) []string {
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

// sources lists, per priced item of every topology, common and guardrails, its source.
func sources(r *Report) []string {
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

func renderText(w io.Writer, r *Report) error {
	var b strings.Builder
	for _, l := range headline(r) {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPOLOGY\tVALID\tFREE TIER\tMONTHLY\tWHY")
	for _, e := range r.Topologies {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Name, yesNo(e.Valid), fitText(e), Money(e.MonthlyUSD), verdict(e))
	}
	tw.Flush()
	b.WriteString("\n")
	for _, e := range r.Topologies {
		for _, x := range e.Reasons[min(1, len(e.Reasons)):] {
			fmt.Fprintf(&b, "%s: %s\n", e.Name, x)
		}
	}
	for _, l := range payloadLines(r) {
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
	for _, s := range sources(r) {
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
	fmt.Fprintf(&b, "### %s\n\n", h[0])
	fmt.Fprintf(&b, "%s  \n%s\n\n", h[1], h[2])
	b.WriteString("| topology | valid | free tier | monthly | why |\n|---|---|---|---:|---|\n")
	for _, e := range r.Topologies {
		name := string(e.Name)
		if e.Name == r.Chosen {
			name = "**" + name + "**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", name, yesNo(e.Valid), fitText(e), Money(e.MonthlyUSD), mdEscape(strings.Join(e.Reasons, "; ")))
	}
	b.WriteString("\n")
	for _, l := range payloadLines(r) {
		fmt.Fprintf(&b, "- %s\n", l)
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
	fmt.Fprintf(&b, "\n**Total: %s/month**\n", Money(r.TotalMonthlyUSD))
	if len(r.Notes) > 0 {
		b.WriteString("\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "> %s\n", n)
		}
	}
	b.WriteString("\n<details><summary>Sources</summary>\n\n")
	for _, s := range sources(r) {
		fmt.Fprintf(&b, "- %s\n", s)
	}
	b.WriteString("\n</details>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
