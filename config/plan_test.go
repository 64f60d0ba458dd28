package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lambdabridge/lambdabridge/planner"
)

// TestFieldKey: every planner Input field a stack can set maps to the key that sets it.
func TestFieldKey(t *testing.T) {
	want := map[planner.Field]string{
		planner.FieldSchedule:        "lambdabridge:schedule",
		planner.FieldPayloadBytes:    "lambdabridge:payloadSize",
		planner.FieldCompressedBytes: "lambdabridge:compressedSize",
		planner.FieldRegion:          "aws:region",
		planner.FieldFreeTier:        "lambdabridge:freeTier",
		planner.FieldCreditsUSD:      "lambdabridge:creditsUSD",
		planner.FieldMemoryMB:        "lambdabridge:memoryMB",
		planner.FieldArchitecture:    "lambdabridge:architecture",
		planner.FieldFetchMillis:     "lambdabridge:fetchMillis",
		planner.FieldWriteMillis:     "lambdabridge:writeMillis",
		planner.FieldTopology:        "lambdabridge:topology",
		planner.FieldAsOf:            "lambdabridge:asOf",
	}
	for _, f := range planner.Fields {
		t.Run(string(f), func(t *testing.T) {
			key, ok := FieldKey(f)
			if f == planner.FieldGuardrails || f == planner.FieldRunsPerMonth { // the program's guardrails and measured runs: no stack key
				if ok {
					t.Errorf("FieldKey(%q) = %s, want none", f, key)
				}
				return
			}
			if w, listed := want[f]; !listed || !ok || key != w {
				t.Errorf("FieldKey(%q) = %q, %v; want %q", f, key, ok, w)
			}
		})
	}
	if key, ok := FieldKey(""); ok {
		t.Errorf("FieldKey(\"\") = %q", key)
	}
}

// planBase is a stack every topology but ipv6 accepts: the seed workload, planned on
// 2026-11-25 in Tokyo.
func planBase(over MapSource) MapSource {
	src := MapSource{
		"aws:region": "ap-northeast-1", "lambdabridge:payloadSize": "279KB", "lambdabridge:compressedSize": "19KB",
		"lambdabridge:asOf": "2026-11-25",
	}
	for k, v := range over {
		src[k] = v
	}
	return src
}

func TestPlan(t *testing.T) {
	c, err := Decode(planBase(nil))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	// The input as planned has the planner's defaults: 128 MB, arm64, 800 ms + 300 ms.
	in := p.Input
	if in.MemoryMB != 128 || in.Architecture != "arm64" || in.FetchMillis != 800 || in.WriteMillis != 300 ||
		in.FreeTier != planner.AlwaysFree || !in.AsOf.Equal(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("input %+v", in)
	}
	// The seed workload costs destination nothing: the planner's choice.
	if p.Report == nil || p.Report.Chosen != planner.Destination || p.Report.Region != "ap-northeast-1" || p.Report.RunsPerMonth != 4380 {
		t.Errorf("report %+v", p.Report)
	}
	// The book it was priced with comes along: planning the input with it again gives the
	// same report (what planner.Explore does for cmd/plan's what-if and chart).
	if p.Book == nil {
		t.Fatal("no book in the plan")
	}
	if again, err := planner.Plan(p.Input, p.Book); err != nil || !reflect.DeepEqual(again, p.Report) {
		t.Errorf("replanned with the plan's book: %v, %v", again, err)
	}
	// A value set on the Config (cmd/plan --topology, cmd/local's measured sizes) is planned.
	c.Topology = string(planner.S3)
	if p, err := c.Plan(); err != nil || p.Report.Chosen != planner.S3 {
		t.Errorf("topology s3: %v, %v", p.Report, err)
	}
}

// TestPlanNamesTheKey: a value the planner refuses is a *KeyError naming the stack key that
// set it, carrying the planner's *InputError on the matching field.
func TestPlanNamesTheKey(t *testing.T) {
	const known = "known regions: ap-northeast-1, ap-northeast-2, ap-south-1, ap-southeast-1, ap-southeast-2, ca-central-1, eu-central-1, eu-west-1, eu-west-2, sa-east-1, us-east-1, us-east-2, us-west-2"
	tests := []struct {
		name  string
		over  MapSource
		key   string
		field planner.Field
		want  string // the whole message starts "config <key>: " and contains this
	}{
		{"schedule syntax", MapSource{"lambdabridge:schedule": "every 10 minutes"}, "lambdabridge:schedule", planner.FieldSchedule,
			`"every 10 minutes" is neither rate(...) nor cron(...) (lower case); accepted: rate(value unit) or cron(`},
		{"schedule rate unit", MapSource{"lambdabridge:schedule": "rate(5 weeks)"}, "lambdabridge:schedule", planner.FieldSchedule,
			`"rate(5 weeks)": rate unit: "weeks" unknown; accepted: minute|minutes|hour|hours|day|days`},
		// planned from 2026-11-25: a 2020-only cron has no firing in 2026-11 .. 2027-10.
		{"schedule never fires", MapSource{"lambdabridge:schedule": "cron(0 0 1 1 ? 2020)"}, "lambdabridge:schedule", planner.FieldSchedule,
			"cron(0 0 1 1 ? 2020) does not fire in the 12 months 2026-11 to 2027-10: its year field ends before 2026"},
		{"payload not measured", MapSource{"lambdabridge:payloadSize": "", "lambdabridge:compressedSize": ""}, "lambdabridge:payloadSize", planner.FieldPayloadBytes,
			"not measured (0 B): want the measured size of one response, a positive size like 279KB; measure both sizes with plan --sample FILE or --measure URL"},
		{"compressed without payload", MapSource{"lambdabridge:payloadSize": ""}, "lambdabridge:payloadSize", planner.FieldPayloadBytes,
			"not measured (0 B)"},
		{"payload without compressed", MapSource{"lambdabridge:compressedSize": ""}, "lambdabridge:compressedSize", planner.FieldCompressedBytes,
			"not measured (0 B): want the measured size of one response, a positive size like 19KB"},
		// gzip's bound on 279,000 B: 279,000 + 64 + floor(279,000/1,024) = 279,336 B.
		{"compressed over gzip's bound", MapSource{"lambdabridge:compressedSize": "300KB"}, "lambdabridge:compressedSize", planner.FieldCompressedBytes,
			"300,000 B is larger than the payload size 279,000 B plus gzip's worst-case overhead (279,336 B at most): measure both with the fetcher's codec (plan --sample or --measure); see also config lambdabridge:payloadSize"},
		{"region not priced", MapSource{"aws:region": "eu-north-1"}, "aws:region", planner.FieldRegion,
			`"eu-north-1" is not in the price book; ` + known},
		{"region not a region", MapSource{"aws:region": "Tokyo"}, "aws:region", planner.FieldRegion,
			`"Tokyo" is not in the price book; ` + known},
		{"free tier", MapSource{"lambdabridge:freeTier": "12-month"}, "lambdabridge:freeTier", planner.FieldFreeTier,
			`"12-month" is not one of always-free, legacy-12-month, none`},
		{"negative credits", MapSource{"lambdabridge:creditsUSD": "-1"}, "lambdabridge:creditsUSD", planner.FieldCreditsUSD,
			"-1 USD is out of range (0 or more US dollars)"},
		{"memory too small", MapSource{"lambdabridge:memoryMB": "64"}, "lambdabridge:memoryMB", planner.FieldMemoryMB,
			"64 MB is out of range (128-10240 MB)"},
		{"memory too large", MapSource{"lambdabridge:memoryMB": "10241"}, "lambdabridge:memoryMB", planner.FieldMemoryMB,
			"10241 MB is out of range (128-10240 MB)"},
		{"architecture", MapSource{"lambdabridge:architecture": "arm"}, "lambdabridge:architecture", planner.FieldArchitecture,
			`"arm" is not one of arm64, x86_64`},
		{"fetch too long", MapSource{"lambdabridge:fetchMillis": "900001"}, "lambdabridge:fetchMillis", planner.FieldFetchMillis,
			"900001 ms is out of range (1-900000 ms, Lambda's 15-minute maximum)"},
		{"write too long", MapSource{"lambdabridge:writeMillis": "900001"}, "lambdabridge:writeMillis", planner.FieldWriteMillis,
			"900001 ms is out of range (1-900000 ms"},
		{"unknown topology", MapSource{"lambdabridge:topology": "nat"}, "lambdabridge:topology", planner.FieldTopology,
			`"nat" is not one of auto, destination, ipv6, s3, nat-instance, nat-gateway`},
		{"invalid topology", MapSource{"lambdabridge:topology": "ipv6", "lambdabridge:sourceHasIpv6": "false"}, "lambdabridge:topology", planner.FieldTopology,
			"ipv6 is not valid for this workload: the source host has no IPv6 (AAAA) address, and an egress-only internet gateway carries IPv6 only"},
		{"as-of before the price book", MapSource{"lambdabridge:asOf": "2010-01-01"}, "lambdabridge:asOf", planner.FieldAsOf,
			"the price book has no "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Decode(planBase(tc.over))
			if err != nil {
				t.Fatalf("Decode: %v (the planner, not the decoder, must refuse this value)", err)
			}
			_, err = c.Plan()
			var ke *KeyError
			if !errors.As(err, &ke) || ke.Key != tc.key {
				t.Fatalf("Plan error %v; want a *KeyError on %s", err, tc.key)
			}
			var ie *planner.InputError
			if !errors.As(err, &ie) || ie.Field != tc.field || !errors.Is(err, planner.ErrBadInput) {
				t.Errorf("Plan error %v does not carry the planner's *InputError on %q", err, tc.field)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "config "+tc.key+": ") || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q\nwant \"config %s: \" and %q", msg, tc.key, tc.want)
			}
		})
	}
}

// TestPlanErrorsOfItsOwn: a prices file that does not load names lambdabridge:pricesFile;
// a hand-built Config with a malformed asOf names lambdabridge:asOf; the invalid topology
// keeps the planner's *TopologyError reachable.
func TestPlanErrorsOfItsOwn(t *testing.T) {
	c, err := Decode(planBase(MapSource{"lambdabridge:pricesFile": "nope.json"}))
	if err != nil {
		t.Fatal(err)
	}
	var ke *KeyError
	if _, err := c.Plan(); !errors.As(err, &ke) || ke.Key != "lambdabridge:pricesFile" || !strings.Contains(err.Error(), "config lambdabridge:pricesFile: prices file: open nope.json") {
		t.Errorf("missing prices file: %v", err)
	}
	bad := Defaults()
	bad.AsOf = "14/07/2025"
	if _, err := bad.Plan(); !errors.As(err, &ke) || ke.Key != "lambdabridge:asOf" {
		t.Errorf("malformed asOf: %v", err)
	}
	c, err = Decode(planBase(MapSource{"lambdabridge:topology": "ipv6"}))
	if err != nil {
		t.Fatal(err)
	}
	var te *planner.TopologyError
	if _, err := c.Plan(); !errors.As(err, &te) || te.Topology != planner.IPv6 || len(te.Reasons) == 0 {
		t.Errorf("invalid topology: %v; want the planner's *TopologyError with its reasons", err)
	}
}
