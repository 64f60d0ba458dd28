package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/lambdabridge/lambdabridge/config"
	"github.com/lambdabridge/lambdabridge/handlers/event"
	"github.com/lambdabridge/lambdabridge/handlers/fetcher"
	"github.com/lambdabridge/lambdabridge/handlers/relay"
	"github.com/lambdabridge/lambdabridge/handlers/store"
	"github.com/lambdabridge/lambdabridge/handlers/writer"
	"github.com/lambdabridge/lambdabridge/infra"
	"github.com/lambdabridge/lambdabridge/planner"
)

// Fixed values the mocks hand out, so tests can name exact ARNs.
const (
	account    = "123456789012"
	region     = "us-east-1"
	dbiID      = "db-ABCDEFGHIJKLMNOP"
	s3PL       = "pl-63a5400a"
	natENI     = "eni-0123nat"
	natAMI     = "ami-0al2023arm64"
	vpcV6Block = "2600:1f18:abcd:ef00::/56"
	prefix     = "lambdabridge-dev" // <project>-<stack>
	// storedPassword is the master password in the mock stack's state: what an instance
	// whose password input is ignored returns.
	storedPassword = "STOREDPASSWORDFROMTHESTATE"
)

// recorded is one resource registration the mock saw.
type recorded struct {
	typ, name, parent string
	raw               resource.PropertyMap
	in                map[string]interface{}
	ignoreChanges     []string // the ignoreChanges resource option
	protect           bool     // the protect resource option
	deps              []string // the URNs of its dependsOn
}

// mocks records every resource and invoke and answers with plausible outputs.
type mocks struct {
	mu    sync.Mutex
	res   []recorded
	calls map[string][]map[string]interface{}
	// mainTableSubnets use their VPC's main route table (no explicit association).
	mainTableSubnets []string
	// partition is what getPartition answers ("" = aws).
	partition string
}

func (m *mocks) NewResource(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	// Refuse what the real provider or AWS refuses (mockrules_test.go).
	if err := checkProviderRules(a.TypeToken, a.Name, a.Inputs); err != nil {
		return "", nil, err
	}
	parent := ""
	var ignore []string
	protect := false
	var deps []string
	if a.RegisterRPC != nil {
		parent = a.RegisterRPC.GetParent()
		ignore = a.RegisterRPC.GetIgnoreChanges()
		protect = a.RegisterRPC.GetProtect()
		deps = a.RegisterRPC.GetDependencies()
	}
	m.mu.Lock()
	m.res = append(m.res, recorded{typ: a.TypeToken, name: a.Name, parent: parent, raw: a.Inputs, in: a.Inputs.Mappable(), ignoreChanges: ignore, protect: protect, deps: deps})
	m.mu.Unlock()

	outs := a.Inputs.Copy()
	set := func(k string, v interface{}) { outs[resource.PropertyKey(k)] = resource.NewPropertyValue(v) }
	str := func(k string) string {
		if v, ok := a.Inputs[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	id := a.Name + "-id"
	switch a.TypeToken {
	case "aws:lambda/function:Function":
		set("arn", fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, str("name")))
	case "aws:sqs/queue:Queue":
		set("arn", fmt.Sprintf("arn:aws:sqs:%s:%s:%s", region, account, str("name")))
		set("url", fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", region, account, str("name")))
	case "aws:s3/bucketV2:BucketV2":
		id = a.Name + "-7f3a9c"
		set("bucket", id)
		set("arn", "arn:aws:s3:::"+id)
	case "aws:cloudwatch/logGroup:LogGroup":
		set("arn", fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", region, account, str("name")))
	case "aws:iam/role:Role":
		set("name", a.Name+"-9d1e")
		set("arn", fmt.Sprintf("arn:aws:iam::%s:role/%s-9d1e", account, a.Name))
	case "aws:rds/instance:Instance":
		if slices.Contains(ignore, "password") {
			// A later `up`: the engine sends (and the provider returns) the password in
			// the state, not the one this run generated.
			outs["password"] = resource.MakeSecret(resource.NewStringProperty(storedPassword))
		}
		set("address", a.Name+".c1x2y3.us-east-1.rds.amazonaws.com")
		set("port", 5432)
		set("resourceId", dbiID)
	case "aws:rds/subnetGroup:SubnetGroup":
		set("name", a.Name+"-5b7c")
	case "aws:ec2/vpc:Vpc":
		if v, ok := a.Inputs["assignGeneratedIpv6CidrBlock"]; ok && v.IsBool() && v.BoolValue() {
			set("ipv6CidrBlock", vpcV6Block)
		}
	case "aws:ec2/vpcEndpoint:VpcEndpoint":
		set("prefixListId", s3PL)
	case "aws:ec2/instance:Instance":
		set("primaryNetworkInterfaceId", natENI)
	case "aws:sns/topic:Topic":
		set("arn", fmt.Sprintf("arn:aws:sns:%s:%s:%s", region, account, str("name")))
	case "aws:lambda/invocation:Invocation":
		set("result", `{"writer":"writer","schemaVersion":4}`)
	case "aws:scheduler/schedule:Schedule":
		set("arn", fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule/default/%s", region, account, a.Name))
	case "aws:ssm/parameter:Parameter":
		// The provider's ARN of a hierarchical name drops its leading slash.
		set("arn", fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", region, account, strings.TrimPrefix(str("name"), "/")))
	}
	return id, outs, nil
}

func (m *mocks) Call(a pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	if m.calls == nil {
		m.calls = map[string][]map[string]interface{}{}
	}
	m.calls[a.Token] = append(m.calls[a.Token], a.Args.Mappable())
	m.mu.Unlock()
	switch a.Token {
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		return resource.NewPropertyMapFromMap(map[string]interface{}{
			"names":   []interface{}{"us-east-1a", "us-east-1b", "us-east-1c"},
			"zoneIds": []interface{}{"use1-az1", "use1-az2", "use1-az4"},
		}), nil
	case "aws:ec2/getAmi:getAmi":
		return resource.NewPropertyMapFromMap(map[string]interface{}{"id": natAMI, "architecture": "arm64"}), nil
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]interface{}{
			"accountId": account, "arn": "arn:aws:iam::" + account + ":user/ci", "userId": "AIDEXAMPLE",
		}), nil
	case "aws:index/getPartition:getPartition":
		p := m.partition
		if p == "" {
			p = "aws"
		}
		return resource.NewPropertyMapFromMap(map[string]interface{}{"partition": p, "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws", "id": p}), nil
	case "aws:ec2/getRouteTable:getRouteTable":
		// Like the provider's data source: a lookup by subnet finds only an explicit
		// association, so a subnet using the VPC's main route table matches nothing, and
		// the data source fails; the main table is found by its association.main filter.
		args := a.Args.Mappable()
		if sub, _ := args["subnetId"].(string); sub != "" {
			if slices.Contains(m.mainTableSubnets, sub) {
				return nil, fmt.Errorf("no matching EC2 Route Table found")
			}
			return resource.NewPropertyMapFromMap(map[string]interface{}{"routeTableId": "rtb-of-" + sub, "id": "rtb-of-" + sub}), nil
		}
		if vpc, _ := args["vpcId"].(string); vpc != "" && fmt.Sprint(args["filters"]) == "[map[name:association.main values:[true]]]" {
			return resource.NewPropertyMapFromMap(map[string]interface{}{"routeTableId": "rtb-main-of-" + vpc, "id": "rtb-main-of-" + vpc}), nil
		}
		return nil, fmt.Errorf("no matching EC2 Route Table found")
	}
	return resource.PropertyMap{}, nil
}

// byType lists the recorded resources of one type token.
func (m *mocks) byType(typ string) []recorded {
	var out []recorded
	for _, r := range m.res {
		if r.typ == typ {
			out = append(out, r)
		}
	}
	return out
}

// named returns the one resource of typ with logical name name.
func (m *mocks) named(t *testing.T, typ, name string) recorded {
	t.Helper()
	for _, r := range m.byType(typ) {
		if r.name == name {
			return r
		}
	}
	t.Fatalf("no %s named %s; have %v", typ, name, m.names(typ))
	return recorded{}
}

func (m *mocks) names(typ string) []string {
	var out []string
	for _, r := range m.byType(typ) {
		out = append(out, r.name)
	}
	sort.Strings(out)
	return out
}

// fakeBuild stands in for handlers/lambdabuild.Build: a small file per package and arch.
func fakeBuild(_ context.Context, pkg, goarch, outDir string) (string, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", err
	}
	p := filepath.Join(outDir, "bootstrap")
	return p, os.WriteFile(p, []byte("fake bootstrap "+pkg+" "+goarch+"\n"), 0o755)
}

// baseConfig is a workload every topology accepts when forced: 279 KB raw, 19 KB
// compressed every 10 minutes, and a source with an AAAA record.
func baseConfig() map[string]string {
	return map[string]string{
		"aws:region":                  region,
		"lambdabridge:schedule":       "rate(10 minutes)",
		"lambdabridge:payloadSize":    "279KB",
		"lambdabridge:compressedSize": "19KB",
		"lambdabridge:sourceUrl":      "https://api.example.com/v1/data.json",
		"lambdabridge:sourceHasIpv6":  "true",
		"lambdabridge:asOf":           "2026-11-25",
		"lambdabridge:alarmEmail":     "ops@example.com",
	}
}

// runProgram runs deploy under mocks with cfg passed the way the engine does (PULUMI_CONFIG).
func runProgram(t *testing.T, cfg map[string]string) (*mocks, error) {
	t.Helper()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(pulumi.EnvConfig, string(b))
	m := &mocks{}
	dir := t.TempDir()
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := deploy(ctx, deployOptions{Build: fakeBuild, BuildDir: dir})
		return err
	}, pulumi.WithMocks("lambdabridge", "dev", m))
	return m, err
}

func with(over map[string]string) map[string]string {
	c := baseConfig()
	for k, v := range over {
		if v == "" {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// policy parses a RolePolicy's document.
func policy(t *testing.T, r recorded) infra.PolicyDocument {
	t.Helper()
	var doc infra.PolicyDocument
	s, _ := r.in["policy"].(string)
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatalf("%s: policy %q: %v", r.name, s, err)
	}
	return doc
}

// grants maps each statement's actions (joined) to its resources.
func grants(doc infra.PolicyDocument) map[string][]string {
	out := map[string][]string{}
	for _, s := range doc.Statement {
		out[strings.Join(s.Action, ",")] = s.Resource
	}
	return out
}

var eniActions = "ec2:CreateNetworkInterface,ec2:DescribeNetworkInterfaces,ec2:DescribeSubnets,ec2:DeleteNetworkInterface,ec2:AssignPrivateIpAddresses,ec2:UnassignPrivateIpAddresses"

func fnArn(role string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s-%s", region, account, prefix, role)
}

func logsArn(role string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:/aws/lambda/%s-%s:*", region, account, prefix, role)
}

var (
	dlqArn = fmt.Sprintf("arn:aws:sqs:%s:%s:%s-dlq", region, account, prefix)
	// failArn is the failure bucket, the onFailure destination of the writer behind a record handoff.
	failArn   = "arn:aws:s3:::functions-failures-7f3a9c"
	dbUserArn = fmt.Sprintf("arn:aws:rds-db:%s:%s:dbuser:%s/writer", region, account, dbiID)
	objects   = "arn:aws:s3:::functions-bucket-7f3a9c/fetches/*"
)

func TestProgramTopologies(t *testing.T) {
	const (
		natGW    = "aws:ec2/natGateway:NatGateway"
		eip      = "aws:ec2/eip:Eip"
		instance = "aws:ec2/instance:Instance"
		igw      = "aws:ec2/internetGateway:InternetGateway"
		eigw     = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"
		endpoint = "aws:ec2/vpcEndpoint:VpcEndpoint"
		bucket   = "aws:s3/bucketV2:BucketV2"
		notify   = "aws:s3/bucketNotification:BucketNotification"
	)
	all := []string{natGW, eip, instance, igw, eigw, endpoint, bucket, notify}
	cases := []struct {
		name      string
		over      map[string]string
		topo      planner.Topology
		present   []string
		functions []string // role suffixes
		vpcFn     string
		// fetcher / writer / relay policy: actions -> resources, besides logs and the
		// onFailure destination (the DLQ, or the failure bucket where failureBucket names it).
		policies map[string]map[string][]string
		// failureBucket is the function whose failure records go to the failure bucket ("" none).
		failureBucket string
		// egress rules of the function group: "port target".
		egress []string
	}{
		{
			name: "destination", over: map[string]string{"lambdabridge:topology": "destination"}, topo: planner.Destination,
			functions: []string{"fetcher", "writer"}, vpcFn: "writer", failureBucket: "writer",
			policies: map[string]map[string][]string{
				"fetcher": {"lambda:InvokeFunction": {fnArn("writer")}},
				"writer":  {"rds-db:connect": {dbUserArn}, eniActions: {"*"}},
			},
			egress: []string{"5432 sg:database-sg-id"},
		},
		{
			name: "destination with spill", over: map[string]string{"lambdabridge:topology": "destination", "lambdabridge:spill": "true"}, topo: planner.Destination,
			present:   []string{bucket, endpoint},
			functions: []string{"fetcher", "writer"}, vpcFn: "writer", failureBucket: "writer",
			policies: map[string]map[string][]string{
				"fetcher": {"lambda:InvokeFunction": {fnArn("writer")}, "s3:PutObject": {objects}},
				"writer":  {"rds-db:connect": {dbUserArn}, "s3:GetObject": {objects}, eniActions: {"*"}},
			},
			egress: []string{"443 pl:" + s3PL, "5432 sg:database-sg-id"},
		},
		{
			name: "s3", over: map[string]string{"lambdabridge:topology": "s3"}, topo: planner.S3,
			present:   []string{bucket, endpoint, notify},
			functions: []string{"fetcher", "writer"}, vpcFn: "writer",
			policies: map[string]map[string][]string{
				"fetcher": {"s3:PutObject": {objects}},
				"writer":  {"rds-db:connect": {dbUserArn}, "s3:GetObject": {objects}, eniActions: {"*"}},
			},
			egress: []string{"443 pl:" + s3PL, "5432 sg:database-sg-id"},
		},
		{
			name: "nat-gateway", over: map[string]string{"lambdabridge:topology": "nat-gateway"}, topo: planner.NATGateway,
			present:   []string{natGW, eip, igw},
			functions: []string{"relay"}, vpcFn: "relay",
			policies: map[string]map[string][]string{
				"relay": {"rds-db:connect": {dbUserArn}, eniActions: {"*"}},
			},
			egress: []string{"443 v4:0.0.0.0/0", "5432 sg:database-sg-id"},
		},
		{
			name: "nat-instance", over: map[string]string{"lambdabridge:topology": "nat-instance"}, topo: planner.NATInstance,
			present:   []string{instance, igw},
			functions: []string{"relay"}, vpcFn: "relay",
			policies: map[string]map[string][]string{
				"relay": {"rds-db:connect": {dbUserArn}, eniActions: {"*"}},
			},
			egress: []string{"443 v4:0.0.0.0/0", "5432 sg:database-sg-id"},
		},
		{
			name: "ipv6", over: map[string]string{"lambdabridge:topology": "ipv6"}, topo: planner.IPv6,
			present:   []string{eigw},
			functions: []string{"relay"}, vpcFn: "relay",
			policies: map[string]map[string][]string{
				"relay": {"rds-db:connect": {dbUserArn}, eniActions: {"*"}},
			},
			egress: []string{"443 v6:::/0", "5432 sg:database-sg-id"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := runProgram(t, with(tc.over))
			if err != nil {
				t.Fatalf("program: %v", err)
			}
			// Which resources exist and which must not (the handoff bucket by its name: the
			// failure bucket is one too).
			for _, typ := range all {
				want := contains(tc.present, typ)
				got := len(m.byType(typ)) > 0
				if typ == bucket {
					got = contains(m.names(typ), "functions-bucket")
				}
				if got != want {
					t.Errorf("%s present = %v, want %v (%v)", typ, got, want, m.names(typ))
				}
			}
			if got := contains(m.names(bucket), "functions-failures"); got != (tc.failureBucket != "") {
				t.Errorf("failure bucket present = %v, want %v", got, tc.failureBucket != "")
			}
			// Functions: names, runtime, and VPC attachment only for the VPC function.
			fns := m.byType("aws:lambda/function:Function")
			if len(fns) != len(tc.functions) {
				t.Errorf("functions %v, want %v", m.names("aws:lambda/function:Function"), tc.functions)
			}
			for _, role := range tc.functions {
				fn := m.named(t, "aws:lambda/function:Function", "functions-"+role)
				if got := fn.in["name"]; got != prefix+"-"+role {
					t.Errorf("%s physical name %v", role, got)
				}
				if fn.in["runtime"] != "provided.al2023" || fn.in["handler"] != "bootstrap" {
					t.Errorf("%s runtime %v handler %v", role, fn.in["runtime"], fn.in["handler"])
				}
				if a, _ := fn.in["architectures"].([]interface{}); len(a) != 1 || a[0] != "arm64" {
					t.Errorf("%s architectures %v, want [arm64]", role, fn.in["architectures"])
				}
				vc, hasVpc := fn.in["vpcConfig"].(map[string]interface{})
				if hasVpc != (role == tc.vpcFn) {
					t.Errorf("%s vpcConfig = %v, want VPC only on %s", role, fn.in["vpcConfig"], tc.vpcFn)
				}
				if hasVpc {
					subs, _ := vc["subnetIds"].([]interface{})
					if len(subs) != 2 || subs[0] != "network-private-1-id" || subs[1] != "network-private-2-id" {
						t.Errorf("%s subnets %v, want the two private subnets", role, subs)
					}
					sgs, _ := vc["securityGroupIds"].([]interface{})
					if len(sgs) != 1 || sgs[0] != "network-functions-id" {
						t.Errorf("%s security groups %v", role, sgs)
					}
					if v6, _ := vc["ipv6AllowedForDualStack"].(bool); v6 != (tc.topo == planner.IPv6) {
						t.Errorf("%s ipv6AllowedForDualStack %v", role, vc["ipv6AllowedForDualStack"])
					}
				}
			}
			// Async configs: failures to the DLQ (the writer behind a record handoff: to the
			// failure bucket); the destination fetcher's successes to the writer.
			for _, role := range tc.functions {
				ac := m.named(t, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "functions-"+role+"-async")
				dc, _ := ac.in["destinationConfig"].(map[string]interface{})
				onF, _ := dc["onFailure"].(map[string]interface{})
				wantF := dlqArn
				if role == tc.failureBucket {
					wantF = failArn
				}
				if onF["destination"] != wantF {
					t.Errorf("%s onFailure %v, want %s", role, onF, wantF)
				}
				onS, hasS := dc["onSuccess"].(map[string]interface{})
				wantS := role == "fetcher" && tc.topo == planner.Destination
				if hasS != wantS || (wantS && onS["destination"] != fnArn("writer")) {
					t.Errorf("%s onSuccess %v, want writer destination %v", role, dc["onSuccess"], wantS)
				}
				if ac.in["maximumRetryAttempts"] != 2.0 || ac.in["maximumEventAgeInSeconds"] != 3600.0 {
					t.Errorf("%s retries %v age %v, want the defaults 2 and 3600", role, ac.in["maximumRetryAttempts"], ac.in["maximumEventAgeInSeconds"])
				}
			}
			// Least privilege: every policy names only its own resources.
			for _, r := range m.byType("aws:iam/rolePolicy:RolePolicy") {
				for _, s := range policy(t, r).Statement {
					for _, a := range s.Action {
						if strings.Contains(a, "*") {
							t.Errorf("%s %s: wildcard action %s", r.name, s.Sid, a)
						}
					}
					for _, res := range s.Resource {
						if res == "*" && strings.Join(s.Action, ",") != eniActions {
							t.Errorf("%s %s: resource * outside the ENI statement", r.name, s.Sid)
						}
					}
					if s.Effect != "Allow" {
						t.Errorf("%s %s: effect %s", r.name, s.Sid, s.Effect)
					}
				}
			}
			for role, extra := range tc.policies {
				want := map[string][]string{
					"logs:CreateLogStream,logs:PutLogEvents": {logsArn(role)},
					"sqs:SendMessage":                        {dlqArn},
				}
				if role == tc.failureBucket {
					// Lambda's S3 destination writes with the function's role: PutObject and ListBucket.
					delete(want, "sqs:SendMessage")
					want["s3:PutObject"], want["s3:ListBucket"] = []string{failArn + "/*"}, []string{failArn}
				}
				for k, v := range extra {
					want[k] = v
				}
				got := grants(policy(t, m.named(t, "aws:iam/rolePolicy:RolePolicy", "functions-"+role+"-policy")))
				if !equalGrants(got, want) {
					t.Errorf("%s policy\n got %v\nwant %v", role, got, want)
				}
			}
			sched := grants(policy(t, m.named(t, "aws:iam/rolePolicy:RolePolicy", "schedule-policy")))
			if !equalGrants(sched, map[string][]string{"lambda:InvokeFunction": {fnArn(tc.functions[0])}, "sqs:SendMessage": {dlqArn}}) {
				t.Errorf("schedule policy %v, want invoke on %s and send to the DLQ only", sched, tc.functions[0])
			}
			s := m.named(t, "aws:scheduler/schedule:Schedule", "schedule-trigger")
			if tw, _ := s.in["flexibleTimeWindow"].(map[string]interface{}); tw["mode"] != "OFF" || s.in["scheduleExpression"] != "rate(10 minutes)" {
				t.Errorf("schedule %v %v", s.in["flexibleTimeWindow"], s.in["scheduleExpression"])
			}
			tg, _ := s.in["target"].(map[string]interface{})
			if tg["arn"] != fnArn(tc.functions[0]) || tg["input"] != event.SchedulerInput {
				t.Errorf("schedule target %v / input %v, want %s / event.SchedulerInput", tg["arn"], tg["input"], fnArn(tc.functions[0]))
			}
			// A run Lambda refuses is retried (Scheduler's maximum: 185 times within 24 h),
			// then dead-lettered, not dropped.
			rp, _ := tg["retryPolicy"].(map[string]interface{})
			dl, _ := tg["deadLetterConfig"].(map[string]interface{})
			if rp["maximumRetryAttempts"] != 185.0 || rp["maximumEventAgeInSeconds"] != 86400.0 || dl["arn"] != dlqArn {
				t.Errorf("schedule retry policy %v, dead-letter %v; want 185 retries, 86400 s, the DLQ", rp, dl)
			}
			// Security groups: the function group's egress is exactly what the topology
			// needs, and the database accepts 5432 from that group only.
			var egress []string
			for _, r := range m.byType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") {
				if r.in["securityGroupId"] != "network-functions-id" {
					continue
				}
				egress = append(egress, ruleString(r))
			}
			sort.Strings(egress)
			if strings.Join(egress, "|") != strings.Join(tc.egress, "|") {
				t.Errorf("function egress %v, want %v", egress, tc.egress)
			}
			var ingress []string
			for _, r := range m.byType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
				if r.in["securityGroupId"] == "network-functions-id" {
					t.Errorf("function group has ingress %s", ruleString(r))
				}
				if r.in["securityGroupId"] == "database-sg-id" {
					ingress = append(ingress, ruleString(r))
				}
			}
			if len(ingress) != 1 || ingress[0] != "5432 sg:network-functions-id" {
				t.Errorf("database ingress %v, want 5432 from the function group only", ingress)
			}
			// The database: private, encrypted, IAM auth, in the private subnets.
			db := m.named(t, "aws:rds/instance:Instance", "database-postgres")
			for k, want := range map[string]interface{}{
				"publiclyAccessible": false, "storageEncrypted": true, "iamDatabaseAuthenticationEnabled": true,
				"instanceClass": "db.t4g.micro", "engine": "postgres", "dbSubnetGroupName": "database-subnets-5b7c",
			} {
				if db.in[k] != want {
					t.Errorf("database %s = %v, want %v", k, db.in[k], want)
				}
			}
			// No dbPassword: a generated master password, kept after creation by
			// ignoreChanges, and no Secrets Manager secret.
			if v, ok := db.in["manageMasterUserPassword"]; ok {
				t.Errorf("manageMasterUserPassword = %v, want it unset (no Secrets Manager secret)", v)
			}
			if pw := generatedPassword(t, db); pw == "" {
				t.Errorf("no generated master password")
			}
			if sg, _ := db.in["vpcSecurityGroupIds"].([]interface{}); len(sg) != 1 || sg[0] != "database-sg-id" {
				t.Errorf("database groups %v", db.in["vpcSecurityGroupIds"])
			}
			// Every AWS resource is a child of a lambdabridge component.
			for _, r := range m.res {
				if strings.HasPrefix(r.typ, "aws:") && !strings.Contains(r.parent, "lambdabridge:") {
					t.Errorf("%s %s has parent %q, want a lambdabridge component", r.typ, r.name, r.parent)
				}
				if strings.HasPrefix(r.typ, "lambdabridge:") || strings.HasPrefix(r.typ, "aws:") {
					if !kebab.MatchString(r.name) {
						t.Errorf("%s name %q is not kebab-case", r.typ, r.name)
					}
				}
			}
		})
	}
}

var kebab = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func ruleString(r recorded) string {
	port := fmt.Sprint(r.in["fromPort"])
	if r.in["toPort"] != r.in["fromPort"] || r.in["ipProtocol"] != "tcp" {
		port = fmt.Sprintf("%v-%v/%v", r.in["fromPort"], r.in["toPort"], r.in["ipProtocol"])
	}
	for _, k := range []struct{ key, tag string }{{"referencedSecurityGroupId", "sg"}, {"prefixListId", "pl"}, {"cidrIpv4", "v4"}, {"cidrIpv6", "v6"}} {
		if v, ok := r.in[k.key].(string); ok && v != "" {
			return port + " " + k.tag + ":" + v
		}
	}
	return port + " ?"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func equalGrants(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || strings.Join(v, " ") != strings.Join(w, " ") {
			return false
		}
	}
	return true
}

// withTopology is a copy of cfg with lambdabridge:topology set to topo.
func withTopology(cfg map[string]string, topo string) map[string]string {
	c := maps.Clone(cfg)
	c["lambdabridge:topology"] = topo
	return c
}

// planFor runs the planner on cfg the way the program does, for expectations that
// depend on the price book (reasons, estimates) rather than on the program.
func planFor(t *testing.T, cfg map[string]string) (*planner.Report, *planner.Book) {
	t.Helper()
	c, err := config.Decode(config.MapSource(cfg))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	p, err := c.Plan()
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	book, err := planner.LoadBook("")
	if err != nil {
		t.Fatal(err)
	}
	return p.Report, book
}

func TestProgramRefusesInvalidTopology(t *testing.T) {
	cases := []struct {
		name string
		over map[string]string
		topo planner.Topology
	}{
		{"ipv6 without an AAAA record", map[string]string{"lambdabridge:topology": "ipv6", "lambdabridge:sourceHasIpv6": "false"}, planner.IPv6},
		{"ipv6 with AAAA unknown", map[string]string{"lambdabridge:topology": "ipv6", "lambdabridge:sourceHasIpv6": "unknown"}, planner.IPv6},
		// 8 MB compressed is 4 x ceil(8e6/3) = 10,666,668 bytes of base64 alone: far over
		// any async payload limit, and spill is off.
		{"destination with a huge payload", map[string]string{"lambdabridge:topology": "destination", "lambdabridge:payloadSize": "40MB", "lambdabridge:compressedSize": "8MB"}, planner.Destination},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := with(tc.over)
			// The planner's reasons for the topology, from a plan that does not ask for it.
			r, _ := planFor(t, withTopology(cfg, "auto"))
			e := r.Find(tc.topo)
			if e == nil || e.Valid || len(e.Reasons) == 0 {
				t.Fatalf("the planner should reject %s here with reasons: %+v", tc.topo, e)
			}
			m, err := runProgram(t, cfg)
			if err == nil {
				t.Fatalf("program accepted invalid topology %s", tc.topo)
			}
			if !strings.Contains(err.Error(), string(tc.topo)) {
				t.Errorf("error %q does not name %s", err, tc.topo)
			}
			for _, why := range e.Reasons {
				if !strings.Contains(err.Error(), why) {
					t.Errorf("error %q lacks the planner's reason %q", err, why)
				}
			}
			for _, res := range m.res {
				if res.typ != "pulumi:pulumi:Stack" {
					t.Errorf("provisioned %s %s although the topology was refused", res.typ, res.name)
				}
			}
		})
	}
}

// TestProgramNamesTheStackKey: a stack value the planner (or the decoder) refuses fails the
// program before anything is provisioned, with a message naming the stack key a user sets.
func TestProgramNamesTheStackKey(t *testing.T) {
	tests := []struct {
		name string
		over map[string]string
		want string
	}{
		{"region not priced", map[string]string{"aws:region": "eu-north-1"},
			`config aws:region: "eu-north-1" is not in the price book; known regions: ap-northeast-1, ap-northeast-2, ap-south-1, ap-southeast-1, ap-southeast-2, ca-central-1, eu-central-1, eu-west-1, eu-west-2, sa-east-1, us-east-1, us-east-2, us-west-2`},
		// baseConfig plans from 2026-11-25: a 2020-only cron has no firing in 2026-11 .. 2027-10.
		{"schedule never fires", map[string]string{"lambdabridge:schedule": "cron(0 0 1 1 ? 2020)"},
			"config lambdabridge:schedule: cron(0 0 1 1 ? 2020) does not fire in the 12 months 2026-11 to 2027-10"},
		{"schedule syntax", map[string]string{"lambdabridge:schedule": "every 10 minutes"},
			`config lambdabridge:schedule: "every 10 minutes" is neither rate(...) nor cron(...)`},
		{"memory out of range", map[string]string{"lambdabridge:memoryMB": "64"},
			"config lambdabridge:memoryMB: 64 MB is out of range (128-10240 MB)"},
		{"architecture", map[string]string{"lambdabridge:architecture": "arm"},
			`config lambdabridge:architecture: "arm" is not one of arm64, x86_64`},
		{"payload not measured", map[string]string{"lambdabridge:payloadSize": "", "lambdabridge:compressedSize": ""},
			"config lambdabridge:payloadSize: not measured (0 B): want the measured size of one response"},
		// gzip's bound on 279,000 B: 279,000 + 64 + floor(279,000/1,024) = 279,336 B.
		{"compressed over gzip's bound", map[string]string{"lambdabridge:compressedSize": "300KB"},
			"config lambdabridge:compressedSize: 300,000 B is larger than the payload size 279,000 B plus gzip's worst-case overhead (279,336 B at most)"},
		{"invalid topology", map[string]string{"lambdabridge:topology": "ipv6", "lambdabridge:sourceHasIpv6": "false"},
			"config lambdabridge:topology: ipv6 is not valid for this workload: the source host has no IPv6 (AAAA) address"},
		{"as-of before the price book", map[string]string{"lambdabridge:asOf": "2010-01-01"},
			"config lambdabridge:asOf: the price book has no "},
		{"not a number", map[string]string{"lambdabridge:memoryMB": "lots"},
			`config lambdabridge:memoryMB: "lots" is not a whole number of MB, 128-10240`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := runProgram(t, with(tc.over))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant one containing %q", err, tc.want)
			}
			for _, res := range m.res {
				if res.typ != "pulumi:pulumi:Stack" {
					t.Errorf("provisioned %s %s although the stack config was refused", res.typ, res.name)
				}
			}
		})
	}
}

// TestProgramDevStack runs the committed dev stack's config (Pulumi.dev.yaml) through
// the program: the stack file a user previews must provision under mocks.
func TestProgramDevStack(t *testing.T) {
	raw, err := os.ReadFile("Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var stack struct {
		Config map[string]interface{} `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &stack); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]string{}
	for k, v := range stack.Config {
		switch v := v.(type) {
		case string:
			cfg[k] = v
		case []interface{}:
			b, _ := json.Marshal(v)
			cfg[k] = string(b)
		default:
			cfg[k] = fmt.Sprint(v)
		}
	}
	if cfg["aws:region"] == "" || cfg["lambdabridge:sourceUrl"] == "" {
		t.Fatalf("dev stack config %v lacks a region or source", cfg)
	}
	r, _ := planFor(t, cfg)
	m, err := runProgram(t, cfg)
	if err != nil {
		t.Fatalf("dev stack: %v", err)
	}
	if len(m.byType("aws:lambda/function:Function")) == 0 || len(m.byType("aws:rds/instance:Instance")) != 1 {
		t.Errorf("dev stack (chosen %s) provisioned functions %v, databases %v", r.Chosen,
			m.names("aws:lambda/function:Function"), m.names("aws:rds/instance:Instance"))
	}
	ep := m.byType("aws:ec2/vpcEndpoint:VpcEndpoint")
	if want := r.Chosen == planner.S3; (len(ep) == 1) != want {
		t.Errorf("chosen %s: s3 endpoint %v", r.Chosen, m.names("aws:ec2/vpcEndpoint:VpcEndpoint"))
	}
	for _, e := range ep {
		if e.in["serviceName"] != "com.amazonaws."+cfg["aws:region"]+".s3" {
			t.Errorf("endpoint service %v in region %s", e.in["serviceName"], cfg["aws:region"])
		}
	}
}

func TestProgramAutoProvisionsThePlannersChoice(t *testing.T) {
	cfg := with(map[string]string{"lambdabridge:topology": "auto"})
	r, _ := planFor(t, cfg)
	m, err := runProgram(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	relay := r.Chosen == planner.NATGateway || r.Chosen == planner.NATInstance || r.Chosen == planner.IPv6
	want := []string{"functions-fetcher", "functions-writer"}
	if relay {
		want = []string{"functions-relay"}
	}
	if got := m.names("aws:lambda/function:Function"); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("chosen %s: functions %v, want %v", r.Chosen, got, want)
	}
}

// alarmString is "namespace/metric dims statistic comparison threshold".
func alarmString(r recorded) string {
	dims, _ := r.in["dimensions"].(map[string]interface{})
	var ds []string
	for k, v := range dims {
		ds = append(ds, fmt.Sprintf("%s=%v", k, v))
	}
	sort.Strings(ds)
	return fmt.Sprintf("%v/%v %s %v %v %v", r.in["namespace"], r.in["metricName"], strings.Join(ds, ","), r.in["statistic"], r.in["comparisonOperator"], r.in["threshold"])
}

func TestProgramAlarms(t *testing.T) {
	fn := func(role string) string { return "FunctionName=" + prefix + "-" + role }
	errs := func(role string) string { return "AWS/Lambda/Errors " + fn(role) + " Sum GreaterThanThreshold 0" }
	dropped := func(role string) string {
		return "AWS/Lambda/AsyncEventsDropped " + fn(role) + " Sum GreaterThanThreshold 0"
	}
	dlq := "AWS/SQS/ApproximateNumberOfMessagesVisible QueueName=" + prefix + "-dlq Maximum GreaterThanThreshold 0"
	delivery := func(role string) string {
		return "AWS/Lambda/DestinationDeliveryFailures " + fn(role) + " Sum GreaterThanThreshold 0"
	}
	failures := "AWS/S3/NumberOfObjects BucketName=functions-failures-7f3a9c,StorageType=AllStorageTypes Maximum GreaterThanThreshold 0"
	record := func(pct int) string {
		return fmt.Sprintf("lambdabridge/RecordPercentOfLimit %s Maximum GreaterThanOrEqualToThreshold %d", fn("fetcher"), pct)
	}
	cases := []struct {
		name string
		over map[string]string
		topo planner.Topology
		want []string
	}{
		{"destination", map[string]string{"lambdabridge:topology": "destination"}, planner.Destination,
			[]string{errs("fetcher"), errs("writer"), dropped("fetcher"), dropped("writer"), delivery("fetcher"), delivery("writer"), record(80), dlq, failures}},
		{"destination at 70%", map[string]string{"lambdabridge:topology": "destination", "lambdabridge:recordAlarmPercent": "70"}, planner.Destination,
			[]string{errs("fetcher"), errs("writer"), dropped("fetcher"), dropped("writer"), delivery("fetcher"), delivery("writer"), record(70), dlq, failures}},
		{"s3", map[string]string{"lambdabridge:topology": "s3"}, planner.S3,
			[]string{errs("fetcher"), errs("writer"), dropped("fetcher"), dropped("writer"), delivery("fetcher"), delivery("writer"), dlq}},
		{"nat-gateway", map[string]string{"lambdabridge:topology": "nat-gateway"}, planner.NATGateway,
			[]string{errs("relay"), dropped("relay"), delivery("relay"), dlq}},
		{"nat-instance", map[string]string{"lambdabridge:topology": "nat-instance"}, planner.NATInstance,
			[]string{errs("relay"), dropped("relay"), delivery("relay"), dlq}},
		{"ipv6", map[string]string{"lambdabridge:topology": "ipv6"}, planner.IPv6,
			[]string{errs("relay"), dropped("relay"), delivery("relay"), dlq}},
	}
	topicArn := fmt.Sprintf("arn:aws:sns:%s:%s:%s-alarms", region, account, prefix)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := runProgram(t, with(tc.over))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range m.byType("aws:cloudwatch/metricAlarm:MetricAlarm") {
				got = append(got, alarmString(r))
				if acts, _ := r.in["alarmActions"].([]interface{}); len(acts) != 1 || acts[0] != topicArn {
					t.Errorf("%s actions %v, want the topic", r.name, r.in["alarmActions"])
				}
			}
			sort.Strings(got)
			want := append([]string(nil), tc.want...)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("alarms\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
			}
			// The planner prices exactly the alarms the program creates.
			if n := planner.GuardrailAlarms(tc.topo); len(got) != n {
				t.Errorf("%d alarms, the planner prices %d", len(got), n)
			}
			sub := m.named(t, "aws:sns/topicSubscription:TopicSubscription", "guardrails-email")
			if sub.in["protocol"] != "email" || sub.in["endpoint"] != "ops@example.com" || sub.in["topic"] != topicArn {
				t.Errorf("subscription %v", sub.in)
			}
		})
	}
}

func TestProgramBudget(t *testing.T) {
	cases := []struct {
		name   string
		over   map[string]string
		factor float64
		email  bool
	}{
		{"default factor 1.5 with email", map[string]string{"lambdabridge:topology": "nat-gateway"}, 1.5, true},
		{"factor 2 with email", map[string]string{"lambdabridge:topology": "nat-instance", "lambdabridge:budgetFactor": "2"}, 2, true},
		{"no email: no notifications", map[string]string{"lambdabridge:topology": "destination", "lambdabridge:alarmEmail": ""}, 1.5, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := with(tc.over)
			r, _ := planFor(t, cfg)
			if want := planner.Topology(cfg["lambdabridge:topology"]); r.Chosen != want {
				t.Fatalf("the planner chose %s; %s was requested", r.Chosen, want)
			}
			total := r.TotalMonthlyUSD
			m, err := runProgram(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			b := m.named(t, "aws:budgets/budget:Budget", "guardrails-budget")
			// budget = estimate x factor, rounded up to the cent, at least $1.
			want := total * tc.factor
			if want < 1 {
				want = 1
			}
			got := 0.0
			if _, err := fmt.Sscanf(fmt.Sprint(b.in["limitAmount"]), "%f", &got); err != nil {
				t.Fatalf("limitAmount %v: %v", b.in["limitAmount"], err)
			}
			if got < want-1e-9 || got > want+0.01 {
				t.Errorf("budget %v USD, want %.4f x %v = %.4f (to the cent above)", got, total, tc.factor, want)
			}
			if b.in["budgetType"] != "COST" || b.in["timeUnit"] != "MONTHLY" || b.in["limitUnit"] != "USD" {
				t.Errorf("budget kind %v %v %v", b.in["budgetType"], b.in["timeUnit"], b.in["limitUnit"])
			}
			notes, _ := b.in["notifications"].([]interface{})
			if !tc.email {
				if len(notes) != 0 || len(m.byType("aws:sns/topicSubscription:TopicSubscription")) != 0 {
					t.Errorf("without alarmEmail: notifications %v, subscriptions %v", notes, m.names("aws:sns/topicSubscription:TopicSubscription"))
				}
				return
			}
			var th []string
			for _, n := range notes {
				nm, _ := n.(map[string]interface{})
				th = append(th, fmt.Sprintf("%v %v %v %v", nm["threshold"], nm["thresholdType"], nm["notificationType"], nm["subscriberEmailAddresses"]))
			}
			wantTh := []string{"80 PERCENTAGE ACTUAL [ops@example.com]", "100 PERCENTAGE ACTUAL [ops@example.com]"}
			if strings.Join(th, "|") != strings.Join(wantTh, "|") {
				t.Errorf("notifications %v, want %v", th, wantTh)
			}
		})
	}
}

// TestProgramBudgetNamedTopology: a named topology other than the cheapest is
// budgeted with its own guardrails, not the cheapest topology's.
func TestProgramBudgetNamedTopology(t *testing.T) {
	cfg := with(map[string]string{"lambdabridge:topology": "destination", "lambdabridge:freeTier": "none"})
	if r, _ := planFor(t, withTopology(cfg, "auto")); r.Chosen != planner.IPv6 {
		t.Fatalf("the planner's cheapest is %s; the test needs ipv6 (one relay)", r.Chosen)
	}
	r, _ := planFor(t, cfg)
	if r.Chosen != planner.Destination {
		t.Fatalf("the planner chose %s; destination was requested", r.Chosen)
	}
	// Nothing free (us-east-1): destination's 9 alarms x $0.10 + 5 EMF metrics x $0.30
	// = $0.90 + $1.50 = $2.40, not the cheapest relay's 4 x $0.10 + $1.50 = $1.90.
	if g := r.GuardrailsMonthlyUSD; g < 2.40-1e-9 || g > 2.40+1e-9 {
		t.Errorf("guardrails $%v, want destination's $2.40", g)
	}
	want := infra.BudgetAmount((r.Find(planner.Destination).MonthlyUSD + r.CommonMonthlyUSD + 2.40) * 1.5)
	m, err := runProgram(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b := m.named(t, "aws:budgets/budget:Budget", "guardrails-budget")
	if got := fmt.Sprint(b.in["limitAmount"]); got != fmt.Sprintf("%.2f", want) {
		t.Errorf("budget %s USD, want %.2f (destination + common + its $2.40 guardrails, x 1.5)", got, want)
	}
}

func TestProgramNetworkDetails(t *testing.T) {
	t.Run("nat-instance", func(t *testing.T) {
		m, err := runProgram(t, with(map[string]string{"lambdabridge:topology": "nat-instance"}))
		if err != nil {
			t.Fatal(err)
		}
		inst := m.named(t, "aws:ec2/instance:Instance", "network-nat")
		ud, _ := inst.in["userData"].(string)
		if inst.in["instanceType"] != "t4g.nano" || inst.in["sourceDestCheck"] != false || inst.in["ami"] != natAMI ||
			inst.in["subnetId"] != "network-public-id" || inst.in["associatePublicIpAddress"] != true {
			t.Errorf("nat instance %v", inst.in)
		}
		if !strings.Contains(ud, "net.ipv4.ip_forward=1") || !strings.Contains(ud, "masquerade") {
			t.Errorf("nat user data lacks forwarding or masquerade:\n%s", ud)
		}
		amis := m.calls["aws:ec2/getAmi:getAmi"]
		if len(amis) != 1 || !strings.Contains(fmt.Sprint(amis[0]["filters"]), "arm64") || !strings.Contains(fmt.Sprint(amis[0]["filters"]), "al2023-ami-") ||
			fmt.Sprint(amis[0]["owners"]) != "[amazon]" {
			t.Errorf("AMI lookup %v, want Amazon's AL2023 arm64", amis)
		}
		routes := defaultRoutes(m, "networkInterfaceId")
		if strings.Join(routes, ",") != "network-private-1-id 0.0.0.0/0 "+natENI+",network-private-2-id 0.0.0.0/0 "+natENI {
			t.Errorf("private default routes %v, want both to the NAT instance ENI", routes)
		}
	})
	t.Run("nat-gateway", func(t *testing.T) {
		m, err := runProgram(t, with(map[string]string{"lambdabridge:topology": "nat-gateway"}))
		if err != nil {
			t.Fatal(err)
		}
		nat := m.named(t, "aws:ec2/natGateway:NatGateway", "network-nat")
		if nat.in["allocationId"] != "network-nat-id" || nat.in["subnetId"] != "network-public-id" {
			t.Errorf("nat gateway %v", nat.in)
		}
		if eip := m.named(t, "aws:ec2/eip:Eip", "network-nat"); eip.in["domain"] != "vpc" {
			t.Errorf("eip %v", eip.in)
		}
		routes := defaultRoutes(m, "natGatewayId")
		if strings.Join(routes, ",") != "network-private-1-id 0.0.0.0/0 network-nat-id,network-private-2-id 0.0.0.0/0 network-nat-id" {
			t.Errorf("private default routes %v", routes)
		}
	})
	t.Run("ipv6", func(t *testing.T) {
		m, err := runProgram(t, with(map[string]string{"lambdabridge:topology": "ipv6"}))
		if err != nil {
			t.Fatal(err)
		}
		if v := m.named(t, "aws:ec2/vpc:Vpc", "network-vpc"); v.in["assignGeneratedIpv6CidrBlock"] != true {
			t.Errorf("vpc not dual-stack: %v", v.in)
		}
		// The VPC's /56 is 2600:1f18:abcd:ef00::/56; subnet i takes the /64 whose 8th
		// byte is i: ef00 + 1 = ef01, ef00 + 2 = ef02.
		for i, want := range []string{"2600:1f18:abcd:ef01::/64", "2600:1f18:abcd:ef02::/64"} {
			s := m.named(t, "aws:ec2/subnet:Subnet", fmt.Sprintf("network-private-%d", i+1))
			if s.in["ipv6CidrBlock"] != want || s.in["assignIpv6AddressOnCreation"] != true {
				t.Errorf("subnet %d ipv6 %v (assign %v), want %s", i+1, s.in["ipv6CidrBlock"], s.in["assignIpv6AddressOnCreation"], want)
			}
		}
		var v6 []string
		for _, r := range m.byType("aws:ec2/route:Route") {
			v6 = append(v6, fmt.Sprintf("%v %v %v", r.in["routeTableId"], r.in["destinationIpv6CidrBlock"], r.in["egressOnlyGatewayId"]))
		}
		sort.Strings(v6)
		if strings.Join(v6, ",") != "network-private-1-id ::/0 network-eigw-id,network-private-2-id ::/0 network-eigw-id" {
			t.Errorf("routes %v, want only ::/0 to the egress-only gateway", v6)
		}
	})
	t.Run("s3 endpoint and bucket", func(t *testing.T) {
		m, err := runProgram(t, with(map[string]string{"lambdabridge:topology": "s3"}))
		if err != nil {
			t.Fatal(err)
		}
		ep := m.named(t, "aws:ec2/vpcEndpoint:VpcEndpoint", "network-s3")
		if ep.in["serviceName"] != "com.amazonaws.us-east-1.s3" || ep.in["vpcEndpointType"] != "Gateway" ||
			fmt.Sprint(ep.in["routeTableIds"]) != "[network-private-1-id network-private-2-id]" {
			t.Errorf("endpoint %v", ep.in)
		}
		if len(m.byType("aws:ec2/route:Route")) != 0 {
			t.Errorf("s3 topology has routes %v", m.names("aws:ec2/route:Route"))
		}
		pab := m.named(t, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "functions-bucket-public-access")
		for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
			if pab.in[k] != true {
				t.Errorf("public access block %s = %v", k, pab.in[k])
			}
		}
		enc := m.named(t, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "functions-bucket-encryption")
		if !strings.Contains(fmt.Sprint(enc.in["rules"]), "sseAlgorithm:AES256") {
			t.Errorf("encryption %v", enc.in["rules"])
		}
		lc := m.named(t, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", "functions-bucket-expiry")
		rules, _ := lc.in["rules"].([]interface{})
		if len(rules) != 1 || !strings.Contains(fmt.Sprint(rules[0]), "expiration:map[days:1]") || !strings.Contains(fmt.Sprint(rules[0]), "prefix:fetches/") {
			t.Errorf("lifecycle %v, want expiry after 1 day on fetches/", rules)
		}
		perm := m.named(t, "aws:lambda/permission:Permission", "functions-writer-from-s3")
		if perm.in["principal"] != "s3.amazonaws.com" || perm.in["sourceArn"] != "arn:aws:s3:::functions-bucket-7f3a9c" || perm.in["sourceAccount"] != account {
			t.Errorf("s3 permission %v", perm.in)
		}
		n := m.named(t, "aws:s3/bucketNotification:BucketNotification", "functions-bucket-notification")
		if !strings.Contains(fmt.Sprint(n.in["lambdaFunctions"]), "lambdaFunctionArn:"+fnArn("writer")) {
			t.Errorf("notification %v, want the writer", n.in["lambdaFunctions"])
		}
	})
}

// defaultRoutes lists "table destination target" for IPv4 default routes to target key.
func defaultRoutes(m *mocks, target string) []string {
	var out []string
	for _, r := range m.byType("aws:ec2/route:Route") {
		if r.in["destinationCidrBlock"] == "0.0.0.0/0" && r.in[target] != nil {
			out = append(out, fmt.Sprintf("%v %v %v", r.in["routeTableId"], r.in["destinationCidrBlock"], r.in[target]))
		}
	}
	sort.Strings(out)
	return out
}

// environment returns a function's environment variables as the handler sees them (secrets
// unwrapped) and whether the engine got them as a secret.
func environment(t *testing.T, m *mocks, role string) (vars map[string]string, secret bool) {
	t.Helper()
	fn := m.named(t, "aws:lambda/function:Function", "functions-"+role)
	unwrap := func(v resource.PropertyValue) resource.PropertyValue {
		if v.IsSecret() {
			secret = true
			return v.SecretValue().Element
		}
		return v
	}
	e := unwrap(fn.raw["environment"])
	if !e.IsObject() {
		t.Fatalf("%s environment %v, want an object", role, e)
	}
	vs := unwrap(e.ObjectValue()["variables"])
	if !vs.IsObject() {
		t.Fatalf("%s environment variables %v, want an object", role, vs)
	}
	vars = map[string]string{}
	for k, v := range vs.ObjectValue() {
		vars[string(k)] = unwrap(v).StringValue()
	}
	return vars, secret
}

// env returns a function's environment variables (secrets unwrapped).
func env(t *testing.T, m *mocks, role string) map[string]string {
	t.Helper()
	vars, _ := environment(t, m, role)
	return vars
}

// secretEnv returns a function's environment variable k, failing unless the engine gets it
// only as a secret (the handlers' settings render the environment as one map, so one holding
// a password is a secret as a whole).
func secretEnv(t *testing.T, m *mocks, role, k string) string {
	t.Helper()
	vars, secret := environment(t, m, role)
	v, ok := vars[k]
	if !ok || !secret {
		t.Errorf("%s %s set %v, environment secret %v; want it set, in a secret", role, k, ok, secret)
		return ""
	}
	return v
}

// onlySecret fails if value appears in any resource's inputs outside a secret.
func onlySecret(t *testing.T, m *mocks, value string) {
	t.Helper()
	if value == "" {
		t.Error("onlySecret: no value to look for")
		return
	}
	var walk func(where string, v resource.PropertyValue)
	walk = func(where string, v resource.PropertyValue) {
		switch {
		case v.IsSecret():
		case v.IsString():
			if strings.Contains(v.StringValue(), value) {
				t.Errorf("%s holds the password outside a secret", where)
			}
		case v.IsArray():
			for i, e := range v.ArrayValue() {
				walk(fmt.Sprintf("%s[%d]", where, i), e)
			}
		case v.IsObject():
			for k, e := range v.ObjectValue() {
				walk(where+"."+string(k), e)
			}
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.res {
		for k, v := range r.raw {
			walk(r.typ+" "+r.name+"."+string(k), v)
		}
	}
}

func TestProgramEnvironment(t *testing.T) {
	cfg := with(map[string]string{"lambdabridge:topology": "destination", "lambdabridge:spill": "true"})
	_, book := planFor(t, cfg)
	asOf, _ := timeParse("2026-11-25")
	limit, err := book.AsyncPayloadLimit(asOf)
	if err != nil {
		t.Fatal(err)
	}
	m, err := runProgram(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	fe, secret := environment(t, m, "fetcher")
	if secret {
		t.Errorf("fetcher environment is a secret; it holds none, so it should stay readable")
	}
	for k, want := range map[string]string{
		"SOURCE_URL": "https://api.example.com/v1/data.json", "MODE": "destination", "SPILL": "true",
		"BUCKET": "functions-bucket-7f3a9c", "KEY_PREFIX": "fetches/", "ASYNC_LIMIT_BYTES": fmt.Sprint(limit),
	} {
		if fe[k] != want {
			t.Errorf("fetcher %s = %v, want %s", k, fe[k], want)
		}
	}
	for _, k := range []string{"PGHOST", "PGPASSWORD"} {
		if _, ok := fe[k]; ok {
			t.Errorf("fetcher has %s", k)
		}
	}
	we := env(t, m, "writer")
	for k, want := range map[string]string{
		"PGHOST": "database-postgres.c1x2y3.us-east-1.rds.amazonaws.com", "PGPORT": "5432", "PGDATABASE": "lambdabridge",
		"PGUSER": "writer", "DB_AUTH": "iam", "PGSSLMODE": "verify-full", "BUCKET": "functions-bucket-7f3a9c", "RECORDS_TABLE": "records",
	} {
		if we[k] != want {
			t.Errorf("writer %s = %v, want %s", k, we[k], want)
		}
	}
	// No password in the writer's configuration: IAM auth, and the writer-role setup's master
	// credentials travel in the setup invocation's (secret) payload instead.
	for _, k := range []string{"PGPASSWORD", "DB_ADMIN_USER", "DB_ADMIN_PASSWORD"} {
		if _, ok := we[k]; ok {
			t.Errorf("writer has %s", k)
		}
	}
	if _, secret := environment(t, m, "writer"); secret {
		t.Errorf("writer environment is a secret: it should hold none")
	}
	generatedPassword(t, m.named(t, "aws:rds/instance:Instance", "database-postgres"))
	if ev := setupEvent(t, m, "writer"); ev.AdminUser != "lbadmin" || ev.AdminPassword != storedPassword {
		t.Errorf("setup invocation as %q with the stored password %v, want lbadmin and the instance's password output", ev.AdminUser, ev.AdminPassword == storedPassword)
	}
	onlySecret(t, m, storedPassword)
	for _, k := range []string{"DB_ADMIN_USER", "DB_ADMIN_PASSWORD"} {
		if _, ok := fe[k]; ok {
			t.Errorf("fetcher has %s", k)
		}
	}
	lg := m.named(t, "aws:cloudwatch/logGroup:LogGroup", "functions-writer-logs")
	if lg.in["name"] != "/aws/lambda/"+prefix+"-writer" || lg.in["retentionInDays"] != 14.0 {
		t.Errorf("writer log group %v", lg.in)
	}
}

// setupEvent is the database-setup invocation's event (store.SetupEvent), failing unless
// the engine gets its input only as a secret, and it invokes the function of role.
func setupEvent(t *testing.T, m *mocks, role string) store.SetupEvent {
	t.Helper()
	inv := m.named(t, "aws:lambda/invocation:Invocation", "functions-db-setup")
	if inv.in["functionName"] != prefix+"-"+role {
		t.Errorf("setup invokes %v, want %s-%s", inv.in["functionName"], prefix, role)
	}
	in := inv.raw["input"]
	if !in.IsSecret() {
		t.Fatalf("setup input %v, want a secret", in)
	}
	ev, ok, err := store.ParseSetupEvent([]byte(in.SecretValue().Element.StringValue()))
	if !ok || err != nil {
		t.Fatalf("setup input is not a setup event: %v", err)
	}
	return ev
}

// settings is a handler's parsed settings, which render their environment back.
type settings interface{ Env() map[string]string }

// TestProgramEnvironmentSatisfiesHandlers parses each function's environment with the
// handler's own SettingsFromEnv: what infra sets is what the handler accepts, with the values
// the stack gives, and rendering the parsed settings gives the deployed environment back.
func TestProgramEnvironmentSatisfiesHandlers(t *testing.T) {
	const bucket = "functions-bucket-7f3a9c"
	checkStore := func(t *testing.T, sc store.Config) {
		t.Helper()
		if sc.Auth != store.AuthIAM || sc.User != "writer" || sc.Port != infra.PostgresPort || sc.Name != "lambdabridge" ||
			sc.SSLMode != "verify-full" || sc.AdminUser != "" || sc.AdminPassword != "" || sc.Password != "" {
			t.Errorf("store settings auth %s user %s port %d database %s sslmode %s admin %q (a password: %v)",
				sc.Auth, sc.User, sc.Port, sc.Name, sc.SSLMode, sc.AdminUser, sc.AdminPassword != "" || sc.Password != "")
		}
	}
	for _, tc := range []struct {
		topo  string
		spill string
		roles []string
	}{
		{"destination", "false", []string{"fetcher", "writer"}},
		{"destination", "true", []string{"fetcher", "writer"}},
		{"s3", "false", []string{"fetcher", "writer"}},
		{"nat-gateway", "false", []string{"relay"}},
		{"ipv6", "false", []string{"relay"}},
	} {
		t.Run(tc.topo+" spill="+tc.spill, func(t *testing.T) {
			m, err := runProgram(t, with(map[string]string{"lambdabridge:topology": tc.topo, "lambdabridge:spill": tc.spill}))
			if err != nil {
				t.Fatal(err)
			}
			wantBucket := ""
			if tc.topo == "s3" || tc.spill == "true" {
				wantBucket = bucket
			}
			for _, role := range tc.roles {
				deployed := env(t, m, role)
				get := func(k string) string { return deployed[k] }
				var parsed settings
				switch role {
				case "fetcher":
					fs, err := fetcher.SettingsFromEnv(get)
					if err != nil {
						t.Fatalf("fetcher.SettingsFromEnv refuses infra's environment: %v", err)
					}
					wantMode := map[bool]string{true: fetcher.ModeS3, false: fetcher.ModeDestination}[tc.topo == "s3"]
					if fs.Mode != wantMode || fs.Spill != (tc.spill == "true") || fs.Bucket != wantBucket || fs.NeedsBucket() != (fs.Bucket != "") ||
						fs.Source.Config.URL != "https://api.example.com/v1/data.json" {
						t.Errorf("fetcher settings mode %s spill %v bucket %q source %s", fs.Mode, fs.Spill, fs.Bucket, fs.Source.Config.URL)
					}
					parsed = fs
				case "writer":
					ws, err := writer.SettingsFromEnv(get)
					if err != nil {
						t.Fatalf("writer.SettingsFromEnv refuses infra's environment: %v", err)
					}
					checkStore(t, ws.Store)
					if ws.Bucket != wantBucket {
						t.Errorf("writer bucket %q, want %q", ws.Bucket, wantBucket)
					}
					parsed = ws
				case "relay":
					rs, err := relay.SettingsFromEnv(get)
					if err != nil {
						t.Fatalf("relay.SettingsFromEnv refuses infra's environment: %v", err)
					}
					checkStore(t, rs.Store)
					if rs.AsyncLimitBytes <= 0 || rs.Source.Config.URL != "https://api.example.com/v1/data.json" {
						t.Errorf("relay limit %d source %s", rs.AsyncLimitBytes, rs.Source.Config.URL)
					}
					parsed = rs
				}
				if got := parsed.Env(); !maps.Equal(got, deployed) {
					t.Errorf("%s: the parsed settings render %v\ndeployed %v", role, got, deployed)
				}
			}
		})
	}
}

// generatedPassword checks the instance's password input is a secret generated with
// crypto/rand.Text (26 characters of A-Z and 2-7: 26 x 5 = 130 bits, none of the characters
// RDS refuses: / ' " @ space) that later runs cannot change (ignoreChanges), and returns it.
func generatedPassword(t *testing.T, db recorded) string {
	t.Helper()
	pw := db.raw["password"]
	if !pw.IsSecret() {
		t.Errorf("password input %v, want a secret", pw)
		return ""
	}
	v := pw.SecretValue().Element.StringValue()
	if !regexp.MustCompile(`^[A-Z2-7]{26}$`).MatchString(v) {
		t.Errorf("generated password has %d characters, want 26 of A-Z2-7", len(v))
	}
	if !slices.Contains(db.ignoreChanges, "password") {
		t.Errorf("ignoreChanges %v, want password: a new value each run must not reach the instance", db.ignoreChanges)
	}
	return v
}

func TestProgramDatabasePassword(t *testing.T) {
	t.Run("configured", func(t *testing.T) {
		m, err := runProgram(t, with(map[string]string{"lambdabridge:topology": "destination", "lambdabridge:dbPassword": "correct-horse-battery"}))
		if err != nil {
			t.Fatal(err)
		}
		db := m.named(t, "aws:rds/instance:Instance", "database-postgres")
		pw := db.raw["password"]
		if !pw.IsSecret() || pw.SecretValue().Element.StringValue() != "correct-horse-battery" {
			t.Errorf("password input %v, want the configured value as a secret", pw)
		}
		if v, ok := db.in["manageMasterUserPassword"]; ok {
			t.Errorf("manageMasterUserPassword %v with dbPassword set", v)
		}
		// A configured password is applied on every up: changing dbPassword rotates it.
		if slices.Contains(db.ignoreChanges, "password") {
			t.Errorf("ignoreChanges %v: a changed dbPassword would never reach the instance", db.ignoreChanges)
		}
		if ev := setupEvent(t, m, "writer"); ev.AdminPassword != "correct-horse-battery" {
			t.Errorf("the setup invocation does not carry the configured master password")
		}
		onlySecret(t, m, "correct-horse-battery")
	})
	t.Run("generated", func(t *testing.T) {
		// The mock engine answers as on a later `up`: the instance's password output is
		// the stored one, not this run's generated input. The functions must get the
		// output, the password RDS has.
		var pws []string
		for run := 0; run < 2; run++ {
			m, err := runProgram(t, with(map[string]string{"lambdabridge:topology": "nat-gateway"}))
			if err != nil {
				t.Fatal(err)
			}
			pw := generatedPassword(t, m.named(t, "aws:rds/instance:Instance", "database-postgres"))
			if ev := setupEvent(t, m, "relay"); ev.AdminPassword != storedPassword || ev.AdminUser != "lbadmin" {
				t.Errorf("the setup invocation does not carry lbadmin and the instance's password output (the stored one)")
			}
			onlySecret(t, m, storedPassword)
			onlySecret(t, m, pw)
			pws = append(pws, pw)
		}
		// Each run generates anew (only ignoreChanges keeps the first): 2 x 130 random bits
		// colliding would be a broken generator.
		if pws[0] == pws[1] {
			t.Errorf("two runs generated the same password")
		}
	})
}

func TestProgramExistingVpcAndDatabase(t *testing.T) {
	existing := map[string]string{
		"lambdabridge:vpcId":                     "vpc-0123456789abcdef0",
		"lambdabridge:subnetIds":                 `["subnet-0aaaaaaaaaaaaaaa1","subnet-0bbbbbbbbbbbbbbb2"]`,
		"lambdabridge:existingDbHost":            "pg.internal.example.com",
		"lambdabridge:existingDbSecurityGroupId": "sg-0dddddddddddddd01",
		"lambdabridge:dbPassword":                "s3cret-pass",
		"lambdabridge:dbPasswordInEnvironment":   "true",
	}
	t.Run("s3 on an existing VPC and database", func(t *testing.T) {
		over := map[string]string{"lambdabridge:topology": "s3"}
		for k, v := range existing {
			over[k] = v
		}
		m, err := runProgram(t, with(over))
		if err != nil {
			t.Fatal(err)
		}
		for _, typ := range []string{"aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:rds/instance:Instance", "aws:rds/subnetGroup:SubnetGroup"} {
			if n := m.names(typ); len(n) != 0 {
				t.Errorf("created %s %v on an existing VPC and database", typ, n)
			}
		}
		ep := m.named(t, "aws:ec2/vpcEndpoint:VpcEndpoint", "network-s3")
		if ep.in["vpcId"] != "vpc-0123456789abcdef0" || fmt.Sprint(ep.in["routeTableIds"]) != "[rtb-of-subnet-0aaaaaaaaaaaaaaa1 rtb-of-subnet-0bbbbbbbbbbbbbbb2]" {
			t.Errorf("endpoint %v", ep.in)
		}
		in := m.named(t, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "database-from-functions")
		if in.in["securityGroupId"] != "sg-0dddddddddddddd01" || ruleString(in) != "5432 sg:network-functions-id" {
			t.Errorf("ingress on the existing group %v", in.in)
		}
		we := env(t, m, "writer")
		if we["PGHOST"] != "pg.internal.example.com" || we["DB_AUTH"] != "password" {
			t.Errorf("writer env %v", we)
		}
		if pw := secretEnv(t, m, "writer", "PGPASSWORD"); pw != "s3cret-pass" {
			t.Errorf("writer PGPASSWORD is not the configured dbPassword")
		}
		onlySecret(t, m, "s3cret-pass")
		// The owner made the writer user there: no bootstrap, no master password.
		for _, k := range []string{"DB_ADMIN_USER", "DB_ADMIN_PASSWORD"} {
			if _, ok := we[k]; ok {
				t.Errorf("writer on an existing database has %s", k)
			}
		}
		if g := grants(policy(t, m.named(t, "aws:iam/rolePolicy:RolePolicy", "functions-writer-policy"))); g["rds-db:connect"] != nil {
			t.Errorf("password auth still grants rds-db:connect %v", g["rds-db:connect"])
		}
		if n := m.names("aws:lambda/invocation:Invocation"); len(n) != 0 {
			t.Errorf("setup invocations %v on an existing database", n)
		}
	})
	t.Run("destination on an existing database with its resource id: IAM, no password", func(t *testing.T) {
		over := map[string]string{"lambdabridge:topology": "destination", "lambdabridge:existingDbResourceId": "db-EXISTING1234567890ABCDEFG"}
		for k, v := range existing {
			if k != "lambdabridge:dbPassword" && k != "lambdabridge:dbPasswordInEnvironment" {
				over[k] = v
			}
		}
		m, err := runProgram(t, with(over))
		if err != nil {
			t.Fatal(err)
		}
		we, secret := environment(t, m, "writer")
		if we["DB_AUTH"] != "iam" || we["PGHOST"] != "pg.internal.example.com" || secret {
			t.Errorf("writer env %v (secret %v), want IAM to the existing host, no secret", we, secret)
		}
		for _, k := range []string{"PGPASSWORD", "DB_ADMIN_USER", "DB_ADMIN_PASSWORD"} {
			if _, ok := we[k]; ok {
				t.Errorf("writer has %s", k)
			}
		}
		want := fmt.Sprintf("arn:aws:rds-db:%s:%s:dbuser:db-EXISTING1234567890ABCDEFG/writer", region, account)
		if g := grants(policy(t, m.named(t, "aws:iam/rolePolicy:RolePolicy", "functions-writer-policy"))); strings.Join(g["rds-db:connect"], " ") != want {
			t.Errorf("rds-db:connect %v, want %s", g["rds-db:connect"], want)
		}
		if n := m.names("aws:lambda/invocation:Invocation"); len(n) != 0 {
			t.Errorf("setup invocations %v on an existing database (its owner made the writer user)", n)
		}
	})
	t.Run("nat-gateway on an existing VPC that has one", func(t *testing.T) {
		m, err := runProgram(t, with(map[string]string{"lambdabridge:topology": "nat-gateway", "lambdabridge:existingNat": "true",
			"lambdabridge:vpcId": "vpc-0123456789abcdef0", "lambdabridge:subnetIds": `["subnet-0aaaaaaaaaaaaaaa1","subnet-0bbbbbbbbbbbbbbb2"]`}))
		if err != nil {
			t.Fatal(err)
		}
		for _, typ := range []string{"aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip", "aws:ec2/route:Route", "aws:ec2/internetGateway:InternetGateway", "aws:ec2/vpc:Vpc"} {
			if n := m.names(typ); len(n) != 0 {
				t.Errorf("created %s %v although the VPC already has a NAT", typ, n)
			}
		}
		fn := m.named(t, "aws:lambda/function:Function", "functions-relay")
		vc, _ := fn.in["vpcConfig"].(map[string]interface{})
		if fmt.Sprint(vc["subnetIds"]) != "[subnet-0aaaaaaaaaaaaaaa1 subnet-0bbbbbbbbbbbbbbb2]" {
			t.Errorf("relay subnets %v, want the given ones", vc["subnetIds"])
		}
	})
	for _, tc := range []struct {
		name, want string
		over       map[string]string
	}{
		{"nat-gateway on an existing VPC without existingNat", "existingNat",
			map[string]string{"lambdabridge:topology": "nat-gateway", "lambdabridge:vpcId": "vpc-0123456789abcdef0", "lambdabridge:subnetIds": `["subnet-0aaaaaaaaaaaaaaa1"]`}},
		{"ipv6 on an existing VPC", "ipv6",
			map[string]string{"lambdabridge:topology": "ipv6", "lambdabridge:vpcId": "vpc-0123456789abcdef0", "lambdabridge:subnetIds": `["subnet-0aaaaaaaaaaaaaaa1"]`}},
		{"existingNat without an existing VPC", "existingNat",
			map[string]string{"lambdabridge:topology": "nat-gateway", "lambdabridge:existingNat": "true"}},
		{"existing database without a VPC", "vpcId",
			map[string]string{"lambdabridge:topology": "destination", "lambdabridge:existingDbHost": "pg.internal.example.com", "lambdabridge:dbPassword": "x-long-password",
				"lambdabridge:dbPasswordInEnvironment": "true"}},
		{"existing database without IAM or an allowed password", "existingDbResourceId",
			map[string]string{"lambdabridge:topology": "destination", "lambdabridge:vpcId": "vpc-0123456789abcdef0", "lambdabridge:subnetIds": `["subnet-0aaaaaaaaaaaaaaa1"]`,
				"lambdabridge:existingDbHost": "pg.internal.example.com", "lambdabridge:existingDbSecurityGroupId": "sg-0dddddddddddddd01", "lambdabridge:dbPassword": "s3cret-pass"}},
		{"existing database, password allowed but not given", "dbPassword",
			map[string]string{"lambdabridge:topology": "destination", "lambdabridge:vpcId": "vpc-0123456789abcdef0", "lambdabridge:subnetIds": `["subnet-0aaaaaaaaaaaaaaa1"]`,
				"lambdabridge:existingDbHost": "pg.internal.example.com", "lambdabridge:existingDbSecurityGroupId": "sg-0dddddddddddddd01", "lambdabridge:dbPasswordInEnvironment": "true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runProgram(t, with(tc.over))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming %s", err, tc.want)
			}
		})
	}
}

func TestProgramNeedsSourceURL(t *testing.T) {
	m, err := runProgram(t, with(map[string]string{"lambdabridge:sourceUrl": ""}))
	if err == nil || !strings.Contains(err.Error(), "lambdabridge:sourceUrl") {
		t.Errorf("error %v, want one naming lambdabridge:sourceUrl", err)
	}
	for _, r := range m.res {
		if r.typ != "pulumi:pulumi:Stack" {
			t.Errorf("provisioned %s %s without a source", r.typ, r.name)
		}
	}
}

func timeParse(s string) (time.Time, error) { return time.Parse("2006-01-02", s) }

// TestProgramRealBuild builds the real handlers inside the program (as `pulumi preview`
// does) and checks each function's archive: one executable linux/arm64 `bootstrap`,
// byte-identical on a second run, so an unchanged source shows no diff.
func TestProgramRealBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the handlers for linux/arm64 (slow on a cold cache)")
	}
	for topo, roles := range map[string][]string{"destination": {"fetcher", "writer"}, "nat-gateway": {"relay"}} {
		t.Run(topo, func(t *testing.T) {
			cfg := with(map[string]string{"lambdabridge:topology": topo})
			b, _ := json.Marshal(cfg)
			t.Setenv(pulumi.EnvConfig, string(b))
			digests := map[string]string{}
			for run := 0; run < 2; run++ {
				m := &mocks{}
				dir := t.TempDir()
				err := pulumi.RunErr(func(ctx *pulumi.Context) error {
					_, err := deploy(ctx, deployOptions{Build: buildHandler, BuildDir: dir})
					return err
				}, pulumi.WithMocks("lambdabridge", "dev", m))
				if err != nil {
					t.Fatalf("run %d: %v", run, err)
				}
				for _, role := range roles {
					fn := m.named(t, "aws:lambda/function:Function", "functions-"+role)
					code := fn.raw["code"]
					if !code.IsArchive() {
						t.Fatalf("%s code is %v, want an archive", role, code)
					}
					path := code.ArchiveValue().Path
					if want := filepath.Join(dir, role, "bootstrap.zip"); path != want {
						t.Errorf("%s archive %s, want %s", role, path, want)
					}
					raw, err := os.ReadFile(path)
					if err != nil {
						t.Fatal(err)
					}
					sum := sha256.Sum256(raw)
					d := hex.EncodeToString(sum[:])
					if run == 0 {
						digests[role] = d
						checkBootstrapZip(t, role, path)
					} else if digests[role] != d {
						t.Errorf("%s archive changed between identical builds: %s then %s", role, digests[role], d)
					}
				}
			}
		})
	}
}

func checkBootstrapZip(t *testing.T, role, path string) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" || zr.File[0].Mode().Perm()&0o111 == 0 {
		t.Fatalf("%s zip %v, want one executable bootstrap", role, zr.File)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s bootstrap is not ELF: %v", role, err)
	}
	if f.Machine != elf.EM_AARCH64 || f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
		t.Errorf("%s bootstrap machine %v osabi %v, want linux arm64", role, f.Machine, f.OSABI)
	}
}

// TestProgramOutputs resolves the stack outputs of each kind of topology.
func TestProgramOutputs(t *testing.T) {
	cases := []struct {
		topo string
		want map[string]string // output -> value ("" = must be absent)
	}{
		{"destination", map[string]string{"fetcherName": prefix + "-fetcher", "writerName": prefix + "-writer", "relayName": ""}},
		{"nat-instance", map[string]string{"fetcherName": "", "writerName": "", "relayName": prefix + "-relay"}},
		// s3 is not the cheapest here (destination and ipv6 cost less): the report, the
		// estimate and what is provisioned are still s3.
		{"s3", map[string]string{"fetcherName": prefix + "-fetcher", "writerName": prefix + "-writer", "relayName": ""}},
	}
	for _, tc := range cases {
		t.Run(tc.topo, func(t *testing.T) {
			cfg := with(map[string]string{"lambdabridge:topology": tc.topo})
			r, _ := planFor(t, cfg)
			total := r.TotalMonthlyUSD
			b, _ := json.Marshal(cfg)
			t.Setenv(pulumi.EnvConfig, string(b))
			dir := t.TempDir()
			err := pulumi.RunErr(func(ctx *pulumi.Context) error {
				var logged []string
				outs, err := deploy(ctx, deployOptions{Build: fakeBuild, BuildDir: dir, Report: func(s string) { logged = append(logged, s) }})
				if err != nil {
					return err
				}
				// The text report goes to the preview's Diagnostics once, as Render writes it.
				var text bytes.Buffer
				if err := planner.Render(&text, r, "text"); err != nil {
					return err
				}
				if len(logged) != 1 || logged[0] != text.String() {
					t.Errorf("logged %d messages, want the text report once:\n%v", len(logged), logged)
				}
				// The logged report names the requested topology as chosen, and totals it.
				for _, line := range []string{"\nchosen: " + tc.topo + ", ", "/month (" + tc.topo + " + common "} {
					if len(logged) == 1 && !strings.Contains(logged[0], line) {
						t.Errorf("logged report lacks %q:\n%s", line, logged[0])
					}
				}
				want := map[string]string{
					"topology":   tc.topo,
					"dlqUrl":     "https://sqs.us-east-1.amazonaws.com/" + account + "/" + prefix + "-dlq",
					"dbEndpoint": "database-postgres.c1x2y3.us-east-1.rds.amazonaws.com:5432",
				}
				for k, v := range tc.want {
					if v == "" {
						if _, ok := outs[k]; ok {
							t.Errorf("output %s present for %s", k, tc.topo)
						}
						continue
					}
					want[k] = v
				}
				var wg sync.WaitGroup
				for k, v := range want {
					o, ok := outs[k]
					if !ok {
						t.Errorf("output %s missing", k)
						continue
					}
					wg.Add(1)
					k, v := k, v
					pulumi.ToOutput(o).ApplyT(func(got interface{}) error {
						defer wg.Done()
						if fmt.Sprint(got) != v {
							t.Errorf("output %s = %v, want %s", k, got, v)
						}
						return nil
					})
				}
				wg.Add(1)
				pulumi.All(outs["monthlyEstimateUSD"], outs["reportJSON"]).ApplyT(func(vs []interface{}) error {
					defer wg.Done()
					if vs[0] != total {
						t.Errorf("monthlyEstimateUSD %v, want %v", vs[0], total)
					}
					var rep planner.Report
					if err := json.Unmarshal([]byte(fmt.Sprint(vs[1])), &rep); err != nil {
						t.Errorf("reportJSON: %v", err)
					} else if rep.Chosen != planner.Topology(tc.topo) || len(rep.Topologies) != len(planner.AllTopologies) {
						t.Errorf("reportJSON chosen %s with %d topologies, want %s with %d", rep.Chosen, len(rep.Topologies), tc.topo, len(planner.AllTopologies))
					} else if rep.TotalMonthlyUSD != total {
						t.Errorf("reportJSON total %v, want %v (the monthlyEstimateUSD)", rep.TotalMonthlyUSD, total)
					}
					return nil
				})
				wg.Wait()
				return nil
			}, pulumi.WithMocks("lambdabridge", "dev", &mocks{}))
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestProgramNoSecretInAnyFunction: in every topology (and on an existing database reached
// with IAM authentication) no function's environment holds a secret: it is not a secret
// output, and no value in it is a password the stack knows (generated, stored or configured).
// The master password reaches the database once per deploy in the setup invocation's secret
// payload, and the schedule waits for that setup. Only an existing database the stack
// explicitly allows a password for (dbPasswordInEnvironment) puts one there.
func TestProgramNoSecretInAnyFunction(t *testing.T) {
	cases := []struct {
		name  string
		over  map[string]string
		setup bool
	}{
		{"destination", map[string]string{"lambdabridge:topology": "destination"}, true},
		{"destination with spill", map[string]string{"lambdabridge:topology": "destination", "lambdabridge:spill": "true"}, true},
		{"s3", map[string]string{"lambdabridge:topology": "s3"}, true},
		{"nat-gateway", map[string]string{"lambdabridge:topology": "nat-gateway"}, true},
		{"nat-instance", map[string]string{"lambdabridge:topology": "nat-instance"}, true},
		{"ipv6", map[string]string{"lambdabridge:topology": "ipv6"}, true},
		{"configured master password", map[string]string{"lambdabridge:topology": "nat-gateway", "lambdabridge:dbPassword": "correct-horse-battery"}, true},
		{"existing database with IAM", map[string]string{"lambdabridge:topology": "s3", "lambdabridge:vpcId": "vpc-0123456789abcdef0",
			"lambdabridge:subnetIds": `["subnet-0aaaaaaaaaaaaaaa1","subnet-0bbbbbbbbbbbbbbb2"]`, "lambdabridge:existingDbHost": "pg.internal.example.com",
			"lambdabridge:existingDbSecurityGroupId": "sg-0dddddddddddddd01", "lambdabridge:existingDbResourceId": "db-EXISTING1234567890ABCDEFG"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := runProgram(t, with(tc.over))
			if err != nil {
				t.Fatal(err)
			}
			passwords := []string{storedPassword, "correct-horse-battery"}
			if db := m.byType("aws:rds/instance:Instance"); len(db) == 1 {
				if pw := db[0].raw["password"]; pw.IsSecret() {
					passwords = append(passwords, pw.SecretValue().Element.StringValue()) // this run's generated (or the configured) one
				}
			}
			fns := m.byType("aws:lambda/function:Function")
			if len(fns) == 0 {
				t.Fatal("no functions")
			}
			for _, fn := range fns {
				role := strings.TrimPrefix(fn.name, "functions-")
				vars, secret := environment(t, m, role)
				if secret {
					t.Errorf("%s: environment is a secret", role)
				}
				for k, v := range vars {
					for _, pw := range passwords {
						if v != "" && strings.Contains(v, pw) {
							t.Errorf("%s: %s holds a password", role, k)
						}
					}
					if strings.Contains(k, "PASSWORD") {
						t.Errorf("%s: has %s", role, k)
					}
				}
			}
			invs := m.byType("aws:lambda/invocation:Invocation")
			if (len(invs) == 1) != tc.setup || len(invs) > 1 {
				t.Fatalf("setup invocations %v, want one: %v", m.names("aws:lambda/invocation:Invocation"), tc.setup)
			}
			if !tc.setup {
				return
			}
			storing := string(planner.Writer)
			if len(fns) == 1 {
				storing = string(planner.Relay)
			}
			ev := setupEvent(t, m, storing)
			if !slices.Contains(passwords, ev.AdminPassword) {
				t.Errorf("setup invocation's password is none the stack knows")
			}
			onlySecret(t, m, ev.AdminPassword)
			// Re-run on a new schema version, writer or database; the setup's input changing
			// (a new password) replaces it too (CREATE_ONLY).
			trig, _ := invs[0].in["triggers"].(map[string]interface{})
			if trig["schemaVersion"] != strconv.Itoa(store.SchemaVersion) || trig["writer"] != "writer" || trig["database"] == nil {
				t.Errorf("setup triggers %v", trig)
			}
			sched := m.named(t, "aws:scheduler/schedule:Schedule", "schedule-trigger")
			if !slices.ContainsFunc(sched.deps, func(u string) bool { return strings.HasSuffix(u, "::functions-db-setup") }) {
				t.Errorf("the schedule does not wait for the setup: depends on %v", sched.deps)
			}
		})
	}
}
