package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lambdabridge/lambdabridge/planner"
)

// Ranges the decoder enforces on the program's own keys. They are API input rules of the
// services involved (what Lambda and CloudWatch Logs accept), not prices or allowances, so
// they live here next to the keys they check. The planner's keys (memory, durations,
// credits, free tier, architecture, region, schedule, topology) are only parsed to their
// type here: the planner owns their ranges and values, and [Config.Plan] names the key
// when it refuses one.
const (
	// maxRetryCount and the event-age bounds are what PutFunctionEventInvokeConfig accepts.
	// https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html
	maxRetryCount, minEventAge, maxEventAge = 2, 60, 21600
	// maxBackupRetentionDays is the longest automated-backup retention RDS accepts.
	// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html (BackupRetentionPeriod)
	maxBackupRetentionDays = 35
)

// logRetentionDays lists the retention periods CloudWatch Logs accepts (PutRetentionPolicy).
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
	1096, 1827, 2192, 2557, 2922, 3288, 3653}

var (
	vpcRE        = regexp.MustCompile(`^vpc-[0-9a-f]{8,17}$`)
	subnetRE     = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	sgRE         = regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`)
	amiRE        = regexp.MustCompile(`^ami-[0-9a-f]{8,17}$`)
	dbiRE        = regexp.MustCompile(`^db-[A-Z0-9]{1,255}$`)
	identifierRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,62}$`)
	hostRE       = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$`)
)

// Defaults returns the configuration used for every key that is unset (or set to the
// empty string). Pulumi.yaml's schema states the same defaults; config_test keeps the two
// in step. Planner tunables (memory, architecture, durations, free tier) take the planner's
// own defaults (as does the record-alarm percentage) so the two packages cannot disagree.
func Defaults() Config {
	in := planner.Defaults(planner.Input{})
	return Config{
		Schedule:            "rate(10 minutes)",
		Region:              "us-east-1",
		FreeTier:            string(in.FreeTier),
		MemoryMB:            in.MemoryMB,
		Architecture:        in.Architecture,
		FetchMillis:         in.FetchMillis,
		WriteMillis:         in.WriteMillis,
		Topology:            "auto",
		DBName:              "lambdabridge",
		DBUser:              "writer",
		DeletionProtection:  true,
		BackupRetentionDays: 7,
		LogRetentionDays:    14,
		MaxRetries:          2,
		MaxEventAgeSeconds:  3600,
		RecordsTable:        "records",
		RecordAlarmPercent:  planner.DefaultRecordAlarmPercent,
		BudgetFactor:        1.5,
	}
}

// keySpec is one config key: its full name, the Config field it sets and its parser.
type keySpec struct {
	// name is the full key, e.g. "lambdabridge:memoryMB".
	name string
	// field is the name of the Config field the key sets.
	field string
	// planner marks keys the planner reads: cmd/plan cannot plan without their value.
	planner bool
	// input is the planner Input field the key sets, when the planner can refuse its value
	// (an *planner.InputError on it is reported as a *KeyError on this key); "" otherwise.
	input planner.Field
	// secret marks keys whose value must never appear in an error message.
	secret bool
	// opaque, when not nil, is the field's value for an encrypted (secure:) stack-file value:
	// such a key is set but not readable outside Pulumi, and that is all the planner needs of
	// it. Without it, an encrypted value keeps the default (an error for a planner key).
	opaque any
	// parse turns a non-empty raw value into a value of the field's type, or says what is
	// wrong with it. Its error is the problem only; callers prefix the key or flag.
	parse func(raw string) (any, error)
}

// Keys returns the full name of every key Decode reads, in schema order.
func Keys() []string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.name
	}
	return names
}

// PlannerKey reports whether the planner reads key (a full key name).
func PlannerKey(key string) bool {
	k, ok := lookupKey(key)
	return ok && k.planner
}

func lookupKey(name string) (keySpec, bool) {
	for _, k := range keys {
		if k.name == name {
			return k, true
		}
	}
	return keySpec{}, false
}

func ns(key string) string { return Namespace + ":" + key }

const identifierForm = "a letter then up to 62 letters, digits or underscores"

// millisForm is the accepted form of the duration keys.
var millisForm = fmt.Sprintf("a whole number of milliseconds, 1-%d", planner.MaxBilledMillis)

// keys is the schema in Pulumi.yaml's order. Every Config field is set by exactly one key
// (config_test checks it).
var keys = []keySpec{
	{name: ns("schedule"), field: "Schedule", planner: true, input: planner.FieldSchedule, parse: parseString(nil)},
	{name: RegionKey, field: "Region", planner: true, input: planner.FieldRegion, parse: parseString(nil)},
	{name: ns("payloadSize"), field: "PayloadBytes", planner: true, input: planner.FieldPayloadBytes, parse: parseSize},
	{name: ns("compressedSize"), field: "CompressedBytes", planner: true, input: planner.FieldCompressedBytes, parse: parseSize},
	{name: ns("freeTier"), field: "FreeTier", planner: true, input: planner.FieldFreeTier, parse: parseString(nil)},
	{name: ns("creditsUSD"), field: "CreditsUSD", planner: true, input: planner.FieldCreditsUSD, parse: parseFloat(math.Inf(-1), "a number of US dollars")},
	{name: ns("memoryMB"), field: "MemoryMB", planner: true, input: planner.FieldMemoryMB, parse: parsePositive(
		fmt.Sprintf("a whole number of MB, %d-%d", planner.MinMemoryMB, planner.MaxMemoryMB))},
	{name: ns("architecture"), field: "Architecture", planner: true, input: planner.FieldArchitecture, parse: parseString(nil)},
	{name: ns("fetchMillis"), field: "FetchMillis", planner: true, input: planner.FieldFetchMillis, parse: parsePositive(millisForm)},
	{name: ns("writeMillis"), field: "WriteMillis", planner: true, input: planner.FieldWriteMillis, parse: parsePositive(millisForm)},
	{name: ns("singleFunction"), field: "SingleFunction", planner: true, parse: parseBool},
	{name: ns("existingNat"), field: "ExistingNAT", planner: true, parse: parseBool},
	{name: ns("sourceUrl"), field: "SourceURL", parse: parseString(checkURL)},
	{name: ns("sourceHasIpv6"), field: "SourceHasIPv6", planner: true, parse: parseTriBool},
	{name: ns("topology"), field: "Topology", input: planner.FieldTopology, parse: parseString(nil)},
	{name: ns("asOf"), field: "AsOf", planner: true, input: planner.FieldAsOf, parse: parseString(checkDate)},
	{name: ns("pricesFile"), field: "PricesFile", planner: true, parse: parseString(nil)},
	{name: ns("spill"), field: "Spill", planner: true, parse: parseBool},
	{name: ns("sourceHeaders"), field: "SourceHeaders", planner: true, secret: true, opaque: opaqueSourceHeaders, parse: parseSourceHeaders},
	{name: ns("vpcId"), field: "VpcID", parse: parseString(matches(vpcRE, "a VPC id like vpc-0123456789abcdef0"))},
	{name: ns("subnetIds"), field: "SubnetIDs", parse: parseSubnets},
	{name: ns("existingDbHost"), field: "ExistingDBHost", parse: parseString(matches(hostRE, "a host name or IP address"))},
	{name: ns("existingDbSecurityGroupId"), field: "ExistingDBSGID", parse: parseString(matches(sgRE, "a security group id like sg-0123456789abcdef0"))},
	{name: ns("existingDbResourceId"), field: "ExistingDBResourceID", parse: parseString(matches(dbiRE, "an RDS resource id (DbiResourceId) like db-ABCDEFGHIJKLMNOPQRSTUVWXY1"))},
	{name: ns("dbPasswordInEnvironment"), field: "DBPasswordInEnvironment", parse: parseBool},
	{name: ns("dbName"), field: "DBName", parse: parseString(matches(identifierRE, identifierForm))},
	{name: ns("dbUser"), field: "DBUser", parse: parseString(matches(identifierRE, identifierForm))},
	{name: ns("dbPassword"), field: "DBPassword", secret: true, parse: parsePassword},
	{name: ns("deletionProtection"), field: "DeletionProtection", parse: parseBool},
	{name: ns("backupRetentionDays"), field: "BackupRetentionDays", parse: parseInt(0, maxBackupRetentionDays)},
	{name: ns("natAmi"), field: "NatAMI", parse: parseString(matches(amiRE, "an AMI id like ami-0123456789abcdef0"))},
	{name: ns("logRetentionDays"), field: "LogRetentionDays", parse: parseRetention},
	{name: ns("maxRetries"), field: "MaxRetries", parse: parseInt(0, maxRetryCount)},
	{name: ns("maxEventAgeSeconds"), field: "MaxEventAgeSeconds", parse: parseInt(minEventAge, maxEventAge)},
	{name: ns("recordsKey"), field: "RecordsKey", parse: parseString(nil)},
	{name: ns("recordsTable"), field: "RecordsTable", parse: parseString(matches(identifierRE, identifierForm))},
	{name: ns("alarmEmail"), field: "AlarmEmail", parse: parseString(checkEmail)},
	{name: ns("recordAlarmPercent"), field: "RecordAlarmPercent", parse: parseInt(1, 100)},
	{name: ns("budgetFactor"), field: "BudgetFactor", parse: parseFloat(1, "a number, 1 or more")},
}

// opaqueSource is implemented by sources that know a key is set but cannot reveal its
// value (an encrypted `secure:` value in a stack file).
type opaqueSource interface {
	opaque(key string) bool
}

// Decode reads every key from src, applies Defaults to keys that are unset or empty,
// and validates types, syntax, the program's own ranges and combinations (the planner's
// ranges are checked by [Config.Plan]). Every problem is a *KeyError naming the key and the
// accepted form, e.g. `config lambdabridge:memoryMB: "abc" is not a whole number of MB,
// 128-10240`; a secret value is never repeated in an error. All problems are reported (in
// an errors.Join), not just the first.
func Decode(src Source) (Config, error) {
	c := Defaults()
	op, _ := src.(opaqueSource)
	var errs []error
	for _, k := range keys {
		if op != nil && op.opaque(k.name) {
			// Encrypted in the stack file: the Pulumi program will see the value; a
			// file reader cannot. Keys the planner needs must therefore be plain, unless
			// the planner needs only to know that they are set.
			if k.opaque != nil {
				reflect.ValueOf(&c).Elem().FieldByName(k.field).Set(reflect.ValueOf(k.opaque))
				continue
			}
			if k.planner {
				errs = append(errs, &KeyError{Key: k.name, Problem: "is encrypted (secure:) and cannot be read outside Pulumi; the planner needs it in plain text"})
			}
			continue
		}
		raw, ok := src.Get(k.name)
		if !ok {
			continue
		}
		if err := c.Set(k.name, raw); err != nil {
			errs = append(errs, err)
		}
	}
	if err := c.Check(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return c, nil
}

// Set decodes one key's raw text into c with the same checks as Decode; an empty (or
// blank) value restores the key's default. A bad value is a *KeyError, whose Describe lets
// a caller name its own source (cmd/plan names the flag).
func (c *Config) Set(key, raw string) error {
	k, ok := lookupKey(key)
	if !ok {
		return fmt.Errorf("unknown config key %s", key)
	}
	field := reflect.ValueOf(c).Elem().FieldByName(k.field)
	raw = strings.TrimSpace(raw)
	if raw == "" {
		field.Set(reflect.ValueOf(Defaults()).FieldByName(k.field))
		return nil
	}
	v, err := k.parse(raw)
	if err != nil {
		return &KeyError{Key: key, Problem: err.Error()}
	}
	field.Set(reflect.ValueOf(v))
	return nil
}

// Check reports program keys that are valid alone but not together, each as a *KeyError.
func (c Config) Check() error {
	var errs []error
	bad := func(key, problem string) { errs = append(errs, &KeyError{Key: key, Problem: problem}) }
	if c.VpcID != "" && len(c.SubnetIDs) == 0 {
		bad(ns("subnetIds"), fmt.Sprintf("required with %s (a JSON list of private subnet ids)", ns("vpcId")))
	}
	if c.VpcID == "" && len(c.SubnetIDs) > 0 {
		bad(ns("subnetIds"), fmt.Sprintf("only allowed with %s (the VPC the subnets belong to)", ns("vpcId")))
	}
	if c.ExistingDBHost != "" && c.VpcID == "" {
		bad(ns("existingDbHost"), fmt.Sprintf("needs %s and %s (the writer must run in the database's VPC)", ns("vpcId"), ns("subnetIds")))
	}
	if c.ExistingDBSGID != "" && c.ExistingDBHost == "" {
		bad(ns("existingDbSecurityGroupId"), fmt.Sprintf("only allowed with %s", ns("existingDbHost")))
	}
	if c.ExistingDBResourceID != "" && c.ExistingDBHost == "" {
		bad(ns("existingDbResourceId"), fmt.Sprintf("only allowed with %s (a new database gets IAM authentication anyway)", ns("existingDbHost")))
	}
	if c.ExistingDBResourceID != "" && c.DBPassword != "" {
		bad(ns("dbPassword"), fmt.Sprintf("not used with %s: the functions connect with IAM authentication, holding no password; unset it", ns("existingDbResourceId")))
	}
	if c.DBPasswordInEnvironment && (c.ExistingDBHost == "" || c.ExistingDBResourceID != "") {
		bad(ns("dbPasswordInEnvironment"), fmt.Sprintf("only allowed with %s and without %s: every other database is reached with IAM authentication", ns("existingDbHost"), ns("existingDbResourceId")))
	}
	if c.ExistingDBHost != "" && c.ExistingDBResourceID == "" && !c.DBPasswordInEnvironment {
		bad(ns("existingDbHost"), fmt.Sprintf("needs %s (its DbiResourceId: the functions then use IAM authentication) or, to put the writer's password (%s) in the functions' environment, %s: true",
			ns("existingDbResourceId"), ns("dbPassword"), ns("dbPasswordInEnvironment")))
	}
	return errors.Join(errs...)
}

func parseString(check func(string) error) func(string) (any, error) {
	return func(raw string) (any, error) {
		if check != nil {
			if err := check(raw); err != nil {
				return nil, err
			}
		}
		return raw, nil
	}
}

func matches(re *regexp.Regexp, form string) func(string) error {
	return func(raw string) error {
		if !re.MatchString(raw) {
			return fmt.Errorf("%q is not %s", raw, form)
		}
		return nil
	}
}

// parsePositive reads a whole number of at least 1 (the planner reads 0 as "its default",
// so a key must not pass it); the planner checks the upper bound. form is the accepted form.
func parsePositive(form string) func(string) (any, error) {
	return func(raw string) (any, error) {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not %s", raw, form)
		}
		return n, nil
	}
}

func parseInt(lo, hi int) func(string) (any, error) {
	return func(raw string) (any, error) {
		n, err := strconv.Atoi(raw)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer (%d-%d)", raw, lo, hi)
		}
		if n < lo || n > hi {
			return nil, fmt.Errorf("%d is out of range (%d-%d)", n, lo, hi)
		}
		return n, nil
	}
}

func parseFloat(lo float64, form string) func(string) (any, error) {
	return func(raw string) (any, error) {
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%q is not %s", raw, form)
		}
		if f < lo {
			return nil, fmt.Errorf("%s is out of range (%s)", raw, form)
		}
		return f, nil
	}
}

func parseBool(raw string) (any, error) {
	switch raw {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return nil, fmt.Errorf("%q is not a boolean (true or false)", raw)
}

func parseSize(raw string) (any, error) {
	n, err := planner.ParseSize(raw)
	if err != nil {
		// planner.ParseSize's own message repeats the value and the form; say it once.
		return nil, fmt.Errorf("%q is not a size like 279KB, 19KiB, 1MB or bytes", raw)
	}
	return n, nil
}

func parseTriBool(raw string) (any, error) {
	return ParseTriBool(raw)
}

// ParseTriBool reads "true", "false" or "unknown" (nil). It is the form of
// lambdabridge:sourceHasIpv6 and of cmd/plan's --ipv6.
func ParseTriBool(raw string) (*bool, error) {
	switch raw {
	case "true", "false":
		b := raw == "true"
		return &b, nil
	case "unknown":
		return nil, nil
	}
	return nil, fmt.Errorf("%q is not one of true, false, unknown", raw)
}

func parseSubnets(raw string) (any, error) {
	var ids []string
	if err := json.Unmarshal([]byte(raw), &ids); err != nil {
		return nil, fmt.Errorf("%q is not a JSON list of subnet ids like [\"subnet-0123456789abcdef0\"]", raw)
	}
	for _, id := range ids {
		if !subnetRE.MatchString(id) {
			return nil, fmt.Errorf("%q is not a subnet id like subnet-0123456789abcdef0", id)
		}
	}
	if len(ids) == 0 {
		ids = nil
	}
	return ids, nil
}

func parseRetention(raw string) (any, error) {
	n, err := strconv.Atoi(raw)
	if err != nil || !slices.Contains(logRetentionDays, n) {
		return nil, fmt.Errorf("%q is not a CloudWatch Logs retention in days (%s)", raw, joinInts(logRetentionDays))
	}
	return n, nil
}

// parsePassword checks the RDS master password rules without ever echoing the value.
func parsePassword(raw string) (any, error) {
	if len(raw) < 8 || len(raw) > 128 {
		return nil, fmt.Errorf("the secret value has %d characters; RDS wants 8-128", len(raw))
	}
	for _, r := range raw {
		if r < 0x21 || r > 0x7e || r == '/' || r == '"' || r == '@' {
			return nil, errors.New(`the secret value has a character RDS refuses; use printable ASCII except / " @ and space`)
		}
	}
	return raw, nil
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http:// or https:// URL", raw)
	}
	if len(raw) > planner.MaxSourceURLBytes {
		return fmt.Errorf("a URL of %d bytes is too long: at most %d (the envelope size the planner counts per record)", len(raw), planner.MaxSourceURLBytes)
	}
	return nil
}

// dateLayout is the form of lambdabridge:asOf and --as-of.
const dateLayout = "2006-01-02"

func checkDate(raw string) error {
	if _, err := time.Parse(dateLayout, raw); err != nil {
		return fmt.Errorf("%q is not a date YYYY-MM-DD", raw)
	}
	return nil
}

func checkEmail(raw string) error {
	a, err := mail.ParseAddress(raw)
	if err != nil || a.Address != raw {
		return fmt.Errorf("%q is not a plain e-mail address like ops@example.com", raw)
	}
	return nil
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}
