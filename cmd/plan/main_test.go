package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdabridge/lambdabridge/handlers/envelope"
	"github.com/lambdabridge/lambdabridge/internal/exitcode"
	"github.com/lambdabridge/lambdabridge/planner"
)

// today is the fake clock's day. From March 2027, the first 31-day month of the 12 planned
// is March itself, so the peak month is 2027-03.
var today = time.Date(2027, 3, 10, 15, 4, 5, 0, time.UTC)

// samplePath is the handlers engineer's committed ~279 KB JSON sample (278,715 bytes).
const samplePath = "../../handlers/envelope/testdata/sample.json"

const sampleBytes = 278715

// fakeResolver answers every AAAA question the same way.
type fakeResolver struct {
	ips []net.IP
	err error
}

func (f fakeResolver) LookupIP(context.Context, string, string) ([]net.IP, error) {
	return f.ips, f.err
}

func testCLI(res resolver) *cli {
	if res == nil {
		res = fakeResolver{err: &net.DNSError{Err: "no such host", IsNotFound: true}}
	}
	return &cli{now: func() time.Time { return today }, resolver: res, client: &http.Client{}}
}

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, c *cli, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := c.main(context.Background(), args, &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

// fixtureDir copies the repository's Pulumi.yaml (the schema under test) and the fixture
// stacks into a temp dir, so stack edits in the repository cannot break these tests.
func fixtureDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	copyFile(t, "../../Pulumi.yaml", filepath.Join(dir, "Pulumi.yaml"))
	stacks, err := filepath.Glob("testdata/stacks/Pulumi.*.yaml")
	if err != nil || len(stacks) == 0 {
		t.Fatalf("no fixture stacks: %v", err)
	}
	for _, s := range stacks {
		copyFile(t, s, filepath.Join(dir, filepath.Base(s)))
	}
	return dir
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func report(t *testing.T, r result) planner.Report {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	var rep planner.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not one JSON report: %v\n%s", err, r.stdout)
	}
	return rep
}

func TestDefaultsPlanTheDevStack(t *testing.T) {
	dir := fixtureDir(t)
	t.Chdir(dir)

	// No flags at all: the dev stack of the current directory, as a text table.
	r := run(t, testCLI(nil))
	// The headline: the chosen topology and the stack's total (common $21.01 included).
	if r.code != 0 || !strings.Contains(r.stdout, "lambdabridge plan: destination, $21.01/month in total (ap-northeast-1, as of 2027-03-10") {
		t.Fatalf("no flags: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}

	rep := report(t, run(t, testCLI(nil), "--format", "json"))

	if rep.Region != "ap-northeast-1" || rep.Schedule != "rate(10 minutes)" {
		t.Errorf("region %q schedule %q", rep.Region, rep.Schedule)
	}
	// rate(10 minutes): 6 runs an hour; 730 h x 6 = 4,380 runs (cost month);
	// peak calendar month has 31 days: 31 x 24 x 6 = 4,464 runs.
	if rep.RunsPerMonth != 4380 || rep.PeakMonthRuns != 4464 || rep.PeakMonth != "2027-03" {
		t.Errorf("runs %d peak %d in %s, want 4380 and 4464 in 2027-03", rep.RunsPerMonth, rep.PeakMonthRuns, rep.PeakMonth)
	}
	// 279KB and 19KB, KB = 1000 bytes.
	if rep.Payload.RawBytes != 279000 || rep.Payload.CompressedBytes != 19000 {
		t.Errorf("payload %d/%d, want 279000/19000", rep.Payload.RawBytes, rep.Payload.CompressedBytes)
	}
	// No asOf in the stack: the injected clock's day.
	if rep.AsOf != "2027-03-10" {
		t.Errorf("asOf %q, want the clock's 2027-03-10", rep.AsOf)
	}
	// sourceHasIpv6 unset: the ipv6 topology must be rejected as unmeasured.
	if e := rep.Find(planner.IPv6); e == nil || e.Valid || !strings.Contains(strings.Join(e.Reasons, " "), "unknown") {
		t.Errorf("ipv6 estimate %+v, want invalid because AAAA is unknown", e)
	}
}

func TestRealRepositoryDevStack(t *testing.T) {
	rep := report(t, run(t, testCLI(nil), "--dir", "../..", "--format", "json"))
	if rep.Region != "ap-northeast-1" || rep.RunsPerMonth != 4380 ||
		rep.Payload.RawBytes != 279000 || rep.Payload.CompressedBytes != 19000 {
		t.Errorf("real dev stack: region %q runs %d payload %d/%d", rep.Region, rep.RunsPerMonth,
			rep.Payload.RawBytes, rep.Payload.CompressedBytes)
	}
	if rep.Chosen == "" || rep.Find(rep.Chosen) == nil || !rep.Find(rep.Chosen).Valid {
		t.Errorf("chosen %q is not a valid estimate", rep.Chosen)
	}
}

func TestNoProjectFilePlansFromDefaultsAndFlags(t *testing.T) {
	t.Chdir(t.TempDir())
	r := run(t, testCLI(nil), "--payload", "279KB", "--compressed", "19KB", "--format", "json")
	rep := report(t, r)
	if rep.Region != "us-east-1" || rep.Schedule != "rate(10 minutes)" {
		t.Errorf("defaults: region %q schedule %q", rep.Region, rep.Schedule)
	}
	if !strings.Contains(r.stderr, "no Pulumi.yaml here") {
		t.Errorf("stderr %q does not say the defaults are used", r.stderr)
	}
	// Without a stack file a flag is the only way to set a value: errors name it.
	r = run(t, testCLI(nil), "--compressed", "19KB")
	if want := "plan: --payload: not measured (0 B): want the measured size of one response, a positive size like 279KB"; r.code != exitcode.Usage || !strings.Contains(r.stderr, want) {
		t.Errorf("no sizes: exit %d stderr %q, want 2 and %q", r.code, r.stderr, want)
	}
}

func TestFlagsOverrideTheStack(t *testing.T) {
	dir := fixtureDir(t)
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, rep planner.Report)
	}{
		{"another stack", []string{"--stack", "hourly"}, func(t *testing.T, rep planner.Report) {
			// rate(1 hour): 730 runs in the cost month; 31 x 24 = 744 in the peak month.
			if rep.Region != "us-west-2" || rep.RunsPerMonth != 730 || rep.PeakMonthRuns != 744 {
				t.Errorf("region %q runs %d peak %d", rep.Region, rep.RunsPerMonth, rep.PeakMonthRuns)
			}
			if rep.Assumptions.MemoryMB != 512 || rep.Assumptions.Architecture != "x86_64" {
				t.Errorf("assumptions %+v", rep.Assumptions)
			}
			if rep.Payload.RawBytes != 1000000 || rep.Payload.CompressedBytes != 100000 {
				t.Errorf("payload %+v", rep.Payload)
			}
		}},
		{"flags win, unset keys stay", []string{"--region", "eu-west-1", "--memory", "256", "--arch", "x86_64",
			"--fetch-ms", "1000", "--write-ms", "500", "--schedule", "rate(1 hour)", "--free-tier", "none"},
			func(t *testing.T, rep planner.Report) {
				a := rep.Assumptions
				if rep.Region != "eu-west-1" || a.MemoryMB != 256 || a.Architecture != "x86_64" ||
					a.FetchMillis != 1000 || a.WriteMillis != 500 || rep.RunsPerMonth != 730 || rep.FreeTier != planner.NoFreeTier {
					t.Errorf("region %q runs %d tier %q assumptions %+v", rep.Region, rep.RunsPerMonth, rep.FreeTier, a)
				}
				// Not overridden: the stack's 279KB.
				if rep.Payload.RawBytes != 279000 {
					t.Errorf("payload %d, want the stack's 279000", rep.Payload.RawBytes)
				}
			}},
		{"sizes", []string{"--payload", "1MiB", "--compressed", "64KiB"}, func(t *testing.T, rep planner.Report) {
			// 1 MiB = 1,048,576 B; 64 KiB = 65,536 B.
			if rep.Payload.RawBytes != 1048576 || rep.Payload.CompressedBytes != 65536 {
				t.Errorf("payload %+v", rep.Payload)
			}
		}},
		{"single function rules out the two-function topologies", []string{"--single-function"}, func(t *testing.T, rep planner.Report) {
			for _, tp := range []planner.Topology{planner.Destination, planner.S3} {
				if e := rep.Find(tp); e == nil || e.Valid {
					t.Errorf("%s valid with --single-function: %+v", tp, e)
				}
			}
		}},
		{"ipv6 true makes the ipv6 topology valid", []string{"--ipv6", "true"}, func(t *testing.T, rep planner.Report) {
			if e := rep.Find(planner.IPv6); e == nil || !e.Valid {
				t.Errorf("ipv6 with --ipv6 true: %+v", e)
			}
		}},
		{"topology names the chosen one", []string{"--topology", "s3"}, func(t *testing.T, rep planner.Report) {
			// s3 is not the cheapest (destination totals $21.01): chosen anyway, and totalled.
			s3 := rep.Find(planner.S3)
			if rep.Chosen != planner.S3 || s3 == nil || s3.Reasons[0] != "chosen: requested by topology (the cheapest valid is destination at $21.01)" {
				t.Errorf("chosen %s, s3 %+v", rep.Chosen, s3)
			}
			if s3 != nil && rep.TotalMonthlyUSD != s3.MonthlyUSD+rep.CommonMonthlyUSD+rep.GuardrailsMonthlyUSD {
				t.Errorf("total %v, want s3 %v + common %v + guardrails %v", rep.TotalMonthlyUSD, s3.MonthlyUSD, rep.CommonMonthlyUSD, rep.GuardrailsMonthlyUSD)
			}
		}},
		{"topology auto", []string{"--topology", "auto"}, func(t *testing.T, rep planner.Report) {
			if rep.Chosen != planner.Destination || rep.Find(planner.Destination).Reasons[0] != "chosen: the cheapest valid topology" {
				t.Errorf("chosen %s reasons %q", rep.Chosen, rep.Find(planner.Destination).Reasons)
			}
		}},
		{"credits", []string{"--credits", "100"}, func(t *testing.T, rep planner.Report) {
			if rep.CreditsUSD != 100 {
				t.Errorf("creditsUSD %v, want 100", rep.CreditsUSD)
			}
		}},
		{"as-of before the 2025 limit change", []string{"--as-of", "2025-01-15"}, func(t *testing.T, rep planner.Report) {
			// 256 KB async limit = 262,144 bytes until 2025-10-24.
			if rep.AsOf != "2025-01-15" || rep.Payload.LimitBytes != 262144 {
				t.Errorf("asOf %q limit %d, want 2025-01-15 and 262144", rep.AsOf, rep.Payload.LimitBytes)
			}
		}},
		{"as-of after the 2025 limit change", []string{"--as-of", "2025-10-24"}, func(t *testing.T, rep planner.Report) {
			// 1 MB = 1,048,576 bytes from 2025-10-24.
			if rep.AsOf != "2025-10-24" || rep.Payload.LimitBytes != 1048576 {
				t.Errorf("asOf %q limit %d, want 2025-10-24 and 1048576", rep.AsOf, rep.Payload.LimitBytes)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--dir", dir, "--format", "json"}, tc.args...)
			tc.check(t, report(t, run(t, testCLI(nil), args...)))
		})
	}
}

// TestJSONContract checks the documented JSON fields by name and type, not through the Go struct.
func TestJSONContract(t *testing.T) {
	r := run(t, testCLI(nil), "--dir", fixtureDir(t), "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("stdout is not JSON: %v", err)
	}
	if _, ok := doc["chosen"].(string); !ok {
		t.Errorf("chosen: %#v", doc["chosen"])
	}
	for _, f := range []string{"runsPerMonth", "peakMonthRuns"} {
		if _, ok := doc[f].(float64); !ok {
			t.Errorf("%s: %#v", f, doc[f])
		}
	}
	tops, ok := doc["topologies"].([]any)
	if !ok || len(tops) != len(planner.AllTopologies) {
		t.Fatalf("topologies: %#v", doc["topologies"])
	}
	for _, x := range tops {
		e := x.(map[string]any)
		if _, ok := e["name"].(string); !ok {
			t.Errorf("name: %#v", e["name"])
		}
		for f, kind := range map[string]string{"valid": "bool", "fitsFreeTier": "bool", "monthlyUSD": "number", "reasons": "list"} {
			var ok bool
			switch kind {
			case "bool":
				_, ok = e[f].(bool)
			case "number":
				_, ok = e[f].(float64)
			case "list":
				_, ok = e[f].([]any)
			}
			if !ok {
				t.Errorf("%v.%s is not a %s: %#v", e["name"], f, kind, e[f])
			}
		}
		usage, ok := e["usage"].(map[string]any)
		if !ok {
			t.Fatalf("%v.usage: %#v", e["name"], e["usage"])
		}
		for _, f := range []string{"invocations", "gbSeconds", "s3Puts", "s3Gets", "natHours", "natGB"} {
			if _, ok := usage[f].(float64); !ok {
				t.Errorf("%v.usage.%s: %#v", e["name"], f, usage[f])
			}
		}
	}
}

func TestTextAndMarkdown(t *testing.T) {
	dir := fixtureDir(t)
	for format, want := range map[string]string{
		"text":     "(ap-northeast-1, as of 2027-03-10, free tier always-free)",
		"markdown": "| topology | valid | free tier | own | total |",
	} {
		r := run(t, testCLI(nil), "--dir", dir, "--format", format)
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("--format %s: exit %d, stdout lacks %q:\n%s\n%s", format, r.code, want, r.stdout, r.stderr)
		}
	}
}

func TestBadInputExits2NamingTheFlag(t *testing.T) {
	dir := fixtureDir(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"size", []string{"--payload", "12XB"}, `plan: --payload: "12XB" is not a size like 279KB, 19KiB, 1MB or bytes`},
		{"compressed size", []string{"--compressed", "abc"}, `plan: --compressed: "abc" is not a size`},
		// gzip's bound on 279,000 B: 279,000 + 64 + floor(279,000/1,024) = 279,336 B.
		{"compressed larger than raw", []string{"--compressed", "300KB"}, `plan: --compressed: 300,000 B is larger than the payload size 279,000 B plus gzip's worst-case overhead (279,336 B at most): measure both with the fetcher's codec (plan --sample or --measure); see also config lambdabridge:payloadSize (stack dev)`},
		{"memory", []string{"--memory", "abc"}, `plan: --memory: "abc" is not a whole number of MB, 128-10240`},
		{"memory range", []string{"--memory", "64"}, `plan: --memory: 64 MB is out of range (128-10240 MB)`},
		{"arch", []string{"--arch", "arm"}, `plan: --arch: "arm" is not one of arm64, x86_64`},
		{"free tier", []string{"--free-tier", "12-month"}, `plan: --free-tier: "12-month" is not one of always-free, legacy-12-month, none`},
		{"credits", []string{"--credits", "-5"}, `plan: --credits: -5 USD is out of range (0 or more US dollars)`},
		{"fetch ms", []string{"--fetch-ms", "0"}, `plan: --fetch-ms: "0" is not a whole number of milliseconds, 1-900000`},
		{"write ms", []string{"--write-ms", "fast"}, `plan: --write-ms: "fast" is not a whole number of milliseconds`},
		{"ipv6", []string{"--ipv6", "maybe"}, `plan: --ipv6: "maybe" is not one of true, false, unknown`},
		{"as of", []string{"--as-of", "2025-13-01"}, `plan: --as-of: "2025-13-01" is not a date YYYY-MM-DD`},
		{"schedule", []string{"--schedule", "every 10 minutes"}, `plan: --schedule: "every 10 minutes"`},
		// the planned 12 months start at the test clock (2027-03-10): a 2020-only cron never fires in them
		{"schedule that never fires", []string{"--schedule", "cron(0 0 1 1 ? 2020)"}, `plan: --schedule: cron(0 0 1 1 ? 2020) does not fire in the 12 months 2027-03 to 2028-02: its year field ends before 2027`},
		{"region form", []string{"--region", "Tokyo"}, `plan: --region: "Tokyo" is not in the price book; known regions: ap-northeast-1, ap-northeast-2, ap-south-1, ap-southeast-1, ap-southeast-2, ca-central-1, eu-central-1, eu-west-1, eu-west-2, sa-east-1, us-east-1, us-east-2, us-west-2`},
		{"unknown region lists the known ones", []string{"--region", "eu-north-1"},
			`plan: --region: "eu-north-1" is not in the price book; known regions: ap-northeast-1, ap-northeast-2, ap-south-1, ap-southeast-1, ap-southeast-2, ca-central-1, eu-central-1, eu-west-1, eu-west-2, sa-east-1, us-east-1, us-east-2, us-west-2`},
		{"format", []string{"--format", "yaml"}, `plan: --format "yaml": want text, json, markdown, svg or html`},
		{"timeout", []string{"--timeout", "0s"}, `plan: --timeout 0s: want a positive duration like 30s`},
		{"timeout form", []string{"--timeout", "soon"}, `invalid value "soon" for flag -timeout`},
		{"bool flag", []string{"--spill=maybe"}, `invalid boolean value "maybe" for -spill`},
		{"unknown flag", []string{"--colour", "blue"}, `flag provided but not defined: -colour (run plan -h for the flags)`},
		{"argument", []string{"dev"}, `plan: unexpected argument "dev"`},
		{"missing sample", []string{"--sample", "nope.json"}, `plan: --sample "nope.json": open nope.json`},
		{"empty sample", []string{"--sample", os.DevNull}, `plan: /dev/null is empty: nothing to measure`},
		{"sample and measure", []string{"--sample", samplePath, "--measure", "http://127.0.0.1/"}, `plan: --sample and --measure both measure the payload`},
		{"sample and payload", []string{"--sample", samplePath, "--payload", "1MB"}, `plan: --sample measures the sizes that --payload gives`},
		{"measure and ipv6", []string{"--measure", "http://127.0.0.1/", "--ipv6", "true"}, `plan: --measure looks up the AAAA record that --ipv6 gives`},
		{"measure URL", []string{"--measure", "ftp://example.com/x"}, `plan: --measure "ftp://example.com/x": want an absolute http:// or https:// URL`},
		{"unknown stack", []string{"--stack", "staging"}, `Pulumi.staging.yaml (stacks found: broken, dev, hourly, unmeasured)`},
		{"bad stack value", []string{"--stack", "broken"}, `plan: stack broken: config lambdabridge:memoryMB: "lots" is not a whole number of MB, 128-10240`},
		{"unmeasured stack", []string{"--stack", "unmeasured"}, `plan: config lambdabridge:payloadSize (stack unmeasured): not measured (0 B): want the measured size of one response, a positive size like 279KB; measure both sizes with plan --sample FILE or --measure URL`},
		{"prices file", []string{"--prices", "nope.json"}, `plan: --prices: prices file: open nope.json`},
		{"topology name", []string{"--topology", "bogus"}, `plan: --topology: "bogus" is not one of auto, destination, ipv6, s3, nat-instance, nat-gateway`},
		// the dev fixture leaves sourceHasIpv6 unset (unknown)
		{"invalid topology", []string{"--topology", "ipv6"},
			`plan: --topology: ipv6 is not valid for this workload: unknown whether the source host has an IPv6 (AAAA) address: measure with --measure`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, testCLI(nil), append([]string{"--dir", dir}, tc.args...)...)
			if r.code != exitcode.Usage {
				t.Fatalf("exit %d, want 2; stdout %q stderr %q", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr %q\nlacks %q", r.stderr, tc.want)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q on bad input, want nothing", r.stdout)
			}
		})
	}
}

// TestErrorsNameTheFlagOrTheStackKey: a value the planner or the decoder refuses is named by
// the flag when the flag gave it, and by the stack key (and stack) when the stack file did.
func TestErrorsNameTheFlagOrTheStackKey(t *testing.T) {
	dir := fixtureDir(t)
	// The dev fixture's values; each case overrides one key in a stack of its own.
	base := map[string]string{
		"aws:region": "ap-northeast-1", "lambdabridge:schedule": "rate(10 minutes)",
		"lambdabridge:payloadSize": "279KB", "lambdabridge:compressedSize": "19KB",
	}
	tests := []struct {
		flag, key, value string
		want             string // the problem, after "<flag>: " or "config <key> (stack <stack>): "
		// decoded marks config's own findings (types, syntax): LoadStack reports them, with
		// every other problem of the stack, as "stack <stack>: config <key>: ...".
		decoded bool
	}{
		// the planner's rules (the test clock plans 2027-03 .. 2028-02)
		{"schedule", "lambdabridge:schedule", "cron(0 0 1 1 ? 2020)", "cron(0 0 1 1 ? 2020) does not fire in the 12 months 2027-03 to 2028-02: its year field ends before 2027", false},
		{"schedule", "lambdabridge:schedule", "rate(5 weeks)", `"rate(5 weeks)": rate unit: "weeks" unknown; accepted: minute|minutes|hour|hours|day|days`, false},
		{"region", "aws:region", "eu-north-1", `"eu-north-1" is not in the price book; known regions: ap-northeast-1, ap-northeast-2, ap-south-1, ap-southeast-1, ap-southeast-2, ca-central-1, eu-central-1, eu-west-1, eu-west-2, sa-east-1, us-east-1, us-east-2, us-west-2`, false},
		{"free-tier", "lambdabridge:freeTier", "12-month", `"12-month" is not one of always-free, legacy-12-month, none`, false},
		{"credits", "lambdabridge:creditsUSD", "-5", "-5 USD is out of range (0 or more US dollars)", false},
		{"memory", "lambdabridge:memoryMB", "64", "64 MB is out of range (128-10240 MB)", false},
		{"arch", "lambdabridge:architecture", "arm", `"arm" is not one of arm64, x86_64`, false},
		{"fetch-ms", "lambdabridge:fetchMillis", "900001", "900001 ms is out of range (1-900000 ms, Lambda's 15-minute maximum)", false},
		{"write-ms", "lambdabridge:writeMillis", "900001", "900001 ms is out of range (1-900000 ms, Lambda's 15-minute maximum)", false},
		{"topology", "lambdabridge:topology", "bogus", `"bogus" is not one of auto, destination, ipv6, s3, nat-instance, nat-gateway`, false},
		// the dev fixture leaves sourceHasIpv6 unknown
		{"topology", "lambdabridge:topology", "ipv6", "ipv6 is not valid for this workload: unknown whether the source host has an IPv6 (AAAA) address: measure with --measure", false},
		{"as-of", "lambdabridge:asOf", "2010-01-01", "the price book has no ", false},
		{"prices", "lambdabridge:pricesFile", "nope.json", "prices file: open ", false},
		// config's own types
		{"memory", "lambdabridge:memoryMB", "lots", `"lots" is not a whole number of MB, 128-10240`, true},
		{"payload", "lambdabridge:payloadSize", "12XB", `"12XB" is not a size like 279KB, 19KiB, 1MB or bytes`, true},
		{"as-of", "lambdabridge:asOf", "2025-13-01", `"2025-13-01" is not a date YYYY-MM-DD`, true},
	}
	for i, tc := range tests {
		t.Run(tc.flag+"="+tc.value, func(t *testing.T) {
			r := run(t, testCLI(nil), "--dir", dir, "--"+tc.flag, tc.value)
			if want := "plan: --" + tc.flag + ": " + tc.want; r.code != exitcode.Usage || !strings.Contains(r.stderr, want) {
				t.Errorf("flag: exit %d stderr %q\nwant 2 and %q", r.code, r.stderr, want)
			}

			stack := fmt.Sprintf("case%d", i)
			vals := maps.Clone(base)
			vals[tc.key] = tc.value
			writeStack(t, dir, stack, vals)
			r = run(t, testCLI(nil), "--dir", dir, "--stack", stack)
			want := fmt.Sprintf("config %s (stack %s): %s", tc.key, stack, tc.want)
			if tc.decoded {
				want = fmt.Sprintf("stack %s: config %s: %s", stack, tc.key, tc.want)
			}
			if r.code != exitcode.Usage || !strings.Contains(r.stderr, "plan: "+want) {
				t.Errorf("stack: exit %d stderr %q\nwant 2 and %q", r.code, r.stderr, "plan: "+want)
			}
		})
	}

	// A compressed size checked against the payload names both sources: here the flag gave
	// the payload and the stack the compressed size (19KB > gzip's bound on 1,000 B:
	// 1,000 + 64 + floor(1,000/1,024) = 1,064 B).
	r := run(t, testCLI(nil), "--dir", dir, "--payload", "1000")
	want := "plan: config lambdabridge:compressedSize (stack dev): 19,000 B is larger than the payload size 1,000 B plus gzip's worst-case overhead (1,064 B at most): measure both with the fetcher's codec (plan --sample or --measure); see also --payload"
	if r.code != exitcode.Usage || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d stderr %q\nwant 2 and %q", r.code, r.stderr, want)
	}
}

// writeStack writes dir/Pulumi.<stack>.yaml setting vals.
func writeStack(t *testing.T, dir, stack string, vals map[string]string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("config:\n")
	for _, k := range slices.Sorted(maps.Keys(vals)) {
		fmt.Fprintf(&b, "  %s: %q\n", k, vals[k])
	}
	if err := os.WriteFile(filepath.Join(dir, "Pulumi."+stack+".yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownRegionInStack(t *testing.T) {
	dir := fixtureDir(t)
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.mars.yaml"),
		[]byte("config:\n  aws:region: eu-north-1\n  lambdabridge:payloadSize: 1MB\n  lambdabridge:compressedSize: 1KB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, testCLI(nil), "--dir", dir, "--stack", "mars")
	want := `plan: config aws:region (stack mars): "eu-north-1" is not in the price book; known regions: ap-northeast-1, ap-northeast-2, ap-south-1, ap-southeast-1, ap-southeast-2, ca-central-1, eu-central-1, eu-west-1, eu-west-2, sa-east-1, us-east-1, us-east-2, us-west-2`
	if r.code != exitcode.Usage || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d stderr %q, want 2 and %q", r.code, r.stderr, want)
	}
}

// TestInvalidTopologyInStack: a stack naming a topology the planner rejects exits 2 naming
// the key and the planner's reason, as `pulumi preview` refuses it.
func TestInvalidTopologyInStack(t *testing.T) {
	dir := fixtureDir(t)
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.v4only.yaml"),
		[]byte("config:\n  aws:region: ap-northeast-1\n  lambdabridge:payloadSize: 279KB\n  lambdabridge:compressedSize: 19KB\n"+
			"  lambdabridge:sourceHasIpv6: \"false\"\n  lambdabridge:topology: ipv6\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, testCLI(nil), "--dir", dir, "--stack", "v4only")
	want := `plan: config lambdabridge:topology (stack v4only): ipv6 is not valid for this workload: the source host has no IPv6 (AAAA) address`
	if r.code != exitcode.Usage || !strings.Contains(r.stderr, want) || r.stdout != "" {
		t.Errorf("exit %d stdout %q stderr %q, want 2, no report and %q", r.code, r.stdout, r.stderr, want)
	}
	// --topology auto overrides the stack's choice.
	if rep := report(t, run(t, testCLI(nil), "--dir", dir, "--stack", "v4only", "--topology", "auto", "--format", "json")); rep.Chosen != planner.Destination {
		t.Errorf("--topology auto chose %s, want destination", rep.Chosen)
	}
}

func TestHelpExits0(t *testing.T) {
	r := run(t, testCLI(nil), "-h")
	if r.code != 0 || !strings.Contains(r.stdout, "-measure URL") || !strings.Contains(r.stdout, "config lambdabridge:payloadSize") {
		t.Errorf("exit %d stdout %q", r.code, r.stdout)
	}
}

func TestSample(t *testing.T) {
	data, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != sampleBytes {
		t.Fatalf("sample is %d bytes, the test assumes %d", len(data), sampleBytes)
	}
	z, err := envelope.Compress(data) // the fetcher's codec, which --sample must use
	if err != nil {
		t.Fatal(err)
	}
	dir := fixtureDir(t)

	r := run(t, testCLI(nil), "--dir", dir, "--sample", samplePath, "--format", "json")
	rep := report(t, r)
	if rep.Payload.RawBytes != sampleBytes || rep.Payload.CompressedBytes != int64(len(z)) {
		t.Errorf("payload %d/%d, want %d/%d", rep.Payload.RawBytes, rep.Payload.CompressedBytes, sampleBytes, len(z))
	}
	// JSON mode: the measurement goes to stderr.
	if !strings.Contains(r.stderr, "measured "+samplePath) || !strings.Contains(r.stderr, `lambdabridge:payloadSize: "278715"`) {
		t.Errorf("stderr %q", r.stderr)
	}

	// Text mode: the measurement is printed above the report on stdout.
	r = run(t, testCLI(nil), "--dir", dir, "--sample", samplePath)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "measured "+samplePath) || !strings.Contains(r.stdout, "raw 278715 bytes") {
		t.Errorf("exit %d stdout %q", r.code, r.stdout)
	}
}

// TestSampleIncompressible: gzip makes random bytes slightly larger; the measured
// payload is planned (exit 0), not refused as if the sizes were swapped.
func TestSampleIncompressible(t *testing.T) {
	path := filepath.Join(t.TempDir(), "random.bin")
	data := make([]byte, 100000)
	for i := range data { // xorshift: incompressible, deterministic
		x := uint32(i)*2654435761 + 1
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		data[i] = byte(x >> 24)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	z, err := envelope.Compress(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(z) <= len(data) {
		t.Fatalf("sample compressed to %d of %d bytes; the test needs an incompressible one", len(z), len(data))
	}
	rep := report(t, run(t, testCLI(nil), "--dir", fixtureDir(t), "--sample", path, "--format", "json"))
	if rep.Payload.CompressedBytes != int64(len(z)) {
		t.Errorf("compressed %d; want %d", rep.Payload.CompressedBytes, len(z))
	}
}

func TestMeasure(t *testing.T) {
	data, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	z, err := envelope.Compress(data)
	if err != nil {
		t.Fatal(err)
	}
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(data)
	}))
	defer plain.Close()
	// A server that gzips on the wire: the raw size is still the decoded body's.
	gz := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		zw.Write(data)
		zw.Close()
	}))
	defer gz.Close()

	dir := fixtureDir(t)
	tests := []struct {
		name     string
		url      string
		res      resolver
		wantAAAA string
		ipv6OK   bool
	}{
		{"host with AAAA", plain.URL + "/v1/orders", fakeResolver{ips: []net.IP{net.ParseIP("2001:db8::1")}}, "AAAA record: yes", true},
		{"host without AAAA", plain.URL, fakeResolver{err: &net.DNSError{Err: "no such host", IsNotFound: true}}, "AAAA record: no", false},
		{"real resolver on 127.0.0.1", plain.URL, net.DefaultResolver, "AAAA record: no", false},
		{"lookup failure is unknown", plain.URL, fakeResolver{err: &net.DNSError{Err: "i/o timeout", IsTimeout: true}}, "AAAA record: unknown (AAAA lookup of 127.0.0.1 failed", false},
		{"gzip on the wire", gz.URL, fakeResolver{ips: []net.IP{net.ParseIP("2001:db8::1")}}, "AAAA record: yes", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, testCLI(tc.res), "--dir", dir, "--measure", tc.url, "--format", "json", "--timeout", "10s")
			rep := report(t, r)
			if rep.Payload.RawBytes != sampleBytes || rep.Payload.CompressedBytes != int64(len(z)) {
				t.Errorf("payload %d/%d, want %d/%d", rep.Payload.RawBytes, rep.Payload.CompressedBytes, sampleBytes, len(z))
			}
			if !strings.Contains(r.stderr, tc.wantAAAA) || !strings.Contains(r.stderr, `content type "application/json`) {
				t.Errorf("stderr %q lacks %q and the content type", r.stderr, tc.wantAAAA)
			}
			if e := rep.Find(planner.IPv6); e == nil || e.Valid != tc.ipv6OK {
				t.Errorf("ipv6 estimate %+v, want valid=%v", e, tc.ipv6OK)
			}
		})
	}
}

func TestRuntimeFailuresExit1(t *testing.T) {
	dir := fixtureDir(t)
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	empty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer empty.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers; the client's --timeout must end the wait
	}))
	defer slow.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	tests := []struct {
		name, url, timeout, want string
	}{
		{"status", notFound.URL, "10s", "status 404 Not Found: the plan needs a successful response"},
		{"empty body", empty.URL, "10s", "empty body"},
		{"timeout", slow.URL, "100ms", "context deadline exceeded"},
		{"connection refused", closedURL, "10s", "connect"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// An API key in the query string must not reach the error message.
			r := run(t, testCLI(nil), "--dir", dir, "--measure", tc.url+"/data?apikey=s3cr3t", "--timeout", tc.timeout)
			if r.code != exitcode.Failure || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d stderr %q, want 1 and %q", r.code, r.stderr, tc.want)
			}
			if strings.Contains(r.stderr, "s3cr3t") {
				t.Errorf("stderr quotes the secret query: %q", r.stderr)
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteFailureExits1(t *testing.T) {
	var errOut bytes.Buffer
	code := testCLI(nil).main(context.Background(), []string{"--dir", fixtureDir(t), "--format", "json"}, failWriter{}, &errOut)
	if code != exitcode.Failure || !strings.Contains(errOut.String(), "write report: disk full") {
		t.Errorf("exit %d stderr %q", code, errOut.String())
	}
}
