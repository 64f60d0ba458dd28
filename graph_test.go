package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// updateGraph rewrites testdata/graph/*.golden from the program as it is:
//
//	go test -run TestProgramResourceGraph -update-graph .
//
// Only do so when a resource is meant to be added or removed; a rename or a move under another
// parent changes the resource's URN, and `pulumi up` would replace it (delete the database,
// the bucket, the queue...) unless the new resource carries pulumi.Aliases to the old URN.
var updateGraph = flag.Bool("update-graph", false, "rewrite testdata/graph/*.golden")

// graphCases are the stack shapes whose resource graphs are held to a golden file: every
// topology on a new VPC, destination with spill, s3 on an adopted VPC and database reached with
// a password, destination on an adopted database reached with IAM authentication.
var graphCases = []struct {
	name string
	over map[string]string
}{
	{"destination", map[string]string{"lambdabridge:topology": "destination"}},
	{"destination-spill", map[string]string{"lambdabridge:topology": "destination", "lambdabridge:spill": "true"}},
	{"s3", map[string]string{"lambdabridge:topology": "s3"}},
	{"nat-gateway", map[string]string{"lambdabridge:topology": "nat-gateway"}},
	{"nat-instance", map[string]string{"lambdabridge:topology": "nat-instance"}},
	{"ipv6", map[string]string{"lambdabridge:topology": "ipv6"}},
	{"s3-existing-vpc-and-db", map[string]string{
		"lambdabridge:topology":                  "s3",
		"lambdabridge:vpcId":                     "vpc-0123456789abcdef0",
		"lambdabridge:subnetIds":                 `["subnet-0aaaaaaaaaaaaaaa1","subnet-0bbbbbbbbbbbbbbb2"]`,
		"lambdabridge:existingDbHost":            "pg.internal.example.com",
		"lambdabridge:existingDbSecurityGroupId": "sg-0dddddddddddddd01",
		"lambdabridge:dbPassword":                "s3cret-pass",
		"lambdabridge:dbPasswordInEnvironment":   "true",
	}},
	{"destination-existing-db-iam", map[string]string{
		"lambdabridge:topology":                  "destination",
		"lambdabridge:vpcId":                     "vpc-0123456789abcdef0",
		"lambdabridge:subnetIds":                 `["subnet-0aaaaaaaaaaaaaaa1","subnet-0bbbbbbbbbbbbbbb2"]`,
		"lambdabridge:existingDbHost":            "pg.internal.example.com",
		"lambdabridge:existingDbSecurityGroupId": "sg-0dddddddddddddd01",
		"lambdabridge:existingDbResourceId":      "db-EXISTING1234567890ABCDEFG",
	}},
	// Secret source headers: the SSM parameter, and HTTPS to it from a relay whose source is
	// on another port (through the NAT, or over IPv6).
	{"destination-headers", map[string]string{"lambdabridge:topology": "destination", "lambdabridge:sourceHeaders": `{"X-Api-Key":"graph-key"}`}},
	{"nat-gateway-headers", map[string]string{"lambdabridge:topology": "nat-gateway", "lambdabridge:sourceHeaders": `{"X-Api-Key":"graph-key"}`,
		"lambdabridge:sourceUrl": "http://api.example.com:8080/v1/data.json"}},
	{"ipv6-headers", map[string]string{"lambdabridge:topology": "ipv6", "lambdabridge:sourceHeaders": `{"X-Api-Key":"graph-key"}`,
		"lambdabridge:sourceUrl": "https://api.example.com:8443/v1/data.json"}},
}

// TestProgramResourceGraph holds every resource's (type, name, parent URN) to the graph
// recorded in testdata/graph: together they make the resource's URN, and a changed URN is a
// replacement on `pulumi up`. A refactor that moves a resource must add an alias to its old
// URN and keep this file as it is.
func TestProgramResourceGraph(t *testing.T) {
	for _, tc := range graphCases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := runProgram(t, with(tc.over))
			if err != nil {
				t.Fatal(err)
			}
			got := graphLines(m)
			path := filepath.Join("testdata", "graph", tc.name+".golden")
			if *updateGraph {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update-graph to record it)", err)
			}
			want := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			missing, extra := diffLines(want, got)
			for _, l := range missing {
				t.Errorf("resource gone or its URN changed (a replacement on pulumi up): %s", l)
			}
			for _, l := range extra {
				t.Errorf("resource not in the recorded graph: %s", l)
			}
		})
	}
}

// graphLines renders each recorded resource as "type name parent=<parent URN>", sorted.
// The alias a resource carries (if any) is what keeps its old URN: the mock sees only the
// new registration, so an aliased move shows as a changed line here and the golden file is
// then updated by hand with the alias named in the commit.
func graphLines(m *mocks) []string {
	lines := make([]string, 0, len(m.res))
	for _, r := range m.res {
		lines = append(lines, fmt.Sprintf("%s %s parent=%s", r.typ, r.name, r.parent))
	}
	sort.Strings(lines)
	return lines
}

// diffLines returns the lines of want missing from got, and those of got not in want.
func diffLines(want, got []string) (missing, extra []string) {
	count := map[string]int{}
	for _, l := range want {
		count[l]++
	}
	for _, l := range got {
		count[l]--
	}
	for _, l := range want {
		if count[l] > 0 {
			missing = append(missing, l)
			count[l]--
		}
	}
	for l, n := range count {
		for ; n < 0; n++ {
			extra = append(extra, l)
		}
	}
	sort.Strings(extra)
	return missing, extra
}
