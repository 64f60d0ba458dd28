package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdabridge/lambdabridge/planner"
)

func ptr[T any](v T) *T { return &v }

// oneKey is, for every key, a valid non-default raw value and the field value it must give.
// TestEveryFieldHasOneKey proves each key sets exactly its own field and that together they
// cover every Config field.
var oneKey = map[string]struct {
	raw  string
	want any
}{
	"lambdabridge:schedule":                  {"rate(1 hour)", "rate(1 hour)"},
	"aws:region":                             {"ap-northeast-1", "ap-northeast-1"},
	"lambdabridge:payloadSize":               {"279KB", int64(279 * 1000)},
	"lambdabridge:compressedSize":            {"19KiB", int64(19 * 1024)},
	"lambdabridge:freeTier":                  {"legacy-12-month", "legacy-12-month"},
	"lambdabridge:creditsUSD":                {"100.50", 100.50},
	"lambdabridge:memoryMB":                  {"256", 256},
	"lambdabridge:architecture":              {"x86_64", "x86_64"},
	"lambdabridge:fetchMillis":               {"1234", 1234},
	"lambdabridge:writeMillis":               {"4321", 4321},
	"lambdabridge:singleFunction":            {"true", true},
	"lambdabridge:existingNat":               {"true", true},
	"lambdabridge:sourceUrl":                 {"https://api.example.com/v1/items?page=1", "https://api.example.com/v1/items?page=1"},
	"lambdabridge:sourceHasIpv6":             {"true", ptr(true)},
	"lambdabridge:topology":                  {"nat-instance", "nat-instance"},
	"lambdabridge:asOf":                      {"2025-07-01", "2025-07-01"},
	"lambdabridge:pricesFile":                {"prices.json", "prices.json"},
	"lambdabridge:spill":                     {"true", true},
	"lambdabridge:sourceHeaders":             {`{"X-Api-Key":"k1"}`, NewSourceHeaders(map[string]string{"X-Api-Key": "k1"})},
	"lambdabridge:vpcId":                     {"vpc-0123456789abcdef0", "vpc-0123456789abcdef0"},
	"lambdabridge:subnetIds":                 {`["subnet-0123456789abcdef0","subnet-0fedcba9876543210"]`, []string{"subnet-0123456789abcdef0", "subnet-0fedcba9876543210"}},
	"lambdabridge:existingDbHost":            {"db.internal.example.com", "db.internal.example.com"},
	"lambdabridge:existingDbSecurityGroupId": {"sg-0123456789abcdef0", "sg-0123456789abcdef0"},
	"lambdabridge:existingDbResourceId":      {"db-ABCDEFGHIJKLMNOPQRSTUVWXY1", "db-ABCDEFGHIJKLMNOPQRSTUVWXY1"},
	"lambdabridge:dbPasswordInEnvironment":   {"true", true},
	"lambdabridge:dbName":                    {"feeds", "feeds"},
	"lambdabridge:dbUser":                    {"loader", "loader"},
	"lambdabridge:dbPassword":                {"correct-horse-battery", "correct-horse-battery"},
	"lambdabridge:deletionProtection":        {"false", false},
	"lambdabridge:backupRetentionDays":       {"35", 35},
	"lambdabridge:natAmi":                    {"ami-0123456789abcdef0", "ami-0123456789abcdef0"},
	"lambdabridge:logRetentionDays":          {"30", 30},
	"lambdabridge:maxRetries":                {"0", 0},
	"lambdabridge:maxEventAgeSeconds":        {"21600", 21600},
	"lambdabridge:recordsKey":                {"id", "id"},
	"lambdabridge:recordsTable":              {"orders", "orders"},
	"lambdabridge:alarmEmail":                {"ops@example.com", "ops@example.com"},
	"lambdabridge:recordAlarmPercent":        {"90", 90},
	"lambdabridge:budgetFactor":              {"2", 2.0},
}

func TestEveryFieldHasOneKey(t *testing.T) {
	if len(oneKey) != len(keys) {
		t.Fatalf("oneKey has %d entries, keys has %d: add the new key to oneKey", len(oneKey), len(keys))
	}
	covered := map[string]bool{}
	for _, k := range keys {
		t.Run(k.name, func(t *testing.T) {
			v, ok := oneKey[k.name]
			if !ok {
				t.Fatalf("no sample value for %s in oneKey", k.name)
			}
			def := Defaults()
			c := def
			if err := c.Set(k.name, v.raw); err != nil {
				t.Fatalf("Set(%s, %q): %v", k.name, v.raw, err)
			}
			got := reflect.ValueOf(c)
			for i := range got.NumField() {
				name := got.Type().Field(i).Name
				changed := !reflect.DeepEqual(got.Field(i).Interface(), reflect.ValueOf(def).Field(i).Interface())
				if name == k.field && !reflect.DeepEqual(got.Field(i).Interface(), v.want) {
					t.Errorf("%s=%q set %s to %#v, want %#v", k.name, v.raw, name, got.Field(i).Interface(), v.want)
				}
				if changed && name != k.field {
					t.Errorf("%s=%q changed %s too", k.name, v.raw, name)
				}
				if changed && name == k.field {
					covered[name] = true
				}
			}
			// An empty value restores the default.
			if err := c.Set(k.name, ""); err != nil {
				t.Fatalf("Set(%s, \"\"): %v", k.name, err)
			}
			if !reflect.DeepEqual(c, def) {
				t.Errorf("Set(%s, \"\") did not restore the default", k.name)
			}
		})
	}
	ct := reflect.TypeFor[Config]()
	for i := range ct.NumField() {
		if !covered[ct.Field(i).Name] {
			t.Errorf("Config.%s is set by no key (or its sample equals the default)", ct.Field(i).Name)
		}
	}
}

func TestDecodeAppliesDefaults(t *testing.T) {
	// Pulumi does not apply schema defaults under mocks: an empty source must still give Defaults().
	got, err := Decode(MapSource{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, Defaults()) {
		t.Errorf("Decode(empty) = %+v, want Defaults() %+v", got, Defaults())
	}
	d := Defaults()
	// Spot-check the documented defaults themselves.
	if d.Schedule != "rate(10 minutes)" || d.Region != "us-east-1" || d.Topology != "auto" ||
		d.FreeTier != "always-free" || d.Architecture != "arm64" || d.SourceHasIPv6 != nil ||
		d.LogRetentionDays != 14 || d.MaxRetries != 2 || d.MaxEventAgeSeconds != 3600 ||
		d.RecordAlarmPercent != 80 || d.BudgetFactor != 1.5 || d.DBName != "lambdabridge" || d.DBUser != "writer" {
		t.Errorf("Defaults() = %+v", d)
	}
}

func TestSourceFuncFeedsDecode(t *testing.T) {
	// The Pulumi program passes config.SourceFunc(ctx.GetConfig); a map lookup has the same shape.
	cfg := map[string]string{"lambdabridge:memoryMB": "512", "aws:region": "eu-west-1"}
	got, err := Decode(SourceFunc(func(k string) (string, bool) { v, ok := cfg[k]; return v, ok }))
	if err != nil {
		t.Fatal(err)
	}
	if got.MemoryMB != 512 || got.Region != "eu-west-1" || got.Schedule != Defaults().Schedule {
		t.Errorf("got memory %d region %q schedule %q", got.MemoryMB, got.Region, got.Schedule)
	}
}

func TestDecodeTriBool(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want *bool
	}{{"true", ptr(true)}, {"false", ptr(false)}, {"unknown", nil}, {"", nil}} {
		got, err := Decode(MapSource{"lambdabridge:sourceHasIpv6": tc.raw})
		if err != nil {
			t.Fatalf("%q: %v", tc.raw, err)
		}
		if !reflect.DeepEqual(got.SourceHasIPv6, tc.want) {
			t.Errorf("sourceHasIpv6=%q: got %v, want %v", tc.raw, got.SourceHasIPv6, tc.want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		src  MapSource
		want []string // every fragment must be in the error
		not  string   // must not be in the error
	}{
		{"memory not a number", MapSource{"lambdabridge:memoryMB": "abc"},
			[]string{`config lambdabridge:memoryMB: "abc" is not a whole number of MB, 128-10240`}, ""},
		// 0 would read as "the planner's default": not a value a key may pass.
		{"memory zero", MapSource{"lambdabridge:memoryMB": "0"},
			[]string{`config lambdabridge:memoryMB: "0" is not a whole number of MB, 128-10240`}, ""},
		{"size", MapSource{"lambdabridge:payloadSize": "12XB"},
			[]string{`config lambdabridge:payloadSize: "12XB" is not a size like 279KB, 19KiB, 1MB or bytes`}, ""},
		{"compressed size", MapSource{"lambdabridge:payloadSize": "1MB", "lambdabridge:compressedSize": "-5"},
			[]string{`config lambdabridge:compressedSize: "-5" is not a size`}, ""},
		{"credits", MapSource{"lambdabridge:creditsUSD": "$5"},
			[]string{`config lambdabridge:creditsUSD: "$5" is not a number of US dollars`}, ""},
		{"NaN credits", MapSource{"lambdabridge:creditsUSD": "NaN"},
			[]string{`config lambdabridge:creditsUSD: "NaN" is not a number`}, ""},
		{"fetch millis zero", MapSource{"lambdabridge:fetchMillis": "0"},
			[]string{`config lambdabridge:fetchMillis: "0" is not a whole number of milliseconds, 1-900000`}, ""},
		{"write millis not a number", MapSource{"lambdabridge:writeMillis": "fast"},
			[]string{`config lambdabridge:writeMillis: "fast" is not a whole number of milliseconds, 1-900000`}, ""},
		{"bool", MapSource{"lambdabridge:spill": "yes"},
			[]string{`config lambdabridge:spill: "yes" is not a boolean (true or false)`}, ""},
		{"url", MapSource{"lambdabridge:sourceUrl": "ftp://example.com/x"},
			[]string{`config lambdabridge:sourceUrl: "ftp://example.com/x" is not an absolute http:// or https:// URL`}, ""},
		// "https://x.io/" is 13 bytes; 13 + 500 = 513, one over the planner's 512.
		{"url too long", MapSource{"lambdabridge:sourceUrl": "https://x.io/" + strings.Repeat("a", 500)},
			[]string{`config lambdabridge:sourceUrl: a URL of 513 bytes is too long: at most 512`}, ""},
		{"ipv6", MapSource{"lambdabridge:sourceHasIpv6": "maybe"},
			[]string{`config lambdabridge:sourceHasIpv6: "maybe" is not one of true, false, unknown`}, ""},
		{"as of", MapSource{"lambdabridge:asOf": "2025-02-30"},
			[]string{`config lambdabridge:asOf: "2025-02-30" is not a date YYYY-MM-DD`}, ""},
		{"vpc", MapSource{"lambdabridge:vpcId": "vpc-xyz", "lambdabridge:subnetIds": `["subnet-0123456789abcdef0"]`},
			[]string{`config lambdabridge:vpcId: "vpc-xyz" is not a VPC id`}, ""},
		{"subnets not JSON", MapSource{"lambdabridge:vpcId": "vpc-0123456789abcdef0", "lambdabridge:subnetIds": "subnet-0123456789abcdef0"},
			[]string{`config lambdabridge:subnetIds: "subnet-0123456789abcdef0" is not a JSON list of subnet ids`}, ""},
		{"subnet id", MapSource{"lambdabridge:vpcId": "vpc-0123456789abcdef0", "lambdabridge:subnetIds": `["sn-1"]`},
			[]string{`config lambdabridge:subnetIds: "sn-1" is not a subnet id`}, ""},
		{"vpc without subnets", MapSource{"lambdabridge:vpcId": "vpc-0123456789abcdef0"},
			[]string{`config lambdabridge:subnetIds: required with lambdabridge:vpcId`}, ""},
		{"subnets without vpc", MapSource{"lambdabridge:subnetIds": `["subnet-0123456789abcdef0"]`},
			[]string{`config lambdabridge:subnetIds: only allowed with lambdabridge:vpcId`}, ""},
		{"existing db without vpc", MapSource{"lambdabridge:existingDbHost": "db.internal.example.com"},
			[]string{`config lambdabridge:existingDbHost: needs lambdabridge:vpcId and lambdabridge:subnetIds`}, ""},
		{"db sg without host", MapSource{"lambdabridge:existingDbSecurityGroupId": "sg-0123456789abcdef0"},
			[]string{`config lambdabridge:existingDbSecurityGroupId: only allowed with lambdabridge:existingDbHost`}, ""},
		{"resource id form", MapSource{"lambdabridge:existingDbResourceId": "db-abc"},
			[]string{`config lambdabridge:existingDbResourceId: "db-abc" is not an RDS resource id`}, ""},
		{"resource id without host", MapSource{"lambdabridge:existingDbResourceId": "db-ABC"},
			[]string{`config lambdabridge:existingDbResourceId: only allowed with lambdabridge:existingDbHost`}, ""},
		{"existing db: IAM or an explicit password in the environment", MapSource{"lambdabridge:vpcId": "vpc-0123456789abcdef0",
			"lambdabridge:subnetIds": `["subnet-0123456789abcdef0"]`, "lambdabridge:existingDbHost": "db.internal.example.com", "lambdabridge:dbPassword": "correct-horse-battery"},
			[]string{`config lambdabridge:existingDbHost: needs lambdabridge:existingDbResourceId`, "lambdabridge:dbPasswordInEnvironment: true"}, "correct-horse-battery"},
		{"password with IAM", MapSource{"lambdabridge:vpcId": "vpc-0123456789abcdef0", "lambdabridge:subnetIds": `["subnet-0123456789abcdef0"]`,
			"lambdabridge:existingDbHost": "db.internal.example.com", "lambdabridge:existingDbResourceId": "db-ABC", "lambdabridge:dbPassword": "correct-horse-battery"},
			[]string{`config lambdabridge:dbPassword: not used with lambdabridge:existingDbResourceId`}, "correct-horse-battery"},
		{"password in the environment of a new database", MapSource{"lambdabridge:dbPasswordInEnvironment": "true"},
			[]string{`config lambdabridge:dbPasswordInEnvironment: only allowed with lambdabridge:existingDbHost`}, ""},
		{"db name", MapSource{"lambdabridge:dbName": "1db"},
			[]string{`config lambdabridge:dbName: "1db" is not a letter then up to 62 letters, digits or underscores`}, ""},
		{"password short, not echoed", MapSource{"lambdabridge:dbPassword": "hunter2"},
			[]string{`config lambdabridge:dbPassword: the secret value has 7 characters; RDS wants 8-128`}, "hunter2"},
		{"password char, not echoed", MapSource{"lambdabridge:dbPassword": "pass word@123"},
			[]string{`config lambdabridge:dbPassword: the secret value has a character RDS refuses`}, "pass word"},
		{"retention", MapSource{"lambdabridge:logRetentionDays": "10"},
			[]string{`config lambdabridge:logRetentionDays: "10" is not a CloudWatch Logs retention in days (1, 3, 5, 7, 14, 30`}, ""},
		{"retries", MapSource{"lambdabridge:maxRetries": "3"},
			[]string{`config lambdabridge:maxRetries: 3 is out of range (0-2)`}, ""},
		{"event age", MapSource{"lambdabridge:maxEventAgeSeconds": "59"},
			[]string{`config lambdabridge:maxEventAgeSeconds: 59 is out of range (60-21600)`}, ""},
		{"email", MapSource{"lambdabridge:alarmEmail": "Ops <ops@example.com>"},
			[]string{`config lambdabridge:alarmEmail: "Ops <ops@example.com>" is not a plain e-mail address`}, ""},
		{"percent", MapSource{"lambdabridge:recordAlarmPercent": "101"},
			[]string{`config lambdabridge:recordAlarmPercent: 101 is out of range (1-100)`}, ""},
		{"budget", MapSource{"lambdabridge:budgetFactor": "0.5"},
			[]string{`config lambdabridge:budgetFactor: 0.5 is out of range (a number, 1 or more)`}, ""},
		{"every problem reported", MapSource{"lambdabridge:memoryMB": "abc", "lambdabridge:spill": "yes"},
			[]string{"lambdabridge:memoryMB", "lambdabridge:spill"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.src)
			if err == nil {
				t.Fatalf("Decode(%v) = %+v, want an error", tc.src, got)
			}
			if ke := (*KeyError)(nil); !errors.As(err, &ke) {
				t.Errorf("error %v is not a *KeyError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
			if tc.not != "" && strings.Contains(err.Error(), tc.not) {
				t.Errorf("error %q repeats the secret %q", err, tc.not)
			}
		})
	}
}

func TestSetUnknownKey(t *testing.T) {
	c := Defaults()
	if err := c.Set("lambdabridge:memoryMb", "256"); err == nil || !strings.Contains(err.Error(), "unknown config key lambdabridge:memoryMb") {
		t.Errorf("Set(unknown) = %v", err)
	}
}

func TestPlannerInput(t *testing.T) {
	c := Defaults()
	for k, v := range map[string]string{
		"lambdabridge:schedule": "rate(10 minutes)", "aws:region": "ap-northeast-1",
		"lambdabridge:payloadSize": "279KB", "lambdabridge:compressedSize": "19KB",
		"lambdabridge:freeTier": "none", "lambdabridge:creditsUSD": "25", "lambdabridge:memoryMB": "256",
		"lambdabridge:architecture": "x86_64", "lambdabridge:fetchMillis": "900", "lambdabridge:writeMillis": "150",
		"lambdabridge:singleFunction": "true", "lambdabridge:existingNat": "true",
		"lambdabridge:sourceHasIpv6": "false", "lambdabridge:spill": "true", "lambdabridge:asOf": "2025-07-14",
		"lambdabridge:topology": "nat-gateway",
	} {
		if err := c.Set(k, v); err != nil {
			t.Fatalf("Set(%s): %v", k, err)
		}
	}
	got, err := c.PlannerInput()
	if err != nil {
		t.Fatal(err)
	}
	want := planner.Input{
		Schedule: "rate(10 minutes)", Region: "ap-northeast-1",
		PayloadBytes: 279000, CompressedBytes: 19000, // KB = 1000 bytes
		FreeTier: planner.NoFreeTier, CreditsUSD: 25, MemoryMB: 256, Architecture: "x86_64",
		FetchMillis: 900, WriteMillis: 150, SingleFunction: true, ExistingNAT: true,
		SourceHasIPv6: ptr(false), Spill: true,
		AsOf:     time.Date(2025, 7, 14, 0, 0, 0, 0, time.UTC),
		Topology: planner.NATGateway,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PlannerInput() =\n%+v\nwant\n%+v", got, want)
	}
	// The input must not alias the config's pointer.
	*got.SourceHasIPv6 = true
	if *c.SourceHasIPv6 {
		t.Error("PlannerInput shares SourceHasIPv6 with the Config")
	}

	empty, err := Defaults().PlannerInput()
	if err != nil || !empty.AsOf.IsZero() || empty.SourceHasIPv6 != nil || empty.Topology != planner.Auto {
		t.Errorf("Defaults().PlannerInput() = %+v, %v; want zero AsOf (today), unknown IPv6 and topology auto", empty, err)
	}

	bad := Defaults()
	bad.AsOf = "14/07/2025" // built by hand, bypassing Set
	if _, err := bad.PlannerInput(); err == nil || !strings.Contains(err.Error(), `lambdabridge:asOf: "14/07/2025" is not a date YYYY-MM-DD`) {
		t.Errorf("bad AsOf: %v", err)
	}
}

func TestPlannerKey(t *testing.T) {
	for key, want := range map[string]bool{
		"lambdabridge:payloadSize": true, "aws:region": true, "lambdabridge:sourceHasIpv6": true,
		"lambdabridge:dbPassword": false, "lambdabridge:sourceUrl": false, "lambdabridge:nope": false,
	} {
		if got := PlannerKey(key); got != want {
			t.Errorf("PlannerKey(%s) = %v, want %v", key, got, want)
		}
	}
}

// writeFiles writes name -> content under a new temp dir and returns the dir.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// realProject is the repository's own Pulumi.yaml, so stack-file fixtures are read against
// the real schema and its defaults.
func realProject(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLoadStack(t *testing.T) {
	proj := realProject(t)
	tests := []struct {
		name  string
		files map[string]string
		stack string
		check func(t *testing.T, c Config)
	}{
		{
			name: "stack values win over project defaults; bare keys are the project's",
			files: map[string]string{"Pulumi.yaml": proj, "Pulumi.test.yaml": `
config:
  aws:region: eu-west-1
  lambdabridge:memoryMB: 256
  payloadSize: 1MiB
  lambdabridge:compressedSize: "100000"
  lambdabridge:singleFunction: true
  lambdabridge:sourceHasIpv6: false
  aws:profile: someone   # another namespace: not ours to check
`},
			stack: "test",
			check: func(t *testing.T, c Config) {
				want := Defaults()
				want.Region = "eu-west-1"
				want.MemoryMB = 256
				want.PayloadBytes = 1 << 20 // MiB = 1024*1024
				want.CompressedBytes = 100000
				want.SingleFunction = true
				want.SourceHasIPv6 = ptr(false)
				if !reflect.DeepEqual(c, want) {
					t.Errorf("got\n%+v\nwant\n%+v", c, want)
				}
			},
		},
		{
			name: "a YAML list reaches Decode as JSON",
			files: map[string]string{"Pulumi.yaml": proj, "Pulumi.net.yaml": `
config:
  lambdabridge:vpcId: vpc-0123456789abcdef0
  lambdabridge:subnetIds:
    - subnet-0123456789abcdef0
    - subnet-0fedcba9876543210
`},
			stack: "net",
			check: func(t *testing.T, c Config) {
				if c.VpcID != "vpc-0123456789abcdef0" || !slices.Equal(c.SubnetIDs, []string{"subnet-0123456789abcdef0", "subnet-0fedcba9876543210"}) {
					t.Errorf("vpc %q subnets %v", c.VpcID, c.SubnetIDs)
				}
			},
		},
		{
			name: "an encrypted program key is set-but-unknown and keeps its default",
			files: map[string]string{"Pulumi.yaml": proj, "Pulumi.prod.yaml": `
encryptionsalt: v1:abc
config:
  lambdabridge:dbPassword:
    secure: v1:bm9uc2Vuc2U=
  lambdabridge:sourceUrl:
    secure: v1:c2VjcmV0
`},
			stack: "prod",
			check: func(t *testing.T, c Config) {
				if c.DBPassword != "" || c.SourceURL != "" {
					t.Errorf("secret values leaked into the Config: %q %q", c.DBPassword, c.SourceURL)
				}
			},
		},
		{
			name: "stackConfigDir and an empty value",
			files: map[string]string{
				"Pulumi.yaml": strings.Replace(proj, "runtime: go\n", "runtime: go\nstackConfigDir: stacks\n", 1),
				"stacks/Pulumi.dev.yaml": `
config:
  lambdabridge:memoryMB: 1024
  lambdabridge:asOf:
`},
			stack: "dev",
			check: func(t *testing.T, c Config) {
				if c.MemoryMB != 1024 || c.AsOf != "" {
					t.Errorf("memory %d asOf %q", c.MemoryMB, c.AsOf)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadStack(writeFiles(t, tc.files), tc.stack)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestLoadStackErrors(t *testing.T) {
	proj := realProject(t)
	tests := []struct {
		name  string
		files map[string]string
		stack string
		want  []string
	}{
		{"missing stack file lists the stacks",
			map[string]string{"Pulumi.yaml": proj, "Pulumi.dev.yaml": "config: {}\n", "Pulumi.prod.yaml": "config: {}\n"},
			"staging", []string{"no stack file", "Pulumi.staging.yaml", "stacks found: dev, prod"}},
		{"missing project file",
			map[string]string{"Pulumi.dev.yaml": "config: {}\n"},
			"dev", []string{"read ", "Pulumi.yaml"}},
		{"typo in a key",
			map[string]string{"Pulumi.yaml": proj, "Pulumi.dev.yaml": "config:\n  lambdabridge:memoryMb: 256\n"},
			"dev", []string{"unknown config key lambdabridge:memoryMb (did you mean lambdabridge:memoryMB?)"}},
		{"unknown key",
			map[string]string{"Pulumi.yaml": proj, "Pulumi.dev.yaml": "config:\n  lambdabridge:colour: blue\n"},
			"dev", []string{"unknown config key lambdabridge:colour; known keys: lambdabridge:schedule, aws:region"}},
		{"unknown key in the project schema",
			map[string]string{"Pulumi.yaml": proj + "  extra:\n    type: string\n    default: x\n", "Pulumi.dev.yaml": "config: {}\n"},
			"dev", []string{"Pulumi.yaml: unknown config key lambdabridge:extra"}},
		{"bad value names the stack and key",
			map[string]string{"Pulumi.yaml": proj, "Pulumi.dev.yaml": "config:\n  lambdabridge:memoryMB: lots\n"},
			"dev", []string{`stack dev: config lambdabridge:memoryMB: "lots" is not a whole number of MB, 128-10240`}},
		{"encrypted planner key",
			map[string]string{"Pulumi.yaml": proj, "Pulumi.dev.yaml": "config:\n  lambdabridge:payloadSize:\n    secure: v1:eA==\n"},
			"dev", []string{"config lambdabridge:payloadSize: is encrypted (secure:)", "the planner needs it in plain text"}},
		{"wrong project name",
			map[string]string{"Pulumi.yaml": strings.Replace(proj, "name: lambdabridge", "name: other", 1), "Pulumi.dev.yaml": "config: {}\n"},
			"dev", []string{`project name "other"`}},
		{"not YAML",
			map[string]string{"Pulumi.yaml": proj, "Pulumi.dev.yaml": "config: [unclosed\n"},
			"dev", []string{"parse ", "Pulumi.dev.yaml"}},
		{"path in stack name",
			map[string]string{"Pulumi.yaml": proj},
			"../dev", []string{`stack name "../dev": want a plain name like dev`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadStack(writeFiles(t, tc.files), tc.stack)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

// TestRealDevStack reads the repository's own Pulumi.yaml and Pulumi.dev.yaml.
func TestRealDevStack(t *testing.T) {
	c, err := LoadStack("..", "dev")
	if err != nil {
		t.Fatal(err)
	}
	if c.Region != "ap-northeast-1" || c.Schedule != "rate(10 minutes)" || c.Topology != "auto" {
		t.Errorf("region %q schedule %q topology %q", c.Region, c.Schedule, c.Topology)
	}
	// 279KB and 19KB with KB = 1000 bytes.
	if c.PayloadBytes != 279*1000 || c.CompressedBytes != 19*1000 {
		t.Errorf("payload %d compressed %d, want 279000 and 19000", c.PayloadBytes, c.CompressedBytes)
	}
	if c.SourceHasIPv6 != nil {
		t.Errorf("sourceHasIpv6 = %v, want unknown (not measured)", *c.SourceHasIPv6)
	}
	if !strings.HasPrefix(c.SourceURL, "https://") {
		t.Errorf("sourceUrl %q", c.SourceURL)
	}
	if _, err := c.PlannerInput(); err != nil {
		t.Error(err)
	}
}

func TestLoadStackNotFoundIsWrapped(t *testing.T) {
	_, err := LoadStack(t.TempDir(), "dev")
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing Pulumi.yaml: %v, want an error wrapping os.ErrNotExist", err)
	}
}
