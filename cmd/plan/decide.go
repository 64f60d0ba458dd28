package main

// The plan as a decision tool: several stacks side by side (--stack dev,prod), a diff against
// an earlier JSON report (--baseline), a budget gate (--max-monthly, exit status 3 in every
// format), the what-if (--what-if), a short form (--short), and the svg and html formats.
// Every figure comes from the stack's plan (config.Plan) or, for the what-if and the chart,
// from one planner.Explore of the same input with the same price book.

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/lambdabridge/lambdabridge/config"
	"github.com/lambdabridge/lambdabridge/internal/exitcode"
	"github.com/lambdabridge/lambdabridge/planner"
	"github.com/lambdabridge/lambdabridge/planner/chart"
	"github.com/lambdabridge/lambdabridge/planner/page"
)

// decideOptions are the decision flags.
type decideOptions struct {
	// stacks are --stack's names, in order (one unless comparing).
	stacks []string
	// baseline is --baseline: an earlier `plan --format json` report.
	baseline string
	// maxMonthly is --max-monthly as given; maxUSD its value.
	maxMonthly string
	maxUSD     float64
	// whatIf and short are --what-if and --short.
	whatIf, short bool
}

// define adds the decision flags to fs.
func (d *decideOptions) define(fs *flag.FlagSet) {
	fs.StringVar(&d.baseline, "baseline", "", "compare with this earlier `plan --format json` report (file): the difference in total, per topology, chosen topology and record headroom comes first")
	fs.StringVar(&d.maxMonthly, "max-monthly", "", "fail (exit status 3, after writing the report) when the monthly total exceeds this many `USD`, e.g. 25 or 25.50")
	fs.BoolVar(&d.whatIf, "what-if", false, "add where the choice changes as the payload grows (x1 to x100) and the schedule tightens (rate(1 day) to rate(1 minute))")
	fs.BoolVar(&d.short, "short", false, "a few lines instead of the full report (text and markdown)")
}

// check validates the decision flags against the stack list and the format.
func (d *decideOptions) check(stack, format string, set map[string]bool) error {
	seen := map[string]bool{}
	for _, s := range strings.Split(stack, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			return usagef("--stack %q: an empty stack name; want names like dev or dev,prod", stack)
		}
		if seen[s] {
			return usagef("--stack %q: stack %s twice", stack, s)
		}
		seen[s] = true
		d.stacks = append(d.stacks, s)
	}
	if set["max-monthly"] {
		v, err := strconv.ParseFloat(strings.TrimPrefix(strings.TrimSpace(d.maxMonthly), "$"), 64)
		if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return usagef("--max-monthly %q: want a monthly budget in US dollars, 0 or more, like 25 or 25.50", d.maxMonthly)
		}
		d.maxUSD = v
	}
	if set["baseline"] && d.baseline == "" {
		return usagef("--baseline: want the file of an earlier plan --format json")
	}
	if len(d.stacks) > 1 {
		for _, f := range []string{"baseline", "what-if", "short"} {
			if set[f] {
				return usagef("--%s plans one stack; --stack %s compares %d side by side: give one stack", f, stack, len(d.stacks))
			}
		}
		if format == "svg" || format == "html" {
			return usagef("--format %s draws one stack; --stack %s compares %d: give one stack, or --format text, markdown or json", format, stack, len(d.stacks))
		}
	}
	switch {
	case d.short && format != "text" && format != "markdown":
		return usagef("--short is a form of the text and markdown reports, not of --format %s", format)
	case set["baseline"] && format == "svg":
		return usagef("--baseline: the svg chart has no room for a diff; use --format html, markdown, text or json")
	}
	return nil
}

// stackPlan is one stack's plan.
type stackPlan struct {
	stack string
	plan  config.Plan
}

// gate checks r against --max-monthly; nil when no budget was given.
func (d decideOptions) gate(r *planner.Report, set map[string]bool) *planner.Gate {
	if !set["max-monthly"] {
		return nil
	}
	g := planner.CheckGate(r, d.maxUSD)
	return &g
}

// loadBaseline reads --baseline: an earlier JSON report.
func loadBaseline(path string) (*planner.Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("--baseline %q: %w", path, err)
	}
	var r planner.Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, usagef("--baseline %q: not a plan report (%v): want the output of plan --format json", path, err)
	}
	if r.Chosen == "" || len(r.Topologies) == 0 {
		return nil, usagef("--baseline %q: not a plan report (no chosen topology): want the output of plan --format json for one stack", path)
	}
	return &r, nil
}

// document is the JSON output: the report with what the decision flags add, each only when
// asked for, so that without them it is the report exactly.
type document struct {
	*planner.Report
	Baseline string          `json:"baseline,omitempty"`
	Diff     *planner.Diff   `json:"diff,omitempty"`
	Gate     *planner.Gate   `json:"gate,omitempty"`
	WhatIf   *planner.WhatIf `json:"whatIf,omitempty"`
}

// decideAndWrite writes the plans in o's format with what the decision flags ask for, and
// fails with a *exitcode.GateError, after writing, when a total exceeds --max-monthly.
func (c *cli) decideAndWrite(o options, plans []stackPlan, stdout io.Writer) error {
	if len(plans) > 1 {
		return writeStacks(o, plans, stdout)
	}
	d := o.decide
	r := plans[0].plan.Report
	var x *planner.Exploration
	if d.whatIf || o.format == "svg" || o.format == "html" {
		var err error
		if x, err = planner.Explore(plans[0].plan.Input, plans[0].plan.Book); err != nil {
			return o.explain(err)
		}
		r = x.Report // the views and the report are one planner call's
	}
	var diff *planner.Diff
	if d.baseline != "" {
		base, err := loadBaseline(d.baseline)
		if err != nil {
			return err
		}
		dd := planner.Compare(base, r)
		diff = &dd
	}
	g := d.gate(r, o.set)

	var b bytes.Buffer
	if err := writeOne(&b, o, r, x, diff, g); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if _, err := stdout.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if g != nil && !g.Passed {
		return &exitcode.GateError{Err: fmt.Errorf("total %s/month exceeds --max-monthly %s", planner.Money(g.TotalMonthlyUSD), planner.Money(g.MaxMonthlyUSD))}
	}
	return nil
}

// writeOne writes one stack's report in o's format. Text: the diff, the report (or its short
// form), the what-if, the budget verdict last. Markdown, a pull-request comment: the diff
// first, the budget verdict, then the report (with a diff: the short form, and the full
// report folded), the what-if.
func writeOne(w io.Writer, o options, r *planner.Report, x *planner.Exploration, diff *planner.Diff, g *planner.Gate) error {
	d := o.decide
	switch o.format {
	case "svg":
		return chart.SVG(w, x)
	case "html":
		return page.Write(w, x, page.Options{Baseline: d.baseline, Diff: diff, Gate: g})
	case "json":
		if diff == nil && g == nil && !d.whatIf {
			return planner.Render(w, r, "json")
		}
		doc := document{Report: r, Diff: diff, Gate: g}
		if diff != nil {
			doc.Baseline = d.baseline
		}
		if d.whatIf {
			doc.WhatIf = &x.WhatIf
		}
		out, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return fmt.Errorf("render json: %w", err)
		}
		_, err = w.Write(append(out, '\n'))
		return err
	}
	// text and markdown
	if diff != nil {
		if err := planner.RenderDiff(w, *diff, d.baseline, o.format); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	if g != nil && o.format == "markdown" { // a pull-request comment says it near the top
		fmt.Fprintf(w, "**%s** (--max-monthly)\n\n", g)
	}
	switch {
	case d.short:
		if err := planner.RenderShort(w, r, o.format); err != nil {
			return err
		}
	case diff != nil && o.format == "markdown":
		// A pull-request comment: the diff and a short report open; the full report folded.
		if err := planner.RenderShort(w, r, o.format); err != nil {
			return err
		}
		fmt.Fprint(w, "\n<details><summary>Full report</summary>\n\n")
		if err := planner.Render(w, r, o.format); err != nil {
			return err
		}
		fmt.Fprint(w, "\n</details>\n")
	default:
		if err := planner.Render(w, r, o.format); err != nil {
			return err
		}
	}
	if d.whatIf {
		fmt.Fprintln(w)
		if err := planner.RenderWhatIf(w, x.WhatIf, o.format); err != nil {
			return err
		}
	}
	if g != nil && o.format == "text" { // a terminal or CI log ends with the verdict
		fmt.Fprintf(w, "\n%s (--max-monthly)\n", g)
	}
	return nil
}

// stacksDocument is the JSON of several stacks: each stack's report, and its budget check.
type stacksDocument struct {
	Stacks []stackEntry `json:"stacks"`
}

type stackEntry struct {
	Stack  string          `json:"stack"`
	Report *planner.Report `json:"report"`
	Gate   *planner.Gate   `json:"gate,omitempty"`
}

// writeStacks writes several stacks side by side, and fails the budget when any stack's total
// exceeds it.
func writeStacks(o options, plans []stackPlan, stdout io.Writer) error {
	var rows []planner.StackReport
	var entries []stackEntry
	var over []string
	for _, p := range plans {
		g := o.decide.gate(p.plan.Report, o.set)
		rows = append(rows, planner.StackReport{Stack: p.stack, Report: p.plan.Report})
		entries = append(entries, stackEntry{Stack: p.stack, Report: p.plan.Report, Gate: g})
		if g != nil && !g.Passed {
			over = append(over, fmt.Sprintf("stack %s: total %s/month exceeds --max-monthly %s", p.stack, planner.Money(g.TotalMonthlyUSD), planner.Money(g.MaxMonthlyUSD)))
		}
	}
	var b bytes.Buffer
	switch o.format {
	case "json":
		out, err := json.MarshalIndent(stacksDocument{Stacks: entries}, "", "  ")
		if err != nil {
			return fmt.Errorf("render json: %w", err)
		}
		b.Write(append(out, '\n'))
	default:
		if err := planner.RenderStacks(&b, rows, o.format); err != nil {
			return fmt.Errorf("write comparison: %w", err)
		}
		if o.set["max-monthly"] {
			b.WriteString("\n")
			bullet := ""
			if o.format == "markdown" {
				bullet = "- "
			}
			for _, e := range entries {
				fmt.Fprintf(&b, "%sstack %s: %s (--max-monthly)\n", bullet, e.Stack, e.Gate)
			}
		}
	}
	if _, err := stdout.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write comparison: %w", err)
	}
	if len(over) > 0 {
		return &exitcode.GateError{Err: errors.New(strings.Join(over, "; "))}
	}
	return nil
}
