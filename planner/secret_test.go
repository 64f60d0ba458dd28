package planner

import (
	"strings"
	"testing"
)

// TestSourceHeadersPriced works out by hand what secret request headers add to the seed
// workload (Tokyo, 2026-11-25): one standard SecureString ($0), one GetParameter per cold
// start at the standard throughput ($0), one KMS Decrypt per cold start ($0.03 per 10,000
// requests after 20,000 free a month), and, behind a NAT, the read's 12,000 B per cold start.
// Each run invokes exactly one fetching function (fetcher or relay), counted as a cold start.
func TestSourceHeadersPriced(t *testing.T) {
	tests := []struct {
		name     string
		schedule string
		tier     FreeTier
		// runs in a 730-hour month; KMS requests billed after the allowance; their cost.
		runs        int64
		kmsFree     float64
		kmsUSD      float64
		commonDelta float64
	}{
		// 4,380 reads, all inside the 20,000 free requests: $0.
		{"rate(10 minutes), always free", "rate(10 minutes)", AlwaysFree, 4380, 4380, 0, 0},
		// 730 x 60 = 43,800 reads: (43,800 - 20,000) x $0.000003 = $0.0714.
		{"rate(1 minute), always free", "rate(1 minute)", AlwaysFree, 43800, 20000, 0.0714, 0.0714},
		// No allowance: 4,380 x $0.000003 = $0.01314.
		{"rate(10 minutes), no free tier", "rate(10 minutes)", NoFreeTier, 4380, 0, 0.01314, 0.01314},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := seed()
			in.Schedule, in.FreeTier = tc.schedule, tc.tier
			without := mustPlan(t, in)
			in.SourceHeaders = true
			r := mustPlan(t, in)
			if r.RunsPerMonth != tc.runs {
				t.Fatalf("runs %d, want %d", r.RunsPerMonth, tc.runs)
			}
			param := line(t, r.Common, "Parameter Store standard SecureString")
			if param.Quantity != 1 || param.UnitUSD != 0 || param.MonthlyUSD != 0 || param.Unit != "parameter-months" {
				t.Errorf("parameter line %+v", param)
			}
			get := line(t, r.Common, "Parameter Store GetParameter")
			if get.Quantity != float64(tc.runs) || get.UnitUSD != 0 || get.MonthlyUSD != 0 {
				t.Errorf("GetParameter line %+v, want %d requests at $0", get, tc.runs)
			}
			kms := line(t, r.Common, "KMS Decrypt")
			if kms.Quantity != float64(tc.runs) || kms.FreeQuantity != tc.kmsFree || kms.UnitUSD != 0.000003 ||
				!strings.HasPrefix(kms.Source, "https://aws.amazon.com/kms/pricing") {
				t.Errorf("KMS line %+v, want %d requests, %v free, at $0.000003", kms, tc.runs, tc.kmsFree)
			}
			checkUSD(t, "KMS", kms.MonthlyUSD, tc.kmsUSD)
			checkUSD(t, "common difference", r.CommonMonthlyUSD-without.CommonMonthlyUSD, tc.commonDelta)
			if len(r.Common) != len(without.Common)+3 {
				t.Errorf("%d common lines, want the %d without headers + 3", len(r.Common), len(without.Common))
			}
			if !strings.Contains(strings.Join(r.Notes, "\n"), "no topology needs a VPC endpoint") {
				t.Errorf("notes %q do not say where the headers live and how they are reached", r.Notes)
			}
			if strings.Contains(strings.Join(without.Notes, "\n"), "sourceHeaders") {
				t.Errorf("a plan without headers mentions them: %q", without.Notes)
			}
		})
	}
}

// TestSourceHeadersNATData: the relay's cold-start read crosses its NAT. Seed workload with an
// AAAA record, Tokyo: (279,000 + 12,000) B x 4,380 runs = 1,274,580,000 B = 1.27458 GB, at
// $0.062/GB = $0.07902396 -> $0.079024 of NAT gateway data (without headers: 1.22202 GB,
// $0.075765). The topologies without a NAT keep their lines, so nothing is re-ranked: the
// ipv6 relay reaches the dual-stack endpoint over IPv6 (SecretAccess), with no endpoint to pay.
func TestSourceHeadersNATData(t *testing.T) {
	in := seed()
	yes := true
	in.SourceHasIPv6 = &yes
	without := mustPlan(t, in)
	in.SourceHeaders = true
	r := mustPlan(t, in)

	ng := r.Find(NATGateway)
	if ng.Usage.NATGB != 1.27458 {
		t.Errorf("nat-gateway NAT GB %v, want 1.27458", ng.Usage.NATGB)
	}
	checkUSD(t, "NAT gateway data", line(t, ng.Lines, "NAT gateway data processed").MonthlyUSD, 0.079024)
	if ni := r.Find(NATInstance); ni.Usage.NATGB != 1.27458 {
		t.Errorf("nat-instance NAT GB %v, want 1.27458", ni.Usage.NATGB)
	}
	for _, topo := range []Topology{Destination, IPv6, S3} {
		got, was := r.Find(topo), without.Find(topo)
		if len(got.Lines) != len(was.Lines) || got.MonthlyUSD != was.MonthlyUSD {
			t.Errorf("%s: %d lines $%v with headers, %d lines $%v without: the secret is a common cost", topo, len(got.Lines), got.MonthlyUSD, len(was.Lines), was.MonthlyUSD)
		}
	}
	if r.Chosen != without.Chosen {
		t.Errorf("chosen %s with headers, %s without", r.Chosen, without.Chosen)
	}
}

// TestSecretAccess: how each topology's fetching function reaches Parameter Store, from the
// table (where it runs, the egress); functions that do not fetch never read the headers.
func TestSecretAccess(t *testing.T) {
	want := map[Topology]map[Role]SecretAccess{
		Destination: {Fetcher: SecretOverInternet, Writer: ""},
		S3:          {Fetcher: SecretOverInternet, Writer: ""},
		NATGateway:  {Relay: SecretThroughNAT},
		NATInstance: {Relay: SecretThroughNAT},
		IPv6:        {Relay: SecretOverIPv6},
	}
	for _, topo := range AllTopologies {
		s, err := ShapeOf(topo)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []Role{Fetcher, Writer, Relay} {
			w, in := want[topo][r]
			if !in {
				w = "" // a role the topology does not have
			}
			if got := s.SecretAccess(r); got != w {
				t.Errorf("%s %s: %q, want %q", topo, r, got, w)
			}
		}
	}
}
