package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// runStack runs deploy under mocks m for a stack named stack at time now.
func runStack(t *testing.T, cfg map[string]string, m *mocks, stack string, now time.Time) error {
	t.Helper()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(pulumi.EnvConfig, string(b))
	dir := t.TempDir()
	return pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := deploy(ctx, deployOptions{Build: fakeBuild, BuildDir: dir, Now: func() time.Time { return now }})
		return err
	}, pulumi.WithMocks("lambdabridge", stack, m))
}

// snapshotRule is RDS's rule for a DB snapshot identifier: 1-255 letters, digits and
// hyphens, a letter first, no "--", no trailing hyphen (API_DeleteDBInstance,
// FinalDBSnapshotIdentifier).
var snapshotRule = regexp.MustCompile(`^[A-Za-z]([A-Za-z0-9]|-[A-Za-z0-9])*$`)

// TestProgramSnapshotUniquePerInstance: the final snapshot identifier is stamped with the
// instance's creation time, so two instances (a replacement, or a stack destroyed and made
// again) never share one, and ignoreChanges keeps a deployed instance's id on later ups.
func TestProgramSnapshotUniquePerInstance(t *testing.T) {
	ids := map[string]bool{}
	for _, now := range []time.Time{time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC), time.Date(2027, 1, 15, 23, 5, 7, 0, time.UTC)} {
		m := &mocks{}
		if err := runStack(t, baseConfig(), m, "dev", now); err != nil {
			t.Fatal(err)
		}
		db := m.named(t, "aws:rds/instance:Instance", "database-postgres")
		id := fmt.Sprint(db.in["finalSnapshotIdentifier"])
		want := "lambdabridge-dev-final-" + now.Format("20060102-150405")
		if id != want || !snapshotRule.MatchString(id) || len(id) > 255 {
			t.Errorf("final snapshot %q, want %q (letters, digits, single hyphens)", id, want)
		}
		if !slices.Contains(db.ignoreChanges, "finalSnapshotIdentifier") {
			t.Errorf("ignoreChanges %v: a later up would rename the snapshot (a permanent diff)", db.ignoreChanges)
		}
		ids[id] = true
	}
	if len(ids) != 2 {
		t.Errorf("two instances share the final snapshot id %v", ids)
	}
}

// TestProgramProtectsTheDatabase: deletion protection (AWS's and Pulumi's protect) and 7 days
// of backups by default; both follow their stack keys.
func TestProgramProtectsTheDatabase(t *testing.T) {
	cases := []struct {
		name      string
		over      map[string]string
		protected bool
		backups   int
	}{
		{"defaults", nil, true, 7},
		{"throwaway stack", map[string]string{"lambdabridge:deletionProtection": "false", "lambdabridge:backupRetentionDays": "0"}, false, 0},
		{"longer backups", map[string]string{"lambdabridge:backupRetentionDays": "35"}, true, 35},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := runProgram(t, with(tc.over))
			if err != nil {
				t.Fatal(err)
			}
			db := m.named(t, "aws:rds/instance:Instance", "database-postgres")
			if db.protect != tc.protected || db.in["deletionProtection"] != tc.protected {
				t.Errorf("protect option %v, deletionProtection %v; want both %v", db.protect, db.in["deletionProtection"], tc.protected)
			}
			if fmt.Sprint(db.in["backupRetentionPeriod"]) != fmt.Sprint(tc.backups) {
				t.Errorf("backupRetentionPeriod %v, want %d", db.in["backupRetentionPeriod"], tc.backups)
			}
		})
	}
	if _, err := runProgram(t, with(map[string]string{"lambdabridge:backupRetentionDays": "36"})); err == nil || !strings.Contains(err.Error(), "lambdabridge:backupRetentionDays") {
		t.Errorf("36 days of backups: error %v, want one naming lambdabridge:backupRetentionDays", err)
	}
}

// TestProgramAdoptedSubnetsOnTheMainRouteTable: the S3 endpoint goes on the route tables the
// adopted subnets use, their own or, without an explicit association, the VPC's main one.
func TestProgramAdoptedSubnetsOnTheMainRouteTable(t *testing.T) {
	const vpc = "vpc-0123456789abcdef0"
	sub1, sub2 := "subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"
	cases := []struct {
		name string
		main []string
		want string
	}{
		{"both associated", nil, "[rtb-of-" + sub1 + " rtb-of-" + sub2 + "]"},
		{"one on the main table", []string{sub2}, "[rtb-of-" + sub1 + " rtb-main-of-" + vpc + "]"},
		{"both on the main table (listed once)", []string{sub1, sub2}, "[rtb-main-of-" + vpc + "]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := &mocks{mainTableSubnets: tc.main}
			err := runStack(t, with(map[string]string{"lambdabridge:topology": "s3", "lambdabridge:vpcId": vpc,
				"lambdabridge:subnetIds": `["` + sub1 + `","` + sub2 + `"]`}), m, "dev", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			ep := m.named(t, "aws:ec2/vpcEndpoint:VpcEndpoint", "network-s3")
			if got := fmt.Sprint(ep.in["routeTableIds"]); got != tc.want {
				t.Errorf("endpoint route tables %s, want %s", got, tc.want)
			}
		})
	}
}

// TestProgramEgressFollowsTheSourcePort: a VPC function with egress may reach the source on
// its URL's port (the scheme's default, or the one given), not only 443.
func TestProgramEgressFollowsTheSourcePort(t *testing.T) {
	cases := []struct {
		topo, url, rule string
		port            int
	}{
		{"nat-instance", "https://api.example.com/v1/data.json", "network-functions-to-internet", 443},
		{"nat-gateway", "http://api.example.com/v1/data.json", "network-functions-to-internet", 80},
		{"nat-instance", "http://api.example.com:8080/v1/data.json", "network-functions-to-internet", 8080},
		{"ipv6", "https://api.example.com:8443/v1", "network-functions-to-internet-v6", 8443},
	}
	for _, tc := range cases {
		t.Run(tc.topo+" "+tc.url, func(t *testing.T) {
			m, err := runProgram(t, with(map[string]string{"lambdabridge:topology": tc.topo, "lambdabridge:sourceUrl": tc.url}))
			if err != nil {
				t.Fatal(err)
			}
			r := m.named(t, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", tc.rule)
			if fmt.Sprint(r.in["fromPort"]) != fmt.Sprint(tc.port) || fmt.Sprint(r.in["toPort"]) != fmt.Sprint(tc.port) {
				t.Errorf("egress %v-%v, want port %d", r.in["fromPort"], r.in["toPort"], tc.port)
			}
		})
	}
}

// TestProgramNATImagePinned: without natAmi the NAT instance takes the newest image once and
// ignoreChanges keeps it (a new AMI would replace the instance at every up); with natAmi the
// stack names its image, nothing is looked up, and changing the key upgrades.
func TestProgramNATImagePinned(t *testing.T) {
	m, err := runProgram(t, with(map[string]string{"lambdabridge:topology": "nat-instance"}))
	if err != nil {
		t.Fatal(err)
	}
	inst := m.named(t, "aws:ec2/instance:Instance", "network-nat")
	if inst.in["ami"] != natAMI || !slices.Contains(inst.ignoreChanges, "ami") {
		t.Errorf("ami %v ignoreChanges %v: want the looked-up %s kept by ignoreChanges", inst.in["ami"], inst.ignoreChanges, natAMI)
	}
	const pinned = "ami-0fedcba9876543210"
	m, err = runProgram(t, with(map[string]string{"lambdabridge:topology": "nat-instance", "lambdabridge:natAmi": pinned}))
	if err != nil {
		t.Fatal(err)
	}
	inst = m.named(t, "aws:ec2/instance:Instance", "network-nat")
	if inst.in["ami"] != pinned || slices.Contains(inst.ignoreChanges, "ami") || len(m.calls["aws:ec2/getAmi:getAmi"]) != 0 {
		t.Errorf("ami %v ignoreChanges %v lookups %d: want the pinned image, changes applied, no lookup", inst.in["ami"], inst.ignoreChanges, len(m.calls["aws:ec2/getAmi:getAmi"]))
	}
}

// TestProgramPartition: ARNs take the provider's partition, and a partition the price book
// does not cover is refused in one sentence naming it.
func TestProgramPartition(t *testing.T) {
	m := &mocks{partition: "aws-cn"}
	err := runStack(t, baseConfig(), m, "dev", time.Now())
	if err == nil || !strings.Contains(err.Error(), "aws-cn partition") {
		t.Errorf("error %v, want one naming the aws-cn partition", err)
	}
	m = &mocks{}
	if err := runStack(t, baseConfig(), m, "dev", time.Now()); err != nil {
		t.Fatal(err)
	}
	if len(m.calls["aws:index/getPartition:getPartition"]) == 0 {
		t.Error("the program did not ask the provider for the partition")
	}
}

// explicitNames are the properties of each resource type whose physical name the program
// sets from the project and stack, with AWS's rule for it.
var explicitNames = []struct {
	typ, prop string
	re        *regexp.Regexp
	max       int
	source    string
}{
	{"aws:lambda/function:Function", "name", regexp.MustCompile(`^[A-Za-z0-9_-]+$`), 64, "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html (FunctionName)"},
	{"aws:cloudwatch/logGroup:LogGroup", "name", regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]+$`), 512, "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html (logGroupName)"},
	{"aws:sqs/queue:Queue", "name", regexp.MustCompile(`^[A-Za-z0-9_-]+$`), 80, "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html (QueueName)"},
	{"aws:sns/topic:Topic", "name", regexp.MustCompile(`^[A-Za-z0-9_-]+$`), 256, "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html (Name)"},
	{"aws:cloudwatch/metricAlarm:MetricAlarm", "name", regexp.MustCompile(`^[\x20-\x7e]+$`), 255, "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html (AlarmName)"},
	{"aws:budgets/budget:Budget", "name", regexp.MustCompile(`^[^:\\]+$`), 100, "https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_Budget.html (BudgetName)"},
	{"aws:rds/instance:Instance", "finalSnapshotIdentifier", snapshotRule, 255, "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html (FinalDBSnapshotIdentifier)"},
}

// TestProgramNamesForAnyStack: for stack names as Pulumi allows them (1-100 characters of
// letters, digits, '-', '_', '.'; long, mixed case, digits first), every physical name the
// program sets satisfies its resource's rule, and the same stack gets the same names.
func TestProgramNamesForAnyStack(t *testing.T) {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."
	rng := rand.New(rand.NewPCG(7, 11))
	stacks := []string{"dev", "prod_eu.1", "2026-q4", strings.Repeat("Long_Stack.Name-", 7)[:100], "a"}
	for len(stacks) < 30 {
		b := make([]byte, 1+rng.IntN(100))
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		stacks = append(stacks, string(b))
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, stack := range stacks {
		cfg := with(map[string]string{"lambdabridge:topology": "destination", "lambdabridge:spill": "true"})
		names := func() []string {
			m := &mocks{}
			if err := runStack(t, cfg, m, stack, now); err != nil {
				t.Fatalf("stack %q: %v", stack, err)
			}
			var out []string
			for _, n := range explicitNames {
				for _, r := range m.byType(n.typ) {
					v := fmt.Sprint(r.in[n.prop])
					if len(v) > n.max || !n.re.MatchString(v) {
						t.Errorf("stack %q: %s %s %q (%d chars) breaks its rule (%s, at most %d): %s", stack, n.typ, n.prop, v, len(v), n.re, n.max, n.source)
					}
					out = append(out, v)
				}
			}
			slices.Sort(out)
			return out
		}
		if a, b := names(), names(); !slices.Equal(a, b) {
			t.Errorf("stack %q: names differ between two runs", stack)
		}
	}
}
