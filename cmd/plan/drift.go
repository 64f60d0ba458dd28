package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lambdabridge/lambdabridge/planner"
)

// driftReport is what `plan --from-metrics` prints; its JSON form (--format json) is the
// contract documented in docs/metrics.md.
type driftReport struct {
	Stack  string `json:"stack"`
	Region string `json:"region"`
	// AsOf is the day whose prices and limits apply.
	AsOf   string        `json:"asOf"`
	Window windowReport  `json:"window"`
	Deploy deployedState `json:"deployed"`
	// Functions are the deployed topology's functions with what their metrics say.
	Functions []observed    `json:"functions"`
	Sizes     measuredSizes `json:"sizes"`
	// Compare holds configured vs measured, row by row.
	Compare []comparison `json:"compare"`
	Runs    runsReport   `json:"runs"`
	// ColdStarts says how init time is counted.
	ColdStarts string `json:"coldStarts"`
	// Trend is the record size's trend over the window; nil with fewer than two periods
	// holding sizes.
	Trend *trendReport `json:"trend"`
	// Limits are the limits a record must fit, with where it is and when it would reach them.
	Limits  []limitReport `json:"limits"`
	Verdict verdictReport `json:"verdict"`
	// Keys are the measured stack keys (Changed: differs from the stack); --write-stack
	// writes the changed ones. ByHand are changes that are decisions, not measurements.
	Keys   []stackKey `json:"keys"`
	ByHand []stackKey `json:"byHand"`
	Notes  []string   `json:"notes"`
	// ConfiguredPlan is the planner's report of the stack as configured; MeasuredPlan with
	// the measured values, choosing the cheapest valid topology.
	ConfiguredPlan *planner.Report `json:"configuredPlan"`
	MeasuredPlan   *planner.Report `json:"measuredPlan"`
}

type windowReport struct {
	From          time.Time `json:"from"`
	To            time.Time `json:"to"`
	Since         string    `json:"since"`
	PeriodSeconds int       `json:"periodSeconds"`
	Horizon       string    `json:"horizon"`
	HorizonEnd    time.Time `json:"horizonEnd"`
}

type deployedState struct {
	Topology planner.Topology `json:"topology"`
	// Source says how the deployed topology is known.
	Source string `json:"source"`
	Parts  string `json:"parts"`
	// Valid says the planner finds it valid with the measured values (Reasons say why not);
	// TotalMonthlyUSD is then its total with them.
	Valid           bool     `json:"valid"`
	Reasons         []string `json:"reasons"`
	TotalMonthlyUSD float64  `json:"totalMonthlyUSD"`
}

// comparison is one configured vs measured row. Values are in Unit (bytes, ms, runs/month,
// USD; none for the topology, whose names are in the texts).
type comparison struct {
	Item            string  `json:"item"`
	Unit            string  `json:"unit"`
	ConfiguredValue float64 `json:"configuredValue"`
	MeasuredValue   float64 `json:"measuredValue"`
	Configured      string  `json:"configured"`
	Measured        string  `json:"measured"`
	// From says where the measured value comes from.
	From string `json:"from"`
}

type runsReport struct {
	Schedule string `json:"schedule"`
	// SchedulePerMonth is the schedule's runs in a 730-hour month; MeasuredPerMonth the
	// measured ones (0 when too few invocations to measure a rate).
	SchedulePerMonth int64  `json:"schedulePerMonth"`
	MeasuredPerMonth int64  `json:"measuredPerMonth"`
	Detail           string `json:"detail"`
}

type trendReport struct {
	planner.Trend
	// Of says what the points are; Stat is the per-period statistic of CompressedBytes.
	Of   string `json:"of"`
	Stat string `json:"stat"`
}

// limitReport is one limit the record must fit.
type limitReport struct {
	Name       string `json:"name"`
	LimitBytes int64  `json:"limitBytes"`
	// Applies says the deployed topology depends on it.
	Applies bool `json:"applies"`
	// What is the size compared with the limit.
	What string `json:"what"`
	// NowBytes and NowPercent are that size now (from the measured p99).
	NowBytes   int64      `json:"nowBytes"`
	NowPercent float64    `json:"nowPercent"`
	Thresholds []crossing `json:"thresholds"`
}

// crossing is when the size reaches Percent of the limit.
type crossing struct {
	Percent int   `json:"percent"`
	Bytes   int64 `json:"bytes"`
	// Status is "reached" (the measured size is there), "forecast" (the trend gets there
	// on Date), "no growth", or "not in sight" (growing, but not within 100 years).
	Status string `json:"status"`
	Date   string `json:"date,omitempty"`
}

type verdictReport struct {
	// OK: the deployed topology is still the cheapest valid one with headroom through the
	// horizon. Exit status 3 when not.
	OK            bool     `json:"ok"`
	StillCheapest bool     `json:"stillCheapest"`
	Headroom      bool     `json:"headroom"`
	Summary       string   `json:"summary"`
	Reasons       []string `json:"reasons"`
}

type stackKey struct {
	Key        string `json:"key"`
	Configured string `json:"configured"`
	Value      string `json:"value"`
	Changed    bool   `json:"changed"`
	Why        string `json:"why"`
}

const dateLayout = time.DateOnly

// report assembles the drift report.
func (a *analysis) report(now time.Time) driftReport {
	cr, mr := a.configured.Report, a.measured.Report
	rep := driftReport{
		Stack: a.o.stack, Region: cr.Region, AsOf: mr.AsOf,
		Window: windowReport{From: a.w.From, To: a.w.To, Since: a.o.metrics.since, PeriodSeconds: int(a.w.Period / time.Second),
			Horizon: a.o.metrics.horizon, HorizonEnd: a.horizonEnd},
		Deploy: deployedState{Topology: a.topology, Source: a.topologySource, Parts: a.shape.Describe(), Reasons: []string{}},
		Sizes:  a.sizes, Notes: append([]string{}, a.notes...), Keys: []stackKey{}, ByHand: []stackKey{}, Limits: []limitReport{},
		ConfiguredPlan: cr, MeasuredPlan: mr,
		ColdStarts: fmt.Sprintf("AWS/Lambda Duration leaves out the init phase, which provided.al2023 bills: every invocation is counted as a cold start with %d ms of init (--init-ms; an upper bound on the count, an estimate of the time: the REPORT lines' Init Duration in CloudWatch Logs measure it)", a.initMillis),
	}
	for _, r := range a.shape.Functions {
		rep.Functions = append(rep.Functions, a.obs[r])
	}
	if a.deployedPlan != nil {
		rep.Deploy.Valid, rep.Deploy.TotalMonthlyUSD = true, a.deployedPlan.Report.TotalMonthlyUSD
	} else {
		rep.Deploy.Reasons = a.deployedInvalid
	}
	if a.sizes.DeployedLimitBytes > 0 && a.sizes.DeployedLimitBytes != mr.Payload.LimitBytes {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the %s reports a %s B limit, the price book %s B on %s: pulumi up deploys the book's",
			a.shape.Scheduled(), group(a.sizes.DeployedLimitBytes), group(mr.Payload.LimitBytes), mr.AsOf))
	}
	rep.Runs = runsReport{Schedule: a.cfg.Schedule, SchedulePerMonth: cr.RunsPerMonth, MeasuredPerMonth: a.runs, Detail: a.runsDetail}
	rep.Compare = a.compare()

	points, stat := a.trendPoints()
	var trend *planner.Trend
	if t, err := planner.FitTrend(points); err == nil {
		trend = &t
		rep.Trend = &trendReport{Trend: t, Stat: stat,
			Of: "the planner's destination record for each period's " + stat + " compressed size (RecordBytes of the compressed size: the figure the planner checks against the limit)"}
	} else {
		rep.Notes = append(rep.Notes, fmt.Sprintf("no record trend: %d period(s) with sizes", len(points)))
	}
	rec := mr.Payload.RecordBytes
	alarm := a.cfg.RecordAlarmPercent
	async := a.limit("async payload limit", mr.Payload.LimitBytes, a.shape.RecordLimited(), "the destination record", rec, 0, alarm, trend)
	// The queue's limit binds the record only when the function invoked with it sends its
	// failures to the queue; the design sends them to the failure bucket (planner.FailureRoutes).
	queueTakesRecord := false
	for _, r := range a.shape.FailureRoutes(mr.Payload.LimitBytes) {
		queueTakesRecord = queueTakesRecord || (a.shape.ReceivesRecord(r.Function) && r.Sink == planner.FailureQueue)
	}
	dlq := a.limit("dead-letter queue message limit", planner.DLQMaxMessageBytes, queueTakesRecord,
		fmt.Sprintf("a writer's failure record (the destination record + %s B)", group(planner.FailureRecordOverheadBytes)),
		planner.FailureRecordBytes(rec), planner.FailureRecordOverheadBytes, alarm, trend)
	rep.Limits = append(rep.Limits, async, dlq)

	// The verdict.
	v := verdictReport{Headroom: true, Reasons: []string{}}
	cheapest := mr.Find(mr.Chosen)
	if dep := mr.Find(a.topology); a.deployedPlan != nil && dep != nil && dep.TotalMonthlyUSD <= cheapest.TotalMonthlyUSD {
		v.StillCheapest = true
	} else if a.deployedPlan == nil {
		v.Reasons = append(v.Reasons, fmt.Sprintf("%s is no longer valid with the measured values: %s", a.topology, strings.Join(a.deployedInvalid, "; ")))
	} else {
		v.Reasons = append(v.Reasons, fmt.Sprintf("%s is no longer the cheapest valid topology: %s costs %s/month less (%s vs %s in total)",
			a.topology, mr.Chosen, planner.Money(dep.TotalMonthlyUSD-cheapest.TotalMonthlyUSD), planner.Money(cheapest.TotalMonthlyUSD), planner.Money(dep.TotalMonthlyUSD)))
	}
	if async.Applies {
		th := async.Thresholds[0]
		switch {
		case th.Status == "reached":
			v.Headroom = false
			v.Reasons = append(v.Reasons, fmt.Sprintf("the destination record is at %.2f%% of the %s async payload limit, at or above the %d%% alarm threshold", async.NowPercent, planner.FormatSize(async.LimitBytes), th.Percent))
		case th.Status == "forecast" && th.Date <= a.horizonEnd.Format(dateLayout):
			v.Headroom = false
			v.Reasons = append(v.Reasons, fmt.Sprintf("the destination record reaches %d%% of the %s async payload limit on %s, within the %s horizon (to %s)",
				th.Percent, planner.FormatSize(async.LimitBytes), th.Date, a.o.metrics.horizon, a.horizonEnd.Format(dateLayout)))
		}
	}
	v.OK = v.StillCheapest && v.Headroom
	if v.OK {
		v.Summary = fmt.Sprintf("%s is still the cheapest valid topology, with headroom through %s (--horizon %s)", a.topology, a.horizonEnd.Format(dateLayout), a.o.metrics.horizon)
	} else {
		v.Summary = strings.Join(v.Reasons, "; ")
	}
	rep.Verdict = v
	rep.Keys, rep.ByHand = a.keys(v.StillCheapest, v.Headroom)
	if !v.StillCheapest && a.stackTopology == string(planner.Auto) {
		rep.Notes = append(rep.Notes, fmt.Sprintf("with the measured keys in the stack, pulumi up deploys %s (topology auto)", mr.Chosen))
	}
	return rep
}

// limit reports where a size stands against one limit: now is the size now, overhead what
// it adds to the planner's record (the trend is of the record), alarm the alarm threshold
// in percent.
func (a *analysis) limit(name string, limitBytes int64, applies bool, what string, now, overhead int64, alarm int, trend *planner.Trend) limitReport {
	l := limitReport{Name: name, LimitBytes: limitBytes, Applies: applies, What: what, NowBytes: now,
		NowPercent: math.Round(float64(now)*10000/float64(limitBytes)) / 100}
	for _, pct := range []int{alarm, 100} {
		c := crossing{Percent: pct, Bytes: (limitBytes*int64(pct) + 99) / 100}
		switch {
		case now >= c.Bytes:
			c.Status = "reached"
		case trend == nil || !trend.Growing:
			c.Status = "no growth"
		default:
			at, ok := trend.Crossing(float64(c.Bytes - overhead))
			if !ok {
				c.Status = "not in sight"
				break
			}
			if at.Before(a.w.To) {
				at = a.w.To // the fitted line is past it, the measured p99 not yet
			}
			c.Status, c.Date = "forecast", at.UTC().Format(dateLayout)
		}
		l.Thresholds = append(l.Thresholds, c)
	}
	return l
}

// compare builds the configured vs measured rows.
func (a *analysis) compare() []comparison {
	cr, mr := a.configured.Report, a.measured.Report
	var rows []comparison
	sizeFrom := func(s sizeMeasure, metric string) string {
		if s.Stat == "" {
			return "not measured: the stack's value"
		}
		return fmt.Sprintf("%s of %s %s B (max %s B), rounded up to whole KB", s.Stat, metric, group(s.Bytes), group(s.MaxBytes))
	}
	bytesRow := func(item string, c, m int64, from string) comparison {
		return comparison{Item: item, Unit: "bytes", ConfiguredValue: float64(c), MeasuredValue: float64(m),
			Configured: planner.FormatSize(c), Measured: planner.FormatSize(m), From: from}
	}
	rows = append(rows,
		bytesRow("payload", cr.Payload.RawBytes, mr.Payload.RawBytes, sizeFrom(a.sizes.Raw, "RawBytes")),
		bytesRow("compressed", cr.Payload.CompressedBytes, mr.Payload.CompressedBytes, sizeFrom(a.sizes.Compressed, "CompressedBytes")))
	recFrom := "the planner's estimate for the compressed size"
	if a.sizes.Record.Stat != "" {
		recFrom += fmt.Sprintf("; the %s measured %s %s B (max %s B)", a.shape.Scheduled(), a.sizes.Record.Stat, group(a.sizes.Record.Bytes), group(a.sizes.Record.MaxBytes))
	}
	rows = append(rows, bytesRow("destination record", cr.Payload.RecordBytes, mr.Payload.RecordBytes, recFrom))
	msFrom := func(rs ...planner.Role) string {
		var parts []string
		for _, r := range rs {
			o := a.obs[r]
			if o.DurationAvgMs == nil || o.Invocations == 0 {
				return "not measured: the stack's value"
			}
			parts = append(parts, fmt.Sprintf("%s average %.1f ms (p99 %s, max %s)", r, *o.DurationAvgMs, msText(o.DurationP99Ms), msText(o.DurationMaxMs)))
		}
		s := strings.Join(parts, "; ") + fmt.Sprintf(" + %d ms init", a.initMillis)
		if a.shape.Has(planner.Relay) {
			s += ", split in the stack's fetch:write proportion"
		}
		return s
	}
	fetchFrom, writeFrom := msFrom(planner.Fetcher), msFrom(planner.Writer)
	if a.shape.Has(planner.Relay) {
		fetchFrom, writeFrom = msFrom(planner.Relay), msFrom(planner.Relay)
	}
	msRow := func(item string, c, m int, from string) comparison {
		return comparison{Item: item, Unit: "ms", ConfiguredValue: float64(c), MeasuredValue: float64(m),
			Configured: fmt.Sprintf("%d ms", c), Measured: fmt.Sprintf("%d ms", m), From: from}
	}
	rows = append(rows,
		msRow("fetch", cr.Assumptions.FetchMillis, mr.Assumptions.FetchMillis, fetchFrom),
		msRow("write", cr.Assumptions.WriteMillis, mr.Assumptions.WriteMillis, writeFrom),
		comparison{Item: "runs per month", Unit: "runs/month", ConfiguredValue: float64(cr.RunsPerMonth), MeasuredValue: float64(mr.RunsPerMonth),
			Configured: group(cr.RunsPerMonth), Measured: group(mr.RunsPerMonth), From: a.runsDetail})
	total := comparison{Item: "monthly total", Unit: "USD", ConfiguredValue: cr.TotalMonthlyUSD,
		Configured: fmt.Sprintf("%s (%s)", planner.Money(cr.TotalMonthlyUSD), cr.Chosen)}
	if a.deployedPlan != nil {
		total.MeasuredValue = a.deployedPlan.Report.TotalMonthlyUSD
		total.Measured = fmt.Sprintf("%s (%s)", planner.Money(total.MeasuredValue), a.topology)
		total.From = fmt.Sprintf("the deployed %s with the measured values; the cheapest valid, %s, %s", a.topology, mr.Chosen, planner.Money(mr.TotalMonthlyUSD))
	} else {
		total.MeasuredValue = mr.TotalMonthlyUSD
		total.Measured = fmt.Sprintf("%s (%s)", planner.Money(mr.TotalMonthlyUSD), mr.Chosen)
		total.From = fmt.Sprintf("the deployed %s is not valid with the measured values; the cheapest valid, %s", a.topology, mr.Chosen)
	}
	rows = append(rows, total, comparison{Item: "topology", Configured: string(cr.Chosen), Measured: string(mr.Chosen),
		From: fmt.Sprintf("the planner's choice; deployed: %s", a.topology)})
	return rows
}

func msText(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f ms", *v)
}

// renderDrift writes rep as text, json or markdown.
func renderDrift(w io.Writer, rep driftReport, format string) error {
	switch format {
	case "json":
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return fmt.Errorf("render json: %w", err)
		}
		_, err = w.Write(append(b, '\n'))
		return err
	case "markdown":
		_, err := io.WriteString(w, driftMarkdown(rep))
		return err
	}
	_, err := io.WriteString(w, driftText(rep))
	return err
}

func (rep driftReport) headline() string {
	return fmt.Sprintf("stack %s in %s, metrics %s to %s UTC (%s, %d-minute periods), prices and limits of %s",
		rep.Stack, rep.Region, rep.Window.From.Format("2006-01-02 15:04"), rep.Window.To.Format("2006-01-02 15:04"),
		rep.Window.Since, rep.Window.PeriodSeconds/60, rep.AsOf)
}

func (rep driftReport) trendLine() string {
	t := rep.Trend
	if t == nil {
		return "record trend: too few periods with sizes"
	}
	growth := "no growth"
	if t.Growing {
		growth = fmt.Sprintf("grows %s B/day", group(int64(math.Round(t.PerDay))))
	}
	return fmt.Sprintf("record trend: %s (fit over %s periods, %s to %s: %s B/day ± %s, R² %.2f)", growth, group(int64(t.Points)),
		t.From.Format(dateLayout), t.To.Format(dateLayout), signed(t.PerDay), group(int64(math.Round(t.StdErrPerDay))), t.R2)
}

func signed(x float64) string {
	if x < 0 {
		return "-" + group(int64(math.Round(-x)))
	}
	return "+" + group(int64(math.Round(x)))
}

func (l limitReport) line() string {
	applies := "applies to the deployed topology"
	if !l.Applies {
		applies = "does not apply to the deployed topology"
	}
	var ts []string
	for _, t := range l.Thresholds {
		s := fmt.Sprintf("%d%% (%s B) ", t.Percent, group(t.Bytes))
		switch t.Status {
		case "forecast":
			s += "on " + t.Date
		case "reached":
			s += "reached"
		default:
			s += t.Status
		}
		ts = append(ts, s)
	}
	return fmt.Sprintf("%s %s (%s B), %s: %s now %s B = %.2f%%; %s", l.Name, planner.FormatSize(l.LimitBytes), group(l.LimitBytes), applies,
		l.What, group(l.NowBytes), l.NowPercent, strings.Join(ts, "; "))
}

func (rep driftReport) verdictLine() string {
	if rep.Verdict.OK {
		return "verdict: OK: " + rep.Verdict.Summary
	}
	return "verdict: DRIFT (exit 3): " + rep.Verdict.Summary
}

func (rep driftReport) changedKeys() []stackKey {
	var out []stackKey
	for _, k := range rep.Keys {
		if k.Changed {
			out = append(out, k)
		}
	}
	return out
}

func driftText(rep driftReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "lambdabridge plan --from-metrics: %s\n", rep.headline())
	fmt.Fprintf(&b, "deployed: %s: %s\n  (%s)\n\n", rep.Deploy.Topology, rep.Deploy.Parts, rep.Deploy.Source)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FUNCTION\tINVOCATIONS\tERRORS\tTHROTTLES\tDURATION AVG / P99 / MAX")
	for _, f := range rep.Functions {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s / %s / %s\n", f.Name, group(f.Invocations), group(f.Errors), group(f.Throttles),
			msText(f.DurationAvgMs), msText(f.DurationP99Ms), msText(f.DurationMaxMs))
	}
	tw.Flush()
	b.WriteString("\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tCONFIGURED\tMEASURED\tFROM")
	for _, c := range rep.Compare {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Item, c.Configured, c.Measured, c.From)
	}
	tw.Flush()
	fmt.Fprintf(&b, "cold starts: %s\n\n", rep.ColdStarts)
	b.WriteString(rep.trendLine() + "\n")
	for _, l := range rep.Limits {
		fmt.Fprintf(&b, "  %s\n", l.line())
	}
	b.WriteString("\nwith the measured values:\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  TOPOLOGY\tVALID\tMONTHLY\tWHY")
	for _, e := range rep.MeasuredPlan.Topologies {
		why := ""
		if len(e.Reasons) > 0 {
			why = e.Reasons[0]
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", e.Name, yesNo(e.Valid), planner.Money(e.MonthlyUSD), why)
	}
	tw.Flush()
	fmt.Fprintf(&b, "\n%s\n", rep.verdictLine())
	if ks := rep.changedKeys(); len(ks) > 0 {
		b.WriteString("keys to change (--write-stack writes them):\n")
		for _, k := range ks {
			fmt.Fprintf(&b, "  %s: %s   # was %s; %s\n", k.Key, k.Value, k.Configured, k.Why)
		}
	} else {
		b.WriteString("keys: the stack's values match what was measured\n")
	}
	if len(rep.ByHand) > 0 {
		b.WriteString("to decide by hand:\n")
		for _, k := range rep.ByHand {
			fmt.Fprintf(&b, "  %s: %s   # %s\n", k.Key, k.Value, k.Why)
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	return b.String()
}

func yesNo(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func driftMarkdown(rep driftReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### lambdabridge drift: %s\n\n", rep.headline())
	status := "✅ OK"
	if !rep.Verdict.OK {
		status = "⚠️ DRIFT"
	}
	fmt.Fprintf(&b, "**%s**: %s\n\n", status, mdCell(rep.Verdict.Summary))
	fmt.Fprintf(&b, "Deployed: **%s** (%s; %s)\n\n", rep.Deploy.Topology, mdCell(rep.Deploy.Parts), mdCell(rep.Deploy.Source))
	b.WriteString("| | configured | measured | from |\n|---|---:|---:|---|\n")
	for _, c := range rep.Compare {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", c.Item, mdCell(c.Configured), mdCell(c.Measured), mdCell(c.From))
	}
	b.WriteString("\n| function | invocations | errors | throttles | duration avg / p99 / max |\n|---|---:|---:|---:|---|\n")
	for _, f := range rep.Functions {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s / %s / %s |\n", f.Name, group(f.Invocations), group(f.Errors), group(f.Throttles),
			msText(f.DurationAvgMs), msText(f.DurationP99Ms), msText(f.DurationMaxMs))
	}
	fmt.Fprintf(&b, "\n%s\n\n", mdCell(rep.trendLine()))
	b.WriteString("| limit | applies | now | thresholds |\n|---|---|---:|---|\n")
	for _, l := range rep.Limits {
		var ts []string
		for _, t := range l.Thresholds {
			s := fmt.Sprintf("%d%%: %s", t.Percent, t.Status)
			if t.Date != "" {
				s = fmt.Sprintf("%d%%: %s", t.Percent, t.Date)
			}
			ts = append(ts, s)
		}
		fmt.Fprintf(&b, "| %s %s | %s | %.2f%% | %s |\n", l.Name, planner.FormatSize(l.LimitBytes), yesNo(l.Applies), l.NowPercent, strings.Join(ts, ", "))
	}
	if ks := rep.changedKeys(); len(ks) > 0 {
		b.WriteString("\nStack keys to change (`--write-stack` writes them):\n\n```yaml\n")
		for _, k := range ks {
			fmt.Fprintf(&b, "%s: %s  # was %s; %s\n", k.Key, k.Value, k.Configured, k.Why)
		}
		b.WriteString("```\n")
	} else {
		b.WriteString("\nThe stack's values match what was measured.\n")
	}
	if len(rep.ByHand) > 0 {
		b.WriteString("\nTo decide by hand:\n\n```yaml\n")
		for _, k := range rep.ByHand {
			fmt.Fprintf(&b, "%s: %s  # %s\n", k.Key, k.Value, k.Why)
		}
		b.WriteString("```\n")
	}
	b.WriteString("\n<details><summary>Every topology with the measured values</summary>\n\n| topology | valid | monthly | why |\n|---|---|---:|---|\n")
	for _, e := range rep.MeasuredPlan.Topologies {
		why := ""
		if len(e.Reasons) > 0 {
			why = e.Reasons[0]
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", e.Name, yesNo(e.Valid), planner.Money(e.MonthlyUSD), mdCell(why))
	}
	b.WriteString("\n</details>\n")
	if len(rep.Notes) > 0 || rep.ColdStarts != "" {
		b.WriteString("\n")
		fmt.Fprintf(&b, "> %s\n", mdCell(rep.ColdStarts))
		for _, n := range rep.Notes {
			fmt.Fprintf(&b, ">\n> %s\n", mdCell(n))
		}
	}
	return b.String()
}
