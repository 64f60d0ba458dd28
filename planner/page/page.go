// Package page writes a plan as one self-contained HTML page, for sharing: the headline, the
// budget verdict and the diff against a baseline when there are any, the chart (the SVG of
// planner/chart, inline), and the report's and the what-if's tables. The page has no script
// and loads nothing: its style is inline and its fonts are the reader's own.
package page

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io"

	"github.com/lambdabridge/lambdabridge/planner"
	"github.com/lambdabridge/lambdabridge/planner/chart"
)

// Options are what the page shows besides the exploration.
type Options struct {
	// Baseline names the report Diff is against ("" when there is none).
	Baseline string
	// Diff is the difference from the baseline, shown first; nil for none.
	Diff *planner.Diff
	// Gate is the budget check, shown under the headline; nil for none.
	Gate *planner.Gate
}

// view is what the template reads.
type view struct {
	R        *planner.Report
	X        *planner.Exploration
	O        Options
	SVG      template.HTML
	Ranked   []planner.Estimate
	Chosen   *planner.Estimate
	Axes     []planner.Axis
	DiffRows [][4]string
}

var funcs = template.FuncMap{
	"money": planner.Money,
	"yesno": func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	},
	"fit": func(e planner.Estimate) string {
		switch {
		case !e.Valid:
			return "-"
		case e.FitsFreeTier:
			return "fits"
		}
		return "no"
	},
}

var tmpl = template.Must(template.New("page").Funcs(funcs).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lambdabridge plan: {{.R.Headline}}</title>
<style>
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #222; margin: 0; background: #fff; }
main { max-width: 960px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 24px; margin: 8px 0; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.context { color: #444; line-height: 1.5; margin: 4px 0 12px; }
p.gate { font-weight: bold; padding: 8px 12px; border-radius: 4px; }
p.gate.pass { background: #e6f4ea; color: #14532d; }
p.gate.fail { background: #fdecea; color: #7f1d1d; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num { text-align: right; white-space: nowrap; }
tr.chosen td { font-weight: bold; }
tr.invalid td { color: #777; }
figure { margin: 16px 0; }
figure svg { max-width: 100%; height: auto; }
p.note, p.never { color: #555; font-size: 13px; }
p.total { font-size: 16px; font-weight: bold; }
blockquote { color: #444; border-left: 3px solid #ccc; margin: 8px 0; padding: 2px 12px; }
code { background: #f4f4f4; padding: 1px 4px; }
</style>
</head>
<body>
<main>
<h1>lambdabridge plan: {{.R.Headline}}</h1>
<p class="context">{{.R.Context}}{{range .R.Workload}}<br>{{.}}{{end}}</p>
{{with .O.Gate}}<p class="gate {{if .Passed}}pass{{else}}fail{{end}}">{{.String}}</p>
{{end}}{{if .O.Diff}}<section id="diff">
<h2>Diff: {{.O.Diff.Headline}}</h2>
<p>Against <code>{{.O.Baseline}}</code>.</p>
<table>
<tr><th></th><th>baseline</th><th>this plan</th><th>change</th></tr>
{{range .DiffRows}}<tr><td>{{index . 0}}</td><td class="num">{{index . 1}}</td><td class="num">{{index . 2}}</td><td class="num">{{index . 3}}</td></tr>
{{end}}</table>
</section>
{{end}}<figure>{{.SVG}}</figure>
<h2>Topologies</h2>
<table>
<tr><th>topology</th><th>valid</th><th>free tier</th><th>own</th><th>total</th><th>why</th></tr>
{{range .Ranked}}<tr class="{{if eq .Name $.R.Chosen}}chosen{{else if not .Valid}}invalid{{end}}"><td>{{.Name}}</td><td>{{yesno .Valid}}</td><td>{{fit .}}</td><td class="num">{{money .MonthlyUSD}}</td><td class="num">{{money .TotalMonthlyUSD}}</td><td>{{range $i, $r := .Reasons}}{{if $i}}; {{end}}{{$r}}{{end}}</td></tr>
{{end}}</table>
<p class="note">{{.R.CostNote}}</p>
{{with .R.RecordLines}}<ul>{{range .}}<li>{{.}}</li>{{end}}</ul>
{{end}}{{with .Chosen}}<h2>Chosen: {{.Name}}, {{money .MonthlyUSD}}/month</h2>
<p>Parts: {{.Parts.Describe}}</p>
{{template "lines" .Lines}}{{end}}
<h2>Common (every topology): {{money .R.CommonMonthlyUSD}}/month</h2>
{{template "lines" .R.Common}}
<h2>Guardrails ({{.R.Guardrail.Alarms}} alarms, {{.R.Guardrail.CustomMetrics}} custom metrics, {{.R.Guardrail.Budgets}} budget): {{money .R.GuardrailsMonthlyUSD}}/month</h2>
{{template "lines" .R.Guardrails}}
<p class="total">Total: {{money .R.TotalMonthlyUSD}}/month ({{.R.Chosen}} + common {{money .R.CommonMonthlyUSD}} + guardrails {{money .R.GuardrailsMonthlyUSD}})</p>
{{range .R.Notes}}<blockquote>{{.}}</blockquote>
{{end}}<h2>What if</h2>
<p>{{.X.WhatIf.Intro}}.</p>
{{range $a := .Axes}}<h3>{{$a.Title}}</h3>
<table>
<tr><th>from</th><th>what changes</th><th>total before</th><th>total after</th></tr>
<tr><td>{{$a.Label $a.Start}}</td><td>start: {{$a.Start.Verdict}}</td><td></td><td class="num">{{money $a.Start.TotalMonthlyUSD}}</td></tr>
{{range $a.Changes}}<tr><td>{{$a.Label .After}}</td><td>{{.Text}}</td><td class="num">{{money .Before.TotalMonthlyUSD}}</td><td class="num">{{money .After.TotalMonthlyUSD}}</td></tr>
{{end}}<tr><td>{{$a.Label $a.End}}</td><td>end: {{$a.End.Verdict}}</td><td></td><td class="num">{{money $a.End.TotalMonthlyUSD}}</td></tr>
</table>
{{with $a.NeverChosen}}<p class="never">{{.}}</p>
{{end}}{{end}}<details><summary>Sources</summary>
<ul>{{range .R.Sources}}<li>{{.}}</li>{{end}}</ul>
</details>
</main>
</body>
</html>
{{define "lines"}}<table>
<tr><th>item</th><th>quantity</th><th>free</th><th>unit price</th><th>monthly</th></tr>
{{range .}}{{$c := .Cells}}<tr><td>{{index $c 0}}</td><td class="num">{{index $c 1}}</td><td class="num">{{index $c 2}}</td><td class="num">{{index $c 3}}</td><td class="num">{{index $c 4}}</td></tr>
{{end}}</table>
{{end}}`))

// Write writes the page of x (and o) to w.
func Write(w io.Writer, x *planner.Exploration, o Options) error {
	if x == nil || x.Report == nil {
		return errors.New("page: an exploration with a report is needed")
	}
	var svg bytes.Buffer
	if err := chart.SVG(&svg, x); err != nil {
		return fmt.Errorf("page: %w", err)
	}
	v := view{
		R: x.Report, X: x, O: o, SVG: template.HTML(svg.String()), // chart.SVG escapes its text
		Ranked: x.Report.Ranked(), Chosen: x.Report.Find(x.Report.Chosen),
		Axes: []planner.Axis{x.WhatIf.Payload, x.WhatIf.Schedule},
	}
	if o.Diff != nil {
		v.DiffRows = o.Diff.Rows()
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, v); err != nil {
		return fmt.Errorf("page: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}
